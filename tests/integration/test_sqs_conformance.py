"""SQS answers held against AWS's own: error codes and texts (json and query), the Policy that
AddPermission builds, MessageAttributeNames wildcards, move task handles."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from sqs_helpers import make_queue, queue_attrs

ARN = "arn:aws:sqs:us-east-1:000000000000:"


@pytest.fixture
def sqs(cloudlet):
    return cloudlet.client("sqs", config=Config(retries={"max_attempts": 1}, parameter_validation=False))


def answer(call, **kwargs) -> tuple[str, int, str, str]:
    """(Code, HTTP status, Message, QueryErrorCode) of a call that fails."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    err = info.value.response
    return (
        err["Error"]["Code"],
        err["ResponseMetadata"]["HTTPStatusCode"],
        err["Error"]["Message"],
        err["Error"].get("QueryErrorCode", ""),
    )


def task_handle(task_id: str, source_arn: str) -> str:
    return base64.b64encode(json.dumps({"taskId": task_id, "sourceArn": source_arn}).encode()).decode()


def test_error_answers(sqs):
    url = make_queue(sqs, "q")
    fifo = make_queue(sqs, "q.fifo", FifoQueue="true")
    make_queue(sqs, "dlq")
    invalid = ("InvalidParameterValue", 400)
    cases = [
        # both kinds of server-side encryption at once
        (
            sqs.set_queue_attributes,
            {"QueueUrl": url, "Attributes": {"KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"}},
            ("InvalidAttributeName", 400),
            "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE "
            "or SQS SSE.",
        ),
        (
            sqs.create_queue,
            {"QueueName": "sse", "Attributes": {"KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"}},
            ("InvalidAttributeName", 400),
            "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE "
            "or SQS SSE.",
        ),
        # a queue's type cannot change; a standard queue does not know the attribute at all
        (
            sqs.set_queue_attributes,
            {"QueueUrl": fifo, "Attributes": {"FifoQueue": "false"}},
            ("InvalidAttributeValue", 400),
            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
        ),
        (
            sqs.set_queue_attributes,
            {"QueueUrl": url, "Attributes": {"FifoQueue": "true"}},
            ("InvalidAttributeName", 400),
            "Unknown Attribute FifoQueue.",
        ),
        (
            sqs.create_queue,
            {
                "QueueName": "x",
                "Attributes": {"RedrivePolicy": '{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}'},
            },
            invalid,
            'Value {"deadLetterTargetArn": "dummy", "maxReceiveCount": 42} for parameter RedrivePolicy is '
            "invalid. Reason: Invalid value for deadLetterTargetArn.",
        ),
        # a FIFO batch entry without a group: the whole batch, and InvalidParameterValue (not MissingParameter)
        (
            sqs.send_message_batch,
            {
                "QueueUrl": fifo,
                "Entries": [
                    {"Id": "a", "MessageBody": "b", "MessageGroupId": "g", "MessageDeduplicationId": "1"},
                    {"Id": "b", "MessageBody": "b", "MessageDeduplicationId": "2"},
                ],
            },
            invalid,
            "The request must contain the parameter MessageGroupId.",
        ),
        # RemovePermission on a queue without any policy
        (
            sqs.remove_permission,
            {"QueueUrl": url, "Label": "nothing"},
            invalid,
            "Value nothing for parameter Label is invalid. Reason: can't find label.",
        ),
        # move task handles: not a handle, a source queue that does not exist, a task that does not
        (
            sqs.cancel_message_move_task,
            {"TaskHandle": "foobared"},
            invalid,
            "Value for parameter TaskHandle is invalid.",
        ),
        (
            sqs.cancel_message_move_task,
            {"TaskHandle": base64.b64encode(b"not a handle").decode()},
            invalid,
            "Value for parameter TaskHandle is invalid.",
        ),
        (
            sqs.cancel_message_move_task,
            {"TaskHandle": task_handle("10f57157-fc38-4da9-a113-4de7e12d05dd", ARN + "nothere")},
            ("ResourceNotFoundException", 404),
            "The resource that you specified for the SourceArn parameter doesn't exist.",
        ),
        (
            sqs.cancel_message_move_task,
            {"TaskHandle": task_handle("10f57157-fc38-4da9-a113-4de7e12d05dd", ARN + "dlq")},
            ("ResourceNotFoundException", 404),
            "Task does not exist.",
        ),
    ]
    for call, kwargs, (code, status), message in cases:
        assert answer(call, **kwargs)[:3] == (code, status, message), kwargs
    # nothing of the refused requests was kept
    assert queue_attrs(sqs, fifo, "FifoQueue") == {"FifoQueue": "true"}
    assert "KmsMasterKeyId" not in queue_attrs(sqs, url)
    assert "Messages" not in sqs.receive_message(QueueUrl=fifo)
    assert [u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]] == ["dlq", "q", "q.fifo"]
    # FifoQueue=true on a FIFO queue changes nothing and is accepted
    sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "true"})


