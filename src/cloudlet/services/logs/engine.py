"""The Logs engine: log groups, log streams and their events in the logs_* tables.

Plain Python in and out (names, millisecond timestamps, message strings); the API layer maps
requests onto these calls and raises the AWS errors for input it rejects.
"""

from __future__ import annotations

import heapq
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.store.base import Conn, Store

DAY_MS = 86_400_000
EVENT_OVERHEAD = 26  # bytes AWS counts per event toward the 1 MB batch and page limits
MAX_BYTES = 1_048_576
MAX_EVENTS = 10_000
MAX_PAST_MS = 14 * DAY_MS
MAX_FUTURE_MS = 2 * 3_600_000
MAX_SPAN_MS = DAY_MS
SCAN_BUDGET = 100_000
_ID_CACHE_SIZE = 10_000  # events FilterLogEvents examines per call before handing back a nextToken
FAR_FUTURE = 2**62
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def event_id(ts: int, stream_id: int, seq: int) -> str:
    """An event's id as FilterLogEvents and subscription deliveries give it: 56 digits."""
    return f"{ts:020d}{stream_id:019d}{seq:017d}"


def _new_id() -> int:
    return int.from_bytes(os.urandom(8), "big") >> 1


def not_found(what: str) -> AWSError:
    return AWSError("ResourceNotFoundException", f"The specified {what} does not exist.", 400)


def protected() -> AWSError:
    return AWSError(
        "ValidationException",
        "Cannot delete log group with deletion protection enabled. Disable deletion protection first.",
        400,
    )


def already_exists(what: str) -> AWSError:
    return AWSError("ResourceAlreadyExistsException", f"The specified {what} already exists", 400)


@dataclass
class Group:
    id: int
    name: str
    created: int
    retention_days: int | None
    kms_key_id: str | None
    group_class: str
    deletion_protection: bool
    stored_bytes: int


@dataclass
class Stream:
    id: int
    name: str
    created: int
    first_ts: int | None
    last_ts: int | None
    last_ingest: int | None
    stored_bytes: int
    next_seq: int


@dataclass
class Stored:
    """Events just committed to one stream (handed to `LogsEngine.listener`)."""

    account: str
    region: str
    group: str
    stream: str
    stream_id: int
    first_seq: int
    events: list[tuple[int, str]]  # (timestamp, message) in stored order; seq = first_seq + index


@dataclass
class Event:
    stream_id: int
    ts: int
    seq: int
    ingest: int
    message: str

    @property
    def size(self) -> int:
        return len(self.message.encode()) + EVENT_OVERHEAD


_GROUP_COLS = "id, name, created, retention_days, kms_key_id, group_class, deletion_protection, stored_bytes"
_STREAM_COLS = "id, name, created, first_ts, last_ts, last_ingest, stored_bytes, next_seq"


def _group(row: tuple) -> Group:
    return Group(*row[:6], bool(row[6]), row[7])


def _contains(conn: Conn, column: str) -> str:
    """SQL testing that `column` contains the bound parameter (case-sensitive)."""
    fn = "strpos" if conn.dialect == "postgresql" else "instr"
    return f"{fn}({column}, ?) > 0"


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """Bounds so that `lo <= name < hi` holds exactly for names starting with prefix (bytewise order)."""
    return prefix, prefix + "\U0010ffff"


def put_group_filter(conn, table: str, group_id: int, name: str, body: dict, limit: int) -> None:
    """Create or replace the filter `name` of a group in `table` (metric or subscription filters),
    keeping its creation time; a new name beyond `limit` filters is LimitExceededException."""
    encoded = orjson.dumps(body).decode()
    if conn.one(f"SELECT 1 FROM {table} WHERE group_id = ? AND name = ?", (group_id, name)):
        conn.execute(f"UPDATE {table} SET body = ? WHERE group_id = ? AND name = ?", (encoded, group_id, name))
        return
    (count,) = conn.one(f"SELECT COUNT(*) FROM {table} WHERE group_id = ?", (group_id,))
    if count >= limit:
        raise AWSError("LimitExceededException", "Resource limit exceeded.", 400)
    conn.execute(f"INSERT INTO {table} (group_id, name, created, body) VALUES (?, ?, ?, ?)",
                 (group_id, name, now_ms(), encoded))


