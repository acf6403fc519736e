"""SQL for tables, items and secondary indexes.

Items live in ddb_items keyed by (table_id, pk, sk) with order-preserving key bytes, so a Query is a
range scan of the primary key. Secondary-index entries live in ddb_index_items keyed by
(index_id, pk, sk, tpk, tsk) and are written in the same transaction as the item. `h` is a 32-bit
hash of the partition key: Scan walks (h, pk, sk), which splits evenly into parallel segments.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache

import orjson

from cloudlet.services.dynamodb import codec
from cloudlet.services.dynamodb.schema import IndexDef, TableDef
from cloudlet.services.dynamodb.size import item_size
from cloudlet.store import Conn

MIGRATIONS = [
    """
    CREATE TABLE ddb_tables (
        account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL,
        meta TEXT NOT NULL, PRIMARY KEY (account, region, name));
    CREATE TABLE ddb_items (
        table_id TEXT NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL, h BIGINT NOT NULL,
        item BLOB NOT NULL, size BIGINT NOT NULL, ttl DOUBLE PRECISION,
        PRIMARY KEY (table_id, pk, sk));
    CREATE INDEX ddb_items_scan ON ddb_items (table_id, h, pk, sk);
    CREATE INDEX ddb_items_ttl ON ddb_items (ttl);
    CREATE TABLE ddb_index_items (
        index_id TEXT NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL, tpk BLOB NOT NULL, tsk BLOB NOT NULL,
        h BIGINT NOT NULL, PRIMARY KEY (index_id, pk, sk, tpk, tsk));
    CREATE INDEX ddb_index_items_scan ON ddb_index_items (index_id, h, pk, sk, tpk, tsk);
    CREATE TABLE ddb_tx_tokens (
        account TEXT NOT NULL, region TEXT NOT NULL, token TEXT NOT NULL, fingerprint TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL, PRIMARY KEY (account, region, token))
    """,
    # On-demand backups (the table's definition and a copy of its items), the item history of
    # point-in-time recovery (each change's before-image) and resource policies.
    """
    CREATE TABLE ddb_backups (
        account TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL, id TEXT NOT NULL,
        name TEXT NOT NULL, table_name TEXT NOT NULL, kind TEXT NOT NULL, created BIGINT NOT NULL,
        expires DOUBLE PRECISION, size BIGINT NOT NULL, item_count BIGINT NOT NULL, meta TEXT NOT NULL,
        PRIMARY KEY (account, region, arn));
    CREATE INDEX ddb_backups_order ON ddb_backups (account, region, created, arn);
    CREATE TABLE ddb_backup_items (
        backup_id TEXT NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL, h BIGINT NOT NULL,
        item BLOB NOT NULL, size BIGINT NOT NULL, PRIMARY KEY (backup_id, pk, sk));
    CREATE TABLE ddb_pitr_log (
        table_id TEXT NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL, at DOUBLE PRECISION NOT NULL,
        old BLOB, PRIMARY KEY (table_id, pk, sk, at));
    CREATE INDEX ddb_pitr_log_at ON ddb_pitr_log (table_id, at);
    CREATE TABLE ddb_policies (
        account TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL, policy TEXT NOT NULL,
        revision TEXT NOT NULL, PRIMARY KEY (account, region, arn))
    """,
]

HASH_SPACE = 1 << 32
TABLE_CACHE = "ddb_tables"  # the store's cache of parsed table metadata by (account, region, name)


def partition_hash(pk: bytes) -> int:
    return int.from_bytes(hashlib.md5(pk, usedforsecurity=False).digest()[:4], "big")


# tables


def load_table(conn: Conn, account: str, region: str, name: str, *, for_update: bool = False) -> TableDef | None:
    """A table's metadata. Shared parsed copies serve reads; `for_update` gives a private copy to change."""
    key = (account, region, name)
    cached = None if for_update else conn.read_cache(TABLE_CACHE)
    if cached is not None:
        cache, fill = cached
        return cache.get(key, lambda: _select_table(conn, key, False), remember=fill)
    return _select_table(conn, key, for_update)