def test_json_error_types(sqs):
    """Over json, SQS names its legacy codes' errors as AWS does in `__type` (botocore's QueryErrorCode);
    boto3's Code stays the legacy code."""
    url = make_queue(sqs, "q")
    fifo = make_queue(sqs, "q.fifo", FifoQueue="true")
    assert answer(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11) == (
        "InvalidParameterValue",
        400,
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
        "InvalidParameterValueException",
    )
    assert answer(sqs.send_message, QueueUrl=fifo, MessageBody="x", MessageDeduplicationId="d") == (
        "MissingParameter",
        400,
        "The request must contain the parameter MessageGroupId.",
        "MissingRequiredParameterException",
    )
    assert answer(sqs.get_queue_url, QueueName="nothere") == (
        "AWS.SimpleQueueService.NonExistentQueue",
        400,
        "The specified queue does not exist.",
        "QueueDoesNotExist",
    )
    sqs.purge_queue(QueueUrl=url)
    assert answer(sqs.purge_queue, QueueUrl=url) == (
        "AWS.SimpleQueueService.PurgeQueueInProgress",
        403,
        "Only one PurgeQueue operation on q is allowed every 60 seconds.",
        "PurgeQueueInProgress",
    )
    failed = sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x", "DelaySeconds": 901}]
    )
    assert failed["Failed"][0]["Code"] == "InvalidParameterValue"


def query(cloudlet, path: str = "/", **params) -> tuple[int, str]:
    data = urllib.parse.urlencode({"Version": "2012-11-05", **params}).encode()
    req = urllib.request.Request(
        cloudlet.endpoint + path,
        data=data,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_query_queue_does_not_exist(cloudlet, sqs):
    """Over the query protocol SQS's text for a missing queue names the wsdl version."""
    url = make_queue(sqs, "gone")
    sqs.delete_queue(QueueUrl=url)
    for params in (
        {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "QueueArn"},
        {"Action": "GetQueueUrl", "QueueName": "gone"},
    ):
        status, body = query(cloudlet, **params)
        assert status == 400, body
        assert "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in body
        assert "<Message>The specified queue does not exist for this wsdl version.</Message>" in body


def test_add_permission_policy_document(sqs):
    url = make_queue(sqs, "shared")
    arn = ARN + "shared"
    sqs.add_permission(
        QueueUrl=url, Label="p1", AWSAccountIds=["000000000000", "111111111111"], Actions=["ReceiveMessage"]
    )
    sqs.add_permission(QueueUrl=url, Label="p2", AWSAccountIds=["000000000000"], Actions=["SendMessage"])
    statement = {"Effect": "Allow", "Resource": arn}
    assert json.loads(queue_attrs(sqs, url, "Policy")["Policy"]) == {
        "Version": "2008-10-17",
        "Id": f"{arn}/SQSDefaultPolicy",
        "Statement": [
            {
                "Sid": "p1",
                **statement,
                "Principal": {"AWS": ["arn:aws:iam::000000000000:root", "arn:aws:iam::111111111111:root"]},
                "Action": "SQS:ReceiveMessage",
            },
            {
                "Sid": "p2",
                **statement,
                "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                "Action": "SQS:SendMessage",
            },
        ],
    }
    sqs.remove_permission(QueueUrl=url, Label="p1")
    remaining = json.loads(queue_attrs(sqs, url, "Policy")["Policy"])["Statement"]
    assert [s["Sid"] for s in remaining] == ["p2"]  # still a list with one statement
    assert answer(sqs.remove_permission, QueueUrl=url, Label="p1")[:3] == (
        "InvalidParameterValue",
        400,
        "Value p1 for parameter Label is invalid. Reason: can't find label on existing policy.",
    )
    sqs.remove_permission(QueueUrl=url, Label="p2")
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {}) == {}


