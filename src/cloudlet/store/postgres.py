"""The PostgreSQL store: psycopg 3 with a connection pool, for several cloudlet nodes on one state."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from cloudlet.store.base import Conn, Store

_MIGRATION_LOCK_KEY = 0x636C6F75  # "clou"
_BYTEWISE_COLLATIONS = ("C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic")

log = logging.getLogger("cloudlet.store")


@lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """'?' placeholders to psycopg's '%s' (escaping literal '%')."""
    return sql.replace("%", "%%").replace("?", "%s")


def database_collation(url: str) -> str | None:
    """The database's collation when it does not sort text bytewise (None when it does)."""
    with psycopg.connect(url) as raw:
        row = raw.execute("SELECT * FROM pg_database WHERE datname = current_database()").fetchone()
        names = [c.name for c in raw.execute("SELECT * FROM pg_database LIMIT 0").description]
    settings = dict(zip(names, row, strict=True))
    if settings.get("datlocprovider") == "i":  # ICU (PostgreSQL 15+): never bytewise
        return f"ICU {settings.get('daticulocale') or settings.get('datlocale')}"
    collation = settings["datcollate"]
    return None if collation in _BYTEWISE_COLLATIONS else collation


class PostgresConn(Conn):
    dialect = "postgresql"

    def __init__(self, raw: psycopg.Connection) -> None:
        self.raw = raw
        self.depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        return self.raw.execute(translate(sql), params or None, prepare=None)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.raw.cursor() as cur:
            cur.executemany(translate(sql), rows)


class PostgresStore(Store):
    kind = "postgresql"
    blocking = True

    def __init__(self, url: str, min_size: int = 2, max_size: int = 16) -> None:
        self.url = url
        self.pool = ConnectionPool(
            url, min_size=min_size, max_size=max_size, kwargs={"autocommit": True}, open=True
        )
        self.pool.wait(timeout=30)
        self._local = threading.local()
        self._check_collation()

    def _check_collation(self) -> None:
        """AWS lists names (tables, queues, log groups) in byte order; text sorts by the database's
        collation, so anything but a bytewise one lists them in another order."""
        collation = database_collation(self.url)
        if collation is not None:
            log.warning("database collation is %s: names will be listed in its order, not in the byte "
                        "order AWS uses; create the database with LC_COLLATE 'C' (or C.UTF-8)", collation)

    @contextmanager
    def _pinned(self) -> Iterator[PostgresConn]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with self.pool.connection() as raw:
            conn = self._local.conn = PostgresConn(raw)
            try:
                yield conn
            finally:
                self._local.conn = None

    @contextmanager
    def tx(self) -> Iterator[PostgresConn]:
        with self._pinned() as conn:
            if conn.depth:
                with conn.joined():
                    yield conn
                return
            conn.depth = 1
            try:
                with conn.raw.transaction():
                    yield conn
            finally:
                conn.depth = 0

    @contextmanager
    def read(self) -> Iterator[PostgresConn]:
        with self._pinned() as conn:
            yield conn

    def _lock_migrations(self, conn: Conn) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK_KEY,))

    def translate_ddl(self, statement: str) -> str:
        return re.sub(r"\bBLOB\b", "BYTEA", statement)

    def tables(self) -> list[str]:
        with self.read() as conn:
            rows = conn.all("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return [r[0] for r in rows]

    def reset(self) -> None:
        tables = [t for t in self.tables() if t != "cloudlet_migrations"]
        if not tables:
            return
        statement = "TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
        for attempt in range(10):
            try:
                with self.tx() as conn:
                    # background duties may hold row locks; wait for them briefly rather than fail
                    conn.execute("SET LOCAL lock_timeout = '5s'")
                    conn.execute(statement)
                return
            except (psycopg.errors.DeadlockDetected, psycopg.errors.LockNotAvailable):
                if attempt == 9:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def close(self) -> None:
        self.pool.close()
