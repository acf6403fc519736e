"""SQL for streams, shards and stream records.

A stream (ddbs_streams) belongs to one table and one stream label. Its records (ddbs_records) are
numbered by a per-stream counter (`next_seq`), claimed with an UPDATE that holds the stream's row
until the writing transaction ends, so numbers are handed out in commit order. Exactly one shard
(ddbs_shards) is open at a time and holds the numbers from its `first_seq` on; a closed shard ends
at `last_seq`. `trimmed` is the highest number of the shard the retention sweep removed.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from cloudlet.store import Conn

MIGRATIONS = [
    """
    CREATE TABLE ddbs_streams (
        id TEXT NOT NULL PRIMARY KEY, arn TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,
        table_name TEXT NOT NULL, table_id TEXT NOT NULL, label TEXT NOT NULL, view_type TEXT NOT NULL,
        key_schema TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, status TEXT NOT NULL,
        disabled DOUBLE PRECISION, next_seq BIGINT NOT NULL, open_shard TEXT, shard_first BIGINT,
        shard_opened DOUBLE PRECISION);
    CREATE UNIQUE INDEX ddbs_streams_arn ON ddbs_streams (arn);
    CREATE INDEX ddbs_streams_table ON ddbs_streams (table_id, label);
    CREATE TABLE ddbs_shards (
        stream_id TEXT NOT NULL, shard_id TEXT NOT NULL, parent_id TEXT, first_seq BIGINT NOT NULL,
        last_seq BIGINT, opened DOUBLE PRECISION NOT NULL, closed DOUBLE PRECISION,
        trimmed BIGINT NOT NULL, PRIMARY KEY (stream_id, shard_id));
    CREATE TABLE ddbs_records (
        stream_id TEXT NOT NULL, seq BIGINT NOT NULL, shard_id TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL, event_id TEXT NOT NULL, event_name TEXT NOT NULL,
        view_type TEXT NOT NULL, identity TEXT, keys BLOB NOT NULL, new_image BLOB, old_image BLOB,
        size BIGINT NOT NULL, PRIMARY KEY (stream_id, seq));
    CREATE INDEX ddbs_records_created ON ddbs_records (created)
    """
]

_STREAM_COLUMNS = (
    "id, arn, account, region, table_name, table_id, label, view_type, key_schema, created, status, disabled,"
    " next_seq, open_shard, shard_first, shard_opened"
)
_SHARD_COLUMNS = "shard_id, parent_id, first_seq, last_seq, opened, closed, trimmed"


@dataclass
class StreamRow:
    id: str
    arn: str
    account: str
    region: str
    table_name: str
    table_id: str
    label: str
    view_type: str
    key_schema: list
    created: float
    status: str
    disabled: float | None
    next_seq: int  # the number the next record gets
    open_shard: str | None
    shard_first: int | None
    shard_opened: float | None


@dataclass
class ShardRow:
    shard_id: str
    parent_id: str | None
    first_seq: int
    last_seq: int | None  # set once closed
    opened: float
    closed: float | None
    trimmed: int  # highest number removed by the retention sweep (0: none)

    @property
    def is_open(self) -> bool:
        return self.last_seq is None


def _stream(row: tuple) -> StreamRow:
    values = list(row)
    values[8] = orjson.loads(values[8])
    return StreamRow(*values)


def _shard(row: tuple) -> ShardRow:
    return ShardRow(*row)


# streams


def insert_stream(conn: Conn, stream: StreamRow) -> bool:
    """Insert a stream unless one with its ARN exists; True when inserted."""
    cur = conn.execute(
        f"INSERT INTO ddbs_streams ({_STREAM_COLUMNS}) VALUES ({', '.join('?' * 16)}) ON CONFLICT (arn) DO NOTHING",
        (stream.id, stream.arn, stream.account, stream.region, stream.table_name, stream.table_id, stream.label,
         stream.view_type, orjson.dumps(stream.key_schema).decode(), stream.created, stream.status, stream.disabled,
         stream.next_seq, stream.open_shard, stream.shard_first, stream.shard_opened),
    )
    return cur.rowcount == 1


def stream_by_arn(conn: Conn, arn: str) -> StreamRow | None:
    row = conn.one(f"SELECT {_STREAM_COLUMNS} FROM ddbs_streams WHERE arn = ?", (arn,))
    return _stream(row) if row else None


def stream_by_id(conn: Conn, stream_id: str) -> StreamRow | None:
    row = conn.one(f"SELECT {_STREAM_COLUMNS} FROM ddbs_streams WHERE id = ?", (stream_id,))
    return _stream(row) if row else None


def enabled_streams_of_table(conn: Conn, account: str, region: str, table_name: str) -> list[StreamRow]:
    rows = conn.all(
        f"SELECT {_STREAM_COLUMNS} FROM ddbs_streams WHERE account = ? AND region = ? AND table_name = ?"
        " AND status = 'ENABLED'",
        (account, region, table_name),
    )
    return [_stream(r) for r in rows]


def list_streams(conn: Conn, account: str, region: str, table_name: str | None, after: str | None,
                 limit: int) -> list[tuple[str, str, str]]:
    """(arn, table name, label) of an account's streams in ARN order, after `after`."""
    sql = "SELECT arn, table_name, label FROM ddbs_streams WHERE account = ? AND region = ? AND arn > ?"
    params: list = [account, region, after or ""]
    if table_name is not None:
        sql += " AND table_name = ?"
        params.append(table_name)
    return [tuple(r) for r in conn.all(sql + " ORDER BY arn LIMIT ?", [*params, limit])]


