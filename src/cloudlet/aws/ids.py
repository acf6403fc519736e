"""Identifiers in the shapes AWS uses.

Request and message ids are minted on every hot path, so they are cheap: a random per-process
prefix in UUID version-4 form with a counter in its last 48 bits. They are unique (76 random bits
tell processes and restarts apart, the counter tells ids of one process apart), but unlike
uuid4 they are not unpredictable: use `random_uuid` wherever an id must not be guessable.
"""

from __future__ import annotations

import itertools
import os
import uuid


def _head() -> str:
    p = os.urandom(10).hex()
    return f"{p[:8]}-{p[8:12]}-4{p[12:15]}-{'89ab'[int(p[15], 16) & 3]}{p[16:19]}-"


_HEAD = _head()
_counter = itertools.count(int.from_bytes(os.urandom(4), "big"))


def unique_id() -> str:
    """A unique id in UUID form (cheap; not unpredictable)."""
    return _HEAD + format(next(_counter) & 0xFFFFFFFFFFFF, "012x")


def request_id() -> str:
    return unique_id()


def random_uuid() -> str:
    """A random version-4 UUID (for ids that must not be guessable)."""
    return str(uuid.uuid4())


def new_uuid() -> str:
    return unique_id()


def hex_id(nbytes: int = 16) -> str:
    return os.urandom(nbytes).hex()


def _reseed_after_fork() -> None:
    global _HEAD
    _HEAD = _head()


os.register_at_fork(after_in_child=_reseed_after_fork)
