"""Asynchronous invocations: queued durably (table lambda_async), retried, then sent to destinations.

An Event invocation is a row; a worker started with the service leases due rows and runs them.
A function error is retried MaximumRetryAttempts times (default 2) after the configured delays
(Lambda: about 1 and 2 minutes); a throttled attempt is retried without counting (with reserved
concurrency 0 the event fails at once, condition ZeroReservedConcurrency); an event older than
MaximumEventAgeInSeconds is dropped (at once when its next retry would come later than that). Then the OnSuccess / OnFailure destination gets
Lambda's invocation record, and on failure the function's dead-letter queue gets the event.
Rows survive restarts and crashes. A node renews the leases of the rows it is running every
LEASE_S / 3, so a row whose node died is taken again within LEASE_S; on SQLite, where one process
owns the store, a starting node frees every lease at once (whoever held them is gone).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import orjson

from cloudlet.aws.context import RequestContext
from cloudlet.aws.ids import request_id as new_request_id
from cloudlet.compute.errors import Throttled
from cloudlet.compute.model import InvocationMeta
from cloudlet.services.lambda_.registry import LATEST, Ref

log = logging.getLogger("cloudlet.lambda")

DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE_S = 21600
LEASE_S = 60.0  # renewed while the invocation runs


class AsyncQueue:
    def __init__(self, service) -> None:
        self.service = service
        self.store = service.store
        extra = service.platform.config.extra
        self.delays = [float(d) for d in extra.get("lambda_async_retry_delays", (60.0, 120.0))]
        self.throttle_delay = float(extra.get("lambda_async_throttle_delay_s", 1.0))
        self.poll_s = float(extra.get("lambda_async_poll_s", 1.0))
        self.parallel = int(extra.get("lambda_async_parallel", 64))
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._running: set[asyncio.Task] = set()
        self._leased: set[str] = set()  # ids of the rows this node is running
        self._renewed = 0.0

    def enqueue(self, ref: Ref, qualifier: str, payload: bytes, request_id: str) -> None:
        """Store an Event invocation (blocking: call through run_sync)."""
        now = time.time()
        with self.store.tx() as conn:
            conn.execute("INSERT INTO lambda_async (id, account_id, region, function_name, qualifier, payload, "
                         "attempts, next_at, created_at, lease_until) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, 0)",
                         (request_id, ref.account_id, ref.region, ref.name, qualifier, payload, now, now))

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        if not self.store.blocking:  # SQLite: this process owns the store, no lease is held
            await self.service.platform.run_sync(self._free_leases)
        self._task = asyncio.get_running_loop().create_task(self._loop())

    def _free_leases(self) -> None:
        with self.store.tx() as conn:
            conn.execute("UPDATE lambda_async SET lease_until = 0 WHERE lease_until > 0")

    def _renew(self, ids: list[str]) -> None:
        until = time.time() + LEASE_S
        with self.store.tx() as conn:
            for row_id in ids:
                # a row set for a retry (lease 0) stays free: only a held lease is extended
                conn.execute("UPDATE lambda_async SET lease_until = ? WHERE id = ? AND lease_until > 0",
                             (until, row_id))

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._running) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
            except TimeoutError:
                pass
            self._wake.clear()
            if self._leased and time.monotonic() - self._renewed >= LEASE_S / 3:
                try:
                    await self.service.platform.run_sync(self._renew, sorted(self._leased))
                    self._renewed = time.monotonic()
                except Exception:
                    log.exception("renewing the leases of async invocations")
            try:
                rows = await self.service.platform.run_sync(self._lease, self.parallel - len(self._running))
            except Exception:
                log.exception("leasing async invocations")
                continue
            if rows and not self._leased:
                self._renewed = time.monotonic()
            for row in rows:
                task = asyncio.get_running_loop().create_task(self._attempt(*row))
                self._running.add(task)
                self._leased.add(row[0])
                task.add_done_callback(lambda t, row_id=row[0]: self._done(t, row_id))

    def _done(self, task: asyncio.Task, row_id: str) -> None:
        self._running.discard(task)
        self._leased.discard(row_id)
        self._wake.set()

    def _lease(self, limit: int) -> list[tuple]:
        if limit <= 0:
            return []
        now = time.time()
        with self.store.tx() as conn:
            rows = conn.all("SELECT id, account_id, region, function_name, qualifier, payload, attempts, created_at "
                            "FROM lambda_async WHERE next_at <= ? AND lease_until <= ? ORDER BY next_at LIMIT ?",
                            (now, now, limit))
            # Only the node whose conditional update lands runs a row (nodes sharing PostgreSQL).
            return [row for row in rows if conn.execute(
                "UPDATE lambda_async SET lease_until = ? WHERE id = ? AND lease_until <= ?",
                (now + LEASE_S, row[0], now)).rowcount == 1]

    def _finish(self, row_id: str) -> None:
        with self.store.tx() as conn:
            conn.execute("DELETE FROM lambda_async WHERE id = ?", (row_id,))

    def _retry_at(self, row_id: str, attempts: int, when: float) -> None:
        with self.store.tx() as conn:
            conn.execute("UPDATE lambda_async SET attempts = ?, next_at = ?, lease_until = 0 WHERE id = ?",
                         (attempts, when, row_id))

    async def _attempt(self, row_id, account_id, region, name, qualifier, payload, attempts, created_at) -> None:
        service = self.service
        run = service.platform.run_sync
        ref = Ref(account_id, region, name, qualifier)
        payload = bytes(payload)
        try:
            meta = service.registry.meta(ref)
        except Exception:
            await run(self._finish, row_id)  # the function is gone: so are its events
            return
        settings = meta.get("event_invoke", {}).get(qualifier, {})
        retries = settings.get("MaximumRetryAttempts", DEFAULT_RETRIES)
        max_age = settings.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_S)
        record = _Record(row_id, ref, qualifier, payload)
        if time.time() - created_at > max_age:
            await run(self._finish, row_id)
            await self._failed(ref, settings, record, "EventAgeExceeded", attempts, None)
            return
        try:
            doc, _ = await service.resolve(ref)
            config = await service.runner.config_for(ref, doc)
            meta_in = InvocationMeta(request_id=row_id, invoked_function_arn=ref.qualified_arn(
                None if qualifier == LATEST else qualifier))
            result = await service.runner.invoke(config, payload, meta_in)
        except Throttled:
            if meta.get("reserved") == 0:  # can never run: Lambda fails the event at once, unrun
                await run(self._finish, row_id)
                await self._failed(ref, settings, record, "ZeroReservedConcurrency", attempts, None)
                return
            await run(self._retry_at, row_id, attempts, time.time() + self.throttle_delay)
            return
        except Exception:
            log.exception("async invocation %s of %s", row_id, name)
            result = None
        attempts += 1
        if result is not None and result.function_error is None:
            await run(self._finish, row_id)
            await self._deliver(ref, settings, "OnSuccess", record.document("Success", attempts, result))
            return
        if attempts <= retries:
            delay = self.delays[min(attempts - 1, len(self.delays) - 1)] if self.delays else 0.0
            if time.time() + delay - created_at > max_age:  # too old by the retry: Lambda gives up now
                await run(self._finish, row_id)
                await self._failed(ref, settings, record, "EventAgeExceeded", attempts, result)
                return
            await run(self._retry_at, row_id, attempts, time.time() + delay)
            return
        await run(self._finish, row_id)
        await self._failed(ref, settings, record, "RetriesExhausted", attempts, result)

    async def _failed(self, ref: Ref, settings: dict, record: _Record, condition: str, attempts: int, result) -> None:
        await self._deliver(ref, settings, "OnFailure", record.document(condition, attempts, result))
        doc = self.service.registry.get_version(ref)
        target = ((doc or {}).get("DeadLetterConfig") or {}).get("TargetArn")
        if target:
            error = result.payload if result is not None else b"{}"
            try:
                parsed = orjson.loads(error)
            except ValueError:
                parsed = {}
            attributes = {
                "RequestID": {"DataType": "String", "StringValue": record.request_id},
                "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                "ErrorMessage": {"DataType": "String", "StringValue": str(parsed.get("errorMessage", condition))},
            }
            await self.send(target, record.payload.decode("utf-8", "replace"), attributes, ref)

    async def _deliver(self, ref: Ref, settings: dict, which: str, document: dict) -> None:
        target = ((settings.get("DestinationConfig") or {}).get(which) or {}).get("Destination")
        if target:
            await self.send(target, orjson.dumps(document).decode(), None, ref)

    async def send(self, target: str, body: str, attributes: dict | None, ref: Ref) -> None:
        """Deliver to an SQS queue or (asynchronously) to a Lambda function; others are logged."""
        parts = target.split(":")
        try:
            if len(parts) >= 6 and parts[2] == "lambda":
                dest = self.service.parse(RequestContext(ref.account_id, ref.region, ""), target)
                await self.service.platform.run_sync(self.enqueue, dest, dest.qualifier or LATEST, body.encode(),
                                                     new_request_id())
                self.wake()
            elif len(parts) >= 6 and parts[2] == "sqs":
                sqs = await self.service.platform.service("sqs")
                if not hasattr(sqs, "send_message"):
                    log.warning("destination %s: the SQS service cannot accept messages yet", target)
                    return
                ctx = RequestContext(parts[4], parts[3], new_request_id(), service="sqs", operation="SendMessage")
                params = {"QueueUrl": f"{self.service.runner.settings.endpoint_url}/{parts[4]}/{parts[5]}",
                          "MessageBody": body}
                if attributes:
                    params["MessageAttributes"] = attributes
                if asyncio.iscoroutinefunction(sqs.send_message):
                    await sqs.send_message(ctx, params)
                else:
                    await self.service.platform.run_sync(sqs.send_message, ctx, params)
            else:
                log.warning("destination %s is not supported yet", target)
        except Exception:
            log.exception("delivering to destination %s", target)


class _Record:
    """Lambda's invocation record for destinations."""

    def __init__(self, request_id: str, ref: Ref, qualifier: str, payload: bytes) -> None:
        self.request_id = request_id
        self.ref = ref
        self.qualifier = qualifier
        self.payload = payload

    def document(self, condition: str, attempts: int, result) -> dict:
        doc = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "requestContext": {"requestId": self.request_id, "functionArn": self.ref.qualified_arn(self.qualifier),
                               "condition": condition, "approximateInvokeCount": attempts},
            "requestPayload": _json_or_text(self.payload),
        }
        if result is not None:
            response = {"statusCode": 200, "executedVersion": result.executed_version}
            if result.function_error:
                response["functionError"] = result.function_error
            doc["responseContext"] = response
            doc["responsePayload"] = _json_or_text(result.payload)
        return doc


def _json_or_text(data: bytes):
    try:
        return orjson.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")
