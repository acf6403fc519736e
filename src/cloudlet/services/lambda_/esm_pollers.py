"""Pollers of event source mappings: one asyncio task per enabled mapping on the node holding its lease.

`Pollers` (started by the Lambda service) supervises: it claims mapping leases in the store (so
nodes sharing PostgreSQL never poll one mapping twice), settles transitional states, and starts
or stops one poller task per mapping. `StreamPoller` reads a DynamoDB stream shard by shard, in
order, parents before children, from the stored checkpoint; `SqsPoller` (esm_sqs.py) long-polls a
queue. Both invoke the function synchronously through the Lambda service's own invoke path.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.aws.ids import request_id as new_request_id
from cloudlet.compute.errors import Throttled
from cloudlet.compute.model import InvocationMeta, InvocationResult
from cloudlet.events.patterns import compile_pattern
from cloudlet.services.lambda_.esm import function_ref

log = logging.getLogger("cloudlet.lambda.esm")

PAYLOAD_LIMIT = 6 * 1024 * 1024 - 1024  # the synchronous payload limit, less the event's envelope


@dataclass
class EsmSettings:
    """Durations of the pollers (config.extra keys lambda_esm_*), short in tests."""

    poll_s: float = 0.25  # an idle stream is polled four times a second, as Lambda does
    supervise_s: float = 1.0
    lease_s: float = 30.0
    retry_delay_s: float = 1.0  # first retry delay; doubles per attempt up to retry_max_s
    retry_max_s: float = 30.0
    throttle_delay_s: float = 0.5

    @classmethod
    def from_extra(cls, extra: dict) -> EsmSettings:
        out = cls()
        for name in cls.__dataclass_fields__:
            if f"lambda_esm_{name}" in extra:
                setattr(out, name, float(extra[f"lambda_esm_{name}"]))
        return out


def _json_default(value):
    if isinstance(value, bytes | bytearray | memoryview):
        import base64
        return base64.b64encode(bytes(value)).decode()
    raise TypeError


def dumps(value) -> bytes:
    return orjson.dumps(value, default=_json_default)


def iso(ts: float, millis: bool = False) -> str:
    text = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return (text[:-3] if millis else text[:-7]) + "Z"


class Outcome:
    """What one invocation of a batch came to: ok, a partial failure from index `failed_at`, or failed."""

    def __init__(self, result: InvocationResult | None, failed_at: int | None, error: str = "") -> None:
        self.result = result
        self.failed_at = failed_at  # None: every record succeeded; 0: the whole batch failed
        self.error = error


class Pollers:
    """Supervises the mapping pollers of this node."""

    def __init__(self, service) -> None:
        self.service = service
        self.platform = service.platform
        self.store = service.esm_store
        self.settings = EsmSettings.from_extra(service.platform.config.extra)
        self.node = str(uuid.uuid4())
        self.tasks: dict[str, tuple[asyncio.Task, float]] = {}  # uuid -> (task, LastModified it runs)
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._supervise())

    async def stop(self) -> None:
        tasks = [t for t, _ in self.tasks.values()] + ([self._task] if self._task else [])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks.clear()
        try:
            await self.platform.run_sync(self.store.release, self.node)
        except Exception:
            log.exception("releasing event source mapping leases")

    def reset(self) -> None:
        for task, _ in self.tasks.values():
            task.cancel()
        self.tasks.clear()

    async def _supervise(self) -> None:
        while True:
            try:
                await self.supervise_once()
            except Exception:
                log.exception("supervising event source mappings")
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.supervise_s)
            except TimeoutError:
                pass
            self._wake.clear()

    async def supervise_once(self) -> None:
        docs = {d["UUID"]: d for d in await self.platform.run_sync(self.store.claim, self.node, self.settings.lease_s)}
        for mapping_id in list(self.tasks):
            task, modified = self.tasks[mapping_id]
            doc = docs.get(mapping_id)
            if doc is None or not doc["_enabled"] or doc["LastModified"] != modified or task.done():
                task.cancel()
                del self.tasks[mapping_id]
        for mapping_id, doc in docs.items():
            if doc["State"] == "Deleting":
                await self.platform.run_sync(self.store.delete, mapping_id)
                continue
            if doc["State"] in ("Creating", "Enabling", "Disabling", "Updating"):
                settled = "Enabled" if doc["_enabled"] else "Disabled"
                doc = await self.platform.run_sync(self.store.update, mapping_id,
                                                   lambda d, s=settled: d.__setitem__("State", s)) or doc
            if doc["_enabled"] and mapping_id not in self.tasks:
                poller = (StreamPoller if doc["_kind"] == "dynamodb" else _sqs_poller())(self, doc)
                self.tasks[mapping_id] = (asyncio.get_running_loop().create_task(poller.run()), doc["LastModified"])

    # -- shared by the pollers ---------------------------------------------------------------------
    async def invoke(self, doc: dict, event: dict, ids: list[str]) -> Outcome:
        """Invoke the mapping's function synchronously with an event (throttles retried); with
        ReportBatchItemFailures, read the response's batchItemFailures against `ids`."""
        service = self.service
        ref = function_ref(doc)
        payload = dumps(event)
        while True:
            try:
                version_doc, version = await service.resolve(ref)
                config = await service.runner.config_for(ref, version_doc)
                meta = InvocationMeta(request_id=new_request_id(), invoked_function_arn=doc["FunctionArn"])
                result = await service.runner.invoke(config, payload, meta)
                break
            except Throttled:
                await asyncio.sleep(self.settings.throttle_delay_s)
            except AWSError as exc:
                return Outcome(None, 0, exc.message)
        if result.function_error:
            return Outcome(result, 0, "Function call failed")
        if "ReportBatchItemFailures" not in (doc.get("FunctionResponseTypes") or []):
            return Outcome(result, None)
        return Outcome(result, _first_failure(result.payload, ids))

    async def processed(self, doc: dict, outcome: str) -> None:
        """Record LastProcessingResult when it changes."""
        if doc.get("LastProcessingResult") == outcome:
            return
        doc["LastProcessingResult"] = outcome
        await self.platform.run_sync(self.store.update, doc["UUID"],
                                     lambda d: d.__setitem__("LastProcessingResult", outcome))

    def retry_delay(self, attempts: int) -> float:
        return min(self.settings.retry_delay_s * 2 ** max(attempts - 1, 0), self.settings.retry_max_s)


