"""The control plane: creating, describing, updating and deleting tables and their indexes, tags and TTL."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from cloudlet.aws import ids
from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import encryption, on_demand, storage, tags, update_rules, vectors, warm
from cloudlet.services.dynamodb.errors import in_use, invalid_params, not_found, validation
from cloudlet.services.dynamodb.schema import IndexDef, KeyDef, TableDef
from cloudlet.store import Conn, Store

MAX_GSIS = 20
MAX_LSIS = 5
MAX_KEY_PARTS = 4  # HASH and RANGE attributes each of a multi-attribute GSI key
MAX_CAPACITY_UNITS = 1_000_000_000_000


def resolve_name(name_or_arn: str) -> str:
    """A TableName parameter may be a name or a table ARN."""
    if name_or_arn.startswith("arn:"):
        parts = name_or_arn.split(":", 5)
        if len(parts) == 6 and parts[5].startswith("table/"):
            return parts[5][len("table/"):].split("/")[0]
        raise validation(f"Invalid TableArn: {name_or_arn}")
    return name_or_arn


def get_table(conn: Conn, ctx, name: str, *, for_update: bool = False, control: bool = False) -> TableDef:
    """The table a TableName parameter names, or ResourceNotFoundException (naming the table for
    control-plane operations, as AWS does)."""
    table_name = resolve_name(name)
    table = storage.load_table(conn, ctx.account_id, ctx.region, table_name, for_update=for_update)
    if table is None:
        raise not_found(f"Requested resource not found: Table: {table_name} not found" if control else
                        "Requested resource not found")
    return table


def timestamp(epoch: float) -> dt.datetime:
    """An epoch time as the aware datetime the wire format expects."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def _key_def(schema: list[dict], types: dict[str, str], what: str) -> KeyDef:
    """A KeySchema checked in DynamoDB's order: definitions, then element names and key types."""
    names = [e["AttributeName"] for e in schema]
    if what == "table" and (len(types) < len(names) or (len(names) == 2 and any(n not in types for n in names))):
        # Fewer definitions than key elements (AttributeDefinitions [] too) are refused in these words.
        raise validation("Invalid KeySchema: Some index key attribute have no definition")
    if what != "table":
        _check_defined(names, types)
    if len(names) == 2 and names[0] == names[1]:
        raise validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
    if not schema or schema[0].get("KeyType") != "HASH":
        raise validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if what == "GSI" and (len(schema) > 2 or (len(schema) == 2 and schema[1].get("KeyType") == "HASH")):
        return _multi_key_def(schema, types)
    if len(schema) == 2 and schema[1].get("KeyType") != "RANGE":
        raise validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
    _check_defined(names, types)
    sk = names[1] if len(names) == 2 else None
    return KeyDef(names[0], types[names[0]], sk, types[sk] if sk else None)


def _multi_key_def(schema: list[dict], types: dict[str, str]) -> KeyDef:
    """A GSI key of up to four HASH attributes followed by up to four RANGE attributes."""
    names = [e["AttributeName"] for e in schema]
    if len(set(names)) != len(names):
        raise validation("Invalid KeySchema: Duplicate attribute names in the KeySchema")
    kinds = [e.get("KeyType") for e in schema]
    hashes = kinds.count("HASH")
    if kinds != ["HASH"] * hashes + ["RANGE"] * (len(kinds) - hashes):
        raise validation("Invalid KeySchema: All HASH KeySchemaElements must precede the RANGE KeySchemaElements")
    if hashes > MAX_KEY_PARTS or len(kinds) - hashes > MAX_KEY_PARTS:
        raise validation(
            f"Invalid KeySchema: A KeySchema can have at most {MAX_KEY_PARTS} HASH and {MAX_KEY_PARTS} RANGE key "
            "attributes"
        )
    _check_defined(names, types)
    pairs = [[n, types[n]] for n in names]
    sk, sk_type = pairs[hashes] if len(pairs) > hashes else (None, None)
    return KeyDef(names[0], types[names[0]], sk, sk_type, more_pk=pairs[1:hashes], more_sk=pairs[hashes + 1:])


