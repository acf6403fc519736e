"""SQS durability: acknowledged messages survive `kill -9` of the server exactly once.

A real `cloudlet up` runs as a subprocess; threads send and consume on several queues; the server
is killed with SIGKILL mid-way and restarted on the same data directory. Then every
acknowledged send is there exactly once, no acknowledged delete comes back, and messages that
were in flight become visible again after their (short) visibility timeout.
"""

from __future__ import annotations

import threading
import time

import pytest
import server_process as sp

VISIBILITY = 2
QUEUES = ["d-0", "d-1", "d-2", "d-3.fifo"]


@pytest.mark.slow
def test_messages_survive_kill_9(tmp_path):
    with sp.running(tmp_path) as server:
        sqs = server.client("sqs")
        urls = {}
        for name in QUEUES:
            attrs = {"VisibilityTimeout": str(VISIBILITY)}
            if name.endswith(".fifo"):
                attrs["FifoQueue"] = "true"
            urls[name] = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]

        acked_sends: dict[str, set[str]] = {n: set() for n in QUEUES}
        acked_deletes: dict[str, set[str]] = {n: set() for n in QUEUES}
        in_flight: dict[str, set[str]] = {n: set() for n in QUEUES}
        lock = threading.Lock()
        stop = threading.Event()

        def producer(name: str, worker: int) -> None:
            client = server.client("sqs")
            i = 0
            while not stop.is_set():
                body = f"{name}/{worker}/{i}"
                extra = (
                    {"MessageGroupId": f"g{worker}", "MessageDeduplicationId": body}
                    if name.endswith(".fifo")
                    else {}
                )
                try:
                    if i % 3 == 0:
                        entries = [
                            {"Id": str(k), "MessageBody": f"{body}/{k}", **_dedup(extra, k)} for k in range(5)
                        ]
                        result = client.send_message_batch(QueueUrl=urls[name], Entries=entries)
                        with lock:
                            acked_sends[name].update(
                                e["MessageBody"]
                                for e in entries
                                if e["Id"] in {s["Id"] for s in result.get("Successful", [])}
                            )
                    else:
                        client.send_message(QueueUrl=urls[name], MessageBody=body, **extra)
                        with lock:
                            acked_sends[name].add(body)
                except Exception:
                    return  # the server is gone
                i += 1

        def consumer(name: str) -> None:
            client = server.client("sqs")
            while not stop.is_set():
                try:
                    messages = client.receive_message(QueueUrl=urls[name], MaxNumberOfMessages=10).get(
                        "Messages", []
                    )
                    for n, message in enumerate(messages):
                        if n % 2:  # keep every other one in flight, never deleted
                            with lock:
                                in_flight[name].add(message["Body"])
                            continue
                        client.delete_message(QueueUrl=urls[name], ReceiptHandle=message["ReceiptHandle"])
                        with lock:
                            acked_deletes[name].add(message["Body"])
                except Exception:
                    return

        threads = [threading.Thread(target=producer, args=(n, w)) for n in QUEUES for w in range(2)]
        threads += [threading.Thread(target=consumer, args=(n,)) for n in QUEUES]
        for t in threads:
            t.start()
        time.sleep(2.0)
        server.kill_9()
        killed = time.monotonic()
        stop.set()
        for t in threads:
            t.join(timeout=10)

        total = sum(len(s) for s in acked_sends.values())
        assert total > 100, "the load did not get going"
        assert sum(len(s) for s in acked_deletes.values()) > 10

        server.restart()
        sqs = server.client("sqs")
        # in-flight messages come back once their visibility timeout has run out
        time.sleep(max(0.0, killed + VISIBILITY + 0.2 - time.monotonic()))
        started = time.monotonic()
        for name in QUEUES:
            seen: list[str] = []
            empty = 0
            while empty < 2:
                messages = sqs.receive_message(
                    QueueUrl=urls[name], MaxNumberOfMessages=10, VisibilityTimeout=60
                ).get("Messages", [])
                seen += [m["Body"] for m in messages]
                if not messages:
                    empty += 1
                    continue
                empty = 0
                # deleting as we go lets the next message of a FIFO group through
                sqs.delete_message_batch(
                    QueueUrl=urls[name],
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
                    ],
                )
            with lock:
                sends, deletes, kept = acked_sends[name], acked_deletes[name], in_flight[name]
            assert len(seen) == len(set(seen)), f"{name}: a message was delivered twice"
            survivors = set(seen)
            assert sends - deletes <= survivors, f"{name}: acknowledged messages were lost"
            assert not (survivors & deletes), f"{name}: deleted messages came back"
            assert kept - deletes <= survivors, f"{name}: in-flight messages did not come back"
        assert time.monotonic() - started < 10


def _dedup(extra: dict, k: int) -> dict:
    if not extra:
        return {}
    return {
        "MessageGroupId": extra["MessageGroupId"],
        "MessageDeduplicationId": f"{extra['MessageDeduplicationId']}/{k}",
    }