class LogsEngine:
    def __init__(self, store: Store) -> None:
        self.store = store
        # (account, region, group, stream) -> (group id, stream id) for append; a stale entry is
        # detected by the stream update matching no row
        self._ids: dict[tuple[str, str, str, str], tuple[int, int]] = {}
        # called after each commit of new events (subscription filters); may run in any thread
        self.listener: Callable[[Stored], None] | None = None

    # -- groups --------------------------------------------------------------------------------

    def find_group(self, conn: Conn, account: str, region: str, name: str) -> Group:
        row = conn.one(
            f"SELECT {_GROUP_COLS} FROM logs_groups WHERE account = ? AND region = ? AND name = ?",
            (account, region, name),
        )
        if row is None:
            raise not_found("log group")
        return _group(row)

    def create_group(
        self,
        account: str,
        region: str,
        name: str,
        *,
        kms_key_id: str | None = None,
        group_class: str = "STANDARD",
        deletion_protection: bool = False,
        tags: dict[str, str] | None = None,
    ) -> None:
        with self.store.tx() as conn:
            if conn.one(
                "SELECT 1 FROM logs_groups WHERE account = ? AND region = ? AND name = ?",
                (account, region, name),
            ):
                raise already_exists("log group")
            group_id = _new_id()
            conn.execute(
                "INSERT INTO logs_groups (id, account, region, name, created, kms_key_id, group_class,"
                " deletion_protection) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    group_id,
                    account,
                    region,
                    name,
                    now_ms(),
                    kms_key_id,
                    group_class,
                    int(deletion_protection),
                ),
            )
            if tags:
                self._put_tags(conn, group_id, tags)

    def delete_group(self, account: str, region: str, name: str) -> None:
        with self.store.tx() as conn:
            group = self.find_group(conn, account, region, name)
            if group.deletion_protection:
                raise protected()
            # stream rows first: that waits for writers still appending to them (PostgreSQL)
            streams = conn.all("DELETE FROM logs_streams WHERE group_id = ? RETURNING id", (group.id,))
            conn.executemany("DELETE FROM logs_events WHERE stream_id = ?", streams)
            conn.execute("DELETE FROM logs_tags WHERE group_id = ?", (group.id,))
            conn.execute("DELETE FROM logs_metric_filters WHERE group_id = ?", (group.id,))
            conn.execute("DELETE FROM logs_subscription_filters WHERE group_id = ?", (group.id,))
            conn.execute("DELETE FROM logs_groups WHERE id = ?", (group.id,))

    def list_groups(
        self,
        account: str,
        region: str,
        *,
        prefix: str | None = None,
        pattern: str | None = None,
        names: Sequence[str] | None = None,
        group_class: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> tuple[list[Group], bool]:
        """Groups in name order after `after`; the flag says whether more follow."""
        with self.store.read() as conn:
            sql = f"SELECT {_GROUP_COLS} FROM logs_groups WHERE account = ? AND region = ?"
            args: list = [account, region]
            if prefix:
                sql += " AND name >= ? AND name < ?"
                args += prefix_bounds(prefix)
            if pattern:
                sql += " AND " + _contains(conn, "name")
                args.append(pattern)
            if names is not None:
                sql += f" AND name IN ({', '.join('?' * len(names))})"
                args += names
            if group_class:
                sql += " AND group_class = ?"
                args.append(group_class)
            if after is not None:
                sql += " AND name > ?"
                args.append(after)
            sql += " ORDER BY name LIMIT ?"
            args.append(limit + 1)
            rows = conn.all(sql, args)
        return [_group(r) for r in rows[:limit]], len(rows) > limit

    def iter_groups(
        self, account: str, region: str, *, group_class: str | None = None, after: str | None = None
    ) -> Iterator[tuple[Group, dict[str, str]]]:
        """Every group (with its tags) in name order after `after`, read in chunks; for filters SQL
        cannot express."""
        while True:
            groups, more = self.list_groups(account, region, group_class=group_class, after=after, limit=200)
            tags: dict[int, dict[str, str]] = {g.id: {} for g in groups}
            if groups:
                with self.store.read() as conn:
                    rows = conn.all(
                        "SELECT group_id, tag_key, tag_value FROM logs_tags"
                        f" WHERE group_id IN ({', '.join('?' * len(groups))})",
                        [g.id for g in groups],
                    )
                for group_id, key, value in rows:
                    tags[group_id][key] = value
            yield from ((g, tags[g.id]) for g in groups)
            if not more:
                return
            after = groups[-1].name

    def set_deletion_protection(self, account: str, region: str, name: str, enabled: bool) -> None:
        with self.store.tx() as conn:
            group = self.find_group(conn, account, region, name)
            conn.execute(
                "UPDATE logs_groups SET deletion_protection = ? WHERE id = ?", (int(enabled), group.id)
            )

    def set_retention(self, account: str, region: str, name: str, days: int | None) -> None:
        with self.store.tx() as conn:
            group = self.find_group(conn, account, region, name)
            conn.execute("UPDATE logs_groups SET retention_days = ? WHERE id = ?", (days, group.id))

    # -- tags ----------------------------------------------------------------------------------

    def tags(self, account: str, region: str, name: str) -> dict[str, str]:
        with self.store.read() as conn:
            group = self.find_group(conn, account, region, name)
            rows = conn.all("SELECT tag_key, tag_value FROM logs_tags WHERE group_id = ?", (group.id,))
        return dict(rows)

    def tag(
        self, account: str, region: str, name: str, tags: dict[str, str], check: Callable[[int], None]
    ) -> None:
        """Add or overwrite tags; `check(total)` may reject the resulting tag count."""
        with self.store.tx() as conn:
            group = self.find_group(conn, account, region, name)
            existing = {
                r[0] for r in conn.all("SELECT tag_key FROM logs_tags WHERE group_id = ?", (group.id,))
            }
            check(len(existing | set(tags)))
            self._put_tags(conn, group.id, tags)

    def untag(self, account: str, region: str, name: str, keys: Sequence[str]) -> None:
        with self.store.tx() as conn:
            group = self.find_group(conn, account, region, name)
            conn.executemany(
                "DELETE FROM logs_tags WHERE group_id = ? AND tag_key = ?", [(group.id, k) for k in keys]
            )

    @staticmethod
    def _put_tags(conn: Conn, group_id: int, tags: dict[str, str]) -> None:
        conn.executemany(
            "DELETE FROM logs_tags WHERE group_id = ? AND tag_key = ?", [(group_id, k) for k in tags]
        )
        conn.executemany(
            "INSERT INTO logs_tags (group_id, tag_key, tag_value) VALUES (?, ?, ?)",
            [(group_id, k, v) for k, v in tags.items()],
        )

    # -- streams -------------------------------------------------------------------------------

    @staticmethod
    def find_stream(conn: Conn, group: Group, name: str) -> Stream:
        row = conn.one(
            f"SELECT {_STREAM_COLS} FROM logs_streams WHERE group_id = ? AND name = ?", (group.id, name)
        )
        if row is None:
            raise not_found("log stream")
        return Stream(*row)

    def create_stream(self, account: str, region: str, group_name: str, name: str) -> None:
        with self.store.tx() as conn:
            group = self.find_group(conn, account, region, group_name)
            if conn.one("SELECT 1 FROM logs_streams WHERE group_id = ? AND name = ?", (group.id, name)):
                raise already_exists("log stream")
            conn.execute(
                "INSERT INTO logs_streams (id, group_id, name, created) VALUES (?, ?, ?, ?)",
                (_new_id(), group.id, name, now_ms()),
            )

    def delete_stream(self, account: str, region: str, group_name: str, name: str) -> None:
        with self.store.tx() as conn:
            group = self.find_group(conn, account, region, group_name)
            stream = self.find_stream(conn, group, name)
            if group.deletion_protection:
                raise protected()
            # the row first: that waits for a writer still appending and returns its final size
            gone = conn.all("DELETE FROM logs_streams WHERE id = ? RETURNING stored_bytes", (stream.id,))
            conn.execute("DELETE FROM logs_events WHERE stream_id = ?", (stream.id,))
            if gone:
                conn.execute(
                    "UPDATE logs_groups SET stored_bytes = stored_bytes - ? WHERE id = ?",
                    (gone[0][0], group.id),
                )

    def list_streams(
        self,
        account: str,
        region: str,
        group_name: str,
        *,
        prefix: str | None = None,
        by_last_event: bool = False,
        descending: bool = False,
        after: list | None = None,
        limit: int = 50,
    ) -> tuple[list[Stream], bool]:
        """Streams ordered by name or by last event time; `after` is the sort key a page ended at."""
        keys = ["COALESCE(last_ts, -1)", "name"] if by_last_event else ["name"]
        order = " DESC" if descending else ""
        with self.store.read() as conn:
            group = self.find_group(conn, account, region, group_name)
            sql = f"SELECT {_STREAM_COLS} FROM logs_streams WHERE group_id = ?"
            args: list = [group.id]
            if prefix:
                sql += " AND name >= ? AND name < ?"
                args += prefix_bounds(prefix)
            if after is not None:
                sql += f" AND ({', '.join(keys)}) {'<' if descending else '>'} ({', '.join('?' * len(keys))})"
                args += after
            sql += f" ORDER BY {', '.join(k + order for k in keys)} LIMIT ?"
            args.append(limit + 1)
            rows = conn.all(sql, args)
        return [Stream(*r) for r in rows[:limit]], len(rows) > limit

    # -- writing events ------------------------------------------------------------------------

    def put(
        self, account: str, region: str, group_name: str, stream_name: str, events: list[tuple[int, str]]
    ) -> dict:
        """PutLogEvents on a chronologically ordered batch: its rejected events, how many were
        accepted and the stream's next seq."""
        now = now_ms()
        with self.store.tx() as conn:
            group = self.find_group(conn, account, region, group_name)
            stream = self.find_stream(conn, group, stream_name)
            too_old = sum(1 for ts, _ in events if ts < now - MAX_PAST_MS)
            expired = too_old
            if group.retention_days is not None:
                expired = max(too_old, sum(1 for ts, _ in events if ts < now - group.retention_days * DAY_MS))
            too_new = next((i for i, (ts, _) in enumerate(events) if ts > now + MAX_FUTURE_MS), len(events))
            accepted = events[expired:too_new]
            next_seq = _insert(conn, group.id, stream.id, accepted, now) if accepted else stream.next_seq
        if accepted:
            self._notify(account, region, group_name, stream_name, stream.id, next_seq, accepted)
        rejected: dict = {}
        if too_new < len(events):
            rejected["tooNewLogEventStartIndex"] = too_new
        if too_old:
            rejected["tooOldLogEventEndIndex"] = too_old
        if expired > too_old:
            rejected["expiredLogEventEndIndex"] = expired
        return {"rejected": rejected, "accepted": len(accepted), "next_seq": next_seq}

    def append(self, account: str, region: str, group_name: str, stream_name: str, events) -> int:
        """Store events, creating the group and the stream on first use; one transaction."""
        batch = sorted(events, key=lambda e: e[0])
        if not batch:
            return 0
        now = now_ms()
        key = (account, region, group_name, stream_name)
        with self.store.tx() as conn:
            ids = self._ids.get(key)
            next_seq = None
            if ids is not None:
                try:
                    next_seq = _insert(conn, *ids, batch, now)
                except AWSError:  # deleted meanwhile (the failed update changed nothing): create anew
                    self._ids.pop(key, None)
                    ids = None
            if ids is None:
                ids = self._ensure_stream(conn, account, region, group_name, stream_name, now)
                next_seq = _insert(conn, *ids, batch, now)
                if len(self._ids) >= _ID_CACHE_SIZE:
                    self._ids.clear()
                self._ids[key] = ids
        self._notify(account, region, group_name, stream_name, ids[1], next_seq, batch)
        return len(batch)

    def _notify(self, account, region, group, stream, stream_id: int, next_seq: int, events) -> None:
        if self.listener is not None:
            self.listener(Stored(account, region, group, stream, stream_id, next_seq - len(events), events))

    def _ensure_stream(
        self, conn: Conn, account: str, region: str, group_name: str, stream_name: str, now: int
    ) -> tuple[int, int]:
        conn.execute(
            "INSERT INTO logs_groups (id, account, region, name, created, group_class)"
            " VALUES (?, ?, ?, ?, ?, 'STANDARD') ON CONFLICT (account, region, name) DO NOTHING",
            (_new_id(), account, region, group_name, now),
        )
        group = self.find_group(conn, account, region, group_name)
        conn.execute(
            "INSERT INTO logs_streams (id, group_id, name, created) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (group_id, name) DO NOTHING",
            (_new_id(), group.id, stream_name, now),
        )
        return group.id, self.find_stream(conn, group, stream_name).id

    def forget(self) -> None:
        """Drop cached ids (after the store was wiped)."""
        self._ids.clear()

    # -- reading events ------------------------------------------------------------------------

    def stream_id(self, account: str, region: str, group_name: str, stream_name: str) -> int:
        with self.store.read() as conn:
            return self.find_stream(conn, self.find_group(conn, account, region, group_name), stream_name).id

    def group(self, account: str, region: str, name: str) -> Group:
        with self.store.read() as conn:
            return self.find_group(conn, account, region, name)

    def read_stream(
        self,
        stream_id: int,
        *,
        forward: bool,
        boundary: tuple[int, int],
        start: int | None,
        end: int | None,
        limit: int,
    ) -> list[Event]:
        """Events of one stream at/after (forward) or before (backward) `boundary`, ascending.

        At most `limit` events and 1 MB; backward reads keep the ones nearest the boundary."""
        op, order = (">=", "") if forward else ("<", " DESC")
        with self.store.read() as conn:
            rows = conn.all(
                "SELECT ts, seq, ingest, message FROM logs_events WHERE stream_id = ?"
                f" AND (ts, seq) {op} (?, ?) AND ts >= ? AND ts < ?"
                f" ORDER BY ts{order}, seq{order} LIMIT ?",
                (stream_id, *boundary, start or 0, FAR_FUTURE if end is None else end, limit),
            )
        events = _cap_bytes([Event(stream_id, r[0], r[1], r[2], _text(r[3])) for r in rows])
        return events if forward else events[::-1]

    def streams_for_filter(
        self,
        group: Group,
        names: Sequence[str] | None,
        prefix: str | None,
        start: int | None,
        end: int | None,
    ) -> dict[int, str]:
        """Ids and names of the group's streams that may hold events in [start, end)."""
        with self.store.read() as conn:
            sql = "SELECT id, name FROM logs_streams WHERE group_id = ? AND first_ts IS NOT NULL"
            args: list = [group.id]
            if names is not None:
                sql += f" AND name IN ({', '.join('?' * len(names))})"
                args += names
            if prefix:
                sql += " AND name >= ? AND name < ?"
                args += prefix_bounds(prefix)
            if start is not None:
                sql += " AND last_ts >= ?"
                args.append(start)
            if end is not None:
                sql += " AND first_ts < ?"
                args.append(end)
            return dict(conn.all(sql, args))

    def scan(
        self,
        stream_ids: Sequence[int],
        *,
        descending: bool,
        after: tuple[int, int, int] | None,
        start: int | None,
        end: int | None,
    ) -> Iterator[Event]:
        """Events of several streams merged in (ts, stream, seq) order, strictly after `after`.

        Each stream is read by range scans of its primary key in growing chunks."""
        lo, hi = start or 0, FAR_FUTURE if end is None else end
        readers = []
        for sid in sorted(stream_ids):
            if after is None:
                bound = (hi, -1) if descending else (lo, -1)
            else:
                ts, after_sid, seq = after
                if sid == after_sid:
                    bound = (ts, seq)
                else:
                    # at timestamp ts, a lower stream id sorts before the position, a higher one after
                    bound = (ts, FAR_FUTURE) if sid < after_sid else (ts, -1)
            readers.append(self._read_chunks(sid, bound, lo, hi, descending))
        return heapq.merge(*readers, key=lambda e: (e.ts, e.stream_id, e.seq), reverse=descending)

    def _read_chunks(
        self, sid: int, bound: tuple[int, int], lo: int, hi: int, descending: bool
    ) -> Iterator[Event]:
        op, order = ("<", " DESC") if descending else (">", "")
        chunk = 64
        while True:
            with self.store.read() as conn:
                rows = conn.all(
                    "SELECT ts, seq, ingest, message FROM logs_events WHERE stream_id = ?"
                    f" AND (ts, seq) {op} (?, ?) AND ts >= ? AND ts < ? ORDER BY ts{order}, seq{order} LIMIT ?",
                    (sid, *bound, lo, hi, chunk),
                )
            for ts, seq, ingest, message in rows:
                yield Event(sid, ts, seq, ingest, _text(message))
            if len(rows) < chunk:
                return
            bound = (rows[-1][0], rows[-1][1])
            chunk = min(chunk * 4, 4096)

    # -- retention -----------------------------------------------------------------------------

    def sweep(self, now: int | None = None) -> int:
        """Delete events older than their group's retention; returns how many were deleted."""
        now = now_ms() if now is None else now
        with self.store.read() as conn:
            groups = conn.all("SELECT id, retention_days FROM logs_groups WHERE retention_days IS NOT NULL")
        deleted = 0
        for group_id, days in groups:
            cutoff = now - days * DAY_MS
            with self.store.tx() as conn:
                streams = conn.all(
                    "SELECT id FROM logs_streams WHERE group_id = ? AND first_ts < ?", (group_id, cutoff)
                )
                freed = 0
                for (stream_id,) in streams:
                    # sizes as deleted (not as counted before): exact when two nodes sweep at once
                    sizes = conn.all(
                        "DELETE FROM logs_events WHERE stream_id = ? AND ts < ? RETURNING size",
                        (stream_id, cutoff),
                    )
                    count, size = len(sizes), sum(r[0] for r in sizes)
                    conn.execute(
                        "UPDATE logs_streams SET stored_bytes = stored_bytes - ?,"
                        " first_ts = (SELECT MIN(ts) FROM logs_events WHERE stream_id = ?) WHERE id = ?",
                        (size, stream_id, stream_id),
                    )
                    deleted += count
                    freed += size
                if freed:
                    conn.execute(
                        "UPDATE logs_groups SET stored_bytes = stored_bytes - ? WHERE id = ?",
                        (freed, group_id),
                    )
        return deleted


def _text(message) -> str:
    return bytes(message).decode("utf-8", "replace")


def _cap_bytes(events: list[Event]) -> list[Event]:
    """The leading events that fit in one 1 MB response."""
    total = 0
    for i, event in enumerate(events):
        total += event.size
        if total > MAX_BYTES:
            return events[:i]
    return events


def _insert(conn: Conn, group_id: int, stream_id: int, events: list[tuple[int, str]], now: int) -> int:
    """Append a timestamp-sorted batch to a stream, account its size; returns the stream's next seq."""
    encoded = [(ts, message.encode()) for ts, message in events]
    size = sum(len(m) for _, m in encoded)
    first, last = encoded[0][0], encoded[-1][0]
    updated = conn.all(
        "UPDATE logs_streams SET next_seq = next_seq + ?, stored_bytes = stored_bytes + ?,"
        " first_ts = CASE WHEN first_ts IS NULL OR first_ts > ? THEN ? ELSE first_ts END,"
        " last_ts = CASE WHEN last_ts IS NULL OR last_ts < ? THEN ? ELSE last_ts END,"
        " last_ingest = ? WHERE id = ? RETURNING next_seq",
        (len(encoded), size, first, first, last, last, now, stream_id),
    )
    if not updated:  # deleted since it was looked up
        raise not_found("log stream")
    next_seq = updated[0][0]
    seq = next_seq - len(encoded)
    conn.executemany(
        "INSERT INTO logs_events (stream_id, ts, seq, ingest, size, message) VALUES (?, ?, ?, ?, ?, ?)",
        [(stream_id, ts, seq + i, now, len(m), m) for i, (ts, m) in enumerate(encoded)],
    )
    conn.execute("UPDATE logs_groups SET stored_bytes = stored_bytes + ? WHERE id = ?", (size, group_id))
    return next_seq