def _first_failure(payload: bytes, ids: list[str]) -> int | None:
    """Index of the first failed record from a batchItemFailures response; None: all succeeded
    (an empty or null list, an empty, null or [] response); 0 (whole batch failed) for any other
    response that is not a JSON object or one that names an identifier that is not in the batch."""
    if not payload.strip():
        return None
    try:
        response = orjson.loads(payload)
    except ValueError:
        return 0
    if response is None or response == []:
        return None
    if not isinstance(response, dict):
        return 0
    failures = response.get("batchItemFailures")
    if not failures:
        return None
    if not isinstance(failures, list):
        return 0
    positions = {item: i for i, item in enumerate(ids)}
    indexes = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in positions:
            return 0
        indexes.append(positions[identifier])
    return min(indexes)


def _sqs_poller():
    from cloudlet.services.lambda_.esm_sqs import SqsPoller
    return SqsPoller


def filters_of(doc: dict) -> list:
    return [compile_pattern(f["Pattern"]) for f in (doc.get("FilterCriteria") or {}).get("Filters") or []]


class StreamPoller:
    """Reads one mapping's DynamoDB stream and hands batches to the function."""

    def __init__(self, pollers: Pollers, doc: dict) -> None:
        self.pollers = pollers
        self.platform = pollers.platform
        self.store = pollers.store
        self.doc = doc
        self.arn = doc["EventSourceArn"]
        self.filters = filters_of(doc)
        self.reader = None

    async def run(self) -> None:
        self.reader = (await self.platform.service("dynamodbstreams")).reader
        settings = self.pollers.settings
        while True:
            try:
                progressed = await self.poll_once()
            except asyncio.CancelledError:
                raise
            except _Gone:
                return
            except Exception:
                log.exception("polling %s for mapping %s", self.arn, self.doc["UUID"])
                progressed = False
            if not progressed:
                await asyncio.sleep(settings.poll_s)

    async def poll_once(self) -> bool:
        run = self.platform.run_sync
        try:
            shards = await run(self.reader.shards, self.arn)
        except AWSError as exc:
            await self.pollers.processed(self.doc, f"PROBLEM: {exc.message}")
            return False
        checkpoints = await run(self.store.checkpoints, self.doc["UUID"])
        known = {s["ShardId"] for s in shards}
        progressed = False
        for shard in shards:
            shard_id = shard["ShardId"]
            after, finished = checkpoints.get(shard_id, (None, False))
            parent = shard.get("ParentShardId")
            if finished or (parent in known and not checkpoints.get(parent, (None, False))[1]):
                continue
            progressed |= await self.shard_batch(shard_id, after)
        return progressed

    async def read(self, shard_id: str, after: str | None, limit: int) -> tuple[list[dict], str | None]:
        try:
            return await self.platform.run_sync(self.reader.read, self.arn, shard_id, after, limit)
        except AWSError as exc:
            if exc.code != "TrimmedDataAccessException":
                raise
            return await self.platform.run_sync(self.reader.read, self.arn, shard_id, None, limit)

    async def shard_batch(self, shard_id: str, after: str | None) -> bool:
        """One batch of a shard (gathered for up to the batching window); True when it moved."""
        doc = self.doc
        limit = doc["BatchSize"]
        records, following = await self.read(shard_id, after, limit)
        deadline = time.monotonic() + doc.get("MaximumBatchingWindowInSeconds", 0)
        while following is not None and len(records) < limit and time.monotonic() < deadline:
            await asyncio.sleep(min(self.pollers.settings.poll_s, max(deadline - time.monotonic(), 0)))
            more, following = await self.read(shard_id, records[-1]["dynamodb"]["SequenceNumber"] if records
                                              else after, limit - len(records))
            records += more
        if not records:
            if following is None:
                await self._commit(shard_id, after, finished=True)
                return True
            return False
        from cloudlet.services.dynamodbstreams.records import lambda_event_record
        events = [lambda_event_record(r, self.arn) for r in records]
        chosen = [e for e in events if not self.filters or any(f.matches(e) for f in self.filters)]
        for batch in _by_size(chosen):
            await self.deliver(shard_id, batch)
        await self._commit(shard_id, events[-1]["dynamodb"]["SequenceNumber"], finished=following is None)
        return True

    async def _commit(self, shard_id: str, sequence: str | None, finished: bool = False) -> None:
        if not await self.platform.run_sync(self.store.commit, self.doc["UUID"], shard_id, sequence, finished):
            raise _Gone()

    async def deliver(self, shard_id: str, records: list[dict]) -> None:
        """Invoke until the records succeed or are discarded (retries, bisection, record age)."""
        doc = self.doc
        max_retries = doc.get("MaximumRetryAttempts", -1)
        max_age = doc.get("MaximumRecordAgeInSeconds", -1)
        pending: list[tuple[list[dict], int]] = [(records, 0)]
        while pending:
            batch, attempts = pending.pop(0)
            oldest = batch[0]["dynamodb"]["ApproximateCreationDateTime"]
            if max_age != -1 and time.time() - oldest > max_age:
                await self.discard(shard_id, batch, "RecordAgeExceeded", attempts, None)
                continue
            ids = [r["dynamodb"]["SequenceNumber"] for r in batch]
            outcome = await self.pollers.invoke(doc, {"Records": batch}, ids)
            if outcome.failed_at is None:
                await self._commit(shard_id, ids[-1])
                await self.pollers.processed(doc, "OK")
                continue
            await self.pollers.processed(doc, f"PROBLEM: {outcome.error or 'Function call failed'}")
            if outcome.failed_at:  # partial: the records before the first failure are done
                await self._commit(shard_id, ids[outcome.failed_at - 1])
                batch = batch[outcome.failed_at:]
            elif doc.get("BisectBatchOnFunctionError") and len(batch) > 1 and outcome.result is not None:
                half = len(batch) // 2  # splitting does not use up a retry
                pending[0:0] = [(batch[:half], attempts), (batch[half:], attempts)]
                continue
            attempts += 1
            if max_retries != -1 and attempts > max_retries:
                await self.discard(shard_id, batch, "RetryAttemptsExhausted", attempts, outcome.result)
                continue
            await asyncio.sleep(self.pollers.retry_delay(attempts))
            await self._still_there()
            pending.insert(0, (batch, attempts))

    async def _still_there(self) -> None:
        doc = await self.platform.run_sync(self.store.get, self.doc["UUID"])
        if doc is None or not doc["_enabled"] or doc["LastModified"] != self.doc["LastModified"]:
            raise _Gone()

    async def discard(self, shard_id: str, batch: list[dict], condition: str, attempts: int,
                      result: InvocationResult | None) -> None:
        """Skip records that will not be retried: their description goes to the on-failure destination."""
        doc = self.doc
        target = ((doc.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if target:
            first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
            record = {
                "requestContext": {"requestId": new_request_id(), "functionArn": doc["FunctionArn"],
                                   "condition": condition, "approximateInvokeCount": attempts},
                "responseContext": {"statusCode": 200 if result else 0,
                                    "executedVersion": result.executed_version if result else "",
                                    "functionError": (result.function_error or None) if result else None},
                "version": "1.0",
                "timestamp": iso(time.time(), millis=True),
                "DDBStreamBatchInfo": {
                    "shardId": shard_id, "startSequenceNumber": first["SequenceNumber"],
                    "endSequenceNumber": last["SequenceNumber"],
                    "approximateArrivalOfFirstRecord": iso(first["ApproximateCreationDateTime"]),
                    "approximateArrivalOfLastRecord": iso(last["ApproximateCreationDateTime"]),
                    "batchSize": len(batch), "streamArn": self.arn},
            }
            await self.pollers.service.queue.send(target, dumps(record).decode(), None, function_ref(doc))
        await self._commit(shard_id, batch[-1]["dynamodb"]["SequenceNumber"])


class _Gone(Exception):
    """The mapping was deleted, disabled or changed: this poller stops (the supervisor restarts it)."""


def _by_size(records: list[dict]) -> list[list[dict]]:
    """Split records into batches whose event stays under the synchronous payload limit."""
    out: list[list[dict]] = []
    current: list[dict] = []
    size = 0
    for record in records:
        n = len(dumps(record)) + 1
        if current and size + n > PAYLOAD_LIMIT:
            out.append(current)
            current, size = [], 0
        current.append(record)
        size += n
    if current:
        out.append(current)
    return out