def test_message_attribute_name_wildcards(sqs):
    url = make_queue(sqs, "q", VisibilityTimeout=0)
    sent = {
        "Help.Me": {"DataType": "String", "StringValue": "Me"},
        "Hello": {"DataType": "String", "StringValue": "There"},
        "General": {"DataType": "String", "StringValue": "Kenobi"},
    }
    sqs.send_message(QueueUrl=url, MessageBody="msg", MessageAttributes=sent)
    cases = [
        (["*"], ["General", "Hello", "Help.Me"], "4c360f3fdafd970e05fae2f149d997f5"),
        ([".*"], ["General", "Hello", "Help.Me"], "4c360f3fdafd970e05fae2f149d997f5"),
        (["Hel.*"], ["Hello", "Help.Me"], "83fee93c1bcd8b9a5a923ffacdc636c7"),
        (["Hello", "General"], ["General", "Hello"], "fca026605781cb4126a1e9044df24232"),
        (["Foo", "Hello"], ["Hello"], "a311262e065454b75da111d535b8dacd"),
        (["Foo", "Help"], [], None),
        (["AWS."], None, None),  # names SQS would refuse select nothing, not even an empty map
        (["..foo"], None, None),
        ([], None, None),
    ]
    for names, expected, md5 in cases:
        message = sqs.receive_message(QueueUrl=url, MessageAttributeNames=names)["Messages"][0]
        got = message.get("MessageAttributes")
        assert (sorted(got) if got is not None else None) == expected, names
        assert message.get("MD5OfMessageAttributes") == md5, names


def test_empty_maps(sqs):
    """Over json SQS answers an empty map where asked-for attributes or tags are absent."""
    url = make_queue(sqs, "q")
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {}
    sqs.tag_queue(QueueUrl=url, Tags={"a": "1"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["a"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {}
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"] == {}
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)  # none asked for


def test_fifo_receive_order_across_groups(sqs):
    """A FIFO receive returns as many messages of one group as it can before the next group; groups
    come in the order their first message became visible; an in-flight message holds back only the
    messages sent after it in its group."""

    def queue(name: str, *sends: str) -> str:
        url = make_queue(sqs, name, FifoQueue="true", ContentBasedDeduplication="true")
        for body in sends:
            sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=body.split("-")[0])
        return url

    def bodies(url: str, **kwargs) -> list[str]:
        return [m["Body"] for m in sqs.receive_message(QueueUrl=url, **kwargs).get("Messages", [])]

    url = queue("a.fifo", "g1-m1", "g2-m1", "g1-m2", "g1-m3")
    assert bodies(url, MaxNumberOfMessages=10) == ["g1-m1", "g1-m2", "g1-m3", "g2-m1"]

    # messages received with no visibility timeout are visible again from that receive on
    url = queue("b.fifo", "g1-m1", "g2-m1", "g2-m2", "g3-m1", "g1-m2")
    assert bodies(url, MaxNumberOfMessages=3, VisibilityTimeout=0) == ["g1-m1", "g1-m2", "g2-m1"]
    assert bodies(url, MaxNumberOfMessages=10, VisibilityTimeout=0) == [
        "g3-m1",
        "g1-m1",
        "g1-m2",
        "g2-m1",
        "g2-m2",
    ]

    # deleting all a group had in flight opens the group again, at its next message
    sends = (
        "g1-m1",
        "g2-m1",
        "g1-m2",
        "g2-m2",
        "g1-m2",
        "g1-m3",
        "g1-m4",
        "g3-m1",
    )  # one g1-m2 is a duplicate
    for name, delete in (("c.fifo", 2), ("e.fifo", 1)):
        url = queue(name, *sends)
        taken = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
        assert [m["Body"] for m in taken] == ["g1-m1", "g1-m2"]
        for message in taken[:delete]:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        expected = (
            ["g2-m1", "g2-m2", "g1-m3", "g1-m4", "g3-m1"] if delete == 2 else ["g2-m1", "g2-m2", "g3-m1"]
        )
        assert bodies(url, MaxNumberOfMessages=10) == expected, name

    # a message made visible again is delivered though a later one of its group is in flight
    url = queue("d.fifo", "g1-m1", "g1-m2", "g2-m1")
    taken = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=taken[0]["ReceiptHandle"], VisibilityTimeout=0)
    assert bodies(url, MaxNumberOfMessages=3) == ["g2-m1", "g1-m1"]
    assert bodies(url, MaxNumberOfMessages=3) == []


