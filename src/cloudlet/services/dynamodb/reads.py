"""Query and Scan: range scans of the primary key or an index, with DynamoDB's paging rules
(Limit counts items read before the filter; a page stops after 1 MB of items read)."""

from __future__ import annotations

from collections.abc import Iterator

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import capacity, key_conditions, requests, storage, vectors
from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb.errors import invalid_params, validation
from cloudlet.services.dynamodb.expressions import ast as A
from cloudlet.services.dynamodb.expressions.evaluate import matches
from cloudlet.services.dynamodb.expressions.projection import project
from cloudlet.services.dynamodb.schema import IndexDef, TableDef
from cloudlet.services.dynamodb.size import item_size
from cloudlet.services.dynamodb.tables import get_table
from cloudlet.store import Store

PAGE_BYTES = 1024 * 1024


def query(store: Store, ctx, params: dict) -> dict:
    exprs = requests.parse(params)
    if params.get("KeyConditions") is not None and not (1 <= len(params["KeyConditions"]) <= 2):
        raise validation("Conditions can be of length 1 or 2 only")
    if exprs.key_condition is None:
        raise validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
    if params.get("KeyConditionExpression") is not None:
        key_conditions.parse(exprs.key_condition)  # its shape is checked before the table is looked up
    with store.read() as conn:
        table = get_table(conn, ctx, params["TableName"])
        if params.get("KeyConditions"):
            key_conditions.check_indexable(params["KeyConditions"])
        index = index_of(table, params.get("IndexName"), "Query")
        key = index.key if index else table.key
        for name in sorted(top_level_names(exprs.filter)):
            if name in key.names:
                which = "QueryFilter" if params.get("QueryFilter") else "Filter Expression"
                raise validation(f"{which} can only contain non-primary key attributes: Primary key attribute: {name}")
        return run_query(conn, table, index, exprs, params)


def top_level_names(node) -> set[str]:
    """The top-level attribute names a condition refers to."""
    if node is None:
        return set()
    if isinstance(node, A.Path):
        return {node.elements[0]}
    if isinstance(node, A.Size):
        return {node.path.elements[0]}
    if isinstance(node, A.Value):
        return set()
    if isinstance(node, A.And | A.Or):
        return top_level_names(node.left) | top_level_names(node.right)
    if isinstance(node, A.Not):
        return top_level_names(node.operand)
    if isinstance(node, A.Compare):
        return top_level_names(node.left) | top_level_names(node.right)
    if isinstance(node, A.Between):
        return top_level_names(node.operand) | top_level_names(node.low) | top_level_names(node.high)
    if isinstance(node, A.In):
        return set().union(top_level_names(node.operand), *(top_level_names(o) for o in node.options))
    return set().union(*(top_level_names(a) for a in node.args))


def run_query(conn, table: TableDef, index: IndexDef | None, exprs: requests.Expressions, params: dict) -> dict:
    """A Query page of a table or index from parsed expressions (params: Limit, ExclusiveStartKey, ...)."""
    key = index.key if index else table.key
    pk, bounds = key_conditions.key_range(exprs.key_condition, key)
    forward = params.get("ScanIndexForward", True) is not False
    start = None
    if params.get("ExclusiveStartKey"):
        start_key = _start_key(table, index, params["ExclusiveStartKey"])
        start_pk, start_sk = key.encode(start_key)
        if start_pk != pk:
            raise validation("The provided starting key is outside query boundaries based on provided conditions")
        if key.sk and not key_conditions.within(bounds, start_sk):
            raise validation("The provided starting key does not match the range key predicate")
        start = _index_position(table, index, start_key)[2:] if index else (table.encode_key(start_key)[1],)
    rows = storage.query_rows(conn, table, index, pk, bounds, forward, start, _batch(params))
    return _page(table, index, rows, exprs, params, consistent=bool(params.get("ConsistentRead")))


