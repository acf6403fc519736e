"""Two cloudlet nodes on one PostgreSQL store serve the same queues (skipped on SQLite)."""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqs_helpers import make_queue, raises

from cloudlet.testing.pytest_plugin import CloudletHandle, start_server

STORE = os.environ.get("CLOUDLET_TEST_STORE", "")
pytestmark = pytest.mark.skipif(
    not STORE.startswith("postgres"), reason="needs CLOUDLET_TEST_STORE=postgresql://..."
)


@pytest.fixture
def second_node(cloudlet):
    server = start_server(store=STORE)
    yield CloudletHandle(server)
    server.stop()


def test_long_poll_on_one_node_sees_a_send_on_another(cloudlet, second_node):
    a, b = cloudlet.client("sqs"), second_node.client("sqs")
    url = make_queue(a, "shared")

    def send_later():
        time.sleep(0.3)
        b.send_message(QueueUrl=url, MessageBody="from b")

    thread = threading.Thread(target=send_later)
    start = time.monotonic()
    thread.start()
    got = a.receive_message(QueueUrl=url, WaitTimeSeconds=10)
    thread.join()
    assert [m["Body"] for m in got["Messages"]] == ["from b"]
    assert time.monotonic() - start < 5  # woken by the once-a-second re-check at worst, not after 10 s
    b.delete_message(QueueUrl=url, ReceiptHandle=got["Messages"][0]["ReceiptHandle"])
    assert a.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])[
        "Attributes"
    ] == {"ApproximateNumberOfMessagesNotVisible": "0"}


def test_metadata_changes_reach_the_other_node(cloudlet, second_node):
    a, b = cloudlet.client("sqs"), second_node.client("sqs")
    url = make_queue(a, "meta")
    b.send_message(QueueUrl=url, MessageBody="x")  # b caches the queue
    a.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "5"})
    time.sleep(1.1)
    b.send_message(QueueUrl=url, MessageBody="delayed")
    counts = a.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"
    a.delete_queue(QueueUrl=url)
    time.sleep(1.1)
    with raises("AWS.SimpleQueueService.NonExistentQueue", 400, "QueueDoesNotExist"):
        b.send_message(QueueUrl=url, MessageBody="y")


def test_fifo_group_stays_blocked_across_nodes(cloudlet, second_node):
    a, b = cloudlet.client("sqs"), second_node.client("sqs")
    url = make_queue(a, "g.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    for i in range(3):
        a.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g")
    assert b.send_message(QueueUrl=url, MessageBody="m0", MessageGroupId="g")  # a duplicate, not stored
    first = a.receive_message(QueueUrl=url)["Messages"]
    assert [m["Body"] for m in first] == ["m0"]
    assert "Messages" not in b.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    b.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    assert [m["Body"] for m in b.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == [
        "m1",
        "m2",
    ]
