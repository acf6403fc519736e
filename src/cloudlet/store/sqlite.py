"""The embedded SQLite store: one WAL database file in the data directory, a connection per thread.

The file is opened through SQLite's `unix-excl` VFS where it exists: this process holds an
exclusive lock on it for as long as the store is open, so the connections of this process
coordinate in memory (no file-lock system calls per transaction, the WAL index on the heap), and
another process cannot open the same data directory at all. The store's read caches rely on that:
one process owns an SQLite store.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cloudlet.store.base import Conn, Store
from cloudlet.store.cache import ReadCache


class StoreInUse(RuntimeError):
    """The SQLite file is held by another process."""


class SqliteConn(Conn):
    dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection, caches: dict[str, ReadCache]) -> None:
        self.raw = raw
        self.depth = 0
        self._caches = caches
        self.changed: set[str] = set()  # caches whose values this transaction changed

    # `SqliteStore.read()` hands out the connection itself: a read needs no setup or teardown
    # (autocommit, or the transaction already open), so no generator runs per read.
    def __enter__(self) -> SqliteConn:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def read_cache(self, name: str) -> tuple[ReadCache, bool]:
        # One process owns an SQLite store, so what it committed stays true until it changes it.
        return self._caches[name], name not in self.changed

    def forget_cached(self, name: str, key) -> None:
        self._caches[name].invalidate(key)
        if self.depth:
            self.changed.add(name)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.raw.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.raw.executemany(sql, rows)


class SqliteStore(Store):
    kind = "sqlite"
    blocking = False

    def __init__(self, data_dir: str | Path, filename: str = "cloudlet.db") -> None:
        path = Path(data_dir)
        path.mkdir(parents=True, exist_ok=True)
        self.path = path / filename
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._caches: dict[str, ReadCache] = defaultdict(lambda: ReadCache(self))
        self._uri = self._choose_uri()
        self._holder = self._open(probe=True)  # holds the file's lock while the store is open

    def _choose_uri(self) -> str:
        base = "file:" + quote(str(self.path.resolve()))
        try:
            sqlite3.connect(f"{base}?vfs=unix-excl", uri=True).close()
        except sqlite3.OperationalError:  # no such VFS on this platform: shared file locks
            return base
        return f"{base}?vfs=unix-excl"

    def _open(self, probe: bool = False) -> sqlite3.Connection:
        raw = sqlite3.connect(self._uri, uri=True, isolation_level=None, check_same_thread=False,
                              timeout=1 if probe else 30)
        try:
            raw.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            raw.close()
            if probe and "locked" in str(exc):
                raise StoreInUse(f"the data directory {self.path.parent} is in use by another process "
                                 "(another cloudlet?); stop it or choose another --data-dir") from None
            raise
        # NORMAL keeps every committed transaction across a crash of the process (kill -9);
        # only a power loss can take the last ones, as the WAL is not fsynced per commit.
        raw.execute("PRAGMA synchronous=NORMAL")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("PRAGMA busy_timeout=30000")
        with self._lock:
            self._all.append(raw)
        return raw

    def _conn(self) -> SqliteConn:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = SqliteConn(self._open(), self._caches)
        return conn

    @contextmanager
    def tx(self) -> Iterator[SqliteConn]:
        conn = self._conn()
        if conn.depth:
            with conn.joined():
                yield conn
            return
        conn.raw.execute("BEGIN IMMEDIATE")
        conn.depth = 1
        try:
            yield conn
        except BaseException:
            conn.depth = 0
            conn.changed.clear()
            conn.raw.execute("ROLLBACK")
            raise
        conn.depth = 0
        conn.changed.clear()
        conn.raw.execute("COMMIT")

    def read(self) -> SqliteConn:
        return self._conn()

    def reset(self) -> None:
        super().reset()
        for cache in self._caches.values():
            cache.clear()

    def tables(self) -> list[str]:
        with self.read() as conn:
            rows = conn.all(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        return [r[0] for r in rows]

    def close(self) -> None:
        with self._lock:
            for raw in self._all:
                try:
                    raw.close()
                except sqlite3.ProgrammingError:
                    pass
            self._all.clear()
        self._local = threading.local()