def scan(store: Store, ctx, params: dict) -> dict:
    exprs = requests.parse(params)
    segment, total = params.get("Segment"), params.get("TotalSegments")
    if segment is not None and total is None:
        raise validation(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present"
        )
    if total is not None and segment is None:
        raise validation(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present"
        )
    if segment is not None and segment >= total:
        raise validation(
            f"The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {segment} "
            f"is not less than TotalSegments: {total}"
        )
    if segment is None:
        h_range = (0, storage.HASH_SPACE)
    else:
        h_range = (segment * storage.HASH_SPACE // total, (segment + 1) * storage.HASH_SPACE // total)
    with store.read() as conn:
        table = get_table(conn, ctx, params["TableName"])
        return run_scan(conn, table, index_of(table, params.get("IndexName")), exprs, params, h_range)


def run_scan(conn, table: TableDef, index: IndexDef | None, exprs: requests.Expressions, params: dict,
             h_range: tuple[int, int] = (0, storage.HASH_SPACE)) -> dict:
    """A Scan page of a table or index (or of one segment's hash range)."""
    start = None
    if params.get("ExclusiveStartKey"):
        start_key = _start_key(table, index, params["ExclusiveStartKey"])
        if index:
            start = _index_position(table, index, start_key)
        else:
            pk, sk = table.encode_key(start_key)
            start = (storage.partition_hash(pk), pk, sk)
        if not h_range[0] <= start[0] < h_range[1]:
            raise validation("The provided Exclusive start key does not map to the provided segment")
    rows = storage.scan_rows(conn, table, index, h_range, start, _batch(params))
    return _page(table, index, rows, exprs, params, consistent=bool(params.get("ConsistentRead")))


def _batch(params: dict) -> int:
    """Rows to fetch per SQL round trip: never more than Limit."""
    limit = params.get("Limit")
    return min(limit, 100) if limit else 100


def index_of(table: TableDef, name: str | None, operation: str = "Scan") -> IndexDef | None:
    if name is None:
        return None
    index = table.index(name)
    if index is None and vectors.find(table, name):
        raise validation(f"{operation} operation not supported on this index type")
    if index is None:
        raise validation(f"The table does not have the specified index: {name}")
    return index


def _page(table: TableDef, index: IndexDef | None, rows: Iterator, exprs: requests.Expressions,
          params: dict, consistent: bool) -> dict:
    if consistent and index is not None and index.kind == "GSI":
        raise validation("Consistent reads are not supported on global secondary indexes")
    select = params.get("Select")
    projected = index.projects(table.key) if index else None
    if select is None:
        select = "SPECIFIC_ATTRIBUTES" if exprs.projection else ("ALL_PROJECTED_ATTRIBUTES" if index else "ALL_ATTRIBUTES")
    if select == "SPECIFIC_ATTRIBUTES" and not exprs.projection:
        raise validation(
            "1 validation error detected: Value null at 'projectionExpression' failed to satisfy constraint: "
            "Member must not be null when Select is SPECIFIC_ATTRIBUTES"
        )
    if exprs.projection and select != "SPECIFIC_ATTRIBUTES":
        given = "ProjectionExpression" if params.get("ProjectionExpression") is not None else "AttributesToGet"
        wanted = "only the Count" if select == "COUNT" else select
        raise validation(f"Cannot specify the {given} when choosing to get {wanted}")
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    if select == "ALL_ATTRIBUTES" and index is not None and index.kind == "GSI" and projected is not None:
        raise invalid_params(
            f"Select type ALL_ATTRIBUTES is not supported for global secondary index {index.name} because its "
            "projection type is not ALL"
        )
    limit = params.get("Limit")
    items, count, scanned, read_bytes = [], 0, 0, 0
    last = None
    exhausted = True
    # A GSI holds only its projected attributes; an LSI reads missing ones from the table item,
    # so there only ALL_PROJECTED_ATTRIBUTES narrows what is returned.
    gsi_view = projected is not None and index.kind == "GSI"
    lsi_view = projected is not None and index.kind == "LSI" and select == "ALL_PROJECTED_ATTRIBUTES"
    for _position, stored_size, item in rows:
        if gsi_view:
            item = {k: v for k, v in item.items() if k in projected}
            stored_size = item_size(item)
        scanned += 1
        read_bytes += stored_size
        last = item
        seen = {k: v for k, v in item.items() if k in projected} if exprs.filter_on_index and projected else item
        if matches(seen, exprs.filter):
            count += 1
            if select != "COUNT":
                if exprs.projection:
                    items.append(project(item, exprs.projection))
                else:
                    items.append({k: v for k, v in item.items() if k in projected} if lsi_view else item)
        if (limit is not None and scanned >= limit) or read_bytes >= PAGE_BYTES:
            exhausted = False
            break
    out: dict = {"Count": count, "ScannedCount": scanned}
    if select != "COUNT":
        out["Items"] = items
    if not exhausted and last is not None:
        out["LastEvaluatedKey"] = _key_of(table, index, last)
    units = capacity.read_units(read_bytes, consistent)
    consumed = capacity.report(params.get("ReturnConsumedCapacity"), table.name, units,
                               index.name if index else None, bool(index and index.kind == "GSI"))
    if consumed:
        out["ConsumedCapacity"] = consumed
    return out


def _key_of(table: TableDef, index: IndexDef | None, item: dict) -> dict:
    names = list(table.key.names) + (list(index.key.names) if index else [])
    return {n: item[n] for n in dict.fromkeys(names) if n in item}


def _start_key(table: TableDef, index: IndexDef | None, start: dict) -> dict:
    try:
        start = {k: V.normalize(v) for k, v in start.items()}
    except AWSError as err:
        raise validation(f"The provided starting key is invalid: {err.message}") from None
    wanted = table.key.types()
    if index:
        wanted.update(index.key.types())
    if set(start) != set(wanted) or any(V.type_of(start[n]) != t for n, t in wanted.items()):
        raise validation("The provided starting key is invalid: The provided key element does not match the schema")
    return start


def _index_position(table: TableDef, index: IndexDef, start: dict) -> tuple:
    ipk, isk = index.key.encode(start)
    tpk, tsk = table.encode_key(start)
    return (storage.partition_hash(ipk), ipk, isk, tpk, tsk)


