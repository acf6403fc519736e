"""The SQS poller of an event source mapping: long-poll receive, batch to the function, delete on success.

Messages of a failed invocation are left alone: they become visible again after the queue's
visibility timeout, and the queue's redrive policy moves them to its dead-letter queue after
maxReceiveCount receives. With ReportBatchItemFailures only the reported messages stay (for a FIFO
queue, every message from the first reported one on). Messages that match no filter are deleted.
An SQS mapping has no LastProcessingResult (Lambda leaves it null for queues).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time

from cloudlet.aws.context import RequestContext
from cloudlet.aws.errors import AWSError
from cloudlet.aws.ids import request_id as new_request_id
from cloudlet.services.lambda_.esm_pollers import filters_of

log = logging.getLogger("cloudlet.lambda.esm")

WORKERS = 5  # batches invoked at once (a FIFO queue's groups stay ordered: SQS holds a group while in flight)
LONG_POLL_S = 5  # re-polls now and then, so a missed wake-up costs seconds, not a full 20 s
# A FIFO group unlocks when its in-flight messages are deleted, which does not end a waiting
# long poll; shorter polls pick the group's next messages up promptly.
FIFO_POLL_S = 1
# The order Lambda lists a record's system attributes in (others follow).
ATTRIBUTE_ORDER = ("ApproximateReceiveCount", "SentTimestamp", "SequenceNumber", "MessageGroupId", "SenderId",
                   "MessageDeduplicationId", "ApproximateFirstReceiveTimestamp")


class SqsPoller:
    def __init__(self, pollers, doc: dict) -> None:
        self.pollers = pollers
        self.platform = pollers.platform
        self.doc = doc
        self.arn = doc["EventSourceArn"]
        _, _, _, self.region, self.account, self.name = self.arn.split(":", 5)
        self.url = f"/{self.account}/{self.name}"
        self.fifo = self.name.endswith(".fifo")
        self.filters = filters_of(doc)

    def _ctx(self, operation: str) -> RequestContext:
        return RequestContext(self.account, self.region, new_request_id(), service="sqs", operation=operation)

    async def run(self) -> None:
        """One receiver gathers batches; up to MaximumConcurrency (default 5) of them are invoked at once."""
        sqs = await self.platform.service("sqs")
        slots = asyncio.Semaphore((self.doc.get("ScalingConfig") or {}).get("MaximumConcurrency") or WORKERS)
        running: set[asyncio.Task] = set()
        try:
            while True:
                await slots.acquire()
                try:
                    messages = await self.gather(sqs)
                except asyncio.CancelledError:
                    raise
                except AWSError as exc:
                    slots.release()
                    log.warning("receiving from %s for mapping %s: %s", self.arn, self.doc["UUID"], exc.message)
                    await asyncio.sleep(self.pollers.settings.retry_max_s)
                    continue
                task = asyncio.create_task(self.handle(sqs, messages))
                running.add(task)
                task.add_done_callback(lambda t: (running.discard(t), slots.release(), _log_failure(t)))
        finally:
            for task in running:
                task.cancel()

    async def gather(self, sqs) -> list[dict]:
        """Up to BatchSize messages: a long poll, then more until the batching window closes."""
        size = self.doc["BatchSize"]
        window = self.doc.get("MaximumBatchingWindowInSeconds", 0)
        out: list[dict] = []
        deadline = None
        while len(out) < size:
            wait = (FIFO_POLL_S if self.fifo else LONG_POLL_S) if deadline is None else max(0, int(deadline - time.monotonic()))
            got = (await sqs.receive_message(self._ctx("ReceiveMessage"), {
                "QueueUrl": self.url, "MaxNumberOfMessages": min(10, size - len(out)), "WaitTimeSeconds": wait,
                "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]})).get("Messages", [])
            out += got
            if deadline is None:
                if not out:
                    continue
                deadline = time.monotonic() + window
            if time.monotonic() >= deadline or (not got and wait == 0):
                break
        return out

    def record(self, message: dict) -> dict:
        attributes = {}
        for name, value in (message.get("MessageAttributes") or {}).items():
            item = {}  # in Lambda's member order
            if "StringValue" in value:
                item["stringValue"] = value["StringValue"]
            if "BinaryValue" in value:
                item["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
            attributes[name] = {**item, "stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
        out = {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
               "body": message["Body"], "attributes": _ordered(message.get("Attributes") or {}),
               "messageAttributes": attributes,
               "md5OfMessageAttributes": message.get("MD5OfMessageAttributes")}  # null without attributes
        return out | {"md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": self.arn,
                      "awsRegion": self.region}

    def wanted(self, record: dict) -> bool:
        if not self.filters:
            return True
        import orjson
        try:
            body = orjson.loads(record["body"])
        except ValueError:
            body = record["body"]
        view = dict(record, body=body)  # filters see a JSON body as an object
        return any(f.matches(view) for f in self.filters)

    async def handle(self, sqs, messages: list[dict]) -> None:
        records = [self.record(m) for m in messages]
        dropped = [r for r in records if not self.wanted(r)]
        chosen = [r for r in records if r not in dropped]
        await self.delete(sqs, dropped)
        if not chosen:
            return
        ids = [r["messageId"] for r in chosen]
        outcome = await self.pollers.invoke(self.doc, {"Records": chosen}, ids)
        if outcome.failed_at is None:
            await self.delete(sqs, chosen)
            return
        reported = _reported(outcome) if outcome.result is not None and not outcome.result.function_error else []
        if not reported or any(i not in ids for i in reported):
            return  # the whole batch comes back after the visibility timeout
        failed = set(reported)
        if self.fifo:
            first = min(ids.index(i) for i in failed)
            done = chosen[:first]
        else:
            done = [r for r in chosen if r["messageId"] not in failed]
        await self.delete(sqs, done)

    async def delete(self, sqs, records: list[dict]) -> None:
        for start in range(0, len(records), 10):
            entries = [{"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                       for i, r in enumerate(records[start:start + 10])]
            await self.platform.run_sync(sqs.delete_message_batch, self._ctx("DeleteMessageBatch"),
                                         {"QueueUrl": self.url, "Entries": entries})


def _ordered(attributes: dict) -> dict:
    out = {k: attributes[k] for k in ATTRIBUTE_ORDER if k in attributes}
    return out | {k: v for k, v in attributes.items() if k not in out}


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("handling an SQS batch", exc_info=task.exception())


def _reported(outcome) -> list[str]:
    """The message ids a ReportBatchItemFailures response names ([] when it is not usable)."""
    import orjson
    try:
        failures = orjson.loads(outcome.result.payload).get("batchItemFailures") or []
        return [f["itemIdentifier"] for f in failures]
    except (ValueError, AttributeError, TypeError, KeyError):
        return []