def claim_sequence(conn: Conn, table_id: str, label: str) -> tuple | None:
    """Take the next record number of a table's enabled stream, locking the stream's row until the
    transaction ends: (stream id, number, open shard, its first number, when it opened), or None."""
    return conn.one(
        "UPDATE ddbs_streams SET next_seq = next_seq + 1 WHERE table_id = ? AND label = ? AND status = 'ENABLED'"
        " RETURNING id, next_seq - 1, open_shard, shard_first, shard_opened",
        (table_id, label),
    )


def lock_stream(conn: Conn, stream_id: str) -> StreamRow | None:
    """The stream's row, locked until the transaction ends."""
    conn.execute("UPDATE ddbs_streams SET next_seq = next_seq WHERE id = ?", (stream_id,))
    return stream_by_id(conn, stream_id)


def set_open_shard(conn: Conn, stream_id: str, shard_id: str | None, first: int | None, opened: float | None,
                   next_seq: int) -> None:
    conn.execute(
        "UPDATE ddbs_streams SET open_shard = ?, shard_first = ?, shard_opened = ?, next_seq = ? WHERE id = ?",
        (shard_id, first, opened, next_seq, stream_id),
    )


def disable_stream(conn: Conn, stream_id: str, now: float) -> None:
    conn.execute("UPDATE ddbs_streams SET status = 'DISABLED', disabled = ? WHERE id = ?", (now, stream_id))


def streams_due_to_roll(conn: Conn, before: float) -> list[str]:
    rows = conn.all("SELECT id FROM ddbs_streams WHERE status = 'ENABLED' AND shard_opened <= ?", (before,))
    return [r[0] for r in rows]


def drop_expired_streams(conn: Conn, disabled_before: float) -> None:
    """Forget disabled streams past retention whose shards are all gone."""
    conn.execute(
        "DELETE FROM ddbs_streams WHERE status = 'DISABLED' AND disabled < ?"
        " AND NOT EXISTS (SELECT 1 FROM ddbs_shards s WHERE s.stream_id = ddbs_streams.id)",
        (disabled_before,),
    )


# shards


def insert_shard(conn: Conn, stream_id: str, shard: ShardRow) -> None:
    conn.execute(
        f"INSERT INTO ddbs_shards (stream_id, {_SHARD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (stream_id, shard.shard_id, shard.parent_id, shard.first_seq, shard.last_seq, shard.opened, shard.closed,
         shard.trimmed),
    )


def close_shard(conn: Conn, stream_id: str, shard_id: str, last_seq: int, now: float) -> None:
    conn.execute(
        "UPDATE ddbs_shards SET last_seq = ?, closed = ? WHERE stream_id = ? AND shard_id = ?",
        (last_seq, now, stream_id, shard_id),
    )


