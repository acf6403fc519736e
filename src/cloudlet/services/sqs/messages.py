"""Messages in sqs_messages: send, receive (with dead-letter redrive), delete, visibility, counts.

SendMessage is one INSERT; a FIFO send also reads and writes its deduplication row. Receive is
a range scan on (qid, visible_ms) plus an UPDATE per message taken, in one transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
import time
from typing import NamedTuple

import orjson

from cloudlet.aws import ids
from cloudlet.aws.errors import AWSError
from cloudlet.services.sqs.digest import md5_of_attributes, md5_of_body
from cloudlet.services.sqs.errors import invalid_value, receipt_handle_invalid
from cloudlet.services.sqs.queues import DELETED_NAME_HOLD_MS, Queue
from cloudlet.services.sqs.validation import check_attribute_name
from cloudlet.store import Store

DEDUP_WINDOW_MS = 5 * 60 * 1000
MAX_VISIBILITY_S = 12 * 3600  # a message stays in flight at most 12 hours from the receive that took it
SYSTEM_NAMES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)

_INSERT = (
    "INSERT INTO sqs_messages (mid, qid, seq, body, mattrs, sattrs, md5_body, md5_attrs, md5_sys, sent_ms,"
    " visible_ms, grp, dedup, sender) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_COLUMNS = (
    "mid, seq, body, mattrs, sattrs, md5_body, md5_attrs, sent_ms, recv_count, first_recv_ms, grp, dedup,"
    " sender, dlq_source, id"
)
_KEY = 14  # the row key's place in _COLUMNS
_SELECT_STANDARD = (
    f"SELECT {_COLUMNS} FROM sqs_messages WHERE qid = ? AND visible_ms <= ? AND sent_ms > ?"
    " ORDER BY visible_ms LIMIT ?"
)
# FIFO: a group's first message (lowest sequence number), when visible, opens the group; groups
# come in the order their first message became visible, each with its visible messages in order
# up to the first one that is not (in flight or delayed): an in-flight message holds back only
# the messages sent after it in its group.
_FIFO_HEADS = (
    "SELECT m.grp, m.seq FROM sqs_messages m WHERE m.qid = ? AND m.visible_ms <= ? AND m.sent_ms > ?"
    " AND NOT EXISTS (SELECT 1 FROM sqs_messages x WHERE x.qid = m.qid AND x.grp = m.grp AND x.seq < m.seq"
    " AND x.sent_ms > ?) ORDER BY m.visible_ms, m.seq LIMIT ?"
)
_FIFO_GROUP = (
    f"SELECT {_COLUMNS}, visible_ms FROM sqs_messages WHERE qid = ? AND grp = ? AND seq >= ? AND sent_ms > ?"
    " ORDER BY seq LIMIT ?"
)
# When the next message becomes deliverable: a delay or visibility timeout runs out, or (FIFO)
# an in-flight message reaches the end of its retention period and so unlocks its group.
_NEXT_STANDARD = "SELECT MIN(visible_ms) FROM sqs_messages WHERE qid = ? AND visible_ms > ? AND sent_ms > ?"
_NEXT_FIFO = (
    "SELECT MIN(CASE WHEN recv_count > 0 AND sent_ms + ? < visible_ms THEN sent_ms + ? ELSE visible_ms END)"
    " FROM sqs_messages WHERE qid = ? AND visible_ms > ? AND sent_ms > ?"
)
_TAKE = (
    "UPDATE sqs_messages SET visible_ms = ?, recv_count = recv_count + 1,"
    " first_recv_ms = COALESCE(first_recv_ms, ?), recv_ms = ?, token = ? WHERE id = ?"
)
_TO_DLQ = (
    "UPDATE sqs_messages SET qid = ?, visible_ms = ?, recv_count = 0, first_recv_ms = NULL, token = NULL,"
    " dlq_source = ? WHERE id = ?"
)


def now_ms() -> int:
    return int(time.time() * 1000)


class Sequencer:
    """Monotonic sequence numbers (nanosecond clock based) for message order and FIFO SequenceNumber."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            value = max(self._last + 1, time.time_ns())
            self._last = value
            return value


def receipt_handle_expired(handle: str) -> Exception:
    return invalid_value("ReceiptHandle", handle, "The receipt handle has expired")


def encode_handle(qid: int, key: int, token: str) -> str:
    """A receipt handle: the queue, the message's row key and the token of this receipt."""
    return base64.urlsafe_b64encode(f"{qid}:{key}:{token}".encode()).decode()


