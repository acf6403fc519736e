"""RestoreTableFromBackup and RestoreTableToPointInTime: a new table with the source's definition
(changed by the request's overrides) and its items, created in one transaction.

The new table is checked by CreateTable's own rules: the source definition and the overrides are
turned into a CreateTable request. As in DynamoDB, it keeps the key schema, indexes, billing mode,
throughput and encryption settings, and not the tags, stream, TTL, point-in-time recovery or
deletion protection. The answer reports it CREATING with RestoreInProgress; it is ACTIVE at once.
"""

from __future__ import annotations

import time

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import backups, pitr, storage, tables
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.schema import TableDef
from cloudlet.store import Conn, Store

SLACK = 0.001  # timestamps travel with millisecond precision


def restore_table_from_backup(store: Store, ctx, params: dict) -> dict:
    with store.tx() as conn:
        backup = backups.load(conn, ctx, params["BackupArn"])
        target = _new_target(conn, ctx, backup.table, params)
        target.restore = {"SourceBackupArn": backup.arn, "SourceTableArn": backup.table.arn,
                          "RestoreDateTime": backup.created_ms / 1000}
        storage.save_table(conn, target, new=True)
        conn.execute(
            "INSERT INTO ddb_items (table_id, pk, sk, h, item, size, ttl)"
            " SELECT ?, pk, sk, h, item, size, NULL FROM ddb_backup_items WHERE backup_id = ?",
            (target.id, backup.id),
        )
        _index(conn, target)
    return {"TableDescription": tables.describe(None, target, status="CREATING")}


def restore_table_to_point_in_time(store: Store, ctx, params: dict) -> dict:
    name, arn = params.get("SourceTableName"), params.get("SourceTableArn")
    if not name and not arn:
        raise validation("Either SourceTableName or SourceTableArn must be specified")
    if name and arn:
        raise validation("Only one of SourceTableName or SourceTableArn can be specified")
    latest_wanted = bool(params.get("UseLatestRestorableTime"))
    if latest_wanted == (params.get("RestoreDateTime") is not None):
        raise validation("Only one of RestoreDateTime or UseLatestRestorableTime must be specified")
    with store.tx() as conn:
        source = pitr.source_table(conn, ctx, name or arn)
        if not source.pitr_since:
            raise AWSError("PointInTimeRecoveryUnavailableException",
                           f"Point in time recovery is not enabled for table '{source.name}'", 400)
        earliest, latest = pitr.window(source, time.time())
        at = latest if latest_wanted else params["RestoreDateTime"].timestamp()
        if earliest - SLACK <= at < earliest:
            at = earliest  # the earliest time as described, rounded on the way back
        if not earliest <= at <= latest:
            raise AWSError("InvalidRestoreTimeException",
                           "RestoreDateTime must be between EarliestRestorableDateTime and LatestRestorableDateTime", 400)
        target = _new_target(conn, ctx, source, params)
        target.restore = {"SourceTableArn": source.arn, "RestoreDateTime": at}
        storage.save_table(conn, target, new=True)
        conn.execute(
            "INSERT INTO ddb_items (table_id, pk, sk, h, item, size, ttl)"
            " SELECT ?, pk, sk, h, item, size, NULL FROM ddb_items WHERE table_id = ?",
            (target.id, source.id),
        )
        pitr.rewind(conn, source, target, at)
        _index(conn, target)
    return {"TableDescription": tables.describe(None, target, status="CREATING")}


def _index(conn: Conn, table: TableDef) -> None:
    for index in table.indexes:
        storage.backfill_index(conn, table, index)


def _new_target(conn: Conn, ctx, source: TableDef, params: dict) -> TableDef:
    """The table to restore into: TableAlreadyExistsException when the name is taken."""
    name = params["TargetTableName"]
    if storage.load_table(conn, ctx.account_id, ctx.region, name) is not None:
        raise AWSError("TableAlreadyExistsException", f"Table already exists: {name}", 400)
    return tables.new_table(ctx, create_request(source, name, params))


def create_request(source: TableDef, name: str, params: dict) -> dict:
    """The CreateTable request that makes a copy of `source` called `name`, with the overrides."""
    billing = params.get("BillingModeOverride") or source.billing_mode
    request: dict = {"TableName": name, "KeySchema": source.key.schema(), "BillingMode": billing}
    throughput = params.get("ProvisionedThroughputOverride")
    if throughput is None and billing == "PROVISIONED" and source.billing_mode == "PROVISIONED":
        throughput = source.throughput
    if throughput:
        request["ProvisionedThroughput"] = throughput
    on_demand = params.get("OnDemandThroughputOverride")
    if on_demand is None and billing == "PAY_PER_REQUEST" and source.billing_mode == "PAY_PER_REQUEST":
        on_demand = source.on_demand
    if on_demand:
        request["OnDemandThroughput"] = on_demand
    if "GlobalSecondaryIndexOverride" in params:
        gsis = params["GlobalSecondaryIndexOverride"]
    else:
        gsis = [_gsi_spec(i, billing, source.billing_mode) for i in source.indexes if i.kind == "GSI"]
    if "LocalSecondaryIndexOverride" in params:
        lsis = params["LocalSecondaryIndexOverride"]
    else:
        lsis = [{"IndexName": i.name, "KeySchema": i.key.schema(), "Projection": i.projection}
                for i in source.indexes if i.kind == "LSI"]
    if gsis:
        request["GlobalSecondaryIndexes"] = gsis
    if lsis:
        request["LocalSecondaryIndexes"] = lsis
    # The attribute definitions of the keys the new table and its indexes use.
    used = set(source.key.names)
    for spec in [*gsis, *lsis]:
        used |= {e.get("AttributeName") for e in spec.get("KeySchema") or [] if isinstance(e, dict)}
    request["AttributeDefinitions"] = [d for d in source.attribute_definitions if d["AttributeName"] in used]
    sse = params.get("SSESpecificationOverride")
    if sse is None and source.sse:
        sse = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": source.sse["KMSMasterKeyArn"]}
    if sse:
        request["SSESpecification"] = sse
    if source.table_class_set:
        request["TableClass"] = source.table_class
    return request


def _gsi_spec(index, billing: str, source_billing: str) -> dict:
    spec = {"IndexName": index.name, "KeySchema": index.key.schema(), "Projection": index.projection}
    if billing == "PROVISIONED" and source_billing == "PROVISIONED" and index.throughput:
        spec["ProvisionedThroughput"] = index.throughput
    if billing == "PAY_PER_REQUEST" and source_billing == "PAY_PER_REQUEST" and index.on_demand:
        spec["OnDemandThroughput"] = index.on_demand
    return spec
