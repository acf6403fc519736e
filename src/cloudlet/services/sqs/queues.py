"""Queue metadata: the Queue value, URLs and names, and a short-lived cache over sqs_queues."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

from cloudlet.services.sqs.attributes import DEFAULTS, FIFO_DEFAULTS
from cloudlet.services.sqs.errors import invalid_parameter, queue_does_not_exist
from cloudlet.store import Store
from cloudlet.store.cache import ReadCache

_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")
DELETED_NAME_HOLD_MS = 60_000  # how long a deleted queue's name cannot be used again
_REGION_HOST = re.compile(r"^(?:sqs\.)?([a-z]{2}(?:-[a-z]+)+-\d)\.")


@dataclass
class Queue:
    """One queue as stored, with its hot attributes parsed."""

    qid: int
    account: str
    region: str
    name: str
    attrs: dict[str, str]
    tags: dict[str, str]
    created_ms: int
    modified_ms: int
    version: int
    purged_ms: int = 0
    fifo: bool = field(init=False)
    visibility: int = field(init=False)
    delay: int = field(init=False)
    max_size: int = field(init=False)
    retention_ms: int = field(init=False)
    wait: int = field(init=False)
    content_dedup: bool = field(init=False)
    group_dedup: bool = field(init=False)
    dlq_arn: str | None = field(init=False)
    max_receives: int = field(init=False)

    def __post_init__(self) -> None:
        a = self.attrs
        self.fifo = a.get("FifoQueue") == "true"
        self.visibility = int(a["VisibilityTimeout"])
        self.delay = int(a["DelaySeconds"])
        self.max_size = int(a["MaximumMessageSize"])
        self.retention_ms = int(a["MessageRetentionPeriod"]) * 1000
        self.wait = int(a["ReceiveMessageWaitTimeSeconds"])
        self.content_dedup = a.get("ContentBasedDeduplication") == "true"
        self.group_dedup = a.get("DeduplicationScope") == "messageGroup"
        redrive = a.get("RedrivePolicy")
        if redrive:
            policy = orjson.loads(redrive)
            self.dlq_arn, self.max_receives = policy["deadLetterTargetArn"], int(policy["maxReceiveCount"])
        else:
            self.dlq_arn, self.max_receives = None, 0

    @property
    def arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{self.name}"

    def url(self, base_url: str) -> str:
        return f"{base_url}/{self.account}/{self.name}"


def default_attributes(fifo: bool) -> dict[str, str]:
    return {**DEFAULTS, **FIFO_DEFAULTS} if fifo else dict(DEFAULTS)


def check_name(name: str, fifo: bool) -> None:
    """Queue name rules: 1-80 of [A-Za-z0-9_-]; FIFO queues end in .fifo (counted in the 80)."""
    if fifo:
        if not _FIFO_NAME.fullmatch(name):
            raise invalid_parameter(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
                "must end with .fifo suffix and be 1 to 80 in length."
            )
    elif not _NAME.fullmatch(name):
        raise invalid_parameter(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )


def parse_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of an SQS queue ARN, or None."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
        return None
    return parts[3], parts[4], parts[5]


_url_cache: dict[tuple[str, str, str], tuple[str, str, str]] = {}


def parse_url(url: str, account: str, region: str) -> tuple[str, str, str]:
    """(account, region, name) a QueueUrl names: any URL whose path ends /<account>/<name>.

    The region comes from an `sqs.<region>.` or `<region>.queue.` host, else the caller's region."""
    key = (url, account, region)
    hit = _url_cache.get(key)
    if hit is not None:
        return hit
    if "://" in url:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    else:
        host, path = "", url
    segments = [s for s in path.split("/") if s]
    if len(segments) >= 2 and segments[-2].isdigit() and len(segments[-2]) == 12:
        owner, name = segments[-2], segments[-1]
    elif len(segments) == 1:
        owner, name = account, segments[0]
    else:
        raise invalid_parameter(f"Value {url} for parameter QueueUrl is invalid. Reason: Invalid URL.")
    match = _REGION_HOST.match(host)
    result = (owner, match.group(1) if match else region, name)
    if len(_url_cache) > 10000:
        _url_cache.clear()
    _url_cache[key] = result
    return result