def decode_handle(handle: str) -> tuple[int, int, str]:
    try:
        qid, key, token = base64.urlsafe_b64decode(handle.encode("ascii")).decode().split(":")
        return int(qid), int(key), token
    except (binascii.Error, ValueError, UnicodeError):
        raise receipt_handle_invalid(handle) from None


def _encode_attributes(attributes: dict | None) -> str | None:
    if not attributes:
        return None
    stored = {}
    for name, value in attributes.items():
        data_type = value["DataType"]
        if data_type.startswith("Binary"):
            stored[name] = [data_type, None, base64.b64encode(value["BinaryValue"]).decode()]
        else:
            stored[name] = [data_type, value["StringValue"], None]
    return orjson.dumps(stored).decode()


def _decode_attributes(stored: str | None) -> dict:
    if not stored:
        return {}
    result = {}
    for name, (data_type, text, binary) in orjson.loads(stored).items():
        if binary is not None:
            result[name] = {"DataType": data_type, "BinaryValue": base64.b64decode(binary)}
        else:
            result[name] = {"DataType": data_type, "StringValue": text}
    return result


class Received(NamedTuple):
    """What one receive found."""

    messages: list[dict]
    moved: int  # messages redriven to the dead-letter queue instead
    # when nothing was taken: the earliest visible_ms still in the future at this receive's clock
    next_ms: int | None = None