def _check_defined(names: list[str], types: dict[str, str]) -> None:
    missing = [n for n in names if n not in types]
    if missing:
        # AWS lists both in reverse order.
        raise invalid_params(
            f"Some index key attributes are not defined in AttributeDefinitions. Keys: [{', '.join(reversed(missing))}], "
            f"AttributeDefinitions: [{', '.join(reversed(list(types)))}]"
        )


def _projection(spec: dict | None, name: str) -> dict:
    spec = dict(spec or {})
    kind = spec.get("ProjectionType")
    if kind is None:
        raise invalid_params("Unknown ProjectionType: null")
    non_key = spec.get("NonKeyAttributes")
    if kind == "INCLUDE" and not non_key:
        raise validation(
            "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified"
        )
    if kind != "INCLUDE" and non_key:
        raise invalid_params(
            f"ProjectionType is {kind}, but NonKeyAttributes is specified"
        )
    if non_key:
        seen: set[str] = set()
        for attr in non_key:
            if attr in seen:
                raise invalid_params(f"Duplicate element in NonKeyAttributes: {attr}")
            seen.add(attr)
    out = {"ProjectionType": kind}
    if non_key:
        out["NonKeyAttributes"] = sorted(non_key)  # AWS describes them sorted by name
    return out


def _throughput(billing: str, spec: dict | None, what: str = "") -> dict | None:
    if billing == "PAY_PER_REQUEST":
        if spec:
            raise invalid_params(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
            )
        return None
    if not spec:
        raise invalid_params(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
        )
    for member in ("ReadCapacityUnits", "WriteCapacityUnits"):
        if spec[member] > MAX_CAPACITY_UNITS:
            raise validation(f"Given value {spec[member]} for {member} is out of bounds")
    return {"ReadCapacityUnits": spec["ReadCapacityUnits"], "WriteCapacityUnits": spec["WriteCapacityUnits"]}


def _index_throughput(billing: str, spec: dict | None, index: str, on_create: bool) -> dict | None:
    """A GSI's own throughput: required on PROVISIONED tables, refused on PAY_PER_REQUEST ones (AWS words
    the refusal differently in CreateTable and UpdateTable)."""
    if billing == "PAY_PER_REQUEST":
        if spec:
            raise invalid_params(
                f"ProvisionedThroughput should not be specified for index: {index} when BillingMode is PAY_PER_REQUEST"
                if on_create else
                f"Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: {index} when "
                "BillingMode is PAY_PER_REQUEST"
            )
        return None
    if not spec:
        raise invalid_params(f"ProvisionedThroughput {'is not' if on_create else 'must be'} specified for index: {index}")
    return _throughput(billing, spec)


def _new_gsi(table_id: str, spec: dict, types: dict, billing: str, on_create: bool) -> IndexDef:
    name = spec["IndexName"]
    key = _key_def(spec["KeySchema"], types, "GSI")
    throughput = _index_throughput(billing, spec.get("ProvisionedThroughput"), name, on_create)
    return IndexDef(
        name=name, kind="GSI", key=key, projection=_projection(spec.get("Projection"), name),
        id=f"{table_id}:{name}", throughput=throughput, created=time.time(),
        on_demand=on_demand.check(billing, spec.get("OnDemandThroughput"), name),
        warm=warm.on_create(billing, throughput, spec.get("WarmThroughput"), name),
    )


def create_table(store: Store, ctx, params: dict) -> dict:
    table = new_table(ctx, params)
    with store.tx() as conn:
        if storage.load_table(conn, ctx.account_id, ctx.region, table.name) is not None:
            raise in_use(f"Table already exists: {table.name}")
        storage.save_table(conn, table, new=True)
    return {"TableDescription": describe(None, table, status="CREATING")}


