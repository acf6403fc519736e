"""The base class of a service: operations are methods named like boto3's (snake_case)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING

from botocore import xform_name
from botocore.model import OperationModel

from cloudlet.aws.validate import validate_input

if TYPE_CHECKING:
    from cloudlet.platform import Platform


class Service:
    """A service's operations. Each takes (ctx, params) and returns the output dict.

    An operation may be a coroutine function (for example to long-poll). Plain functions run on
    the event loop with the SQLite store and in a worker thread with the PostgreSQL store.
    """

    name: str = ""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.store = platform.store

    def handler(self, operation: str):
        """The method serving an operation, or None when it is not implemented."""
        return getattr(self, xform_name(operation), None)

    def prepare(self, ctx, op: OperationModel, params: dict) -> None:
        """Complete parsed input from the request itself before it is validated (default: nothing)."""

    def validate(self, op: OperationModel, params: dict) -> None:
        """Check input against the model; services override this to answer with their own errors."""
        validate_input(op, params)

    async def start(self) -> None:
        """Start background work (called once, on the event loop, when the service loads)."""

    async def stop(self) -> None:
        """Stop background work."""

    def reset(self) -> None:
        """Forget in-memory state after the store was wiped."""

    def replace_task_soon(self, attribute: str, work: Callable[[], Coroutine]) -> None:
        """Cancel the background task kept in `attribute` and start `work()` there (from any thread)."""
        loop = self.platform.loop

        def restart() -> None:
            task = getattr(self, attribute, None)
            if task:
                task.cancel()
            setattr(self, attribute, loop.create_task(work()))

        loop.call_soon_threadsafe(restart)