class Messages:
    """The message operations over one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sequencer = Sequencer()
        postgres = store.kind == "postgresql"
        self.skip_locked = " FOR UPDATE SKIP LOCKED" if postgres else ""
        self.for_update = " FOR UPDATE" if postgres else ""  # FIFO order: wait, never skip
        # Nodes sharing PostgreSQL serialize FIFO sends and receives per queue, so deduplication
        # and in-flight group blocking see each other's writes (SQLite's BEGIN IMMEDIATE already does).
        self.fifo_lock = "SELECT pg_advisory_xact_lock(?)" if postgres else None

    # ---- sending ---------------------------------------------------------------------------
    def send(self, queue: Queue, entries: list[dict], sender: str) -> list[dict]:
        """Store validated entries (each: body, attributes, trace, delay, group, dedup) in one transaction.

        Returns per entry {MessageId, MD5OfMessageBody, ...}; a FIFO duplicate inside the
        deduplication window is acknowledged with the first message's id and not stored again."""
        now = now_ms()
        if not queue.fifo:
            rows, results = [], []
            for e in entries:
                row, result = self._prepare(queue, e, now, sender)
                rows.append(row)
                results.append(result)
            if len(rows) == 1:
                self.store.write_one(_INSERT, rows[0])  # its own transaction: no BEGIN and COMMIT round
            else:
                with self.store.tx() as conn:
                    conn.executemany(_INSERT, rows)
            return results
        results = []
        with self.store.tx() as conn:
            if self.fifo_lock:
                conn.execute(self.fifo_lock, (queue.qid,))
            for e in entries:
                row, result = self._prepare(queue, e, now, sender)
                mid, seq, body = row[0], row[2], row[3]
                dedup = e.get("MessageDeduplicationId")
                if dedup is None:
                    dedup = hashlib.sha256(body.encode("utf-8")).hexdigest()
                scope = e.get("MessageGroupId") if queue.group_dedup else ""
                found = conn.one(
                    "SELECT mid, seq, expires_ms FROM sqs_dedup WHERE qid = ? AND scope = ? AND dedup = ?",
                    (queue.qid, scope, dedup),
                )
                if found is not None and found[2] > now:
                    results.append({**result, "MessageId": found[0], "SequenceNumber": f"{found[1]:020d}"})
                    continue
                conn.execute(
                    "DELETE FROM sqs_dedup WHERE qid = ? AND scope = ? AND dedup = ?",
                    (queue.qid, scope, dedup),
                )
                conn.execute(
                    "INSERT INTO sqs_dedup (qid, scope, dedup, mid, seq, expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
                    (queue.qid, scope, dedup, mid, seq, now + DEDUP_WINDOW_MS),
                )
                conn.execute(_INSERT, row[:12] + (dedup,) + row[13:])
                results.append(result)
        return results

    def _prepare(self, queue: Queue, e: dict, now: int, sender: str) -> tuple[tuple, dict]:
        """The sqs_messages row of one entry and its answer (the FIFO deduplication id left as sent)."""
        body = e["MessageBody"]
        attributes = e.get("MessageAttributes")
        md5_attrs = md5_of_attributes(attributes)
        system = e.get("MessageSystemAttributes")
        md5_sys = md5_of_attributes(system) if system else None
        md5_body = md5_of_body(body)
        seq = self.sequencer.next()
        mid = ids.unique_id()
        delay = e.get("DelaySeconds")
        if delay is None:
            delay = queue.delay
        trace = system["AWSTraceHeader"]["StringValue"] if system else None
        row = (mid, queue.qid, seq, body, _encode_attributes(attributes), trace, md5_body, md5_attrs, md5_sys,
               now, now + delay * 1000, e.get("MessageGroupId"), e.get("MessageDeduplicationId"), sender)
        return row, _sent(mid, md5_body, md5_attrs, md5_sys, seq, queue.fifo)

    # ---- receiving -------------------------------------------------------------------------
    def receive(
        self,
        queue: Queue,
        count: int,
        visibility: int,
        dlq: Queue | None,
        system_names: frozenset[str],
        attribute_names: list[str] | None,
        attempt_id: str | None = None,
    ) -> Received:
        """Take up to `count` visible messages, moving those past maxReceiveCount to `dlq`.

        When none is taken, the same transaction and clock reading also answer when the next
        invisible (delayed or in-flight) message becomes visible, so a long poll cannot miss one
        whose timeout runs out between its empty receive and that question.
        On a FIFO queue a retried `attempt_id` (within 5 minutes, its messages untouched since)
        answers the same messages and receipt handles again, with a fresh visibility timeout."""
        now = now_ms()
        oldest = now - queue.retention_ms
        out = []
        moved = []
        with self.store.tx() as conn:
            if queue.fifo and self.fifo_lock:
                conn.execute(self.fifo_lock, (queue.qid,))
            if queue.fifo and attempt_id:
                replay = self._replay(conn, queue, attempt_id, now, visibility, system_names, attribute_names)
                if replay is not None:
                    return Received(replay, 0)
            if queue.fifo:
                rows = _fifo_rows(conn, queue.qid, now, oldest, count, self.for_update)
            else:
                rows = conn.all(_SELECT_STANDARD + self.skip_locked, (queue.qid, now, oldest, count))
            taken = []
            visible_until = now + visibility * 1000
            for row in rows:
                key, recv_count = row[_KEY], row[8]
                if dlq is not None and recv_count >= queue.max_receives:
                    moved.append((dlq.qid, now, queue.arn, key))
                    continue
                token = os.urandom(16).hex()
                taken.append((visible_until, now, now, token, key))
                out.append(_received(queue, row, token, now, system_names, attribute_names))
            if moved:
                conn.executemany(_TO_DLQ, moved)
            if taken:
                conn.executemany(_TAKE, taken)
            if queue.fifo and attempt_id:
                conn.execute(
                    "DELETE FROM sqs_receive_attempts WHERE qid = ? AND attempt = ?", (queue.qid, attempt_id)
                )
                conn.execute(
                    "INSERT INTO sqs_receive_attempts (qid, attempt, taken, expires_ms) VALUES (?, ?, ?, ?)",
                    (
                        queue.qid,
                        attempt_id,
                        orjson.dumps([[t[4], t[3]] for t in taken]).decode(),
                        now + DEDUP_WINDOW_MS,
                    ),
                )
            next_ms = None
            if not out and not moved:
                if queue.fifo:
                    retention = queue.retention_ms
                    next_ms = conn.scalar(_NEXT_FIFO, (retention, retention, queue.qid, now, oldest))
                else:
                    next_ms = conn.scalar(_NEXT_STANDARD, (queue.qid, now, oldest))
        return Received(out, len(moved), next_ms)

    def _replay(
        self, conn, queue: Queue, attempt_id: str, now: int, visibility: int, system_names, attribute_names
    ):
        row = conn.one(
            "SELECT taken, expires_ms FROM sqs_receive_attempts WHERE qid = ? AND attempt = ?",
            (queue.qid, attempt_id),
        )
        if row is None or row[1] <= now:
            return None
        taken = orjson.loads(row[0])
        if not taken:
            return None
        marks = ", ".join("?" * len(taken))
        rows = conn.all(
            f"SELECT {_COLUMNS}, token FROM sqs_messages WHERE qid = ? AND id IN ({marks})",
            (queue.qid, *(key for key, _ in taken)),
        )
        current = {r[_KEY]: r for r in rows}
        if any(key not in current or current[key][-1] != token for key, token in taken):
            return None  # deleted or changed since: a new receive
        conn.executemany(
            "UPDATE sqs_messages SET visible_ms = ? WHERE id = ?",
            [(now + visibility * 1000, key) for key, _ in taken],
        )
        out = []
        for key, token in taken:
            r = current[key][:-1]
            seen = r[:8] + (r[8] - 1,) + r[9:]  # already counted by the first attempt
            out.append(_received(queue, seen, token, now, system_names, attribute_names))
        return out

    # ---- deleting and visibility -----------------------------------------------------------
    def delete(self, queue: Queue, handles: list[str]) -> list[Exception | None]:
        """Delete by receipt handle; on a standard queue a stale handle (the message was received
        again) deletes nothing, on a FIFO queue a handle whose visibility timeout ran out is refused."""
        results: list[Exception | None] = []
        now = now_ms()
        with self.store.tx() as conn:
            for handle in handles:
                try:
                    qid, key, token = decode_handle(handle)
                    if qid != queue.qid:
                        raise receipt_handle_invalid(handle)
                    if queue.fifo:
                        row = conn.one(
                            "SELECT visible_ms, token FROM sqs_messages WHERE id = ? AND qid = ?", (key, qid)
                        )
                        if row is not None and (row[1] != token or row[0] <= now):
                            raise receipt_handle_expired(handle)
                except Exception as exc:
                    results.append(exc)
                    continue
                conn.execute(
                    "DELETE FROM sqs_messages WHERE id = ? AND qid = ? AND token = ?", (key, qid, token)
                )
                results.append(None)
        return results

    def change_visibility(self, queue: Queue, changes: list[tuple[str, int]]) -> list[Exception | None]:
        now = now_ms()
        results: list[Exception | None] = []
        with self.store.tx() as conn:
            for handle, timeout in changes:
                try:
                    qid, key, token = decode_handle(handle)
                    if qid != queue.qid:
                        raise receipt_handle_invalid(handle)
                    row = conn.one(
                        "SELECT visible_ms, token, COALESCE(recv_ms, first_recv_ms) FROM sqs_messages"
                        " WHERE id = ? AND qid = ?",
                        (key, qid),
                    )
                    if queue.fifo and row is not None and (row[1] != token or row[0] <= now):
                        raise receipt_handle_expired(handle)
                    # on a standard queue any handle of the message will do, also one that a
                    # later receive superseded (as with SQS)
                    if row is None:
                        raise invalid_value(
                            "ReceiptHandle",
                            handle,
                            "Message does not exist or is not available for visibility timeout change",
                        )
                    if row[0] <= now:
                        # its visibility timeout ran out (and no receive took it since): SQS answers
                        # OK and changes nothing, so the message stays visible
                        results.append(None)
                        continue
                    if (now - (row[2] or now)) // 1000 + timeout > MAX_VISIBILITY_S:
                        raise invalid_value(
                            "VisibilityTimeout",
                            timeout,
                            "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
                        )
                    conn.execute(
                        "UPDATE sqs_messages SET visible_ms = ? WHERE id = ?", (now + timeout * 1000, key)
                    )
                    if queue.fifo:  # a receive attempt that returned this message can no longer be retried
                        conn.execute("DELETE FROM sqs_receive_attempts WHERE qid = ?", (queue.qid,))
                except Exception as exc:
                    results.append(exc)
                    continue
                results.append(None)
        return results

    # ---- counts and housekeeping -----------------------------------------------------------
    def counts(self, queue: Queue) -> tuple[int, int, int]:
        """(visible, in flight, delayed) — ApproximateNumberOfMessages, ...NotVisible, ...Delayed."""
        now = now_ms()
        with self.store.read() as conn:
            row = conn.one(
                "SELECT"
                " SUM(CASE WHEN visible_ms <= ? THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN visible_ms > ? AND recv_count > 0 THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN visible_ms > ? AND recv_count = 0 THEN 1 ELSE 0 END)"
                " FROM sqs_messages WHERE qid = ? AND sent_ms > ?",
                (now, now, now, queue.qid, now - queue.retention_ms),
            )
        return tuple(int(v or 0) for v in row)  # type: ignore[return-value]

    def expire(self, queues: list[Queue], deleted: list[int] = ()) -> int:
        """Delete messages past their queue's retention period, those of `deleted` queues, and
        expired deduplication entries and receive attempts."""
        now = now_ms()
        removed = 0
        with self.store.tx() as conn:
            for qid in deleted:
                removed += conn.execute("DELETE FROM sqs_messages WHERE qid = ?", (qid,)).rowcount
                conn.execute("DELETE FROM sqs_dedup WHERE qid = ?", (qid,))
            for queue in queues:
                removed += conn.execute(
                    "DELETE FROM sqs_messages WHERE qid = ? AND sent_ms <= ?",
                    (queue.qid, now - queue.retention_ms),
                ).rowcount
            conn.execute("DELETE FROM sqs_dedup WHERE expires_ms <= ?", (now,))
            conn.execute("DELETE FROM sqs_receive_attempts WHERE expires_ms <= ?", (now,))
            conn.execute("DELETE FROM sqs_deleted_queues WHERE deleted_ms <= ?", (now - DELETED_NAME_HOLD_MS,))
        return removed


