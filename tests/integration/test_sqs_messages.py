"""SQS messages on standard queues: send/receive/delete, digests, attributes, visibility, delays,
long polling, receipt handles, batches and limits."""

from __future__ import annotations

import threading
import time

import pytest
from polling import Window
from sqs_helpers import make_queue, queue_attrs, raises


@pytest.fixture
def sqs(cloudlet):
    return cloudlet.client("sqs")


def counts(sqs, url) -> tuple[int, int, int]:
    a = queue_attrs(
        sqs,
        url,
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    )
    return (
        int(a["ApproximateNumberOfMessages"]),
        int(a["ApproximateNumberOfMessagesNotVisible"]),
        int(a["ApproximateNumberOfMessagesDelayed"]),
    )


def test_send_receive_delete(sqs):
    url = make_queue(sqs)
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert sent["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert "SequenceNumber" not in sent
    assert counts(sqs, url) == (1, 0, 0)
    got = sqs.receive_message(QueueUrl=url)["Messages"]
    assert [(m["MessageId"], m["Body"], m["MD5OfBody"]) for m in got] == [
        (sent["MessageId"], "hello", sent["MD5OfMessageBody"])
    ]
    assert "Attributes" not in got[0] and "MessageAttributes" not in got[0]
    assert counts(sqs, url) == (0, 1, 0)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)
    # deleting again with the same handle succeeds
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])


def test_message_attribute_digests_match_sqs(sqs):
    url = make_queue(sqs)
    attributes = {
        "attribName1": {"DataType": "String", "StringValue": "attribValue 1"},
        "customNumberTypeAttrib": {
            "DataType": "Number.float",
            "StringValue": "4563442423554324324264524243.32543234",
        },
        "binaryAttribute": {"DataType": "Binary", "BinaryValue": b"Hello binary world!"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    # the digest SQS computes for exactly these attributes
    assert sent["MD5OfMessageAttributes"] == "c932db14a896c663f83c260297d594ff"
    one = sqs.send_message(
        QueueUrl=url, MessageBody="y", MessageAttributes={"attribName1": attributes["attribName1"]}
    )
    assert one["MD5OfMessageAttributes"] == "19e27d4e946b072f3f58da80d94fd778"
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    by_body = {m["Body"]: m for m in got}
    assert by_body["x"]["MessageAttributes"] == attributes
    assert by_body["x"]["MD5OfMessageAttributes"] == "c932db14a896c663f83c260297d594ff"


def test_trace_header_system_attribute(sqs):
    url = make_queue(sqs)
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="t",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": trace}},
    )
    assert len(sent["MD5OfMessageSystemAttributes"]) == 32
    msg = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["AWSTraceHeader"])["Messages"][0]
    assert msg["Attributes"] == {"AWSTraceHeader": trace}


def test_attribute_selection(sqs):
    url = make_queue(sqs, VisibilityTimeout=0)
    attrs = {
        "order.id": {"DataType": "String", "StringValue": "1"},
        "order.total": {"DataType": "Number", "StringValue": "9.5"},
        "user": {"DataType": "String", "StringValue": "u"},
    }
    sqs.send_message(QueueUrl=url, MessageBody="b", MessageAttributes=attrs)

    def names(**kwargs):
        m = sqs.receive_message(QueueUrl=url, **kwargs)["Messages"][0]
        return sorted(m.get("MessageAttributes", {})), sorted(m.get("Attributes", {}))

    assert names() == ([], [])
    assert names(MessageAttributeNames=["All"])[0] == ["order.id", "order.total", "user"]
    assert names(MessageAttributeNames=[".*"])[0] == ["order.id", "order.total", "user"]
    assert names(MessageAttributeNames=["order.*"])[0] == ["order.id", "order.total"]
    assert names(MessageAttributeNames=["user", "nothing"])[0] == ["user"]
    assert names(MessageSystemAttributeNames=["SentTimestamp"])[1] == ["SentTimestamp"]
    assert names(AttributeNames=["ApproximateReceiveCount", "SenderId"])[1] == [
        "ApproximateReceiveCount",
        "SenderId",
    ]
    assert names(MessageSystemAttributeNames=["All"])[1] == [
        "ApproximateFirstReceiveTimestamp",
        "ApproximateReceiveCount",
        "SenderId",
        "SentTimestamp",
    ]


def test_receive_count_and_first_receive_timestamp(sqs):
    url = make_queue(sqs, VisibilityTimeout=0)
    sqs.send_message(QueueUrl=url, MessageBody="again")
    seen = []
    for _ in range(3):
        m = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"][0]
        seen.append(
            (m["Attributes"]["ApproximateReceiveCount"], m["Attributes"]["ApproximateFirstReceiveTimestamp"])
        )
    assert [s[0] for s in seen] == ["1", "2", "3"]
    assert len({s[1] for s in seen}) == 1
    assert int(seen[0][1]) >= int(m["Attributes"]["SentTimestamp"])