def new_table(ctx, params: dict) -> TableDef:
    """The table a CreateTable request describes, checked with DynamoDB's rules (not stored)."""
    name = params["TableName"]
    definitions = params.get("AttributeDefinitions") or []
    types: dict[str, str] = {}
    for d in definitions:
        if d["AttributeName"] in types:
            raise validation(f"Attribute Name is duplicated: {d['AttributeName']}")
        types[d["AttributeName"]] = d["AttributeType"]
    key = _key_def(params["KeySchema"], types, "table")
    lsis, gsis = params.get("LocalSecondaryIndexes"), params.get("GlobalSecondaryIndexes")
    _check_definitions_used(types, key, [*(lsis or []), *(gsis or []), *vectors.key_specs(params.get("VectorIndexes"))])
    billing = params.get("BillingMode") or "PROVISIONED"
    throughput = _throughput(billing, params.get("ProvisionedThroughput"))
    table_on_demand = on_demand.check(billing, params.get("OnDemandThroughput"))
    table_warm = warm.on_create(billing, throughput, params.get("WarmThroughput"))
    table_id = ids.new_uuid()
    indexes: list[IndexDef] = []
    if lsis is not None and not lsis:
        raise invalid_params("List of LocalSecondaryIndexes is empty")
    if gsis is not None and not gsis:
        raise invalid_params("List of GlobalSecondaryIndexes is empty")
    if lsis and len(lsis) > MAX_LSIS:
        raise invalid_params(f"Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}")
    if gsis and len(gsis) > MAX_GSIS:
        raise invalid_params(f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}")
    for spec in lsis or []:
        if not key.sk:
            raise invalid_params(
                "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
            )
        lkey = _key_def(spec["KeySchema"], types, "LSI")
        if not lkey.sk:
            raise invalid_params(f"Index KeySchema does not have a range key for index: {spec['IndexName']}")
        if lkey.pk != key.pk:
            raise invalid_params(
                f"Index KeySchema does not have the same leading hash key as table KeySchema for index: "
                f"{spec['IndexName']}. index hash key: {lkey.pk}, table hash key: {key.pk}"
            )
        indexes.append(IndexDef(spec["IndexName"], "LSI", lkey, _projection(spec.get("Projection"), spec["IndexName"]),
                                f"{table_id}:{spec['IndexName']}", created=time.time()))
    for spec in gsis or []:
        indexes.append(_new_gsi(table_id, spec, types, billing, on_create=True))
    seen: set[str] = set()
    for index in indexes:
        if index.name in seen:
            raise invalid_params(f"Duplicate index name: {index.name}")
        seen.add(index.name)
    stream = _stream_spec(params.get("StreamSpecification"))
    now = time.time()
    table = TableDef(
        account=ctx.account_id, region=ctx.region, name=name, id=table_id, key=key,
        attribute_definitions=[{"AttributeName": n, "AttributeType": t} for n, t in types.items()],
        created=now, billing_mode=billing, throughput=throughput or {}, indexes=indexes,
        stream=stream, stream_label=_stream_label(now) if stream else None,
        tags=tags.add({}, params.get("Tags") or []),
        table_class=params.get("TableClass") or "STANDARD",
        table_class_set=bool(params.get("TableClass")),
        deletion_protection=bool(params.get("DeletionProtectionEnabled")),
        billing_updated=now if billing == "PAY_PER_REQUEST" else 0.0,
        sse=encryption.settings(params.get("SSESpecification"), ctx.account_id, ctx.region),
        on_demand=table_on_demand,
        warm=table_warm,
    )
    vectors.on_create_table(table, params.get("VectorIndexes"), types)
    return table


def _check_definitions_used(types: dict[str, str], key: KeyDef, index_specs: list[dict]) -> None:
    """AttributeDefinitions must name exactly the key attributes; AWS checks this before the index rules."""
    used = list(key.names)
    for spec in index_specs:
        for element in spec.get("KeySchema") or []:
            if isinstance(element, dict) and element.get("AttributeName") not in used:
                used.append(element.get("AttributeName"))
    if not set(types) - set(used):
        return
    if not index_specs:
        raise invalid_params(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in "
            "AttributeDefinitions"
        )
    keys_used = [n for n in used if n in types]
    raise invalid_params(
        f"Some AttributeDefinitions are not used. AttributeDefinitions: [{', '.join(types)}], "
        f"keys used: [{', '.join(keys_used)}]"
    )