def test_message_attribute_name_and_value_characters(sqs):
    url = make_queue(sqs, "q")
    # names: letters of any script, digits, '_', '-', '.'
    sqs.send_message(
        QueueUrl=url,
        MessageBody="x",
        MessageAttributes={"attr.1øßä": {"DataType": "String", "StringValue": "v"}},
    )
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert got["MessageAttributes"] == {"attr.1øßä": {"DataType": "String", "StringValue": "v"}}
    for char in ("!", '"', "§", "(", "?"):
        code, status, message, _ = answer(
            sqs.send_message,
            QueueUrl=url,
            MessageBody="x",
            MessageAttributes={f"a{char}b": {"DataType": "String", "StringValue": "v"}},
        )
        assert (code, status) == ("InvalidParameterValue", 400)
        assert message.startswith(f"Invalid non-alphanumeric character '#x{ord(char):X}' was found"), message
    # a value with characters outside the XML range is an invalid parameter (not invalid contents)
    value = {"attr1": {"DataType": "String", "StringValue": "Invalid-\x08,\x0b"}}
    assert answer(sqs.send_message, QueueUrl=url, MessageBody="x", MessageAttributes=value)[:2] == (
        "InvalidParameterValue",
        400,
    )


def test_query_requests_name_the_queue_by_their_path(cloudlet, sqs):
    """Query requests sent to a queue's URL may leave QueueUrl out (GET or POST)."""
    url = make_queue(sqs, "q")
    path = urllib.parse.urlsplit(url).path
    status, body = query(cloudlet, path, Action="SendMessage", MessageBody="hello")
    assert status == 200 and "<MD5OfMessageBody>5d41402abc4b2a76b9719d911017c592</MD5OfMessageBody>" in body
    params = urllib.parse.urlencode(
        {"Action": "GetQueueAttributes", "AttributeName.1": "ApproximateNumberOfMessages"}
    )
    with urllib.request.urlopen(f"{url}?{params}") as resp:
        assert "<Name>ApproximateNumberOfMessages</Name><Value>1</Value>" in resp.read().decode()
    # a QueueUrl given wins over the path
    other = make_queue(sqs, "other")
    status, body = query(
        cloudlet, path, Action="GetQueueAttributes", QueueUrl=other, **{"AttributeName.1": "QueueArn"}
    )
    assert status == 200 and f"<Value>{ARN}other</Value>" in body
    # the path still must name a queue; missing parameters are named as before
    status, body = query(cloudlet, path, Action="SendMessage")
    assert status == 400 and "The request must contain the parameter MessageBody." in body
    status, body = query(cloudlet, "/", Action="SendMessage", MessageBody="x")
    assert status == 400 and "<Code>MissingParameter</Code>" in body
    assert "The request must contain the parameter QueueUrl." in body
    assert answer(sqs.send_message, MessageBody="x")[:3] == (
        "MissingParameter",
        400,
        "The request must contain the parameter QueueUrl.",
    )
    # actions on no queue are not valid at a queue's URL
    for action, params in (("CreateQueue", {"QueueName": "new"}), ("ListQueues", {})):
        status, body = query(cloudlet, path, Action=action, **params)
        assert status == 400 and "<Code>InvalidAction</Code>" in body, body
        assert f"<Message>The action {action} is not valid for this endpoint.</Message>" in body
    assert [u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]] == ["other", "q"]
