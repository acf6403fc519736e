"""A cache of values read from the store, sound for a single writer and bounded in time for many.

With SQLite one process owns the data: an entry lives until this process changes the value and
invalidates it. Nodes sharing PostgreSQL see each other's writes only through the store, so there
an entry lives `shared_ttl` seconds (0 turns the cache off).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cloudlet.store.base import Store

V = TypeVar("V")


class ReadCache(Generic[V]):
    def __init__(self, store: Store, shared_ttl: float = 0.0, max_entries: int = 10_000) -> None:
        self.ttl = shared_ttl if store.blocking else float("inf")
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[V, float]] = {}

    def get(self, key: Hashable, load: Callable[[], V | None], remember: bool = True) -> V | None:
        """The cached value of `key`, else `load()`, kept unless `remember` is false (a missing
        value, None, is never kept)."""
        hit = self._entries.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[1] < self.ttl:
            return hit[0]
        value = load()
        if value is None or self.ttl <= 0 or not remember:
            self._entries.pop(key, None)
            return value
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (value, now)
        return value

    def invalidate(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def invalidate_where(self, stale: Callable[[Hashable], bool]) -> None:
        """Drop every entry whose key `stale` accepts."""
        for key in [k for k in self._entries if stale(k)]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()