def _stream_spec(spec: dict | None) -> dict | None:
    """The stream of a CreateTable StreamSpecification (UpdateTable checks its own rules first)."""
    if not spec or not spec.get("StreamEnabled"):
        if spec and spec.get("StreamViewType"):
            raise invalid_params("Table is being created with a stream disabled, UpdateViewType should not be specified")
        return None
    if not spec.get("StreamViewType"):
        raise invalid_params("Table is being created with a stream enabled, UpdateViewType is required")
    return {"StreamEnabled": True, "StreamViewType": spec["StreamViewType"]}


def _stream_label(now: float) -> str:
    return timestamp(now).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def describe(conn: Conn | None, table: TableDef, status: str = "ACTIVE") -> dict:
    """The TableDescription of a table (item counts and sizes read from the store when `conn` is given)."""
    count, size = storage.table_stats(conn, table) if conn is not None else (0, 0)
    out: dict = {
        "AttributeDefinitions": sorted(table.attribute_definitions, key=lambda d: d["AttributeName"]),
        "TableName": table.name,
        "KeySchema": table.key.schema(),
        "TableStatus": status,
        "CreationDateTime": timestamp(table.created),
        "ProvisionedThroughput": _table_throughput(table),
        "TableSizeBytes": size,
        "ItemCount": count,
        "TableArn": table.arn,
        "TableId": table.id,
        "DeletionProtectionEnabled": table.deletion_protection,
    }
    # As in AWS, a table that never was on-demand has no BillingModeSummary.
    if table.billing_mode == "PAY_PER_REQUEST" or table.billing_updated:
        out["BillingModeSummary"] = {"BillingMode": table.billing_mode}
        if status != "CREATING":  # as in AWS, told once the table exists
            out["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] = timestamp(
                table.billing_updated or table.created
            )
    class_summary = _table_class_summary(table)
    if class_summary:
        out["TableClassSummary"] = class_summary
    # DescribeTable always reports warm throughput; as in AWS, CreateTable's answer only when some was
    # asked for, as being applied.
    creating = status == "CREATING"
    if not creating or table.warm:
        out["WarmThroughput"] = warm.description(table.billing_mode, table.throughput, table.warm, creating)
    sse = encryption.description(table.sse)
    if sse:
        out["SSEDescription"] = sse
    if table.on_demand:
        out["OnDemandThroughput"] = table.on_demand
    lsis, gsis = [], []
    for index in table.indexes:
        icount, isize = storage.index_stats(conn, table, index) if conn is not None else (0, 0)
        entry = _index_description(table, index, icount, isize)
        if index.kind == "LSI":
            lsis.append(entry)
        else:
            if status == "CREATING":
                entry["IndexStatus"] = "CREATING"
            if not creating or index.warm:
                entry["WarmThroughput"] = warm.description(table.billing_mode, index.throughput, index.warm, creating)
            gsis.append(entry)
    if lsis:
        out["LocalSecondaryIndexes"] = lsis
    if gsis:
        out["GlobalSecondaryIndexes"] = gsis
    if table.vector_indexes:
        out["VectorIndexes"] = vectors.describe(conn, table, status)
        if status == "ACTIVE" and vectors.allocating(table):
            out["TableStatus"] = "UPDATING"  # until a new vector index has its resources
    if table.stream:
        out["StreamSpecification"] = table.stream
    if table.stream_label:
        out["LatestStreamLabel"] = table.stream_label
        out["LatestStreamArn"] = f"{table.arn}/stream/{table.stream_label}"
    if table.restore:
        summary = {k: v for k, v in table.restore.items() if k != "RestoreDateTime"}
        out["RestoreSummary"] = {**summary, "RestoreDateTime": timestamp(table.restore["RestoreDateTime"]),
                                 "RestoreInProgress": status == "CREATING"}
    return out


def _table_class_summary(table: TableDef) -> dict | None:
    """TableClassSummary; as in AWS, a table whose class was never given has none."""
    if not (table.table_class_set or table.table_class != "STANDARD"):
        return None
    summary = {"TableClass": table.table_class}
    if table.table_class_updated:
        summary["LastUpdateDateTime"] = timestamp(table.table_class_updated)
    return summary


