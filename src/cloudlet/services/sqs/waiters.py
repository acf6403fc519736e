"""Wake-ups for long polling: receivers wait on a future per queue, senders resolve them.

Senders may run in worker threads (PostgreSQL store), so they wake receivers through the loop.
Other nodes' sends are not seen here: receivers also wake at least every `poll_interval`.
"""

from __future__ import annotations

import asyncio
import threading


class Waiters:
    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._waiting: dict[int, set[asyncio.Future]] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._thread = threading.get_ident()

    def register(self, qid: int) -> asyncio.Future:
        future = self.loop.create_future()  # type: ignore[union-attr]
        self._waiting.setdefault(qid, set()).add(future)
        return future

    def unregister(self, qid: int, future: asyncio.Future) -> None:
        waiting = self._waiting.get(qid)
        if waiting is not None:
            waiting.discard(future)
            if not waiting:
                del self._waiting[qid]

    def notify(self, qid: int) -> None:
        """Wake every receiver waiting on a queue (callable from any thread)."""
        if qid not in self._waiting:
            return
        if threading.get_ident() == self._thread:
            self._wake(qid)
        elif self.loop is not None:
            self.loop.call_soon_threadsafe(self._wake, qid)

    def _wake(self, qid: int) -> None:
        for future in self._waiting.pop(qid, ()):
            if not future.done():
                future.set_result(None)
