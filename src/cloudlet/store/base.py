"""The store interface shared by both backends.

SQL is written once with '?' placeholders and portable types (TEXT, BIGINT, DOUBLE PRECISION,
BLOB); the PostgreSQL backend translates placeholders and BLOB to BYTEA. Each service owns its
tables (named with its prefix) and registers its ordered migrations under its own name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudlet.store.cache import ReadCache

Migration = str | Callable[["Conn"], None]


class Conn(ABC):
    """A connection inside a transaction (or autocommit for reads)."""

    dialect: str
    depth: int = 0  # how many tx() blocks this connection is inside

    @contextmanager
    def joined(self) -> Iterator[Conn]:
        """A tx() inside the transaction already open on this connection: it joins that one."""
        self.depth += 1
        try:
            yield self
        finally:
            self.depth -= 1

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; returns a DB-API cursor."""

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] = (), default: Any = None) -> Any:
        row = self.execute(sql, params).fetchone()
        return default if row is None else row[0]

    def read_cache(self, name: str) -> tuple[ReadCache, bool] | None:
        """The store's cache called `name` and whether this connection may fill it (not after its
        transaction changed what the cache holds: those reads see uncommitted rows); None where
        nothing can be cached."""
        return None

    def forget_cached(self, name: str, key: Any) -> None:
        """Drop `key` from the store's cache `name` because this connection is changing it."""
        return None


class Store(ABC):
    kind: str = ""
    # True when a call may block on the network: operations then run in worker threads.
    blocking: bool = False

    @abstractmethod
    def tx(self) -> AbstractContextManager[Conn]:
        """A read-write transaction: committed on exit, rolled back on an exception.

        Nested use in one thread joins the outer transaction."""

    @abstractmethod
    def read(self) -> AbstractContextManager[Conn]:
        """A connection for reads that need no transaction."""

    def write_one(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement as a transaction of its own (or as part of this thread's current one).

        Outside a transaction both backends' connections autocommit, so this saves the BEGIN and
        COMMIT statements a one-statement `tx()` would add."""
        with self.read() as conn:
            conn.execute(sql, params)

    @abstractmethod
    def tables(self) -> list[str]:
        """The names of all tables the services created."""

    @abstractmethod
    def close(self) -> None: ...

    def migrate(self, owner: str, migrations: Sequence[Migration]) -> None:
        """Apply the migrations of `owner` not applied yet, in order, each in its own transaction."""
        with self.tx() as conn:
            self._lock_migrations(conn)
            conn.execute(
                "CREATE TABLE IF NOT EXISTS cloudlet_migrations ("
                " owner TEXT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (owner, version))"
            )
            done = {
                row[0]
                for row in conn.all("SELECT version FROM cloudlet_migrations WHERE owner = ?", (owner,))
            }
            for version, step in enumerate(migrations, 1):
                if version in done:
                    continue
                if callable(step):
                    step(conn)
                else:
                    for statement in _statements(step):
                        conn.execute(self.translate_ddl(statement))
                conn.execute(
                    "INSERT INTO cloudlet_migrations (owner, version) VALUES (?, ?)", (owner, version)
                )

    def _lock_migrations(self, conn: Conn) -> None:
        """Serialize migrations across processes (a no-op where the transaction already does)."""
        return None

    def translate_ddl(self, statement: str) -> str:
        return statement

    def reset(self) -> None:
        """Delete every row of every service table (keeps the schema)."""
        with self.tx() as conn:
            for table in self.tables():
                if table != "cloudlet_migrations":
                    conn.execute(f'DELETE FROM "{table}"')


def _statements(script: str) -> Iterator[str]:
    for statement in script.split(";"):
        if statement.strip():
            yield statement.strip()
