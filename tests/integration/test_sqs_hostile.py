"""Malformed SQS requests get a 400 with an SQS error code, never a 500, and change nothing."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from sqs_helpers import make_queue, queue_attrs


def _post(cloudlet, operation: str, body) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(
        cloudlet.endpoint + "/",
        data=data,
        method="POST",
        headers={"X-Amz-Target": f"AmazonSQS.{operation}", "Content-Type": "application/x-amz-json-1.0"},
    )
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


BAD_SENDS = [
    {"MessageBody": 123},
    {"MessageBody": None},
    {"MessageBody": "x", "DelaySeconds": "5"},
    {"MessageBody": "x", "DelaySeconds": -1},
    {"MessageBody": "x", "MessageAttributes": "not a map"},
    {"MessageBody": "x", "MessageAttributes": {"a": "not a structure"}},
    {"MessageBody": "x", "MessageAttributes": {"a": {"DataType": "String"}}},
    {"MessageBody": "x", "MessageAttributes": {"a": {"DataType": "Binary", "BinaryValue": "%%%not base64"}}},
    {"MessageBody": "x", "MessageSystemAttributes": {"Other": {"DataType": "String", "StringValue": "v"}}},
    {"MessageBody": "x", "MessageGroupId": "bad group \u00e9"},
]


@pytest.mark.parametrize("extra", BAD_SENDS)
def test_bad_send_message_input(cloudlet, extra):
    url = make_queue(cloudlet.client("sqs"))
    status, body = _post(cloudlet, "SendMessage", {"QueueUrl": url, **extra})
    assert status == 400, body
    assert body["__type"]
    assert queue_attrs(cloudlet.client("sqs"), url, "ApproximateNumberOfMessages") == {
        "ApproximateNumberOfMessages": "0"
    }


@pytest.mark.parametrize(
    "operation,extra",
    [
        ("SendMessageBatch", {"Entries": "x"}),
        ("SendMessageBatch", {"Entries": [1, 2]}),
        ("SendMessageBatch", {"Entries": [{"Id": "a"}]}),
        ("DeleteMessageBatch", {"Entries": [{"Id": "a"}]}),
        (
            "ChangeMessageVisibilityBatch",
            {"Entries": [{"Id": "a", "ReceiptHandle": "x", "VisibilityTimeout": "1"}]},
        ),
        ("ReceiveMessage", {"MaxNumberOfMessages": "ten"}),
        ("ReceiveMessage", {"AttributeNames": "All"}),
        ("SetQueueAttributes", {"Attributes": {"VisibilityTimeout": 5}}),
        ("SetQueueAttributes", {"Attributes": ["VisibilityTimeout"]}),
        ("TagQueue", {"Tags": {"k": 1}}),
        ("DeleteMessage", {"ReceiptHandle": 5}),
    ],
)
def test_bad_input_of_other_operations(cloudlet, operation, extra):
    sqs = cloudlet.client("sqs")
    url = make_queue(sqs, VisibilityTimeout=7)
    sqs.send_message(QueueUrl=url, MessageBody="keep")
    status, body = _post(cloudlet, operation, {"QueueUrl": url, **extra})
    assert status == 400, body
    attrs = queue_attrs(sqs, url, "VisibilityTimeout", "ApproximateNumberOfMessages")
    assert attrs == {"VisibilityTimeout": "7", "ApproximateNumberOfMessages": "1"}
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {}


def test_bad_queue_urls(cloudlet):
    for url in ("", "http://x/", "http://x/a/b/c/d", 5):
        status, body = _post(cloudlet, "SendMessage", {"QueueUrl": url, "MessageBody": "x"})
        assert status == 400, (url, body)