def test_visibility_timeout_queue_and_per_receive(sqs):
    url = make_queue(sqs, VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="v")
    with Window(1.0).inside("receiving again while the message is in flight"):
        first = sqs.receive_message(QueueUrl=url)["Messages"][0]
        assert "Messages" not in sqs.receive_message(QueueUrl=url)
    time.sleep(1.1)
    second = sqs.receive_message(QueueUrl=url, VisibilityTimeout=5)["Messages"][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    time.sleep(1.1)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert counts(sqs, url) == (0, 1, 0)


def test_stale_receipt_handle_does_not_delete(sqs):
    url = make_queue(sqs, VisibilityTimeout=0)
    sqs.send_message(QueueUrl=url, MessageBody="s")
    old = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    new = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old)  # succeeds, deletes nothing
    assert counts(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=new)
    assert counts(sqs, url) == (0, 0, 0)


def test_invalid_receipt_handles(sqs):
    url = make_queue(sqs)
    other = make_queue(sqs, "other")
    with raises("ReceiptHandleIsInvalid", 400, "ReceiptHandleIsInvalid"):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage!")
    sqs.send_message(QueueUrl=other, MessageBody="o")
    handle = sqs.receive_message(QueueUrl=other)["Messages"][0]["ReceiptHandle"]
    with raises("ReceiptHandleIsInvalid", 400, "ReceiptHandleIsInvalid"):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert counts(sqs, other) == (0, 1, 0)
    with raises("ReceiptHandleIsInvalid"):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="garbage!", VisibilityTimeout=1)


def test_change_message_visibility(sqs):
    url = make_queue(sqs, VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="c")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url)["Messages"][0]
    with raises("InvalidParameterValue"):
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=43201
        )
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=1)
    time.sleep(1.1)
    # the visibility timeout ran out: SQS answers OK and changes nothing, the message stays visible
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=5)
    third = sqs.receive_message(QueueUrl=url)["Messages"][0]
    # an earlier receipt handle still changes the visibility of the message (as with SQS)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    fourth = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert fourth["MessageId"] == third["MessageId"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=fourth["ReceiptHandle"])
    with raises("InvalidParameterValue"):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=fourth["ReceiptHandle"], VisibilityTimeout=5)
    with raises("InvalidParameterValue"):  # nor does any earlier one, once the message is deleted
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=5)


def test_change_message_visibility_batch(sqs):
    url = make_queue(sqs)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(2)])
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    result = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": msgs[0]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "b", "ReceiptHandle": msgs[1]["ReceiptHandle"], "VisibilityTimeout": 50000},
            {"Id": "c", "ReceiptHandle": "nope", "VisibilityTimeout": 0},
        ],
    )
    assert [s["Id"] for s in result["Successful"]] == ["a"]
    failed = {f["Id"]: f for f in result["Failed"]}
    assert failed["b"]["Code"] == "InvalidParameterValue" and failed["b"]["SenderFault"] is True
    assert failed["c"]["Code"] == "ReceiptHandleIsInvalid"
    assert counts(sqs, url) == (1, 1, 0)


def test_delays(sqs):
    url = make_queue(sqs, DelaySeconds=1)
    sqs.send_message(QueueUrl=url, MessageBody="queue-delay")
    sqs.send_message(QueueUrl=url, MessageBody="no-delay", DelaySeconds=0)
    assert counts(sqs, url) == (1, 0, 1)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["no-delay"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    time.sleep(1.1)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["queue-delay"]
    with raises("InvalidParameterValue"):
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)


def test_long_poll_returns_as_soon_as_a_message_arrives(sqs, cloudlet):
    url = make_queue(sqs)
    sender = cloudlet.client("sqs", region_name="us-east-1")

    def later():
        time.sleep(0.5)
        sender.send_message(QueueUrl=url, MessageBody="late")

    thread = threading.Thread(target=later)
    start = time.monotonic()
    thread.start()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)
    elapsed = time.monotonic() - start
    thread.join()
    assert [m["Body"] for m in got["Messages"]] == ["late"]
    assert 0.4 < elapsed < 5  # a poll that missed the send would answer after its 10 s wait