def _index_description(table: TableDef, index: IndexDef, count: int, size: int) -> dict:
    entry = {
        "IndexName": index.name,
        "KeySchema": index.key.schema(),
        "Projection": index.projection,
        "IndexSizeBytes": size,
        "ItemCount": count,
        "IndexArn": f"{table.arn}/index/{index.name}",
    }
    if index.kind == "GSI":
        entry["IndexStatus"] = index.status
        if index.status == "CREATING":
            entry["Backfilling"] = True
        entry["ProvisionedThroughput"] = _throughput_description(index.throughput or {})
        if index.on_demand:
            entry["OnDemandThroughput"] = index.on_demand
    return entry


def _table_throughput(table: TableDef) -> dict:
    """The table's ProvisionedThroughput, with when it last went up or down and today's decreases."""
    out = _throughput_description(table.throughput)
    if table.last_increase:
        out["LastIncreaseDateTime"] = timestamp(table.last_increase)
    if table.last_decrease:
        out["LastDecreaseDateTime"] = timestamp(table.last_decrease)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    out["NumberOfDecreasesToday"] = sum(1 for t in table.decreases if time.strftime("%Y-%m-%d", time.gmtime(t)) == today)
    return out


def _throughput_description(throughput: dict) -> dict:
    return {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": throughput.get("ReadCapacityUnits", 0),
        "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 0),
    }


def describe_table(store: Store, ctx, params: dict) -> dict:
    with store.read() as conn:
        table = get_table(conn, ctx, params["TableName"], control=True)
        return {"Table": describe(conn, table)}


def delete_table(store: Store, ctx, params: dict, before_drop: Callable[[Conn, TableDef], None] | None = None) -> dict:
    """Delete a table with its items and indexes; `before_drop` runs (in the transaction) just before."""
    with store.tx() as conn:
        table = get_table(conn, ctx, params["TableName"], control=True)
        if table.deletion_protection:
            raise validation(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion "
                "protection first."
            )
        vectors.check_table_deletable(table)
        description = describe(conn, table, status="DELETING")
        if before_drop is not None:
            before_drop(conn, table)
        storage.drop_table(conn, table)
    return {"TableDescription": description}


def list_tables(store: Store, ctx, params: dict) -> dict:
    """A page of table names; like DynamoDB, LastEvaluatedTableName only when more tables follow."""
    limit = params.get("Limit") or 100
    with store.read() as conn:
        names = storage.list_table_names(
            conn, ctx.account_id, ctx.region, params.get("ExclusiveStartTableName"), limit + 1
        )
    out: dict = {"TableNames": names[:limit]}
    if len(names) > limit:
        out["LastEvaluatedTableName"] = names[limit - 1]
    return out


