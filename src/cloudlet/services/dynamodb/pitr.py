"""Point-in-time recovery: UpdateContinuousBackups / DescribeContinuousBackups and the item history
that RestoreTableToPointInTime reads.

While recovery is enabled on a table, `record` (an item-change listener, so it runs in the item
write's transaction) appends each change's before-image to ddb_pitr_log: (table id, key, time,
the item before the change or NULL when it did not exist). The table as it was at time t is then
the current items with every key changed after t put back to the before-image of its first change
after t. Tables without recovery write nothing. History older than the recovery period is pruned
by a sweep; disabling recovery drops it.
"""

from __future__ import annotations

import time

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import codec, storage
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.schema import TableDef
from cloudlet.services.dynamodb.tables import resolve_name, timestamp
from cloudlet.store import Conn, Store

DAY = 86400.0


def record(conn: Conn, table: TableDef, old: dict | None, new: dict | None, identity: dict | None = None) -> None:
    """Remember the item before this change (the change listener of item writes)."""
    if not table.pitr_since or (old is None and new is None):
        return
    pk, sk = table.encode_key(new if new is not None else old)
    # A second change of one item at the same instant keeps the first before-image, the one a
    # restore to just before that instant needs.
    conn.execute(
        "INSERT INTO ddb_pitr_log (table_id, pk, sk, at, old) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (table_id, pk, sk, at) DO NOTHING",
        (table.id, pk, sk, time.time(), codec.dumps(old) if old is not None else None),
    )


def window(table: TableDef, now: float) -> tuple[float, float]:
    """(earliest, latest) restorable time of a table with recovery enabled. The latest is now:
    DynamoDB lags about five minutes behind, cloudlet has every change at once."""
    return max(table.pitr_since, now - table.pitr_days * DAY), now


def rewind(conn: Conn, source: TableDef, target: TableDef, at: float) -> None:
    """Put back, in `target` (a copy of `source`'s current items), every item `source` changed after `at`."""
    rows = conn.all(
        "SELECT pk, sk, at, old FROM ddb_pitr_log WHERE table_id = ? AND at > ? ORDER BY pk, sk, at",
        (source.id, at),
    )
    previous = None
    for pk, sk, _, old in rows:
        key = (bytes(pk), bytes(sk))
        if key == previous:
            continue  # only the first change after `at` holds the item as it was then
        previous = key
        conn.execute("DELETE FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?", (target.id, *key))
        if old is not None:
            conn.execute(storage.PUT_ITEM, storage.item_row(target, *key, codec.loads(old)))


def drop_history(conn: Conn, table: TableDef) -> None:
    conn.execute("DELETE FROM ddb_pitr_log WHERE table_id = ?", (table.id,))


def prune(store: Store, now: float | None = None) -> int:
    """Drop history older than each table's recovery period (and that of tables gone); returns how
    many changes were dropped."""
    now = time.time() if now is None else now
    removed = 0
    with store.read() as conn:
        table_ids = [r[0] for r in conn.all("SELECT DISTINCT table_id FROM ddb_pitr_log")]
    for table_id in table_ids:
        with store.tx() as conn:
            table = storage.table_by_id(conn, table_id)
            if table is None or not table.pitr_since:
                cursor = conn.execute("DELETE FROM ddb_pitr_log WHERE table_id = ?", (table_id,))
            else:
                earliest, _ = window(table, now)
                cursor = conn.execute("DELETE FROM ddb_pitr_log WHERE table_id = ? AND at < ?", (table_id, earliest))
            removed += max(cursor.rowcount, 0)
    return removed


# the operations


def describe_continuous_backups(store: Store, ctx, params: dict) -> dict:
    with store.read() as conn:
        table = source_table(conn, ctx, params["TableName"])
    return {"ContinuousBackupsDescription": _description(table)}


def update_continuous_backups(store: Store, ctx, params: dict) -> dict:
    """Enable or disable point-in-time recovery (RecoveryPeriodInDays defaults to 35)."""
    spec = params["PointInTimeRecoverySpecification"]
    with store.tx() as conn:
        table = source_table(conn, ctx, params["TableName"], for_update=True)
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
            drop_history(conn, table)
        storage.save_table(conn, table)
    return {"ContinuousBackupsDescription": _description(table)}


def source_table(conn: Conn, ctx, name_or_arn: str, *, for_update: bool = False) -> TableDef:
    """The table a backup or recovery operation names, or TableNotFoundException."""
    name = resolve_name(name_or_arn)
    table = storage.load_table(conn, ctx.account_id, ctx.region, name, for_update=for_update)
    if table is None:
        raise AWSError("TableNotFoundException", f"Table not found: {name}", 400)
    return table


def _description(table: TableDef) -> dict:
    if not table.pitr_since:
        recovery: dict = {"PointInTimeRecoveryStatus": "DISABLED"}
    else:
        earliest, latest = window(table, time.time())
        recovery = {
            "PointInTimeRecoveryStatus": "ENABLED",
            "RecoveryPeriodInDays": table.pitr_days,
            "EarliestRestorableDateTime": timestamp(earliest),
            "LatestRestorableDateTime": timestamp(latest),
        }
    return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": recovery}
