"""SQS long polls wake as soon as a message becomes deliverable, and never busy-poll.

Covers every event that makes a message deliverable: a FIFO group unlocking (delete, batch
delete, visibility back to 0), a shortened visibility timeout, a DLQ redrive and a move task
bringing messages back, and a visibility timeout running out while the poll waits.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqs_helpers import make_queue, queue_attrs

PROMPT = 1.5  # seconds within which a woken long poll must answer (a missed wake-up takes the full wait)


@pytest.fixture
def sqs(cloudlet):
    return cloudlet.client("sqs")


@pytest.fixture
def service(cloudlet):
    return cloudlet.server.call(cloudlet.platform.service, "sqs")


@pytest.fixture(autouse=True)
def no_periodic_recheck(service, monkeypatch):
    """On a shared store long polls also re-check every second, which would hide a missed wake-up:
    here a missed wake-up takes the whole wait on every store."""
    monkeypatch.setattr(service, "poll_interval", 60.0)


class Waiters:
    """Long polls run in threads, each with its own client; results with the time each returned."""

    def __init__(self, cloudlet, url: str, count: int, wait: int = 5, **params) -> None:
        self.clients = [cloudlet.client("sqs", region_name=cloudlet.region) for _ in range(count)]
        self.pool = ThreadPoolExecutor(count)
        self.futures = [self.pool.submit(self._poll, client, url, wait, params) for client in self.clients]

    @staticmethod
    def _poll(client, url, wait, params):
        got = client.receive_message(QueueUrl=url, WaitTimeSeconds=wait, **params)
        return got.get("Messages", []), time.monotonic()

    def results(self) -> list[tuple[list[dict], float]]:
        try:
            return [f.result(30) for f in self.futures]
        finally:
            self.pool.shutdown()


def settle() -> None:
    """Give the long polls time to find nothing and start waiting."""
    time.sleep(0.4)


def bodies(results) -> list[str]:
    return sorted(m["Body"] for messages, _ in results for m in messages)


def assert_prompt(results, since: float) -> None:
    """Every poll answered within PROMPT of `since`: when the messages became deliverable, or when
    the calls that made them so returned."""
    late = [round(t - since, 3) for _, t in results if t - since > PROMPT]
    assert not late, f"long polls answered {late} s after the message became deliverable"


# ---- FIFO: a message group unlocks -----------------------------------------------------------


def _locked_groups(sqs, url: str, groups: int, tag: str = "") -> list[dict]:
    """Two messages per group; the first of each is received (in flight, 60 s), locking its group."""
    for g in range(groups):
        for i in (1, 2):
            sqs.send_message(
                QueueUrl=url,
                MessageBody=f"g{g}-{i}",
                MessageGroupId=f"g{g}",
                MessageDeduplicationId=f"{tag}g{g}-{i}",
            )
    heads = []
    for _ in range(groups):
        heads += sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"]
    assert sorted(m["Body"] for m in heads) == [f"g{g}-1" for g in range(groups)]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    return heads


def _unlock(sqs, url: str, heads: list[dict], how: str) -> None:
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(heads)]
    if how == "delete":
        for m in heads:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    elif how == "delete_batch":
        assert len(sqs.delete_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == len(heads)
    elif how == "visibility":
        for m in heads:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    else:
        batch = [{**e, "VisibilityTimeout": 0} for e in entries]
        assert len(sqs.change_message_visibility_batch(QueueUrl=url, Entries=batch)["Successful"]) == len(
            heads
        )


@pytest.mark.parametrize("how", ["delete", "delete_batch", "visibility", "visibility_batch"])
def test_fifo_group_unlock_wakes_every_waiter(cloudlet, sqs, how):
    url = make_queue(sqs, "wake.fifo", FifoQueue="true")
    for round_ in range(2):  # twice: a wake-up must work on a queue that already had one
        heads = _locked_groups(sqs, url, 3, tag=str(round_))
        waiters = Waiters(cloudlet, url, 3)
        settle()
        _unlock(sqs, url, heads, how)
        since = time.monotonic()
        results = waiters.results()
        assert_prompt(results, since)
        if how.startswith("delete"):
            assert bodies(results) == ["g0-2", "g1-2", "g2-2"]
        else:  # the heads are visible again and come first in their groups
            assert bodies(results) == ["g0-1", "g1-1", "g2-1"]
        _delete(sqs, url, [m for messages, _ in results for m in messages])
        _drain(sqs, url)  # (PurgeQueue is rate limited)


def _delete(sqs, url: str, messages: list[dict]) -> None:
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
    assert len(sqs.delete_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == len(messages)


def _drain(sqs, url: str) -> None:
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        _delete(sqs, url, got)


def test_fifo_waiter_for_a_later_group_member_wakes_on_delete(cloudlet, sqs):
    url = make_queue(sqs, "single.fifo", FifoQueue="true")
    heads = _locked_groups(sqs, url, 1)
    waiters = Waiters(cloudlet, url, 1, MaxNumberOfMessages=10)
    settle()
    sqs.delete_message(QueueUrl=url, ReceiptHandle=heads[0]["ReceiptHandle"])
    since = time.monotonic()
    results = waiters.results()
    assert_prompt(results, since)
    assert bodies(results) == ["g0-2"]


# ---- standard queues: visibility changes and dead-letter moves -------------------------------


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("timeout", [0, 1])
def test_shortened_visibility_wakes_waiters(cloudlet, sqs, batch, timeout):
    url = make_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"][0]["ReceiptHandle"]
    waiters = Waiters(cloudlet, url, 2)
    settle()
    before = time.monotonic()
    if batch:
        entry = {"Id": "a", "ReceiptHandle": handle, "VisibilityTimeout": timeout}
        assert sqs.change_message_visibility_batch(QueueUrl=url, Entries=[entry])["Successful"] == [
            {"Id": "a"}
        ]
    else:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=timeout)
    after = time.monotonic()
    results = waiters.results()
    assert bodies(results) == ["m"]
    first = min(t for messages, t in results if messages)
    assert timeout - 0.05 <= first - before and first - after <= timeout + PROMPT


def _arn(sqs, url: str) -> str:
    return queue_attrs(sqs, url, "QueueArn")["QueueArn"]


def test_redrive_to_dead_letter_queue_wakes_its_waiters(cloudlet, sqs):
    dlq = make_queue(sqs, "dlq")
    src = make_queue(
        sqs, "src", RedrivePolicy=json.dumps({"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": 1})
    )
    sqs.send_message(QueueUrl=src, MessageBody="poison")
    sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)  # its one receive
    waiters = Waiters(cloudlet, dlq, 1)
    settle()
    assert "Messages" not in sqs.receive_message(QueueUrl=src)  # moves it to the dead-letter queue
    since = time.monotonic()
    results = waiters.results()
    assert_prompt(results, since)
    assert bodies(results) == ["poison"]


def test_move_task_back_to_the_source_wakes_its_waiters(cloudlet, sqs):
    dlq = make_queue(sqs, "dlq")
    src = make_queue(
        sqs, "src", RedrivePolicy=json.dumps({"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": 1})
    )
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=src, MessageBody=body)
    sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert "Messages" not in sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)
    assert queue_attrs(sqs, dlq, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "2"
    waiters = Waiters(cloudlet, src, 2)
    settle()
    sqs.start_message_move_task(SourceArn=_arn(sqs, dlq))
    since = time.monotonic()
    results = waiters.results()
    assert_prompt(results, since)
    assert bodies(results) == ["a", "b"]


# ---- a visibility timeout running out during the wait ---------------------------------------


def test_expiry_between_the_empty_check_and_the_wait_is_not_missed(cloudlet, sqs, service, monkeypatch):
    """The message's visibility runs out right after the poll's empty receive (a slow machine, a
    GC pause): the poll must still see it at once, not at the end of its wait."""
    url = make_queue(sqs)
    real = service.messages.receive
    for _ in range(2):
        sqs.send_message(QueueUrl=url, MessageBody="m")
        sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)
        visible_at = time.time() + 1.0
        calls = []

        def slow_receive(*args, calls=calls, visible_at=visible_at, **kwargs):
            result = real(*args, **kwargs)
            if not calls:  # the poll's first, empty receive: stall past the expiry
                time.sleep(max(visible_at + 0.05 - time.time(), 0))
            calls.append(1)
            return result

        monkeypatch.setattr(service.messages, "receive", slow_receive)
        start = time.monotonic()
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
        elapsed = time.monotonic() - start
        monkeypatch.setattr(service.messages, "receive", real)
        assert [m["Body"] for m in got["Messages"]] == ["m"]
        assert elapsed < 1.0 + PROMPT, f"the poll answered after {elapsed:.2f} s"
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got["Messages"][0]["ReceiptHandle"])


def test_concurrent_waiters_never_miss_expiring_messages(cloudlet, sqs):
    """Rounds of messages whose 1 s visibility runs out while several polls wait on them."""
    url = make_queue(sqs)
    for round_ in range(3):
        for i in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=f"{round_}-{i}")
        taken = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1)["Messages"]
        assert len(taken) == 3
        expires = time.monotonic() + 1.0
        # stagger the polls so their receives land at different moments around the expiry
        waiters = []
        for offset in (0.0, 0.45, 0.9):
            time.sleep(max(expires - 1.0 + offset - time.monotonic(), 0))
            waiters.append(Waiters(cloudlet, url, 1, MaxNumberOfMessages=1, VisibilityTimeout=30))
        results = [r for w in waiters for r in w.results()]
        assert bodies(results) == [f"{round_}-{i}" for i in range(3)]
        assert_prompt(results, expires)
        _delete(sqs, url, [m for messages, _ in results for m in messages])


# ---- no busy polling -------------------------------------------------------------------------


def test_idle_long_polls_make_few_store_queries(cloudlet, sqs, service, monkeypatch):
    standard = make_queue(sqs)
    fifo = make_queue(sqs, "idle.fifo", FifoQueue="true")
    sqs.send_message(QueueUrl=standard, MessageBody="far", DelaySeconds=900)
    _locked_groups(sqs, fifo, 1)  # a visible message behind a locked group
    real = service.messages.receive
    calls = []

    def counted(*args, **kwargs):
        calls.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(service.messages, "receive", counted)
    wait = 2
    # one receive at the start and one at the deadline, whatever the wait's length; with
    # PostgreSQL one more per poll interval (other nodes' sends are not notified)
    allowed = 2 + (wait / service.poll_interval + 1 if service.store.blocking else 0)
    for url in (standard, fifo, make_queue(sqs, "empty")):
        calls.clear()
        start, cpu = time.monotonic(), time.process_time()
        assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=wait)
        assert wait - 0.1 < time.monotonic() - start < wait + 1
        assert len(calls) <= allowed, f"{len(calls)} receives in an idle {wait} s wait"
        used = time.process_time() - cpu  # this process: the test's client and the server
        assert used < 0.1 * wait, f"an idle {wait} s wait used {used:.3f} s of CPU"


def test_fifo_group_unlocks_when_its_in_flight_message_expires(cloudlet, sqs):
    """An in-flight message past its retention period is gone: its group unlocks then, and a
    waiting poll gets the group's next message without waiting for the visibility timeout."""
    url = make_queue(sqs, "retained.fifo", FifoQueue="true", MessageRetentionPeriod=60)
    _locked_groups(sqs, url, 1)
    # the head reaches its retention period in 1 s (from now: not from its send, some calls ago)
    sent_ms, expires = int(time.time() * 1000) - 59000, time.monotonic() + 1.0
    with cloudlet.platform.store.tx() as conn:
        conn.execute("UPDATE sqs_messages SET sent_ms = ? WHERE body = 'g0-1'", (sent_ms,))
    results = Waiters(cloudlet, url, 1).results()
    assert bodies(results) == ["g0-2"]
    assert_prompt(results, expires)
    assert results[0][1] > expires - 0.1
