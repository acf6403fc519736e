"""Which of DynamoDB's two validation layers words a request's value errors.

PutItem, UpdateItem, DeleteItem, GetItem, BatchGetItem and Query answer in the current layer;
BatchWriteItem, the transaction operations and Scan in the older one, which shows a set's duplicate
members as sent, an empty number without its colon and a bad expression value inside an
"ExpressionAttributeValues contains invalid value" wrapper."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_OLDER: ContextVar[bool] = ContextVar("ddb_older_value_wording", default=False)


@contextmanager
def older() -> Iterator[None]:
    """Word value errors raised inside the block as the older layer does."""
    token = _OLDER.set(True)
    try:
        yield
    finally:
        _OLDER.reset(token)


def is_older() -> bool:
    return _OLDER.get()
