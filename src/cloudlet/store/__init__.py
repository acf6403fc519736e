"""Persistence: one interface, an SQLite backend (default) and a PostgreSQL backend."""

from __future__ import annotations

from cloudlet.store.base import Conn, Store


def open_store(url: str, data_dir) -> Store:
    """Open the store a --store setting names: 'sqlite' or a postgresql:// URL."""
    if url.startswith(("postgresql://", "postgres://")):
        from cloudlet.store.postgres import PostgresStore

        return PostgresStore(url)
    from cloudlet.store.sqlite import SqliteStore

    return SqliteStore(data_dir)


__all__ = ["Conn", "Store", "open_store"]