def _select_table(conn: Conn, key: tuple[str, str, str], private: bool) -> TableDef | None:
    row = conn.one("SELECT meta FROM ddb_tables WHERE account = ? AND region = ? AND name = ?", key)
    if row is None:
        return None
    return _parse_table(row[0]) if private else _parse_table_cached(row[0])


def _forget_table(conn: Conn, table: TableDef) -> None:
    conn.forget_cached(TABLE_CACHE, (table.account, table.region, table.name))


def _parse_table(meta: str) -> TableDef:
    return TableDef.from_json(orjson.loads(meta))


# Keyed by the stored JSON itself, so a change made by any node is seen at once.
_parse_table_cached = lru_cache(maxsize=512)(_parse_table)


def save_table(conn: Conn, table: TableDef, *, new: bool = False) -> None:
    _forget_table(conn, table)
    meta = orjson.dumps(table.to_json()).decode()
    if new:
        conn.execute(
            "INSERT INTO ddb_tables (account, region, name, id, meta) VALUES (?, ?, ?, ?, ?)",
            (table.account, table.region, table.name, table.id, meta),
        )
    else:
        conn.execute(
            "UPDATE ddb_tables SET meta = ? WHERE account = ? AND region = ? AND name = ?",
            (meta, table.account, table.region, table.name),
        )


def list_table_names(conn: Conn, account: str, region: str, after: str | None, limit: int) -> list[str]:
    rows = conn.all(
        "SELECT name FROM ddb_tables WHERE account = ? AND region = ? AND name > ? ORDER BY name LIMIT ?",
        (account, region, after or "", limit),
    )
    return [r[0] for r in rows]


def table_by_id(conn: Conn, table_id: str) -> TableDef | None:
    row = conn.one("SELECT meta FROM ddb_tables WHERE id = ?", (table_id,))
    return _parse_table_cached(row[0]) if row else None


def drop_table(conn: Conn, table: TableDef) -> None:
    _forget_table(conn, table)
    conn.execute("DELETE FROM ddb_tables WHERE account = ? AND region = ? AND name = ?",
                 (table.account, table.region, table.name))
    conn.execute("DELETE FROM ddb_items WHERE table_id = ?", (table.id,))
    for index in table.indexes:
        drop_index(conn, index)
    if table.vector_indexes:
        from cloudlet.services.dynamodb import vector_storage

        vector_storage.drop_table(conn, table)


def drop_index(conn: Conn, index: IndexDef) -> None:
    conn.execute("DELETE FROM ddb_index_items WHERE index_id = ?", (index.id,))


def table_stats(conn: Conn, table: TableDef) -> tuple[int, int]:
    row = conn.one("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ddb_items WHERE table_id = ?", (table.id,))
    return int(row[0]), int(row[1])


def index_stats(conn: Conn, table: TableDef, index: IndexDef) -> tuple[int, int]:
    row = conn.one(
        "SELECT COUNT(*), COALESCE(SUM(i.size), 0) FROM ddb_index_items x JOIN ddb_items i"
        " ON i.table_id = ? AND i.pk = x.tpk AND i.sk = x.tsk WHERE x.index_id = ?",
        (table.id, index.id),
    )
    return int(row[0]), int(row[1])


# items


def lock_item(conn: Conn, table: TableDef, pk: bytes, sk: bytes) -> None:
    """Serialize writers of one item across connections (PostgreSQL; SQLite writers are serialized)."""
    if conn.dialect == "postgresql":
        digest = hashlib.blake2b(table.id.encode() + b"\0" + pk + b"\0" + sk, digest_size=8).digest()
        conn.execute("SELECT pg_advisory_xact_lock(?)", (int.from_bytes(digest, "big", signed=True),))


def get_item(conn: Conn, table: TableDef, pk: bytes, sk: bytes) -> dict | None:
    row = conn.one("SELECT item FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?", (table.id, pk, sk))
    return codec.loads(row[0]) if row else None


def get_item_sized(conn: Conn, table: TableDef, pk: bytes, sk: bytes) -> tuple[dict | None, int]:
    """The item and its stored size (None and 0 when absent)."""
    row = conn.one("SELECT item, size FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?", (table.id, pk, sk))
    return (codec.loads(row[0]), int(row[1])) if row else (None, 0)


