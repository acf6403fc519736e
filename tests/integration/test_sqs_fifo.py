"""SQS FIFO queues: group ordering, in-flight group blocking, deduplication, sequence numbers."""

from __future__ import annotations

import hashlib
import time

import pytest
from polling import Window
from sqs_helpers import make_queue, raises


@pytest.fixture
def sqs(cloudlet):
    return cloudlet.client("sqs")


def fifo(sqs, name="f.fifo", **attrs) -> str:
    return make_queue(sqs, name, FifoQueue="true", **attrs)


def bodies(messages) -> list[str]:
    return [m["Body"] for m in messages]


def test_order_within_group_and_sequence_numbers(sqs):
    url = fifo(sqs)
    seqs = []
    for i in range(5):
        sent = sqs.send_message(
            QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}"
        )
        seqs.append(sent["SequenceNumber"])
    assert all(len(s) == 20 and s.isdigit() for s in seqs)
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])[
        "Messages"
    ]
    assert bodies(msgs) == ["m0", "m1", "m2", "m3", "m4"]
    attrs = msgs[0]["Attributes"]
    assert attrs["MessageGroupId"] == "g"
    assert attrs["MessageDeduplicationId"] == "d0"
    assert attrs["SequenceNumber"] == seqs[0]


def test_in_flight_group_blocks_the_group_only(sqs):
    url = fifo(sqs, VisibilityTimeout=1)
    for i, group in enumerate(["a", "a", "b"]):
        sqs.send_message(
            QueueUrl=url, MessageBody=f"{group}{i}", MessageGroupId=group, MessageDeduplicationId=str(i)
        )
    with Window(1.0).inside("receiving while a0 is in flight"):
        first = sqs.receive_message(QueueUrl=url)["Messages"]
        assert bodies(first) == ["a0"]
        # a1 must wait until a0 is deleted or visible again; b2 is free
        assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == ["b2"]
        assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    time.sleep(1.1)
    # a0 came back (not deleted) and is delivered before a1
    again = sqs.receive_message(QueueUrl=url)["Messages"]
    assert bodies(again) == ["a0"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"])
    # b2 was not deleted either, so it is back too
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == ["a1", "b2"]


def test_explicit_deduplication(sqs):
    url = fifo(sqs)
    first = sqs.send_message(
        QueueUrl=url, MessageBody="one", MessageGroupId="g", MessageDeduplicationId="same"
    )
    dup = sqs.send_message(QueueUrl=url, MessageBody="two", MessageGroupId="g", MessageDeduplicationId="same")
    assert dup["MessageId"] == first["MessageId"]
    assert dup["SequenceNumber"] == first["SequenceNumber"]
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert bodies(msgs) == ["one"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    # still a duplicate after the first was consumed, within the 5-minute window
    sqs.send_message(QueueUrl=url, MessageBody="three", MessageGroupId="g", MessageDeduplicationId="same")
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_deduplication_window_expires(cloudlet, sqs):
    url = fifo(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="one", MessageGroupId="g", MessageDeduplicationId="w")
    with cloudlet.platform.store.tx() as conn:
        conn.execute("UPDATE sqs_dedup SET expires_ms = expires_ms - 300001")
    sqs.send_message(QueueUrl=url, MessageBody="two", MessageGroupId="g", MessageDeduplicationId="w")
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == ["one", "two"]


def test_content_based_deduplication(sqs):
    url = fifo(sqs, ContentBasedDeduplication="true")
    a = sqs.send_message(QueueUrl=url, MessageBody="body", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=url, MessageBody="body", MessageGroupId="h")
    assert a["MessageId"] == b["MessageId"]
    # an explicit id equal to the body's SHA-256 is the same message
    c = sqs.send_message(
        QueueUrl=url,
        MessageBody="other",
        MessageGroupId="g",
        MessageDeduplicationId=hashlib.sha256(b"body").hexdigest(),
    )
    assert c["MessageId"] == a["MessageId"]
    d = sqs.send_message(
        QueueUrl=url, MessageBody="body", MessageGroupId="g", MessageDeduplicationId="explicit"
    )
    assert d["MessageId"] != a["MessageId"]
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])[
        "Messages"
    ]
    assert bodies(msgs) == ["body", "body"]
    assert msgs[0]["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"body").hexdigest()


def test_deduplication_scope_message_group(sqs):
    url = fifo(sqs, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    a = sqs.send_message(QueueUrl=url, MessageBody="1", MessageGroupId="g1", MessageDeduplicationId="d")
    b = sqs.send_message(QueueUrl=url, MessageBody="2", MessageGroupId="g2", MessageDeduplicationId="d")
    c = sqs.send_message(QueueUrl=url, MessageBody="3", MessageGroupId="g1", MessageDeduplicationId="d")
    assert a["MessageId"] != b["MessageId"]
    assert c["MessageId"] == a["MessageId"]


def test_fifo_parameter_rules(sqs):
    url = fifo(sqs)
    with raises("MissingParameter"):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    with raises("InvalidParameterValue"):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")  # no dedup id, no content-based
    with raises("InvalidParameterValue"):
        sqs.send_message(
            QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=1
        )
    standard = make_queue(sqs, "std")
    with raises("InvalidParameterValue"):
        sqs.send_message(QueueUrl=standard, MessageBody="x", MessageDeduplicationId="d")
    # a FIFO batch with a bad entry is refused as a whole: nothing is stored
    with raises("InvalidParameterValue"):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": "ok", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "1"},
                {"Id": "nogroup", "MessageBody": "y", "MessageDeduplicationId": "2"},
            ],
        )
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_queue_delay_applies_to_fifo(sqs):
    url = fifo(sqs, DelaySeconds=1)
    sqs.send_message(QueueUrl=url, MessageBody="late", MessageGroupId="g", MessageDeduplicationId="1")
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3)
    assert bodies(got["Messages"]) == ["late"]


def test_receive_request_attempt_id_replays_the_same_messages(sqs):
    url = fifo(sqs, ContentBasedDeduplication="true")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId=f"g{i}")
    first = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=2,
        ReceiveRequestAttemptId="try-1",
        MessageSystemAttributeNames=["All"],
    )["Messages"]
    retry = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=2,
        ReceiveRequestAttemptId="try-1",
        MessageSystemAttributeNames=["All"],
    )["Messages"]
    assert [(m["Body"], m["ReceiptHandle"]) for m in retry] == [
        (m["Body"], m["ReceiptHandle"]) for m in first
    ]
    assert [m["Attributes"]["ApproximateReceiveCount"] for m in retry] == ["1", "1"]
    # another attempt id gets what is left
    assert bodies(
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-2")["Messages"]
    ) == ["m2"]
    # once a message of the attempt was deleted, the attempt id starts a new receive
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="try-1")
    with raises("InvalidParameterValue"):
        sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="has space")
