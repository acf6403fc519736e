"""The store's read cache: kept for one writer (SQLite), bounded in time or off for shared stores."""

from __future__ import annotations

import time

from cloudlet.store.cache import ReadCache


class FakeStore:
    def __init__(self, blocking: bool) -> None:
        self.blocking = blocking


def test_on_a_single_writer_store_values_stay_until_invalidated() -> None:
    loads = []
    cache = ReadCache(FakeStore(blocking=False), shared_ttl=1.0)

    def load(value):
        def inner():
            loads.append(value)
            return value
        return inner

    assert cache.get(("a", 1), load("first")) == "first"
    assert cache.get(("a", 1), load("second")) == "first"
    cache.invalidate(("a", 1))
    assert cache.get(("a", 1), load("third")) == "third"
    assert cache.get(("b", 1), load("other")) == "other"
    cache.invalidate_where(lambda key: key[0] == "a")
    assert cache.get(("a", 1), load("fourth")) == "fourth"
    assert cache.get(("b", 1), load("unused")) == "other"
    assert cache.get(("missing",), lambda: None) is None
    assert cache.get(("missing",), load("now there")) == "now there"  # a miss is never remembered
    cache.clear()
    assert cache.get(("b", 1), load("after clear")) == "after clear"
    assert loads == ["first", "third", "other", "fourth", "now there", "after clear"]


def test_on_a_shared_store_entries_expire_and_a_zero_ttl_caches_nothing() -> None:
    cache = ReadCache(FakeStore(blocking=True), shared_ttl=0.2)
    assert cache.get("k", lambda: 1) == 1
    assert cache.get("k", lambda: 2) == 1
    time.sleep(0.25)
    assert cache.get("k", lambda: 3) == 3
    off = ReadCache(FakeStore(blocking=True))
    assert off.get("k", lambda: 1) == 1
    assert off.get("k", lambda: 2) == 2


def test_the_cache_is_bounded() -> None:
    cache = ReadCache(FakeStore(blocking=False), max_entries=3)
    for i in range(10):
        cache.get(i, lambda i=i: i)
    assert len(cache._entries) <= 3


def test_a_value_read_inside_a_write_transaction_is_served_but_not_kept() -> None:
    cache = ReadCache(FakeStore(blocking=False))
    assert cache.get("k", lambda: "uncommitted", remember=False) == "uncommitted"
    assert cache.get("k", lambda: "committed") == "committed"
    assert cache.get("k", lambda: "unused", remember=False) == "committed"


def test_sqlite_connections_stop_filling_a_cache_their_transaction_changed(tmp_path) -> None:
    from cloudlet.store.sqlite import SqliteStore

    store = SqliteStore(tmp_path)
    with store.read() as conn:
        cache, fill = conn.read_cache("things")
        assert fill
    cache.get("k", lambda: "committed")
    try:
        with store.tx() as conn:
            assert conn.read_cache("things") == (cache, True)
            conn.forget_cached("things", "k")
            assert conn.read_cache("things") == (cache, False)
            assert cache.get("k", lambda: "uncommitted", remember=False) == "uncommitted"
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    with store.tx() as conn:  # a new transaction may fill it again
        assert conn.read_cache("things") == (cache, True)
    assert cache.get("k", lambda: "reloaded") == "reloaded"
    store.reset()  # a reset forgets everything cached
    assert cache.get("k", lambda: "after reset") == "after reset"
    store.close()
