"""Delivering the events subscription filters match to Lambda functions.

Matching events are gathered per (group, stream, filter) for a short window (`window_s`, config
`logs_subscription_window_s`, default 1 s), then sent as one Event invocation per batch through
the Lambda service's Invoke operation, so its durable queue, retries and destinations apply.
The payload is what CloudWatch Logs sends: {"awslogs": {"data": base64(gzip(JSON))}} with the
JSON {messageType: "DATA_MESSAGE", owner, logGroup, logStream, subscriptionFilters: [name],
logEvents: [{id, timestamp, message}]}. Events waiting in the window live in memory only.

Loops: a function whose own log group (directly or through other subscriptions) feeds its
subscription would run forever. Each delivery is one link of a chain: when a delivery goes to a
function, the function's log group is marked with the link's number for `chain_window_s`
(default 60 s); events written to a marked group continue that chain. A delivery that would be
link number `max_chain + 1` (default 16, as Lambda's recursive loop detection counts) is
dropped with a warning instead; 0 turns the guard off.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import orjson

from cloudlet.aws.context import RequestContext
from cloudlet.aws.errors import AWSError
from cloudlet.aws.ids import request_id as new_request_id
from cloudlet.services.logs.engine import Stored, event_id
from cloudlet.services.logs.subscriptions import Active

log = logging.getLogger("cloudlet.logs")

MAX_BATCH_BYTES = 256 * 1024  # message bytes per invocation (the payload is smaller: gzip)
MAX_BATCH_EVENTS = 10_000

# (account, region, group, stream, filter name, destination ARN)
Key = tuple[str, str, str, str, str, str]


@dataclass
class _Batch:
    depth: int = 0  # the chain link the batch's events belong to (0: not written by a delivery)
    events: list[dict] = field(default_factory=list)


class Delivery:
    def __init__(self, platform, window_s: float = 1.0, max_chain: int = 16, chain_window_s: float = 60.0) -> None:
        self.platform = platform
        self.window_s = window_s
        self.max_chain = max_chain
        self.chain_window_s = chain_window_s
        self._pending: dict[Key, _Batch] = {}
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task] = set()
        self._chains: dict[tuple[str, str, str], tuple[int, float]] = {}  # log group -> (link, when marked)

    # -- intake (any thread) -------------------------------------------------------------------

    def stored(self, stored: Stored, filters: tuple[Active, ...]) -> None:
        """Queue the events of `stored` that `filters` match; callable from any thread."""
        matched = []
        for flt in filters:
            events = [
                {"id": event_id(ts, stored.stream_id, stored.first_seq + i), "timestamp": ts, "message": message}
                for i, (ts, message) in enumerate(stored.events)
                if flt.matches(message)
            ]
            if events:
                key = (stored.account, stored.region, stored.group, stored.stream, flt.name, flt.destination)
                matched.append((key, events))
        if not matched:
            return
        loop = self.platform.loop
        if loop is None:
            return
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._add(matched)
        else:
            loop.call_soon_threadsafe(self._add, matched)

    def _add(self, matched: list[tuple[Key, list[dict]]]) -> None:
        for key, events in matched:
            batch = self._pending.get(key)
            if batch is None:
                batch = self._pending[key] = _Batch()
                self._timers[key] = self.platform.loop.call_later(self.window_s, self._flush, key)
            batch.depth = max(batch.depth, self._link(key[0], key[1], key[2]))
            batch.events += events

    def _link(self, account: str, region: str, group: str) -> int:
        marked = self._chains.get((account, region, group))
        if marked is None:
            return 0
        if time.monotonic() - marked[1] > self.chain_window_s:
            del self._chains[(account, region, group)]
            return 0
        return marked[0]

    # -- sending (the event loop) --------------------------------------------------------------

    def _flush(self, key: Key) -> None:
        self._timers.pop(key, None)
        batch = self._pending.pop(key, None)
        if batch is None:
            return
        task = self.platform.loop.create_task(self._send(key, batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, key: Key, batch: _Batch) -> None:
        account, region, group, stream, name, destination = key
        link = batch.depth + 1
        if self.max_chain and link > self.max_chain:
            log.warning(
                "subscription filter %s of log group %s: %d events not sent to %s, a delivery loop reached"
                " %d invocations",
                name, group, len(batch.events), destination, self.max_chain,
            )
            return
        try:
            lam = await self.platform.service("lambda")
            target = await self._function_group(lam, account, region, destination)
            if target is not None:
                marked = self._link(account, region, target)
                self._chains[(account, region, target)] = (max(marked, link), time.monotonic())
            for events in _chunks(batch.events):
                document = {
                    "messageType": "DATA_MESSAGE",
                    "owner": account,
                    "logGroup": group,
                    "logStream": stream,
                    "subscriptionFilters": [name],
                    "logEvents": events,
                }
                data = base64.b64encode(gzip.compress(orjson.dumps(document))).decode()
                ctx = RequestContext(account, region, new_request_id(), service="lambda", operation="Invoke")
                params = {
                    "FunctionName": destination,
                    "InvocationType": "Event",
                    "Payload": orjson.dumps({"awslogs": {"data": data}}),
                }
                await lam.invoke(ctx, params)
        except AWSError as exc:
            log.warning("subscription filter %s of log group %s: delivery to %s failed: %s",
                        name, group, destination, exc.message)
        except Exception:
            log.exception("subscription filter %s of log group %s: delivery to %s", name, group, destination)

    async def _function_group(self, lam, account: str, region: str, function_arn: str) -> str | None:
        """The log group the destination function writes to (None when it is gone)."""
        ctx = RequestContext(account, region, new_request_id(), service="lambda", operation="GetFunctionConfiguration")
        try:
            config = await self.platform.run_sync(lam.get_function_configuration, ctx, {"FunctionName": function_arn})
        except AWSError:
            return None
        return (config.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{config['FunctionName']}"

    # -- lifecycle -----------------------------------------------------------------------------

    def forget(self) -> None:
        """Drop what is waiting (after a platform reset)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._pending.clear()
        self._chains.clear()

    async def stop(self) -> None:
        self.forget()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _chunks(events: list[dict]) -> Iterator[list[dict]]:
    """Events in batches of at most MAX_BATCH_BYTES message bytes and MAX_BATCH_EVENTS events."""
    chunk: list[dict] = []
    size = 0
    for event in events:
        length = len(event["message"].encode())
        if chunk and (size + length > MAX_BATCH_BYTES or len(chunk) == MAX_BATCH_EVENTS):
            yield chunk
            chunk, size = [], 0
        chunk.append(event)
        size += length
    if chunk:
        yield chunk
