"""On-demand backups: CreateBackup, DescribeBackup, ListBackups, DeleteBackup, and the SYSTEM backup
that DeleteTable takes of a table with point-in-time recovery.

A backup is the table's definition (its TableDef as JSON) and a copy of its items in
ddb_backup_items, both written in one transaction by one INSERT ... SELECT, so the copy is
consistent. Backups outlive their table. The ARN is `<table ARN>/backup/<creation time in
milliseconds, 14 digits>-<8 hex digits>`, as DynamoDB forms it.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import orjson

from cloudlet.aws import ids
from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import encryption
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.pitr import DAY, source_table
from cloudlet.services.dynamodb.schema import TableDef
from cloudlet.services.dynamodb.tables import resolve_name, timestamp
from cloudlet.store import Conn, Store

MAX_PAGE = 100
SYSTEM_BACKUP_DAYS = 35  # how long DynamoDB keeps the backup of a deleted table
_TYPES = {"USER": ("USER",), "SYSTEM": ("SYSTEM",), "AWS_BACKUP": ("AWS_BACKUP",),
          "ALL": ("USER", "SYSTEM", "AWS_BACKUP")}
_COLUMNS = "arn, id, name, table_name, kind, created, expires, size, item_count, meta"


@dataclass
class Backup:
    arn: str
    id: str
    name: str
    table_name: str
    kind: str  # USER | SYSTEM
    created_ms: int
    expires: float | None
    size: int
    item_count: int
    table: TableDef  # the source table's definition when the backup was taken

    @classmethod
    def from_row(cls, row: tuple) -> Backup:
        arn, backup_id, name, table_name, kind, created, expires, size, count, meta = row
        return cls(arn, backup_id, name, table_name, kind, int(created), expires, int(size), int(count),
                   TableDef.from_json(orjson.loads(meta)))


def take(conn: Conn, table: TableDef, name: str, kind: str = "USER", expires: float | None = None) -> Backup:
    """Copy a table's definition and items into a new backup (inside `conn`'s transaction)."""
    created_ms = int(time.time() * 1000)
    backup_id = ids.new_uuid()
    arn = f"{table.arn}/backup/{created_ms:014d}-{ids.hex_id(4)}"
    conn.execute(
        "INSERT INTO ddb_backup_items (backup_id, pk, sk, h, item, size)"
        " SELECT ?, pk, sk, h, item, size FROM ddb_items WHERE table_id = ?",
        (backup_id, table.id),
    )
    count, size = conn.one("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ddb_backup_items WHERE backup_id = ?",
                           (backup_id,))
    backup = Backup(arn, backup_id, name, table.name, kind, created_ms, expires, int(size), int(count), table)
    conn.execute(
        f"INSERT INTO ddb_backups (account, region, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (table.account, table.region, arn, backup_id, name, table.name, kind, created_ms, expires, backup.size,
         backup.item_count, orjson.dumps(table.to_json()).decode()),
    )
    return backup


def take_before_delete(conn: Conn, table: TableDef) -> None:
    """The SYSTEM backup DynamoDB keeps of a deleted table that had point-in-time recovery."""
    if table.pitr_since:
        take(conn, table, f"{table.name}$DeletedTableBackup", "SYSTEM", time.time() + SYSTEM_BACKUP_DAYS * DAY)


def load(conn: Conn, ctx, arn: str) -> Backup:
    """The backup an ARN names, or BackupNotFoundException."""
    row = conn.one(f"SELECT {_COLUMNS} FROM ddb_backups WHERE account = ? AND region = ? AND arn = ?",
                   (ctx.account_id, ctx.region, arn))
    if row is None:
        raise AWSError("BackupNotFoundException", f"Backup not found: {arn}", 400)
    return Backup.from_row(row)


def expire(store: Store, now: float | None = None) -> int:
    """Delete SYSTEM backups past their expiry; returns how many went."""
    now = time.time() if now is None else now
    with store.tx() as conn:
        ids_ = [r[0] for r in conn.all("SELECT id FROM ddb_backups WHERE expires < ?", (now,))]
        for backup_id in ids_:
            _drop(conn, backup_id)
    return len(ids_)


def _drop(conn: Conn, backup_id: str) -> None:
    conn.execute("DELETE FROM ddb_backup_items WHERE backup_id = ?", (backup_id,))
    conn.execute("DELETE FROM ddb_backups WHERE id = ?", (backup_id,))


# the operations


def create_backup(store: Store, ctx, params: dict) -> dict:
    with store.tx() as conn:
        table = source_table(conn, ctx, params["TableName"])
        backup = take(conn, table, params["BackupName"])
    return {"BackupDetails": _details(backup)}


def describe_backup(store: Store, ctx, params: dict) -> dict:
    with store.read() as conn:
        backup = load(conn, ctx, params["BackupArn"])
    return {"BackupDescription": description(backup)}


def delete_backup(store: Store, ctx, params: dict) -> dict:
    with store.tx() as conn:
        backup = load(conn, ctx, params["BackupArn"])
        _drop(conn, backup.id)
    return {"BackupDescription": description(backup, status="DELETED")}


def list_backups(store: Store, ctx, params: dict) -> dict:
    """Backups in creation order, filtered by table, type (USER by default) and creation time."""
    limit = params.get("Limit") or MAX_PAGE
    kinds = _TYPES[params.get("BackupType") or "USER"]
    sql = (f"SELECT {_COLUMNS} FROM ddb_backups WHERE account = ? AND region = ?"
           f" AND kind IN ({', '.join('?' for _ in kinds)})")
    args: list = [ctx.account_id, ctx.region, *kinds]
    if params.get("TableName"):
        sql += " AND table_name = ?"
        args.append(resolve_name(params["TableName"]))
    if params.get("TimeRangeLowerBound") is not None:
        sql += " AND created >= ?"  # inclusive
        args.append(_ms(params["TimeRangeLowerBound"]))
    if params.get("TimeRangeUpperBound") is not None:
        sql += " AND created < ?"  # exclusive
        args.append(_ms(params["TimeRangeUpperBound"]))
    start = params.get("ExclusiveStartBackupArn")
    if start:
        sql += " AND (created, arn) > (?, ?)"
        args += [_created_ms(start), start]
    with store.read() as conn:
        rows = conn.all(sql + " ORDER BY created, arn LIMIT ?", [*args, limit + 1])
    page = [Backup.from_row(r) for r in rows[:limit]]
    out: dict = {"BackupSummaries": [_summary(b) for b in page]}
    if len(rows) > limit:
        out["LastEvaluatedBackupArn"] = page[-1].arn
    return out


def _ms(value: dt.datetime) -> float:
    return round(value.timestamp() * 1000, 3)


def _created_ms(arn: str) -> int:
    """The creation time a backup ARN carries (its position in the listing, even once deleted)."""
    stamp = arn.rpartition("/backup/")[2].partition("-")[0]
    if not stamp.isdigit():
        raise validation(f"Invalid BackupArn: {arn}")
    return int(stamp)


# descriptions


def description(backup: Backup, status: str | None = None) -> dict:
    """The BackupDescription: details, the source table and its features when the backup was taken."""
    table = backup.table
    source: dict = {
        "TableName": table.name,
        "TableId": table.id,
        "TableArn": table.arn,
        "TableSizeBytes": backup.size,
        "KeySchema": table.key.schema(),
        "TableCreationDateTime": timestamp(table.created),
        "ProvisionedThroughput": _throughput(table.throughput),
        "ItemCount": backup.item_count,
        "BillingMode": table.billing_mode,
    }
    if table.on_demand:
        source["OnDemandThroughput"] = table.on_demand
    features: dict = {}
    lsis = [{"IndexName": i.name, "KeySchema": i.key.schema(), "Projection": i.projection}
            for i in table.indexes if i.kind == "LSI"]
    gsis = []
    for index in table.indexes:
        if index.kind != "GSI":
            continue
        entry = {"IndexName": index.name, "KeySchema": index.key.schema(), "Projection": index.projection}
        if index.throughput:
            entry["ProvisionedThroughput"] = _throughput(index.throughput)
        if index.on_demand:
            entry["OnDemandThroughput"] = index.on_demand
        gsis.append(entry)
    if lsis:
        features["LocalSecondaryIndexes"] = lsis
    if gsis:
        features["GlobalSecondaryIndexes"] = gsis
    if table.stream:
        features["StreamDescription"] = table.stream
    ttl = {"TimeToLiveStatus": table.ttl_status}
    if table.ttl_attribute:
        ttl["AttributeName"] = table.ttl_attribute
    features["TimeToLiveDescription"] = ttl
    sse = encryption.description(table.sse)
    if sse:
        features["SSEDescription"] = sse
    return {"BackupDetails": _details(backup, status), "SourceTableDetails": source,
            "SourceTableFeatureDetails": features}


def _details(backup: Backup, status: str | None = None) -> dict:
    out = {
        "BackupArn": backup.arn,
        "BackupName": backup.name,
        "BackupSizeBytes": backup.size,
        "BackupStatus": status or "AVAILABLE",
        "BackupType": backup.kind,
        "BackupCreationDateTime": timestamp(backup.created_ms / 1000),
    }
    if backup.expires:
        out["BackupExpiryDateTime"] = timestamp(backup.expires)
    return out


def _summary(backup: Backup) -> dict:
    details = _details(backup)
    return {"TableName": backup.table_name, "TableId": backup.table.id, "TableArn": backup.table.arn, **details}


def _throughput(throughput: dict | None) -> dict:
    throughput = throughput or {}
    return {"ReadCapacityUnits": throughput.get("ReadCapacityUnits", 0),
            "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 0)}