def test_long_poll_wakes_on_delay_expiry_and_times_out(sqs):
    url = make_queue(sqs, ReceiveMessageWaitTimeSeconds=2)
    start = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # queue default wait applies
    assert 1.9 < time.monotonic() - start < 4
    sqs.send_message(QueueUrl=url, MessageBody="d", DelaySeconds=1)
    start = time.monotonic()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
    assert [m["Body"] for m in got["Messages"]] == ["d"]
    assert 0.8 < time.monotonic() - start < 4  # not the whole 5 s wait
    start = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    assert time.monotonic() - start < 1.5  # not the queue's 2 s wait


def test_receive_parameter_ranges(sqs):
    url = make_queue(sqs)
    for kwargs in (
        {"MaxNumberOfMessages": 0},
        {"MaxNumberOfMessages": 11},
        {"WaitTimeSeconds": 21},
        {"VisibilityTimeout": 43201},
    ):
        with raises("InvalidParameterValue"):
            sqs.receive_message(QueueUrl=url, **kwargs)


def test_max_number_of_messages(sqs):
    url = make_queue(sqs)
    for batch in range(2):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"{batch}-{i}"} for i in range(10)]
        )
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 10
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=4)["Messages"]) == 4
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    assert counts(sqs, url) == (5, 15, 0)


def test_body_characters(sqs):
    url = make_queue(sqs)
    good = "tab\t nl\n cr\r \u00e9 \ud7ff \ue000 \ufffd \U0001f600 \U0010ffff"
    assert sqs.send_message(QueueUrl=url, MessageBody=good)["MessageId"]
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == good
    for bad in ("nul\x00", "bell\x07", "\ufffe", "\uffff"):
        with raises("InvalidMessageContents", 400, "InvalidMessageContents"):
            sqs.send_message(QueueUrl=url, MessageBody=bad)
    with raises("MissingParameter"):
        sqs.send_message(QueueUrl=url, MessageBody="")
    assert counts(sqs, url) == (0, 1, 0)


def test_message_size_limits(sqs):
    url = make_queue(sqs)
    big = "x" * 1048576
    assert sqs.send_message(QueueUrl=url, MessageBody=big)["MessageId"]
    with raises("InvalidParameterValue"):
        sqs.send_message(QueueUrl=url, MessageBody=big + "x")
    with raises("InvalidParameterValue"):  # attributes count toward the size
        sqs.send_message(
            QueueUrl=url,
            MessageBody=big[:-5],
            MessageAttributes={"a": {"DataType": "String", "StringValue": "123456"}},
        )
    small = make_queue(sqs, "small", MaximumMessageSize=1024)
    sqs.send_message(QueueUrl=small, MessageBody="é" * 512)
    with raises("InvalidParameterValue"):
        sqs.send_message(QueueUrl=small, MessageBody="é" * 513)
    assert counts(sqs, url) == (1, 0, 0) and counts(sqs, small) == (1, 0, 0)


@pytest.mark.parametrize(
    "attributes",
    [
        {"AWS.x": {"DataType": "String", "StringValue": "v"}},
        {"amazon.x": {"DataType": "String", "StringValue": "v"}},
        {".lead": {"DataType": "String", "StringValue": "v"}},
        {"trail.": {"DataType": "String", "StringValue": "v"}},
        {"two..dots": {"DataType": "String", "StringValue": "v"}},
        {"bad name": {"DataType": "String", "StringValue": "v"}},
        {"t": {"DataType": "Integer", "StringValue": "1"}},
        {"t": {"DataType": "Number", "StringValue": "one"}},
        {"t": {"DataType": "String", "StringValue": ""}},
        {"t": {"DataType": "Binary", "StringValue": "not binary"}},
        {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)},
    ],
)
def test_bad_message_attributes(sqs, attributes):
    url = make_queue(sqs)
    with raises("InvalidParameterValue"):
        sqs.send_message(QueueUrl=url, MessageBody="b", MessageAttributes=attributes)
    assert counts(sqs, url) == (0, 0, 0)


def test_send_message_batch(sqs):
    url = make_queue(sqs)
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok1", "MessageBody": "one"},
            {"Id": "bad", "MessageBody": "nul\x00"},
            {
                "Id": "ok2",
                "MessageBody": "two",
                "DelaySeconds": 1,
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
            },
        ],
    )
    assert [s["Id"] for s in result["Successful"]] == ["ok1", "ok2"]
    assert result["Successful"][0]["MD5OfMessageBody"] == "f97c5d29941bfb1b2fdab0874906ab82"
    assert result["Successful"][1]["MD5OfMessageAttributes"]
    assert result["Failed"] == [
        {
            "Id": "bad",
            "SenderFault": True,
            "Code": "InvalidMessageContents",
            "Message": result["Failed"][0]["Message"],
        }
    ]
    assert counts(sqs, url) == (1, 0, 1)


