"""SQS over the query protocol (Action=...&Version=2012-11-05, form in, XML out).

The oracle is SQS's own query model as botocore shipped it before SQS moved to json
(botocore 1.31.0): current botocore's query serializer and parser, driven by that model, call
the live server. The wheel is downloaded once into a cache under the system temp dir.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest
from botocore import parsers, serialize
from botocore.model import ServiceModel
from polling import Window, wait_for

OLD_BOTOCORE = "1.31.0"
MODEL_PATH = "botocore/data/sqs/2012-11-05/service-2.json"


def _old_model() -> ServiceModel:
    cache = Path(tempfile.gettempdir()) / "cloudlet-sqs-oracle"
    wheel = cache / f"botocore-{OLD_BOTOCORE}-py3-none-any.whl"
    if not wheel.exists():
        cache.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                f"botocore=={OLD_BOTOCORE}",
                "-d",
                str(cache),
            ],
            capture_output=True,
            timeout=120,
        )
        if result.returncode or not wheel.exists():
            pytest.skip(
                f"botocore {OLD_BOTOCORE} (the SQS query model oracle) could not be downloaded: offline?"
            )
    with zipfile.ZipFile(wheel) as archive:
        return ServiceModel(json.loads(archive.read(MODEL_PATH)), "sqs")


class QueryClient:
    """Calls the server with the old query model: botocore's serializer out, its parser back."""

    def __init__(self, endpoint: str, model: ServiceModel) -> None:
        self.endpoint, self.model = endpoint, model
        self.serializer = serialize.create_serializer("query")
        self.parser = parsers.create_parser("query")

    def raw(self, operation: str, path: str = "/", **params) -> tuple[int, dict, bytes]:
        op = self.model.operation_model(operation)
        request = self.serializer.serialize_to_request(params, op)
        data = urllib.parse.urlencode(request["body"]).encode()
        req = urllib.request.Request(
            self.endpoint + path,
            data=data,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def call(self, operation: str, path: str = "/", **params) -> dict:
        status, headers, body = self.raw(operation, path, **params)
        op = self.model.operation_model(operation)
        parsed = self.parser.parse({"status_code": status, "headers": headers, "body": body}, op.output_shape)
        parsed.pop("ResponseMetadata", None)
        parsed["_status"] = status
        return parsed

    def ok(self, operation: str, **params) -> dict:
        result = self.call(operation, **params)
        assert result["_status"] == 200, result
        result.pop("_status")
        return result

    def error(self, operation: str, **params) -> tuple[str, int]:
        result = self.call(operation, **params)
        return result["Error"]["Code"], result["_status"]


@pytest.fixture(scope="module")
def old_model():
    return _old_model()


@pytest.fixture
def q(cloudlet, old_model):
    return QueryClient(cloudlet.endpoint, old_model)


def test_queue_lifecycle(q, cloudlet):
    url = q.ok("CreateQueue", QueueName="jobs", Attributes={"VisibilityTimeout": "7"}, tags={"team": "a"})[
        "QueueUrl"
    ]
    assert url == f"{cloudlet.endpoint}/000000000000/jobs"
    assert q.ok("CreateQueue", QueueName="jobs", Attributes={"VisibilityTimeout": "7"})["QueueUrl"] == url
    assert q.error("CreateQueue", QueueName="jobs", Attributes={"VisibilityTimeout": "8"}) == (
        "QueueAlreadyExists",
        400,
    )
    assert q.ok("GetQueueUrl", QueueName="jobs")["QueueUrl"] == url
    assert q.error("GetQueueUrl", QueueName="nope") == ("AWS.SimpleQueueService.NonExistentQueue", 400)
    q.ok("CreateQueue", QueueName="jobs-2")
    assert q.ok("ListQueues", QueueNamePrefix="jobs")["QueueUrls"] == [url, url + "-2"]
    page = q.ok("ListQueues", MaxResults=1)
    assert page["QueueUrls"] == [url] and page["NextToken"]
    assert q.ok("ListQueues", MaxResults=1, NextToken=page["NextToken"])["QueueUrls"] == [url + "-2"]
    q.ok("SetQueueAttributes", QueueUrl=url, Attributes={"DelaySeconds": "0", "MaximumMessageSize": "4096"})
    attrs = q.ok(
        "GetQueueAttributes", QueueUrl=url, AttributeNames=["VisibilityTimeout", "MaximumMessageSize"]
    )
    assert attrs["Attributes"] == {"VisibilityTimeout": "7", "MaximumMessageSize": "4096"}
    assert q.error("SetQueueAttributes", QueueUrl=url, Attributes={"VisibilityTimeout": "-1"}) == (
        "InvalidAttributeValue",
        400,
    )
    assert q.error("GetQueueAttributes", QueueUrl=url, AttributeNames=["Nope"]) == (
        "InvalidAttributeName",
        400,
    )
    assert q.ok("ListQueueTags", QueueUrl=url)["Tags"] == {"team": "a"}
    q.ok("TagQueue", QueueUrl=url, Tags={"env": "dev"})
    q.ok("UntagQueue", QueueUrl=url, TagKeys=["team"])
    assert q.ok("ListQueueTags", QueueUrl=url)["Tags"] == {"env": "dev"}
    q.ok("AddPermission", QueueUrl=url, Label="l1", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
    policy = json.loads(
        q.ok("GetQueueAttributes", QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    assert policy["Statement"][0]["Action"] == "SQS:SendMessage"
    q.ok("RemovePermission", QueueUrl=url, Label="l1")
    assert q.error("RemovePermission", QueueUrl=url, Label="l1") == ("InvalidParameterValue", 400)
    q.ok("PurgeQueue", QueueUrl=url)
    assert q.error("PurgeQueue", QueueUrl=url) == ("AWS.SimpleQueueService.PurgeQueueInProgress", 403)
    q.ok("DeleteQueue", QueueUrl=url)
    assert q.error("DeleteQueue", QueueUrl=url) == ("AWS.SimpleQueueService.NonExistentQueue", 400)


def test_messages(q):
    url = q.ok("CreateQueue", QueueName="m")["QueueUrl"]
    attributes = {
        "attribName1": {"DataType": "String", "StringValue": "attribValue 1"},
        "binaryAttribute": {"DataType": "Binary", "BinaryValue": b"Hello binary world!"},
    }
    trace = {
        "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}
    }
    sent = q.ok(
        "SendMessage",
        QueueUrl=url,
        MessageBody="hi <&>",
        MessageAttributes=attributes,
        MessageSystemAttributes=trace,
    )
    assert (
        sent["MD5OfMessageBody"] and sent["MD5OfMessageAttributes"] and sent["MD5OfMessageSystemAttributes"]
    )
    got = q.ok(
        "ReceiveMessage",
        QueueUrl=url,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
        MaxNumberOfMessages=10,
    )["Messages"]
    assert len(got) == 1
    message = got[0]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "hi <&>"
    assert message["MessageAttributes"] == attributes
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert message["Attributes"]["AWSTraceHeader"] == trace["AWSTraceHeader"]["StringValue"]
    q.ok(
        "ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=30
    )
    q.ok("DeleteMessage", QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert q.error("DeleteMessage", QueueUrl=url, ReceiptHandle="bad") == ("ReceiptHandleIsInvalid", 400)
    assert q.error("SendMessage", QueueUrl=url, MessageBody="\x01") == ("InvalidMessageContents", 400)


def test_batches(q):
    url = q.ok("CreateQueue", QueueName="b", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    result = q.ok(
        "SendMessageBatch",
        QueueUrl=url,
        Entries=[
            {
                "Id": "a",
                "MessageBody": "one",
                "MessageAttributes": {"k": {"DataType": "Number", "StringValue": "1"}},
            },
            {"Id": "b", "MessageBody": "two", "DelaySeconds": 0},
            {"Id": "c", "MessageBody": "\x00"},
        ],
    )
    assert [s["Id"] for s in result["Successful"]] == ["a", "b"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in result["Failed"]] == [
        ("c", "InvalidMessageContents", True)
    ]
    assert q.error("SendMessageBatch", QueueUrl=url, Entries=[{"Id": "x", "MessageBody": "1"}] * 2) == (
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        400,
    )
    assert q.error("SendMessageBatch", QueueUrl=url, Entries=[]) == (
        "AWS.SimpleQueueService.EmptyBatchRequest",
        400,
    )
    messages = q.ok("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in messages) == ["one", "two"]
    changed = q.ok(
        "ChangeMessageVisibilityBatch",
        QueueUrl=url,
        Entries=[
            {"Id": f"v{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 60}
            for i, m in enumerate(messages)
        ],
    )
    assert sorted(s["Id"] for s in changed["Successful"]) == ["v0", "v1"]
    deleted = q.ok(
        "DeleteMessageBatch",
        QueueUrl=url,
        Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        + [{"Id": "bad", "ReceiptHandle": "@"}],
    )
    assert sorted(s["Id"] for s in deleted["Successful"]) == ["d0", "d1"]
    assert deleted["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"


def test_dead_letters_and_move_tasks(q):
    dlq = q.ok("CreateQueue", QueueName="dlq")["QueueUrl"]
    dlq_arn = q.ok("GetQueueAttributes", QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    src = q.ok(
        "CreateQueue", QueueName="src", Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "0"}
    )["QueueUrl"]
    assert q.ok("ListDeadLetterSourceQueues", QueueUrl=dlq)["queueUrls"] == [src]
    q.ok(
        "SendMessageBatch",
        QueueUrl=src,
        Entries=[{"Id": str(i), "MessageBody": f"poison{i}"} for i in range(3)],
    )
    assert len(q.ok("ReceiveMessage", QueueUrl=src, MaxNumberOfMessages=10)["Messages"]) == 3
    assert "Messages" not in q.ok("ReceiveMessage", QueueUrl=src, MaxNumberOfMessages=10)  # all three moved
    window = Window(1.0)  # one per second: the second message cannot move before a 1 s pause
    slow = q.ok("StartMessageMoveTask", SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    wait_for(lambda: q.ok("ListMessageMoveTasks", SourceArn=dlq_arn)["Results"][0]["ApproximateNumberOfMessagesMoved"],
             what="the first message moved")
    moved = q.ok("CancelMessageMoveTask", TaskHandle=slow)["ApproximateNumberOfMessagesMoved"]
    window.check("cancelling the task")
    assert moved == 1
    handle = q.ok("StartMessageMoveTask", SourceArn=dlq_arn)["TaskHandle"]
    for _ in range(100):
        task = q.ok("ListMessageMoveTasks", SourceArn=dlq_arn, MaxResults=10)["Results"][0]
        if task["Status"] == "COMPLETED":
            break
        time.sleep(0.05)
    assert task["Status"] == "COMPLETED" and task["ApproximateNumberOfMessagesMoved"] == 2
    tasks = q.ok("ListMessageMoveTasks", SourceArn=dlq_arn, MaxResults=10)["Results"]
    assert [t["Status"] for t in tasks] == ["COMPLETED", "CANCELLED"]
    assert q.error("CancelMessageMoveTask", TaskHandle=handle) == ("ResourceNotFoundException", 404)
    bodies = sorted(
        m["Body"] for m in q.ok("ReceiveMessage", QueueUrl=src, MaxNumberOfMessages=10)["Messages"]
    )
    assert bodies == ["poison0", "poison1", "poison2"]


def test_fifo(q):
    url = q.ok(
        "CreateQueue",
        QueueName="f.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    first = q.ok("SendMessage", QueueUrl=url, MessageBody="a", MessageGroupId="g")
    again = q.ok("SendMessage", QueueUrl=url, MessageBody="a", MessageGroupId="g")
    assert first["SequenceNumber"] == again["SequenceNumber"] and first["MessageId"] == again["MessageId"]
    q.ok("SendMessage", QueueUrl=url, MessageBody="b", MessageGroupId="g")
    messages = q.ok("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])[
        "Messages"
    ]
    assert [m["Body"] for m in messages] == ["a", "b"]
    assert messages[0]["Attributes"]["MessageGroupId"] == "g"
    assert q.error("SendMessage", QueueUrl=url, MessageBody="c") == ("MissingParameter", 400)


def test_malformed_query_input(q, cloudlet):
    status, _, body = q.raw("ReceiveMessage", QueueUrl=f"{cloudlet.endpoint}/000000000000/none")
    assert status == 400 and b"<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in body
    data = b"Action=CreateQueue&Version=2012-11-05&QueueName=x&Attribute.1.Name=DelaySeconds&Attribute.1.Value=abc"
    req = urllib.request.Request(cloudlet.endpoint + "/", data=data, method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req)
    assert info.value.code == 400 and b"<Code>InvalidAttributeValue</Code>" in info.value.read()
