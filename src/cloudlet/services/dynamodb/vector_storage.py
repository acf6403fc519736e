"""Which items each vector index holds, in ddb_vector_items: one row per (index, item) with the item's
vector packed as 32-bit floats, its SearchSchema HASH value (encoded key bytes) and its SearchSchema
values, so that a search reads only the rows of its index (of one HASH partition) and decodes only
the items it returns. Rows are written in the item write's own transaction (a change listener)."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import codec, keys
from cloudlet.services.dynamodb.schema import TableDef
from cloudlet.services.dynamodb.vector_items import in_index, vector_of
from cloudlet.services.dynamodb.vectors import VectorIndex, indexes
from cloudlet.store import Conn

MIGRATIONS = [
    """
    CREATE TABLE ddb_vector_items (
        index_id TEXT NOT NULL, tpk BLOB NOT NULL, tsk BLOB NOT NULL, part BLOB NOT NULL,
        vec BLOB NOT NULL, norm DOUBLE PRECISION NOT NULL, attrs BLOB NOT NULL, PRIMARY KEY (index_id, tpk, tsk));
    CREATE INDEX ddb_vector_items_part ON ddb_vector_items (index_id, part, tpk, tsk)
    """
]


_INSERT = "INSERT INTO ddb_vector_items (index_id, tpk, tsk, part, vec, norm, attrs) VALUES (?, ?, ?, ?, ?, ?, ?)"


def pack(vector: list[float]) -> bytes:
    return struct.pack(f"<{len(vector)}f", *vector)


def unpack(data: bytes) -> tuple[float, ...]:
    return struct.unpack(f"<{len(data) // 4}f", data)


def _row(index: VectorIndex, item: dict) -> tuple[bytes, bytes, float, bytes]:
    """(HASH value bytes, packed vector, its norm, SearchSchema values) of an item the index holds."""
    part = keys.encode(item[index.hash_key]) if index.hash_key else b""
    attrs = {n: item[n] for n in index.schema_names if n in item}
    vector = vector_of(index, item[index.attribute])
    return part, pack(vector), math.hypot(*vector), codec.dumps(attrs)


def on_change(conn: Conn, table: TableDef, old: dict | None, new: dict | None, identity: dict | None = None) -> None:
    """Follow an item write in every vector index of its table (a DynamoDB change listener)."""
    if not table.vector_indexes:
        return
    pk, sk = table.encode_key(new if new is not None else old)
    for index in indexes(table):
        held = in_index(index, new)
        if not held and not in_index(index, old):
            continue
        if not held:
            conn.execute("DELETE FROM ddb_vector_items WHERE index_id = ? AND tpk = ? AND tsk = ?", (index.id, pk, sk))
            continue
        conn.execute(
            f"{_INSERT} ON CONFLICT (index_id, tpk, tsk) DO UPDATE SET part = excluded.part, vec = excluded.vec,"
            " norm = excluded.norm, attrs = excluded.attrs",
            (index.id, pk, sk, *_row(index, new)),
        )


def backfill(conn: Conn, table: TableDef, index: VectorIndex) -> None:
    """Index the table's existing items (an index added by UpdateTable); items whose vector the
    index cannot hold stay out of it."""
    for pk, sk, data in conn.all("SELECT pk, sk, item FROM ddb_items WHERE table_id = ?", (table.id,)):
        item = codec.loads(data)
        if not in_index(index, item):
            continue
        try:
            row = _row(index, item)
        except AWSError:
            continue
        conn.execute(_INSERT, (index.id, bytes(pk), bytes(sk), *row))


def drop(conn: Conn, index: VectorIndex) -> None:
    conn.execute("DELETE FROM ddb_vector_items WHERE index_id = ?", (index.id,))


def drop_table(conn: Conn, table: TableDef) -> None:
    for index in indexes(table):
        drop(conn, index)


def stats(conn: Conn, table: TableDef, index: VectorIndex) -> tuple[int, int]:
    """(ItemCount, IndexSizeBytes) of an index, sizes counted as the table's items."""
    row = conn.one(
        "SELECT COUNT(*), COALESCE(SUM(i.size), 0) FROM ddb_vector_items x JOIN ddb_items i"
        " ON i.table_id = ? AND i.pk = x.tpk AND i.sk = x.tsk WHERE x.index_id = ?",
        (table.id, index.id),
    )
    return int(row[0]), int(row[1])


def candidates(conn: Conn, index: VectorIndex, part: bytes | None, batch: int = 500) -> Iterator[tuple]:
    """The index's rows (of one HASH partition when `part` is given): (tpk, tsk, vec, norm, attrs)."""
    sql = "SELECT tpk, tsk, vec, norm, attrs FROM ddb_vector_items WHERE index_id = ?"
    params: list = [index.id]
    if part is not None:
        sql += " AND part = ?"
        params.append(part)
    position = None
    while True:
        page_sql, page_params = sql, list(params)
        if position is not None:
            page_sql += " AND (tpk, tsk) > (?, ?)"
            page_params += list(position)
        rows = conn.all(page_sql + " ORDER BY tpk, tsk LIMIT ?", [*page_params, batch])
        for row in rows:
            position = (bytes(row[0]), bytes(row[1]))
            yield position[0], position[1], bytes(row[2]), float(row[3]), bytes(row[4])
        if len(rows) < batch:
            return