def shard(conn: Conn, stream_id: str, shard_id: str) -> ShardRow | None:
    row = conn.one(f"SELECT {_SHARD_COLUMNS} FROM ddbs_shards WHERE stream_id = ? AND shard_id = ?",
                   (stream_id, shard_id))
    return _shard(row) if row else None


def shards(conn: Conn, stream_id: str, after: str | None = None, parent: str | None = None,
           limit: int | None = None) -> list[ShardRow]:
    """A stream's shards in creation order (shard ids sort that way), after `after`."""
    sql = f"SELECT {_SHARD_COLUMNS} FROM ddbs_shards WHERE stream_id = ? AND shard_id > ?"
    params: list = [stream_id, after or ""]
    if parent is not None:
        sql += " AND parent_id = ?"
        params.append(parent)
    sql += " ORDER BY shard_id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_shard(r) for r in conn.all(sql, params)]


def drop_dead_shards(conn: Conn, closed_before: float) -> None:
    """Forget closed shards past retention that hold no records any more."""
    conn.execute(
        "DELETE FROM ddbs_shards WHERE closed IS NOT NULL AND closed < ? AND NOT EXISTS"
        " (SELECT 1 FROM ddbs_records r WHERE r.stream_id = ddbs_shards.stream_id AND r.shard_id = ddbs_shards.shard_id)",
        (closed_before,),
    )


# records


def insert_record(conn: Conn, stream_id: str, seq: int, shard_id: str, created: float, event_id: str,
                  event_name: str, view_type: str, identity: str | None, keys: bytes, new: bytes | None,
                  old: bytes | None, size: int) -> None:
    conn.execute(
        "INSERT INTO ddbs_records (stream_id, seq, shard_id, created, event_id, event_name, view_type, identity,"
        " keys, new_image, old_image, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (stream_id, seq, shard_id, created, event_id, event_name, view_type, identity, keys, new, old, size),
    )


RECORD_COLUMNS = "seq, created, event_id, event_name, view_type, identity, keys, new_image, old_image, size"


def record_sizes_after(conn: Conn, stream_id: str, shard_id: str, after: int, limit: int) -> list[tuple[int, int]]:
    """(number, SizeBytes) of up to `limit` records after `after`: a page is sized before it is read."""
    return conn.all(
        "SELECT seq, size FROM ddbs_records WHERE stream_id = ? AND shard_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        (stream_id, shard_id, after, limit),
    )


def records_between(conn: Conn, stream_id: str, shard_id: str, after: int, upto: int) -> list[tuple]:
    return conn.all(
        f"SELECT {RECORD_COLUMNS} FROM ddbs_records WHERE stream_id = ? AND shard_id = ? AND seq > ? AND seq <= ?"
        " ORDER BY seq",
        (stream_id, shard_id, after, upto),
    )


def last_record_before(conn: Conn, stream_id: str, shard_id: str, created: float) -> int | None:
    """The highest record number of a shard written before `created`."""
    return conn.scalar(
        "SELECT MAX(seq) FROM ddbs_records WHERE stream_id = ? AND shard_id = ? AND created < ?",
        (stream_id, shard_id, created),
    )


def trim(conn: Conn, before: float) -> int:
    """Remove records written before `before`, raising each shard's trim point; returns how many."""
    removed = 0
    groups = conn.all(
        "SELECT stream_id, shard_id, MAX(seq) FROM ddbs_records WHERE created < ? GROUP BY stream_id, shard_id",
        (before,),
    )
    for stream_id, shard_id, upto in groups:
        removed += conn.execute(
            "DELETE FROM ddbs_records WHERE stream_id = ? AND shard_id = ? AND seq <= ?", (stream_id, shard_id, upto)
        ).rowcount
        conn.execute(
            "UPDATE ddbs_shards SET trimmed = ? WHERE stream_id = ? AND shard_id = ? AND trimmed < ?",
            (upto, stream_id, shard_id, upto),
        )
    return removed
