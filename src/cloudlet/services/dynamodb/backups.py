"""Continuous backups: point-in-time recovery is recorded and described per table; nothing can be
restored from it."""

from __future__ import annotations

import time

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import storage
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.schema import TableDef
from cloudlet.services.dynamodb.tables import resolve_name, timestamp
from cloudlet.store import Conn, Store


def describe_continuous_backups(store: Store, ctx, params: dict) -> dict:
    with store.read() as conn:
        table = _backups_table(conn, ctx, params["TableName"])
    return {"ContinuousBackupsDescription": _backups_description(table)}


def update_continuous_backups(store: Store, ctx, params: dict) -> dict:
    """Enable or disable point-in-time recovery (RecoveryPeriodInDays defaults to 35)."""
    spec = params["PointInTimeRecoverySpecification"]
    with store.tx() as conn:
        table = _backups_table(conn, ctx, params["TableName"], for_update=True)
        days = spec.get("RecoveryPeriodInDays")
        if spec["PointInTimeRecoveryEnabled"]:
            if not table.pitr_since:
                table.pitr_since = time.time()
            table.pitr_days = days or table.pitr_days or 35
        else:
            if days is not None:
                raise validation("Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.")
            table.pitr_since = 0.0
            table.pitr_days = 35
        storage.save_table(conn, table)
    return {"ContinuousBackupsDescription": _backups_description(table)}


def _backups_table(conn: Conn, ctx, name_or_arn: str, *, for_update: bool = False) -> TableDef:
    name = resolve_name(name_or_arn)
    table = storage.load_table(conn, ctx.account_id, ctx.region, name, for_update=for_update)
    if table is None:
        raise AWSError("TableNotFoundException", f"Table not found: {name}", 400)
    return table


def _backups_description(table: TableDef) -> dict:
    if not table.pitr_since:
        recovery: dict = {"PointInTimeRecoveryStatus": "DISABLED"}
    else:
        # AWS can restore up to about five minutes ago, and never to before recovery was enabled.
        latest = max(table.pitr_since, time.time() - 300)
        recovery = {
            "PointInTimeRecoveryStatus": "ENABLED",
            "RecoveryPeriodInDays": table.pitr_days,
            "EarliestRestorableDateTime": timestamp(table.pitr_since),
            "LatestRestorableDateTime": timestamp(latest),
        }
    return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": recovery}