PUT_ITEM = (
    "INSERT INTO ddb_items (table_id, pk, sk, h, item, size, ttl) VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (table_id, pk, sk) DO UPDATE SET item = excluded.item, size = excluded.size, ttl = excluded.ttl"
)


def item_row(table: TableDef, pk: bytes, sk: bytes, item: dict, size: int | None = None) -> tuple:
    """PUT_ITEM's parameters for an item (`size`: the item's size when known)."""
    return (table.id, pk, sk, partition_hash(pk), codec.dumps(item), item_size(item) if size is None else size,
            ttl_value(table, item))


def put_item(conn: Conn, table: TableDef, pk: bytes, sk: bytes, item: dict, old: dict | None,
             size: int | None = None) -> None:
    """Insert or replace an item and its index entries (`size`: the item's size when known)."""
    conn.execute(PUT_ITEM, item_row(table, pk, sk, item, size))
    _reindex(conn, table, pk, sk, old, item)


def delete_item(conn: Conn, table: TableDef, pk: bytes, sk: bytes, old: dict) -> None:
    conn.execute("DELETE FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?", (table.id, pk, sk))
    _reindex(conn, table, pk, sk, old, None)


def _reindex(conn: Conn, table: TableDef, pk: bytes, sk: bytes, old: dict | None, new: dict | None) -> None:
    for index in table.indexes:
        before = index_key(index, old) if old else None
        after = index_key(index, new) if new else None
        if before == after:
            continue
        if before is not None:
            conn.execute(
                "DELETE FROM ddb_index_items WHERE index_id = ? AND pk = ? AND sk = ? AND tpk = ? AND tsk = ?",
                (index.id, before[0], before[1], pk, sk),
            )
        if after is not None:
            conn.execute(
                "INSERT INTO ddb_index_items (index_id, pk, sk, tpk, tsk, h) VALUES (?, ?, ?, ?, ?, ?)",
                (index.id, after[0], after[1], pk, sk, partition_hash(after[0])),
            )


def index_key(index: IndexDef, item: dict) -> tuple[bytes, bytes] | None:
    """The encoded index key of an item, or None when the item is not in the (sparse) index."""
    for name, wanted in index.key.types().items():
        value = item.get(name)
        if value is None or wanted not in value:
            return None
    return index.key.encode(item)


def backfill_index(conn: Conn, table: TableDef, index: IndexDef) -> None:
    for pk, sk, data in conn.all("SELECT pk, sk, item FROM ddb_items WHERE table_id = ?", (table.id,)):
        key = index_key(index, codec.loads(data))
        if key is not None:
            conn.execute(
                "INSERT INTO ddb_index_items (index_id, pk, sk, tpk, tsk, h) VALUES (?, ?, ?, ?, ?, ?)",
                (index.id, key[0], key[1], bytes(pk), bytes(sk), partition_hash(key[0])),
            )


def ttl_value(table: TableDef, item: dict) -> float | None:
    """The item's expiry (epoch seconds) when TTL is enabled and the attribute is a number."""
    if table.ttl_status != "ENABLED" or not table.ttl_attribute:
        return None
    value = item.get(table.ttl_attribute)
    if value is None or "N" not in value:
        return None
    try:
        return float(value["N"])
    except (ValueError, OverflowError):
        return None


def refresh_ttl(conn: Conn, table: TableDef) -> None:
    """Recompute every item's expiry after the table's TTL setting changed."""
    for pk, sk, data in conn.all("SELECT pk, sk, item FROM ddb_items WHERE table_id = ?", (table.id,)):
        conn.execute(
            "UPDATE ddb_items SET ttl = ? WHERE table_id = ? AND pk = ? AND sk = ?",
            (ttl_value(table, codec.loads(data)), table.id, bytes(pk), bytes(sk)),
        )


# As in AWS, an expiry more than five years in the past is taken as not a TTL timestamp.
TTL_MAX_AGE = 5 * 365 * 86400


def expired(conn: Conn, now: float, limit: int) -> list[tuple[str, bytes, bytes]]:
    rows = conn.all(
        "SELECT table_id, pk, sk FROM ddb_items WHERE ttl < ? AND ttl > ? LIMIT ?",
        (now, now - TTL_MAX_AGE, limit),
    )
    return [(r[0], bytes(r[1]), bytes(r[2])) for r in rows]


