"""SQS operations: standard and FIFO queues over the json and query protocols.

Each method checks its input with SQS's rules and errors, then calls the queue registry
(queues.py), the message store (messages.py) or the move tasks (moves.py).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import threading
import time

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.aws.validate import InputValidationError, validate_input
from cloudlet.services.base import Service
from cloudlet.services.sqs import attributes as qattrs
from cloudlet.services.sqs import validation as check
from cloudlet.services.sqs import wire  # noqa: F401  (registers the query protocol wire names)
from cloudlet.services.sqs.errors import (
    for_protocol,
    invalid_attribute_name,
    invalid_attribute_value,
    invalid_parameter,
    invalid_value,
    missing_parameter,
    sqs_error,
)
from cloudlet.services.sqs.messages import SYSTEM_NAMES, Messages, now_ms
from cloudlet.services.sqs.moves import MoveTasks, decode_task_handle, encode_task_handle
from cloudlet.services.sqs.queues import Queue, QueueRegistry, check_name, default_attributes, parse_url
from cloudlet.services.sqs.schema import MIGRATIONS
from cloudlet.services.sqs.waiters import Waiters

log = logging.getLogger("cloudlet.sqs")

MAX_BATCH_BYTES = 1048576
PURGE_INTERVAL_MS = 60_000
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,80}")
_ALL_SYSTEM = frozenset(SYSTEM_NAMES)


class SQS(Service):
    name = "sqs"
    sweep_interval = 10.0  # seconds between retention sweeps
    poll_interval = 1.0  # long polls re-check at least this often when nodes share a store

    def __init__(self, platform) -> None:
        super().__init__(platform)
        self.store.migrate("sqs", MIGRATIONS)
        self.queues = QueueRegistry(self.store)
        self.messages = Messages(self.store)
        self.waiters = Waiters()
        self.moves = MoveTasks(self.store, self.queues, platform.run_sync, self.waiters.notify)
        self._sweeper: asyncio.Task | None = None
        # queues deleted here: (qid, when); swept again later for sends that other nodes, whose
        # cache still held the queue for up to a second, made after the delete
        self._deleted: list[tuple[int, float]] = []
        self._deleted_lock = threading.Lock()

    # ---- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        self.waiters.bind(asyncio.get_running_loop())
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        await self.moves.resume_all()

    async def stop(self) -> None:
        if self._sweeper:
            self._sweeper.cancel()
            with contextlib.suppress(BaseException):
                await self._sweeper
        await self.moves.stop()

    def reset(self) -> None:
        self.queues.clear()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            settled = time.monotonic() - 2 * self.queues.ttl if self.store.blocking else float("inf")
            with self._deleted_lock:
                gone = [qid for qid, when in self._deleted if when <= settled]
                self._deleted = [(qid, when) for qid, when in self._deleted if when > settled]
            try:
                await self.platform.run_sync(self.sweep_once, gone)
            except Exception:
                log.exception("retention sweep failed")

    def sweep_once(self, deleted: list[int] = ()) -> int:
        """Expire messages, deduplication entries and receive attempts; returns messages removed."""
        return self.messages.expire(self.queues.all(), deleted)

    # ---- input -------------------------------------------------------------------------------
    def prepare(self, ctx, op, params: dict) -> None:
        """A query request sent to a queue's URL may leave QueueUrl out: its path names the queue."""
        if params.get("QueueUrl") is None and "QueueUrl" in op.input_shape.members:
            path = _queue_path(ctx)
            if path:
                params["QueueUrl"] = path

    def validate(self, op, params: dict) -> None:
        """The model's checks, except that a missing top-level parameter is SQS's MissingParameter."""
        try:
            validate_input(op, params)
        except InputValidationError as err:
            for path, value, constraint in err.problems:
                if value is None and constraint == "Member must not be null" and "." not in path:
                    name = path[:1].upper() + path[1:]
                    if name == "QueueName":
                        raise _no_queue_name() from None
                    raise missing_parameter(name) from None
            raise

    def _queue(self, ctx, params: dict) -> Queue:
        return self._get(ctx, *parse_url(params["QueueUrl"], ctx.account_id, ctx.region))

    def _get(self, ctx, account: str, region: str, name: str) -> Queue:
        try:
            return self.queues.get(account, region, name)
        except AWSError as err:
            raise for_protocol(err, ctx.protocol) from None

    # ---- queues ------------------------------------------------------------------------------
    def create_queue(self, ctx, params: dict) -> dict:
        _not_on_queue_path(ctx, "CreateQueue")
        name = params["QueueName"]
        given = dict(params.get("Attributes") or {})
        fifo_flag = given.get("FifoQueue")
        if fifo_flag is not None and str(fifo_flag).lower() not in ("true", "false"):
            raise invalid_attribute_value("FifoQueue")
        fifo = str(fifo_flag).lower() == "true"
        if fifo and not name.endswith(".fifo"):
            raise invalid_attribute_name("FifoQueue")  # the name makes it a standard queue
        check_name(name, fifo)
        if not fifo:
            given.pop("FifoQueue", None)
        attrs = qattrs.normalize(given, fifo, creating=True)
        tags = params.get("tags") or {}
        _check_tags(tags, name)
        arn = f"arn:aws:sqs:{ctx.region}:{ctx.account_id}:{name}"
        existing = self.queues.find(ctx.account_id, ctx.region, name)
        if existing is not None:
            return {"QueueUrl": self._same_or_conflict(existing, attrs, ctx)}
        merged = {**default_attributes(fifo), **{k: v for k, v in attrs.items() if v != ""}}
        qattrs.apply_encryption(merged, attrs)
        self._check_fifo_combination(merged, fifo)
        self._check_redrive(merged.get("RedrivePolicy"), arn, fifo)
        if self.queues.deleted_recently(ctx.account_id, ctx.region, name):
            raise sqs_error(
                "QueueDeletedRecently",
                "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
            )
        try:
            queue = self.queues.create(ctx.account_id, ctx.region, name, merged, dict(tags))
        except AWSError:
            raise
        except Exception:
            # a concurrent CreateQueue of the same name won the race
            existing = self.queues.find(ctx.account_id, ctx.region, name)
            if existing is None:
                raise
            return {"QueueUrl": self._same_or_conflict(existing, attrs, ctx)}
        return {"QueueUrl": queue.url(ctx.base_url)}

    @staticmethod
    def _same_or_conflict(existing: Queue, attrs: dict, ctx) -> str:
        defaults = default_attributes(existing.fifo)
        for key, value in attrs.items():
            current = existing.attrs.get(key, defaults.get(key, ""))
            if current != value and not qattrs.same_document(key, current, value):
                raise sqs_error(
                    "QueueNameExists",
                    f"A queue already exists with the same name and a different value for attribute {key}",
                )
        return existing.url(ctx.base_url)

    @staticmethod
    def _check_fifo_combination(attrs: dict, fifo: bool) -> None:
        if (
            fifo
            and attrs.get("FifoThroughputLimit") == "perMessageGroupId"
            and attrs.get("DeduplicationScope") != "messageGroup"
        ):
            raise sqs_error(
                "InvalidAttributeValue",
                "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup",
            )

    def _check_redrive(self, policy: str | None, source_arn: str, fifo: bool) -> None:
        if not policy:
            return
        target_arn = orjson.loads(policy)["deadLetterTargetArn"]
        target = self.queues.by_arn(target_arn)
        if target is None:
            raise invalid_value("RedrivePolicy", policy, "Dead letter target does not exist")
        if target.fifo != fifo:
            # SQS's own text ends in two periods
            raise invalid_value(
                "RedrivePolicy", policy, "Dead-letter queue must be same type of queue as the source."
            )
        if not qattrs.allows_source(target.attrs.get("RedriveAllowPolicy"), source_arn):
            raise invalid_value(
                "RedrivePolicy",
                policy,
                f"Queue {target_arn} does not allow this queue to use it as dead-letter queue",
            )

    def get_queue_url(self, ctx, params: dict) -> dict:
        if not params["QueueName"]:
            raise _no_queue_name()
        account = params.get("QueueOwnerAWSAccountId") or ctx.account_id
        queue = self._get(ctx, account, ctx.region, params["QueueName"])
        return {"QueueUrl": queue.url(ctx.base_url)}

    def list_queues(self, ctx, params: dict) -> dict:
        _not_on_queue_path(ctx, "ListQueues")
        limit = params.get("MaxResults")
        check.check_range("MaxResults", limit, 1, 1000)
        after = _decode_token(params.get("NextToken"))
        queues = self.queues.list(
            ctx.account_id, ctx.region, params.get("QueueNamePrefix") or "", after, limit or 1000
        )
        result: dict = {}
        page = queues[: limit or 1000]
        if page:
            result["QueueUrls"] = [q.url(ctx.base_url) for q in page]
        if limit and len(queues) > limit:
            result["NextToken"] = _encode_token(page[-1].name)
        return result

    def delete_queue(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        self.queues.delete(queue, now_ms())
        if self.store.blocking:
            with self._deleted_lock:
                self._deleted.append((queue.qid, time.monotonic()))
        return {}

    def get_queue_attributes(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        names = params.get("AttributeNames") or []
        for name in names:
            if name not in qattrs.READABLE:
                raise invalid_attribute_name(name)
        wanted = set(qattrs.ORDER) if "All" in names else set(names)
        if not wanted:
            return {}
        values = dict(queue.attrs)
        values["QueueArn"] = queue.arn
        values["CreatedTimestamp"] = str(queue.created_ms // 1000)
        values["LastModifiedTimestamp"] = str(queue.modified_ms // 1000)
        if wanted & {
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        }:
            visible, inflight, delayed = self.messages.counts(queue)
            values["ApproximateNumberOfMessages"] = str(visible)
            values["ApproximateNumberOfMessagesNotVisible"] = str(inflight)
            values["ApproximateNumberOfMessagesDelayed"] = str(delayed)
        # asked for attributes the queue does not have, SQS answers an empty map
        return {"Attributes": {name: values[name] for name in qattrs.ORDER if name in wanted and name in values}}

    def set_queue_attributes(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        if not params.get("Attributes"):
            raise missing_parameter("Attribute.Name")
        attrs = qattrs.normalize(params["Attributes"], queue.fifo, creating=False)
        merged = dict(queue.attrs)
        for key, value in attrs.items():
            if value == "":
                merged.pop(key, None)
            else:
                merged[key] = value
        qattrs.apply_encryption(merged, attrs)
        self._check_fifo_combination(merged, queue.fifo)
        if "RedrivePolicy" in attrs:
            self._check_redrive(attrs["RedrivePolicy"], queue.arn, queue.fifo)
        if attrs:
            self.queues.update(queue, attrs=merged)
        return {}

    def purge_queue(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        now = now_ms()
        if queue.purged_ms and now - queue.purged_ms < PURGE_INTERVAL_MS:
            raise sqs_error(
                "PurgeQueueInProgress",
                f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.",
            )
        self.queues.set_purged(queue, now)
        return {}

    # ---- tags and permissions ----------------------------------------------------------------
    def tag_queue(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        tags = params.get("Tags") or {}
        if not tags:
            raise missing_parameter("Tags")
        _check_tags(tags, queue.name)
        merged = {**queue.tags, **tags}
        if len(merged) > 50:
            raise invalid_parameter(f"Too many tags added for queue {queue.name}.")
        self.queues.update(queue, tags=merged)
        return {}

    def untag_queue(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        keys = set(params.get("TagKeys") or [])
        if not keys:
            raise invalid_parameter("Tag keys must be between 1 and 128 characters in length.")
        self.queues.update(queue, tags={k: v for k, v in queue.tags.items() if k not in keys})
        return {}

    def list_queue_tags(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        return {"Tags": dict(queue.tags)}  # an empty map when the queue has none, as SQS answers

    def add_permission(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        label = params["Label"]
        if not _LABEL.fullmatch(label):
            raise invalid_value(
                "Label",
                label,
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
            )
        accounts, actions = params.get("AWSAccountIds") or [], params.get("Actions") or []
        if not accounts:
            raise missing_parameter("AWSAccountIds")
        if not actions:
            raise missing_parameter("ActionName")
        for action in actions:
            if action in qattrs.OWNER_ONLY:
                raise invalid_value(
                    "ActionName", f"SQS:{action}", "Only the queue owner is allowed to invoke this action"
                )
            if action not in qattrs.ACTIONS:
                raise invalid_value(
                    "ActionName",
                    f"SQS:{action}",
                    "Please refer to the appropriate WSDL for a list of valid actions",
                )
        policy = qattrs.add_statement(queue.attrs.get("Policy"), queue.arn, label, accounts, actions)
        self.queues.update(queue, attrs={**queue.attrs, "Policy": policy})
        return {}

    def remove_permission(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        policy = qattrs.remove_statement(queue.attrs.get("Policy"), params["Label"])
        merged = {k: v for k, v in queue.attrs.items() if k != "Policy"}
        if policy:
            merged["Policy"] = policy
        self.queues.update(queue, attrs=merged)
        return {}

    # ---- messages ----------------------------------------------------------------------------
    def _entry(self, queue: Queue, entry: dict) -> int:
        """Check one message as sent; returns its size in bytes."""
        size = check.check_body(entry.get("MessageBody")) + check.check_attributes(
            entry.get("MessageAttributes")
        )
        if size > queue.max_size:
            raise invalid_parameter(
                f"One or more parameters are invalid. Reason: Message must be shorter than {queue.max_size} bytes."
            )
        check.check_system_attributes(entry.get("MessageSystemAttributes"))
        check.check_delay(entry.get("DelaySeconds"))
        check.check_fifo_fields(queue.fifo, entry, queue.content_dedup)
        return size

    def send_message(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        self._entry(queue, params)
        result = self.messages.send(queue, [params], ctx.account_id)[0]
        self.waiters.notify(queue.qid)
        return result

    def send_message_batch(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        entries = params.get("Entries") or []
        check.check_batch_ids(entries, "SendMessageBatchRequestEntry")
        total = sum(check.entry_size(e) for e in entries)
        if total > MAX_BATCH_BYTES:
            raise sqs_error(
                "BatchRequestTooLong",
                f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes.",
            )
        good, failed = [], []
        for position, entry in enumerate(entries, 1):
            try:
                if not entry.get("MessageBody"):
                    raise missing_parameter(f"SendMessageBatchRequestEntry.{position}.MessageBody")
                if not queue.fifo:
                    check.check_standard_batch_entry(entry)
                elif not entry.get("MessageGroupId"):
                    # SendMessage answers MissingParameter here; a batch InvalidParameterValue
                    raise invalid_parameter("The request must contain the parameter MessageGroupId.")
                self._entry(queue, entry)
                good.append(entry)
            except AWSError as err:
                if queue.fifo:
                    raise  # a FIFO batch is refused as a whole, keeping its order intact
                failed.append(check.error_entry(entry["Id"], err))
        successful = []
        if good:
            for entry, sent in zip(good, self.messages.send(queue, good, ctx.account_id), strict=True):
                successful.append({"Id": entry["Id"], **sent})
            self.waiters.notify(queue.qid)
        return _batch_lists(successful, failed)

    async def receive_message(self, ctx, params: dict) -> dict:
        run = self.platform.run_sync
        queue = await run(self._queue, ctx, params)
        count = params.get("MaxNumberOfMessages")
        if count is not None and not 1 <= count <= 10:
            raise invalid_value("MaxNumberOfMessages", count, "Must be between 1 and 10, if provided")
        visibility = params.get("VisibilityTimeout")
        check.check_range("VisibilityTimeout", visibility, 0, 43200)
        wait = params.get("WaitTimeSeconds")
        check.check_range("WaitTimeSeconds", wait, 0, 20)
        names = set(params.get("AttributeNames") or ()) | set(params.get("MessageSystemAttributeNames") or ())
        system = _ALL_SYSTEM if "All" in names else frozenset(names & _ALL_SYSTEM)
        attribute_names = params.get("MessageAttributeNames")
        attempt_id = params.get("ReceiveRequestAttemptId")
        if attempt_id is not None and not check.DEDUP_ID.fullmatch(attempt_id):
            raise invalid_value(
                "ReceiveRequestAttemptId",
                attempt_id,
                "It can only include alphanumeric and punctuation characters. 1 to 128 in length",
            )
        count = count or 1
        visibility = queue.visibility if visibility is None else visibility
        wait = queue.wait if wait is None else wait
        dlq = await run(self.queues.by_arn, queue.dlq_arn) if queue.dlq_arn else None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            # registered before the receive: a wake-up that fires while it runs is kept
            future = self.waiters.register(queue.qid) if wait else None
            try:
                got = await run(
                    self.messages.receive, queue, count, visibility, dlq, system, attribute_names, attempt_id
                )
                if got.moved:
                    self.waiters.notify(dlq.qid)
                remaining = deadline - loop.time()
                if got.messages or not wait or remaining <= 0:
                    return {"Messages": got.messages} if got.messages else {}
                if got.moved:
                    continue  # redriven messages filled the batch: others may be visible already
                if got.next_ms is not None:
                    # +1: now_ms() truncates, so a message visible at next_ms is certainly seen then
                    remaining = min(remaining, max((got.next_ms + 1) / 1000 - time.time(), 0.001))
                if self.store.blocking:
                    remaining = min(remaining, self.poll_interval)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(future, remaining)
            finally:
                if future is not None:
                    self.waiters.unregister(queue.qid, future)

    def delete_message(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        if not params["ReceiptHandle"].strip():
            raise missing_parameter("ReceiptHandle")
        error = self.messages.delete(queue, [params["ReceiptHandle"]])[0]
        if error is not None:
            raise error
        self._unlocked(queue)
        return {}

    def delete_message_batch(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        entries = params.get("Entries") or []
        check.check_batch_ids(entries, "DeleteMessageBatchRequestEntry")
        results: list = [None] * len(entries)
        handles, positions = [], []
        for i, entry in enumerate(entries):
            if not (entry.get("ReceiptHandle") or "").strip():
                results[i] = missing_parameter("ReceiptHandle")
            else:
                handles.append(entry["ReceiptHandle"])
                positions.append(i)
        for i, error in zip(positions, self.messages.delete(queue, handles), strict=True):
            results[i] = error
        if any(r is None for r in results):
            self._unlocked(queue)
        return _batch_result(entries, results)

    def _unlocked(self, queue: Queue) -> None:
        """A FIFO delete may unlock a message group: its next message is deliverable now."""
        if queue.fifo:
            self.waiters.notify(queue.qid)

    def change_message_visibility(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        timeout = params["VisibilityTimeout"]
        if not 0 <= timeout <= 43200:
            raise invalid_value("VisibilityTimeout", timeout, "Must be between 0 and 43200")
        if not params["ReceiptHandle"].strip():
            raise missing_parameter("ReceiptHandle")
        error = self.messages.change_visibility(queue, [(params["ReceiptHandle"], timeout)])[0]
        if error is not None:
            raise error
        # any change moves the queue's next expiry, which sleeping long polls computed before
        self.waiters.notify(queue.qid)
        return {}

    def change_message_visibility_batch(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        entries = params.get("Entries") or []
        check.check_batch_ids(entries, "ChangeMessageVisibilityBatchRequestEntry")
        changes, positions, results = [], [], [None] * len(entries)
        for i, entry in enumerate(entries):
            timeout = entry.get("VisibilityTimeout")
            if timeout is None:
                results[i] = missing_parameter(
                    f"ChangeMessageVisibilityBatchRequestEntry.{i + 1}.VisibilityTimeout"
                )
                continue
            if not 0 <= timeout <= 43200:
                results[i] = invalid_value(
                    "VisibilityTimeout", timeout, "VisibilityTimeout must be an integer between 0 and 43200"
                )
                continue
            if not (entry.get("ReceiptHandle") or "").strip():
                results[i] = missing_parameter("ReceiptHandle")
                continue
            changes.append((entry["ReceiptHandle"], timeout))
            positions.append(i)
        for i, error in zip(positions, self.messages.change_visibility(queue, changes), strict=True):
            results[i] = error
        if any(r is None for r in results):
            self.waiters.notify(queue.qid)
        return _batch_result(entries, results)

    # ---- dead-letter queues and move tasks ---------------------------------------------------
    def list_dead_letter_source_queues(self, ctx, params: dict) -> dict:
        queue = self._queue(ctx, params)
        limit = params.get("MaxResults") or None  # 0 means no limit here
        if limit is not None and not 1 <= limit <= 1000:
            raise invalid_parameter(
                "Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000."
            )
        try:
            after = _decode_token(params.get("NextToken"))
        except AWSError:
            raise invalid_parameter("Invalid or expired next token.") from None
        sources = sorted((q for q in self.queues.sources_of(queue) if q.name > after), key=lambda q: q.name)
        page = sources[: limit or 1000]
        result: dict = {"queueUrls": [q.url(ctx.base_url) for q in page]}
        if limit and len(sources) > limit:
            result["NextToken"] = _encode_token(page[-1].name)
        return result

    async def start_message_move_task(self, ctx, params: dict) -> dict:
        task_id, source_arn = await self.platform.run_sync(self._create_move_task, ctx, params)
        self.moves.start(task_id)
        return {"TaskHandle": encode_task_handle(task_id, source_arn)}

    def _create_move_task(self, ctx, params: dict) -> tuple[str, str]:
        _check_arn("SourceArn", params["SourceArn"])
        if params.get("DestinationArn") is not None:
            _check_arn("DestinationArn", params["DestinationArn"])
        source = self.queues.by_arn(params["SourceArn"])
        if source is None:
            raise sqs_error(
                "ResourceNotFoundException",
                "The resource that you specified for the SourceArn parameter doesn't exist.",
            )
        if not self.queues.sources_of(source):
            raise invalid_parameter("Source queue must be configured as a Dead Letter Queue.")
        dest = None
        if params.get("DestinationArn"):
            dest = self.queues.by_arn(params["DestinationArn"])
            if dest is None:
                raise sqs_error(
                    "ResourceNotFoundException",
                    "The resource that you specified for the DestinationArn parameter doesn't exist.",
                )
            if dest.qid == source.qid:
                raise invalid_parameter("Source queue arn and destination queue arn cannot be the same.")
            if dest.fifo != source.fifo:
                raise invalid_parameter(
                    "The source queue and destination queue must be of the same queue type."
                )
        rate = params.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and not 1 <= rate <= 500:
            raise invalid_parameter(
                "Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: You must enter a number "
                "that's between 1 and 500."
            )
        return self.moves.create(source, dest, rate), source.arn

    def list_message_move_tasks(self, ctx, params: dict) -> dict:
        source = self.queues.by_arn(params["SourceArn"])
        if source is None:
            raise sqs_error(
                "ResourceNotFoundException",
                "The resource that you specified for the SourceArn parameter doesn't exist.",
            )
        limit = params.get("MaxResults")
        check.check_range("MaxResults", limit, 1, 10)
        return {"Results": self.moves.list(source.arn, limit or 1)}

    def cancel_message_move_task(self, ctx, params: dict) -> dict:
        task_id, source_arn = decode_task_handle(params["TaskHandle"])
        if self.queues.by_arn(source_arn) is None:
            raise sqs_error(
                "ResourceNotFoundException",
                "The resource that you specified for the SourceArn parameter doesn't exist.",
            )
        moved = self.moves.cancel(task_id)
        return {"ApproximateNumberOfMessagesMoved": moved}


def _batch_result(entries: list[dict], results: list) -> dict:
    successful, failed = [], []
    for entry, error in zip(entries, results, strict=True):
        if error is None:
            successful.append({"Id": entry["Id"]})
        elif isinstance(error, AWSError):
            failed.append(check.error_entry(entry["Id"], error))
        else:
            raise error
    return _batch_lists(successful, failed)


def _batch_lists(successful: list, failed: list) -> dict:
    """A batch answer: SQS leaves out the list that would be empty."""
    result = {}
    if successful:
        result["Successful"] = successful
    if failed:
        result["Failed"] = failed
    return result


def _queue_path(ctx) -> str:
    """The path of a query request sent to a queue's URL (/<account>/<name>), else ''."""
    path = ctx.http.decoded_path if ctx.protocol == "query" and ctx.http else ""
    return path if len([s for s in path.split("/") if s]) == 2 else ""


def _not_on_queue_path(ctx, action: str) -> None:
    """Actions on no queue are refused when sent to a queue's URL."""
    if _queue_path(ctx):
        raise AWSError("InvalidAction", f"The action {action} is not valid for this endpoint.", 400)


def _no_queue_name() -> AWSError:
    return invalid_parameter("Value for parameter QueueName is invalid. Reason: Must specify a queue name.")


def _check_arn(name: str, arn: str) -> None:
    if len(arn.split(":")) < 6 or not arn.startswith("arn:"):
        raise invalid_parameter(
            f"You must use this format to specify the {name}: arn:<partition>:<service>:<region>:<account-id>:<resource-id>"
        )


def _check_tags(tags: dict, queue_name: str) -> None:
    if len(tags) > 50:
        raise invalid_parameter(f"Too many tags added for queue {queue_name}.")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise invalid_parameter(
                f"Tag {key} is invalid: keys are 1 to 128 characters, values at most 256."
            )


def _encode_token(name: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"after": name})).decode()


def _decode_token(token: str | None) -> str:
    if not token:
        return ""
    try:
        return orjson.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except Exception:
        raise invalid_value("NextToken", token, "Invalid token") from None