class QueueRegistry:
    """Reads and writes sqs_queues, with a cache of Queue values (entries live 1 s on PostgreSQL)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: ReadCache[Queue] = ReadCache(store, shared_ttl=1.0)
        self.ttl = self._cache.ttl  # how long another node may still use a queue this one deleted

    def clear(self) -> None:
        self._cache.clear()

    def invalidate(self, queue: Queue) -> None:
        self._cache.invalidate((queue.account, queue.region, queue.name))

    def find(self, account: str, region: str, name: str) -> Queue | None:
        key = (account, region, name)
        return self._cache.get(key, lambda: self._load(key))

    def _load(self, key: tuple[str, str, str]) -> Queue | None:
        with self.store.read() as conn:
            row = conn.one(
                "SELECT qid, account, region, name, attrs, tags, created_ms, modified_ms, version, purged_ms"
                " FROM sqs_queues WHERE account = ? AND region = ? AND name = ?",
                key,
            )
        return _from_row(row) if row is not None else None

    def get(self, account: str, region: str, name: str) -> Queue:
        queue = self.find(account, region, name)
        if queue is None:
            raise queue_does_not_exist()
        return queue

    def by_arn(self, arn: str) -> Queue | None:
        parsed = parse_arn(arn)
        return self.find(parsed[1], parsed[0], parsed[2]) if parsed else None

    def by_qid(self, qid: int) -> Queue | None:
        with self.store.read() as conn:
            row = conn.one(
                "SELECT qid, account, region, name, attrs, tags, created_ms, modified_ms, version, purged_ms"
                " FROM sqs_queues WHERE qid = ?",
                (qid,),
            )
        return _from_row(row) if row else None

    def create(
        self, account: str, region: str, name: str, attrs: dict[str, str], tags: dict[str, str]
    ) -> Queue:
        now = int(time.time() * 1000)
        queue = Queue(secrets.randbits(62), account, region, name, attrs, tags, now, now, 1)
        with self.store.tx() as conn:
            conn.execute(
                "INSERT INTO sqs_queues (qid, account, region, name, attrs, tags, created_ms, modified_ms, version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (queue.qid, account, region, name, _dump(attrs), _dump(tags), now, now, 1),
            )
        self.invalidate(queue)
        return queue

    def update(
        self, queue: Queue, *, attrs: dict | None = None, tags: dict | None = None, touch: bool = True
    ) -> None:
        """Store new attributes and/or tags (LastModifiedTimestamp moves only for attributes)."""
        now = int(time.time() * 1000)
        with self.store.tx() as conn:
            if attrs is not None:
                conn.execute(
                    "UPDATE sqs_queues SET attrs = ?, modified_ms = ?, version = version + 1 WHERE qid = ?",
                    (_dump(attrs), now if touch else queue.modified_ms, queue.qid),
                )
            if tags is not None:
                conn.execute(
                    "UPDATE sqs_queues SET tags = ?, version = version + 1 WHERE qid = ?",
                    (_dump(tags), queue.qid),
                )
        self.invalidate(queue)

    def set_purged(self, queue: Queue, purged_ms: int) -> None:
        with self.store.tx() as conn:
            conn.execute("UPDATE sqs_queues SET purged_ms = ? WHERE qid = ?", (purged_ms, queue.qid))
            conn.execute("DELETE FROM sqs_messages WHERE qid = ? AND sent_ms <= ?", (queue.qid, purged_ms))
        self.invalidate(queue)

    def delete(self, queue: Queue, now: int) -> None:
        """Delete the queue and its messages; its name stays taken for DELETED_NAME_HOLD_MS."""
        with self.store.tx() as conn:
            conn.execute(
                "DELETE FROM sqs_deleted_queues WHERE account = ? AND region = ? AND name = ?",
                (queue.account, queue.region, queue.name),
            )
            conn.execute(
                "INSERT INTO sqs_deleted_queues (account, region, name, deleted_ms) VALUES (?, ?, ?, ?)",
                (queue.account, queue.region, queue.name, now),
            )
            conn.execute("DELETE FROM sqs_queues WHERE qid = ?", (queue.qid,))
            conn.execute("DELETE FROM sqs_messages WHERE qid = ?", (queue.qid,))
            conn.execute("DELETE FROM sqs_dedup WHERE qid = ?", (queue.qid,))
        self.invalidate(queue)

    def deleted_recently(self, account: str, region: str, name: str) -> bool:
        cutoff = int(time.time() * 1000) - DELETED_NAME_HOLD_MS
        with self.store.read() as conn:
            row = conn.one(
                "SELECT deleted_ms FROM sqs_deleted_queues WHERE account = ? AND region = ? AND name = ?"
                " AND deleted_ms > ?",
                (account, region, name, cutoff),
            )
        return row is not None

    def list(
        self, account: str, region: str, prefix: str = "", after: str = "", limit: int = 1000
    ) -> list[Queue]:
        with self.store.read() as conn:
            rows = conn.all(
                "SELECT qid, account, region, name, attrs, tags, created_ms, modified_ms, version, purged_ms"
                " FROM sqs_queues WHERE account = ? AND region = ? AND name >= ? AND name > ?"
                " ORDER BY name LIMIT ?",
                (account, region, prefix, after, limit + 1 if prefix == "" else 100000),
            )
        queues = [_from_row(r) for r in rows if r[3].startswith(prefix)]
        return queues[: limit + 1]

    def all(self) -> list[Queue]:
        with self.store.read() as conn:
            rows = conn.all(
                "SELECT qid, account, region, name, attrs, tags, created_ms, modified_ms, version, purged_ms FROM sqs_queues"
            )
        return [_from_row(r) for r in rows]

    def sources_of(self, dlq: Queue) -> list[Queue]:
        """Queues whose RedrivePolicy names `dlq` as their dead-letter queue."""
        candidates = self.list(dlq.account, dlq.region, limit=100000)
        return [q for q in candidates if q.dlq_arn == dlq.arn]


def _dump(value: dict) -> str:
    return orjson.dumps(value).decode()


def _from_row(row) -> Queue:
    return Queue(
        row[0],
        row[1],
        row[2],
        row[3],
        orjson.loads(row[4]),
        orjson.loads(row[5]),
        row[6],
        row[7],
        row[8],
        row[9],
    )
