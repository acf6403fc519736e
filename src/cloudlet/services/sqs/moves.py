"""Message move tasks: moving messages out of a dead-letter queue as a background asyncio task.

Messages go back to the queue each came from (DeadLetterQueueSourceArn) or to a given
destination, at most MaxNumberOfMessagesPerSecond per second. Task state lives in
sqs_move_tasks, so ListMessageMoveTasks answers on every node and a restart resumes running tasks.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from collections.abc import Callable

import orjson

from cloudlet.services.sqs.errors import invalid_parameter, sqs_error
from cloudlet.services.sqs.messages import now_ms
from cloudlet.services.sqs.queues import Queue, QueueRegistry
from cloudlet.store import Store

log = logging.getLogger("cloudlet.sqs.moves")
UNLIMITED_BATCH = 500


def encode_task_handle(task_id: str, source_arn: str) -> str:
    return base64.b64encode(orjson.dumps({"taskId": task_id, "sourceArn": source_arn})).decode()


def decode_task_handle(handle: str) -> tuple[str, str]:
    """(task id, source queue ARN) of a task handle; InvalidParameterValue when it is none."""
    try:
        decoded = orjson.loads(base64.b64decode(handle, validate=True))
        task_id, source_arn = decoded["taskId"], decoded["sourceArn"]
    except Exception:
        task_id = source_arn = None
    if not isinstance(task_id, str) or not isinstance(source_arn, str):
        raise invalid_parameter("Value for parameter TaskHandle is invalid.")
    return task_id, source_arn


class MoveTasks:
    def __init__(self, store: Store, queues: QueueRegistry, run_sync, notify: Callable[[int], None]) -> None:
        self.store = store
        self.queues = queues
        self.run_sync = run_sync
        self.notify = notify
        self._tasks: dict[str, asyncio.Task] = {}
        self.skip_locked = " FOR UPDATE SKIP LOCKED" if store.kind == "postgresql" else ""

    def create(self, source: Queue, dest: Queue | None, rate: int | None) -> str:
        """Record a RUNNING task (the caller starts it); refuses a second running task per source."""
        with self.store.tx() as conn:
            running = conn.one(
                "SELECT task_id FROM sqs_move_tasks WHERE source_arn = ? AND status = 'RUNNING'",
                (source.arn,),
            )
            if running:
                raise invalid_parameter(
                    "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
                )
            to_move = conn.scalar(
                "SELECT COUNT(*) FROM sqs_messages WHERE qid = ? AND sent_ms > ?",
                (source.qid, now_ms() - source.retention_ms),
            )
            task_id = str(uuid.uuid4())
            conn.execute(
                "INSERT INTO sqs_move_tasks (task_id, account, region, source_arn, dest_arn, rate, status, moved,"
                " to_move, started_ms) VALUES (?, ?, ?, ?, ?, ?, 'RUNNING', 0, ?, ?)",
                (
                    task_id,
                    source.account,
                    source.region,
                    source.arn,
                    dest.arn if dest else None,
                    rate,
                    to_move,
                    now_ms(),
                ),
            )
        return task_id

    def start(self, task_id: str) -> None:
        self._tasks[task_id] = asyncio.get_running_loop().create_task(self._run(task_id))

    async def resume_all(self) -> None:
        def running():
            with self.store.read() as conn:
                return [r[0] for r in conn.all("SELECT task_id FROM sqs_move_tasks WHERE status = 'RUNNING'")]

        for task_id in await self.run_sync(running):
            if task_id not in self._tasks:
                self.start(task_id)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except BaseException:
                pass
        self._tasks.clear()

    def cancel(self, task_id: str) -> int:
        with self.store.tx() as conn:
            row = conn.one("SELECT status, moved FROM sqs_move_tasks WHERE task_id = ?", (task_id,))
            if row is None:
                raise sqs_error("ResourceNotFoundException", "Task does not exist.")
            if row[0] != "RUNNING":
                raise sqs_error(
                    "ResourceNotFoundException", "Only a task with status RUNNING can be cancelled."
                )
            conn.execute("UPDATE sqs_move_tasks SET status = 'CANCELLED' WHERE task_id = ?", (task_id,))
        return row[1]

    def list(self, source_arn: str, limit: int) -> list[dict]:
        with self.store.read() as conn:
            rows = conn.all(
                "SELECT task_id, source_arn, dest_arn, rate, status, moved, to_move, started_ms, failure"
                " FROM sqs_move_tasks WHERE source_arn = ? ORDER BY started_ms DESC LIMIT ?",
                (source_arn, limit),
            )
        results = []
        for task_id, source, dest, rate, status, moved, to_move, started, failure in rows:
            entry = {
                "Status": status,
                "SourceArn": source,
                "ApproximateNumberOfMessagesMoved": moved,
                "ApproximateNumberOfMessagesToMove": to_move,
                "StartedTimestamp": started,
            }
            if status == "RUNNING":
                entry["TaskHandle"] = encode_task_handle(task_id, source)
            if dest:
                entry["DestinationArn"] = dest
            if rate is not None:
                entry["MaxNumberOfMessagesPerSecond"] = rate
            if failure:
                entry["FailureReason"] = failure
            results.append(entry)
        return results

    # ---- the background loop -----------------------------------------------------------------
    async def _run(self, task_id: str) -> None:
        try:
            while True:
                done, rate = await self.run_sync(self._step, task_id)
                if done:
                    return
                await asyncio.sleep(1.0 if rate else 0)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("message move task %s failed", task_id)
        finally:
            self._tasks.pop(task_id, None)

    def _step(self, task_id: str) -> tuple[bool, int | None]:
        """Move one second's worth of messages; returns (finished, rate)."""
        with self.store.read() as conn:
            row = conn.one(
                "SELECT source_arn, dest_arn, rate, status, moved, to_move FROM sqs_move_tasks WHERE task_id = ?",
                (task_id,),
            )
        if row is None or row[3] != "RUNNING":
            return True, None
        source_arn, dest_arn, rate, _, moved, to_move = row
        source = self.queues.by_arn(source_arn)
        if source is None:
            self._finish(task_id, "FAILED", "AWS.SimpleQueueService.NonExistentQueue")
            return True, rate
        dest = self.queues.by_arn(dest_arn) if dest_arn else None
        if dest_arn and dest is None:
            self._finish(task_id, "FAILED", "AWS.SimpleQueueService.NonExistentQueue")
            return True, rate
        batch = min(rate or UNLIMITED_BATCH, max(to_move - moved, 0))
        if batch <= 0:
            self._finish(task_id, "COMPLETED")
            return True, rate
        now = now_ms()
        woken = set()
        with self.store.tx() as conn:
            rows = conn.all(
                "SELECT id, dlq_source FROM sqs_messages WHERE qid = ? AND visible_ms <= ? AND sent_ms > ?"
                " ORDER BY visible_ms LIMIT ?" + self.skip_locked,
                (source.qid, now, now - source.retention_ms, batch),
            )
            updates = []
            for key, origin in rows:
                target = dest or (self.queues.by_arn(origin) if origin else None)
                if target is None:
                    conn.execute(
                        "UPDATE sqs_move_tasks SET status = 'FAILED', failure = ? WHERE task_id = ?",
                        ("AWS.SimpleQueueService.NonExistentQueue", task_id),
                    )
                    break
                updates.append((target.qid, now, key))
                woken.add(target.qid)
            conn.executemany(
                "UPDATE sqs_messages SET qid = ?, visible_ms = ?, recv_count = 0, first_recv_ms = NULL,"
                " token = NULL, dlq_source = NULL WHERE id = ?",
                updates,
            )
            conn.execute(
                "UPDATE sqs_move_tasks SET moved = moved + ? WHERE task_id = ?", (len(updates), task_id)
            )
        for qid in woken:
            self.notify(qid)
        if not rows or len(updates) < len(rows) or moved + len(updates) >= to_move:
            if len(updates) == len(rows):
                self._finish(task_id, "COMPLETED")
            return True, rate
        return False, rate

    def _finish(self, task_id: str, status: str, failure: str | None = None) -> None:
        with self.store.tx() as conn:
            conn.execute(
                "UPDATE sqs_move_tasks SET status = ?, failure = ? WHERE task_id = ? AND status = 'RUNNING'",
                (status, failure, task_id),
            )