def update_table(store: Store, ctx, params: dict) -> dict:
    update_rules.check(params)
    with store.tx() as conn:
        table = get_table(conn, ctx, params["TableName"], for_update=True, control=True)
        types = {d["AttributeName"]: d["AttributeType"] for d in table.attribute_definitions}
        # Only a GSI creation reads AttributeDefinitions; AWS ignores what does not concern it.
        for d in params.get("AttributeDefinitions") or []:
            types.setdefault(d["AttributeName"], d["AttributeType"])
        throughput_before, billing_before = _table_throughput(table), table.billing_mode
        class_before = _table_class_summary(table)
        gsis_before = {
            i.name: (_throughput_description(i.throughput or {}), warm.current(table.billing_mode, i.throughput, i.warm))
            for i in table.indexes
            if i.kind == "GSI"
        }
        _update_billing(table, params)
        created, deleted = _update_indexes(conn, table, params, types)
        vectors_created, vectors_deleted = vectors.on_update_table(conn, table, params, types)
        if table.billing_mode == "PROVISIONED":
            # Switching to provisioned capacity needs every GSI's throughput in the same request.
            for index in table.indexes:
                if index.kind == "GSI" and not index.throughput:
                    raise invalid_params(f"ProvisionedThroughput must be specified for index: {index.name}")
        used = set(table.key.names)
        for index in table.indexes:
            used |= set(index.key.names)
        used |= vectors.attribute_names(table)
        table.attribute_definitions = [{"AttributeName": n, "AttributeType": t} for n, t in types.items() if n in used]
        if "StreamSpecification" in params:
            _update_stream(table, params["StreamSpecification"])
        if "DeletionProtectionEnabled" in params:
            table.deletion_protection = bool(params["DeletionProtectionEnabled"])
        if params.get("TableClass"):
            if params["TableClass"] != table.table_class:
                table.table_class_updated = time.time()
            table.table_class = params["TableClass"]
            table.table_class_set = True
        sse_before = table.sse
        if params.get("SSESpecification") is not None:
            table.sse = encryption.updated(table.sse, params["SSESpecification"], ctx.account_id, ctx.region)
        given = on_demand.check(table.billing_mode, params.get("OnDemandThroughput"), creating=False)
        table.on_demand = on_demand.updated(table.on_demand, given)
        warm_before = warm.current(table.billing_mode, table.throughput, table.warm)
        if params.get("WarmThroughput"):
            table.warm = warm.on_update(warm_before, params["WarmThroughput"]) or table.warm
        table.updated = time.time()
        storage.save_table(conn, table)
        description = describe(conn, table, status="UPDATING")
        if params.get("SSESpecification") is not None:
            description["SSEDescription"] = encryption.updating(sse_before)
        if params.get("ProvisionedThroughput") and table.billing_mode == billing_before:
            # As in AWS, the answer still shows the capacity (and decrease count) before the change, with
            # the change's own LastIncreaseDateTime / LastDecreaseDateTime.
            description["ProvisionedThroughput"].update(
                {k: throughput_before[k] for k in ("ReadCapacityUnits", "WriteCapacityUnits", "NumberOfDecreasesToday")}
            )
        if params.get("WarmThroughput"):
            # As in AWS, the answer shows the warm throughput before the change, being updated.
            description["WarmThroughput"] = {**warm_before, "Status": "UPDATING"}
        if table.billing_mode == billing_before:
            _answer_index_updates(description, params, gsis_before)
        else:
            # The mode has changed; when is only told once the switch is done.
            description["BillingModeSummary"] = {"BillingMode": table.billing_mode}
        if params.get("TableClass"):
            # As in AWS, the answer still shows the class before the switch (none if it was never given).
            description.pop("TableClassSummary", None)
            if class_before:
                description["TableClassSummary"] = class_before
        if _in_place(params):
            description["TableStatus"] = "ACTIVE"
    # The backfill is done, but the answer reports the new index as AWS does: still being created.
    for entry in description.get("GlobalSecondaryIndexes", []):
        if entry["IndexName"] in created:
            entry.update(IndexStatus="CREATING", Backfilling=True)
    # Likewise a deleted index is still listed, as being deleted.
    if deleted:
        description["GlobalSecondaryIndexes"] = description.get("GlobalSecondaryIndexes", []) + deleted
    # A vector index added to a table is answered as being created, its backfill not started yet.
    for entry in description.get("VectorIndexes", []):
        if entry["IndexName"] in vectors_created:
            entry.update(IndexStatus="CREATING", Backfilling=False)
    if vectors_deleted:
        description["VectorIndexes"] = description.get("VectorIndexes", []) + vectors_deleted
    return {"TableDescription": description}


_IN_PLACE = {"SSESpecification", "DeletionProtectionEnabled", "WarmThroughput", "OnDemandThroughput",
             "GlobalSecondaryIndexUpdates", "AttributeDefinitions"}


def _in_place(params: dict) -> bool:
    """Whether an UpdateTable changes only what AWS changes with the table staying ACTIVE (encryption,
    deletion protection, warm throughput, on-demand limits, GSI Update actions), so that its answer
    says ACTIVE rather than UPDATING."""
    changes = {k for k, v in params.items() if k != "TableName" and v is not None}
    if any("Update" not in u for u in params.get("GlobalSecondaryIndexUpdates") or []):
        return False  # an index creation or deletion
    return bool(changes - {"AttributeDefinitions"}) and changes <= _IN_PLACE