# range reads


def query_rows(
    conn: Conn,
    table: TableDef,
    index: IndexDef | None,
    pk: bytes,
    sk_bounds: tuple,  # (lower, lower_inclusive, upper, upper_inclusive), bounds None when open
    forward: bool,
    start: tuple | None,  # position after which to continue: (sk, tpk, tsk) for indexes, (sk,) for tables
    batch: int = 100,
) -> Iterator[tuple[tuple, int, dict]]:
    """Rows of one partition in key order, from `start` on: yields (position, item size, item)."""
    lower, lower_inc, upper, upper_inc = sk_bounds
    if index is None:
        p, cols = "", ("sk",)
        base = "SELECT sk, size, item FROM ddb_items WHERE table_id = ? AND pk = ?"
        params0: list = [table.id, pk]
    else:
        p, cols = "x.", ("sk", "tpk", "tsk")
        base = (
            "SELECT x.sk, x.tpk, x.tsk, i.size, i.item FROM ddb_index_items x JOIN ddb_items i"
            " ON i.table_id = ? AND i.pk = x.tpk AND i.sk = x.tsk WHERE x.index_id = ? AND x.pk = ?"
        )
        params0 = [table.id, index.id, pk]
    if lower is not None:
        base += f" AND {p}sk {'>=' if lower_inc else '>'} ?"
        params0.append(lower)
    if upper is not None:
        base += f" AND {p}sk {'<=' if upper_inc else '<'} ?"
        params0.append(upper)
    tuple_sql = "(" + ", ".join(p + c for c in cols) + ")"
    marks = "(" + ", ".join("?" for _ in cols) + ")"
    direction = "ASC" if forward else "DESC"
    order = ", ".join(f"{p}{c} {direction}" for c in cols)
    position = start
    while True:
        sql, params = base, list(params0)
        if position is not None:
            sql += f" AND {tuple_sql} {'>' if forward else '<'} {marks}"
            params += list(position)
        rows = conn.all(f"{sql} ORDER BY {order} LIMIT ?", [*params, batch])
        for row in rows:
            position = tuple(bytes(v) for v in row[:-2])
            yield position, row[-2], codec.loads(row[-1])
        if len(rows) < batch:
            return


def scan_rows(
    conn: Conn,
    table: TableDef,
    index: IndexDef | None,
    h_range: tuple[int, int],
    start: tuple | None,  # (h, pk, sk) or (h, pk, sk, tpk, tsk)
    batch: int = 100,
) -> Iterator[tuple[tuple, int, dict]]:
    """Rows of a hash range in (h, key) order, from `start` on: yields (position, item size, item)."""
    position = start
    if index is None:
        cols = ("h", "pk", "sk")
        base = "SELECT h, pk, sk, size, item FROM ddb_items WHERE table_id = ? AND h >= ? AND h < ?"
        prefix = ""
        params0 = [table.id, *h_range]
    else:
        cols = ("h", "pk", "sk", "tpk", "tsk")
        base = (
            "SELECT x.h, x.pk, x.sk, x.tpk, x.tsk, i.size, i.item FROM ddb_index_items x JOIN ddb_items i"
            " ON i.table_id = ? AND i.pk = x.tpk AND i.sk = x.tsk WHERE x.index_id = ? AND x.h >= ? AND x.h < ?"
        )
        prefix = "x."
        params0 = [table.id, index.id, *h_range]
    tuple_sql = "(" + ", ".join(prefix + c for c in cols) + ")"
    marks = "(" + ", ".join("?" for _ in cols) + ")"
    order = ", ".join(prefix + c for c in cols)
    while True:
        sql, params = base, list(params0)
        if position is not None:
            sql += f" AND {tuple_sql} > {marks}"
            params += list(position)
        rows = conn.all(f"{sql} ORDER BY {order} LIMIT ?", [*params, batch])
        for row in rows:
            position = (int(row[0]), *(bytes(v) for v in row[1:-2]))
            yield position, row[-2], codec.loads(row[-1])
        if len(rows) < batch:
            return