def _fifo_rows(conn, qid: int, now: int, oldest: int, count: int, lock: str) -> list[tuple]:
    """Up to `count` deliverable FIFO messages, group by group (see _FIFO_HEADS)."""
    rows: list[tuple] = []
    for grp, seq in conn.all(_FIFO_HEADS, (qid, now, oldest, oldest, count)):
        for row in conn.all(_FIFO_GROUP + lock, (qid, grp, seq, oldest, count - len(rows))):
            if row[-1] > now:
                break
            rows.append(row[:-1])
        if len(rows) >= count:
            break
    return rows


def _sent(mid: str, md5_body: str, md5_attrs: str | None, md5_sys: str | None, seq: int, fifo: bool) -> dict:
    result = {"MessageId": mid, "MD5OfMessageBody": md5_body}
    if md5_attrs:
        result["MD5OfMessageAttributes"] = md5_attrs
    if md5_sys:
        result["MD5OfMessageSystemAttributes"] = md5_sys
    if fifo:
        result["SequenceNumber"] = f"{seq:020d}"
    return result


def _received(
    queue: Queue, row, token: str, now: int, system_names: frozenset[str], attribute_names: list[str] | None
) -> dict:
    (
        mid,
        seq,
        body,
        mattrs,
        trace,
        md5_body,
        md5_attrs,
        sent_ms,
        recv_count,
        first_recv,
        grp,
        dedup,
        sender,
        source,
        key,
    ) = row
    message = {
        "MessageId": mid,
        "ReceiptHandle": encode_handle(queue.qid, key, token),
        "MD5OfBody": md5_body,
        "Body": body,
    }
    if system_names:
        values = {
            "SenderId": sender,
            "SentTimestamp": str(sent_ms),
            "ApproximateReceiveCount": str(recv_count + 1),
            "ApproximateFirstReceiveTimestamp": str(first_recv or now),
            "SequenceNumber": f"{seq:020d}" if queue.fifo else None,
            "MessageDeduplicationId": dedup,
            "MessageGroupId": grp,
            "AWSTraceHeader": trace,
            "DeadLetterQueueSourceArn": source,
        }
        attrs = {k: v for k, v in values.items() if k in system_names and v is not None}
        if attrs:
            message["Attributes"] = attrs
    if attribute_names and mattrs:
        everything = _decode_attributes(mattrs)
        chosen = select_attributes(everything, attribute_names)
        if chosen:
            message["MessageAttributes"] = chosen
            message["MD5OfMessageAttributes"] = (
                md5_attrs if len(chosen) == len(everything) else md5_of_attributes(chosen)
            )
        elif any(name_selects(n) for n in attribute_names):
            message["MessageAttributes"] = {}  # well-formed names that match none: an empty map
    return message


def name_selects(name: str) -> bool:
    """Whether a MessageAttributeNames entry is a well-formed name or pattern (SQS ignores others,
    such as 'AWS.' or '..foo')."""
    if name in ("All", "*", ".*"):
        return True
    stem = name[:-2] if name.endswith(".*") else name
    try:
        check_attribute_name(stem)
    except AWSError:
        return False
    return True


def select_attributes(attributes: dict, names: list[str]) -> dict:
    """The message attributes a MessageAttributeNames list selects: All, * or .*, prefix.* (any name
    that starts with the prefix: Hel.* selects Hello and Help.Me), exact names."""
    if "All" in names or ".*" in names or "*" in names:
        return attributes
    prefixes = tuple(n[:-2] for n in names if n.endswith(".*"))
    exact = set(names)
    return {k: v for k, v in attributes.items() if k in exact or (prefixes and k.startswith(prefixes))}