def test_batch_request_errors(sqs):
    url = make_queue(sqs)
    with raises("AWS.SimpleQueueService.EmptyBatchRequest", 400, "EmptyBatchRequest"):
        sqs.send_message_batch(QueueUrl=url, Entries=[])
    with raises("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400, "TooManyEntriesInBatchRequest"):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "m"} for i in range(11)])
    with raises("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, "BatchEntryIdsNotDistinct"):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "m"}] * 2)
    with raises("AWS.SimpleQueueService.InvalidBatchEntryId", 400, "InvalidBatchEntryId"):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "has space", "MessageBody": "m"}])
    with raises("AWS.SimpleQueueService.InvalidBatchEntryId"):
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "x" * 81, "ReceiptHandle": "h"}])
    with raises("AWS.SimpleQueueService.BatchRequestTooLong", 400, "BatchRequestTooLong"):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x" * 300000} for i in range(4)]
        )
    with raises("AWS.SimpleQueueService.EmptyBatchRequest"):
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=[])
    assert counts(sqs, url) == (0, 0, 0)


def test_delete_message_batch(sqs):
    url = make_queue(sqs)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)])
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)["Messages"]
    result = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": f"e{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs[:2])]
        + [{"Id": "bad", "ReceiptHandle": "@@"}],
    )
    assert sorted(s["Id"] for s in result["Successful"]) == ["e0", "e1"]
    assert [(f["Id"], f["Code"]) for f in result["Failed"]] == [("bad", "ReceiptHandleIsInvalid")]
    assert counts(sqs, url) == (0, 1, 0)


def test_retention_expiry(cloudlet, sqs):
    url = make_queue(sqs, MessageRetentionPeriod=60)
    sqs.send_message(QueueUrl=url, MessageBody="old")
    sqs.send_message(QueueUrl=url, MessageBody="new")
    # age the first message past the retention period
    with cloudlet.platform.store.tx() as conn:
        conn.execute("UPDATE sqs_messages SET sent_ms = sent_ms - 61000 WHERE body = 'old'")
    assert counts(sqs, url) == (1, 0, 0)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == [
        "new"
    ]
    assert cloudlet.platform.loaded_service("sqs").sweep_once() == 1


def test_queue_errors_name_the_missing_queue(sqs):
    missing = "http://127.0.0.1/000000000000/missing"
    for call in (
        lambda: sqs.send_message(QueueUrl=missing, MessageBody="x"),
        lambda: sqs.receive_message(QueueUrl=missing),
        lambda: sqs.purge_queue(QueueUrl=missing),
        lambda: sqs.list_queue_tags(QueueUrl=missing),
    ):
        with raises("AWS.SimpleQueueService.NonExistentQueue", 400, "QueueDoesNotExist"):
            call()


def test_message_group_id_on_a_standard_queue(sqs):
    url = make_queue(sqs)
    sent = sqs.send_message(QueueUrl=url, MessageBody="g", MessageGroupId="tenant-1")
    assert "SequenceNumber" not in sent
    message = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["MessageGroupId"])["Messages"][0]
    assert message["Attributes"] == {"MessageGroupId": "tenant-1"}


def test_aws_cli_round_trip(cloudlet, sqs):
    import json
    import os
    import subprocess
    import sys

    url = make_queue(sqs, "cli")
    env = {**os.environ, **cloudlet.env()}
    # AWS CLI v1 replaces a missing --endpoint-url for sqs with queue.amazonaws.com, ignoring
    # AWS_ENDPOINT_URL, so the endpoint is passed explicitly
    aws = [sys.executable, "-m", "awscli", "--endpoint-url", cloudlet.endpoint, "sqs"]
    sent = subprocess.run(
        [
            *aws,
            "send-message",
            "--queue-url",
            url,
            "--message-body",
            "from the cli",
            "--message-attributes",
            '{"k": {"DataType": "String", "StringValue": "v"}}',
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["MD5OfMessageBody"]
    got = subprocess.run(
        [*aws, "receive-message", "--queue-url", url, "--message-attribute-names", "All"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert got.returncode == 0, got.stderr
    message = json.loads(got.stdout)["Messages"][0]
    assert message["Body"] == "from the cli"
    assert message["MessageAttributes"] == {"k": {"StringValue": "v", "DataType": "String"}}


def test_visibility_cannot_extend_past_twelve_hours(cloudlet, sqs):
    url = make_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="long")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43200)
    # pretend the receipt was an hour ago: 12 more hours would pass the cap
    with cloudlet.platform.store.tx() as conn:
        conn.execute("UPDATE sqs_messages SET recv_ms = recv_ms - 3600000")
    with raises("InvalidParameterValue"):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43200)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=39600)
