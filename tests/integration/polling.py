"""Timing in tests that must hold on a busy machine: poll until something happens, and check that a
test acted inside a phase it needs, so a slow machine fails as "too slow", not as wrong behaviour."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 15.0, interval: float = 0.05, what: str = "") -> T:
    """Poll until predicate() returns something truthy; returns it (AssertionError on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'condition'} not met within {timeout} s (last: {value!r})")
        time.sleep(interval)


class Window:
    """A phase of `seconds` starting now, which the test's calls must land inside.

    To check calls came before a phase ended, start the window just before what opens the phase;
    to sleep until a phase is surely over, start it just after."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def check(self, what: str) -> None:
        """Fail as "machine too slow" if the phase is over (checked after the calls that needed it)."""
        elapsed = self.elapsed()
        assert elapsed < self.seconds, (
            f"machine too slow: {what} took {elapsed:.2f} s, longer than the {self.seconds} s phase the test needs")

    @contextmanager
    def inside(self, what: str) -> Iterator[None]:
        """Run a block that must end inside the phase; past it, "machine too slow" replaces whatever
        the block raised (a call that came too late may fail in any way)."""
        try:
            yield
        finally:
            self.check(what)

    def sleep_past(self, seconds: float | None = None, margin: float = 0.1) -> None:
        """Sleep until the phase (or `seconds` from its start) is over, plus a margin: past anything
        that began before the window did."""
        end = self.seconds if seconds is None else seconds
        time.sleep(max(0.0, end + margin - self.elapsed()))