def _answer_index_updates(description: dict, params: dict, before: dict) -> None:
    """Word GSI Update actions in an UpdateTable answer as AWS does: a throughput or on-demand change
    sets the index UPDATING, a throughput change still shows the throughput before it, a warm
    throughput change the warm throughput before it as UPDATING."""
    entries = {e["IndexName"]: e for e in description.get("GlobalSecondaryIndexes", [])}
    for update in params.get("GlobalSecondaryIndexUpdates") or []:
        spec = update.get("Update")
        entry = entries.get(spec["IndexName"]) if spec else None
        if entry is None or spec["IndexName"] not in before:
            continue
        throughput, warm_before = before[spec["IndexName"]]
        if spec.get("ProvisionedThroughput") or spec.get("OnDemandThroughput"):
            entry["IndexStatus"] = "UPDATING"
        if spec.get("ProvisionedThroughput"):
            entry["ProvisionedThroughput"] = throughput
        if spec.get("WarmThroughput"):
            entry["WarmThroughput"] = {**warm_before, "Status": "UPDATING"}


def _update_billing(table: TableDef, params: dict) -> None:
    """BillingMode and ProvisionedThroughput of an UpdateTable request."""
    billing = params.get("BillingMode")
    switched = bool(billing) and billing != table.billing_mode
    if switched:
        # Warm throughput never decreases, not even when the capacity mode changes.
        table.warm = warm.current(table.billing_mode, table.throughput, table.warm)
        for index in table.indexes:
            if index.kind == "GSI":
                index.warm = warm.current(table.billing_mode, index.throughput, index.warm)
        table.billing_mode = billing
        table.on_demand = None  # a billing switch drops the on-demand limits
        for index in table.indexes:
            index.on_demand = None
        if billing == "PAY_PER_REQUEST":
            table.billing_updated = time.time()
            table.throughput = {}
            for index in table.indexes:
                if index.kind == "GSI":
                    index.throughput = None
    spec = params.get("ProvisionedThroughput")
    if not spec:
        if billing == "PROVISIONED":
            raise invalid_params("ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
        return
    if table.billing_mode == "PAY_PER_REQUEST":
        raise invalid_params(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
        )
    new = _throughput("PROVISIONED", spec)
    if new == table.throughput and not switched:
        raise validation(_unchanged_throughput("the table", "for the table", new))
    now = time.time()
    current = table.throughput or {}
    if any(new[k] > current.get(k, 0) for k in new):
        table.last_increase = now
    if any(new[k] < current.get(k, new[k]) for k in new):
        table.last_decrease = now
        table.decreases = [t for t in table.decreases if t > now - 86400] + [now]
    # Warm throughput keeps the highest capacity ever provisioned.
    table.warm = warm.current(table.billing_mode, table.throughput, table.warm)
    table.throughput = new


def _unchanged_throughput(subject: str, where: str, value: dict) -> str:
    read, write = value["ReadCapacityUnits"], value["WriteCapacityUnits"]
    return (
        f"The provisioned throughput for {subject} will not change. The requested value equals the current value. "
        f"Current ReadCapacityUnits provisioned {where}: {read}. Requested ReadCapacityUnits: {read}. Current "
        f"WriteCapacityUnits provisioned {where}: {write}. Requested WriteCapacityUnits: {write}. Refer to the "
        "Amazon DynamoDB Developer Guide for current limits and how to request higher limits."
    )


def _update_indexes(conn: Conn, table: TableDef, params: dict, types: dict) -> tuple[list[str], list[dict]]:
    """Apply GlobalSecondaryIndexUpdates; returns the names created and the descriptions deleted."""
    created: list[str] = []
    deleted: list[dict] = []
    for update in params.get("GlobalSecondaryIndexUpdates") or []:
        if "Create" in update:
            spec = update["Create"]
            if table.index(spec["IndexName"]) or vectors.find(table, spec["IndexName"]):
                raise validation("Attempting to create an index which already exists")
            if sum(1 for i in table.indexes if i.kind == "GSI") >= MAX_GSIS:
                raise AWSError(
                    "LimitExceededException",
                    f"Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of {MAX_GSIS}",
                    400,
                )
            if not params.get("AttributeDefinitions"):
                raise invalid_params(f"AttributeDefinitions is not specified for index: {spec['IndexName']}")
            gsi = _new_gsi(table.id, spec, types, table.billing_mode, on_create=False)
            table.indexes.append(gsi)
            storage.backfill_index(conn, table, gsi)
            created.append(gsi.name)
            continue
        action = "Delete" if "Delete" in update else "Update"
        name = update[action]["IndexName"]
        index = table.index(name)
        if index is None:
            raise not_found(f"Requested resource not found: Index {name} for table {table.name}")
        if index.kind != "GSI":
            raise validation(f"Cannot {action.lower()} an index that is not a GlobalSecondaryIndex: {name}")
        if action == "Delete":
            table.indexes.remove(index)
            table.insights.pop(index.name, None)
            storage.drop_index(conn, index)
            deleted.append({**_index_description(table, index, 0, 0), "IndexStatus": "DELETING"})
            continue
        given = on_demand.check(table.billing_mode, update["Update"].get("OnDemandThroughput"), name, creating=False)
        index.on_demand = on_demand.updated(index.on_demand, given)
        if update["Update"].get("WarmThroughput"):
            current = warm.current(table.billing_mode, index.throughput, index.warm)
            index.warm = warm.on_update(current, update["Update"]["WarmThroughput"], name) or index.warm
        spec = update["Update"].get("ProvisionedThroughput")
        if spec and table.billing_mode == "PAY_PER_REQUEST":
            raise invalid_params(
                f"The only Updates for index: {name} when TableThroughputMode is PAY_PER_REQUEST can be to "
                "OnDemandThroughput, WarmThroughput"
            )
        if spec:
            new = _throughput("PROVISIONED", spec)
            if new == index.throughput:
                raise validation(_unchanged_throughput(f"the index {name}", f"for index {name}", new))
            index.warm = warm.current(table.billing_mode, index.throughput, index.warm)
            index.throughput = new
    return created, deleted


def _update_stream(table: TableDef, spec: dict) -> None:
    if spec.get("StreamEnabled") and table.stream:
        raise validation(f"Table already has an enabled stream: TableName: {table.name}")
    if not spec.get("StreamEnabled") and not table.stream:
        raise validation(f"Table has no stream to disable: TableName: {table.name}")
    if spec.get("StreamEnabled") and not spec.get("StreamViewType"):
        raise invalid_params("If stream is being enabled then UpdateViewType is required")
    if not spec.get("StreamEnabled") and spec.get("StreamViewType"):
        raise invalid_params("If stream is being disabled, then UpdateViewType must not be specified")
    table.stream = _stream_spec(spec)
    if table.stream:
        table.stream_label = _stream_label(time.time())


# TTL


def update_time_to_live(store: Store, ctx, params: dict) -> dict:
    spec = params["TimeToLiveSpecification"]
    with store.tx() as conn:
        table = get_table(conn, ctx, params["TableName"], for_update=True, control=True)
        enabled = bool(spec["Enabled"])
        if not enabled and table.ttl_status != "ENABLED":
            raise validation("TimeToLive is already disabled")
        if table.ttl_status == "ENABLED" and spec["AttributeName"] != table.ttl_attribute:
            raise validation("TimeToLive is active on a different AttributeName: current AttributeName is "
                             f"{table.ttl_attribute}")
        if enabled and table.ttl_status == "ENABLED":
            raise validation("TimeToLive is already enabled")
        table.ttl_status = "ENABLED" if enabled else "DISABLED"
        table.ttl_attribute = spec["AttributeName"] if enabled else None
        storage.save_table(conn, table)
        storage.refresh_ttl(conn, table)
    if not enabled:
        return {"TimeToLiveSpecification": {"Enabled": False}}  # AWS names no attribute when disabling
    return {"TimeToLiveSpecification": {"Enabled": True, "AttributeName": spec["AttributeName"]}}


def describe_time_to_live(store: Store, ctx, params: dict) -> dict:
    with store.read() as conn:
        table = get_table(conn, ctx, params["TableName"], control=True)
    description = {"TimeToLiveStatus": table.ttl_status}
    if table.ttl_attribute:
        description["AttributeName"] = table.ttl_attribute
    return {"TimeToLiveDescription": description}
