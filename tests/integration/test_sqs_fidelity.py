"""SQS details checked against AWS's own answers: error codes, statuses and texts of bad input,
policy documents as SQS keeps and builds them, encryption attributes, batch sizes, FIFO receipt
handles, the 12-hour visibility cap, move task checks."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from sqs_helpers import make_queue, queue_attrs, raises


@pytest.fixture
def sqs(cloudlet):
    # some inputs below break the model's constraints: sent as they are, SQS itself answers
    return cloudlet.client("sqs", config=Config(retries={"max_attempts": 1}, parameter_validation=False))


def error_of(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    err = info.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Message"]


DLQ_ARN = "arn:aws:sqs:us-east-1:000000000000:dlq"


@pytest.mark.parametrize(
    "policy,reason",
    [
        ("{}", "Redrive policy does not contain mandatory attribute: maxReceiveCount."),
        (
            '{"maxReceiveCount":5}',
            "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.",
        ),
        (
            f'{{"deadLetterTargetArn":"{DLQ_ARN}","maxReceiveCount":0}}',
            "Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive.",
        ),
        (
            f'{{"deadLetterTargetArn":"{DLQ_ARN}","maxReceiveCount":1001}}',
            "Invalid value for maxReceiveCount: 1001, valid values are from 1 to 1000 both inclusive.",
        ),
        (
            '{"deadLetterTargetArn":"arn:aws:sns:us-east-1:000000000000:topic","maxReceiveCount":5}',
            "Only SQS queues are valid resources for deadLetterTargetArn.",
        ),
        (
            f'{{"deadLetterTargetArn":"{DLQ_ARN}","maxReceiveCount":5,"extra":1}}',
            "Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn].",
        ),
        (
            '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nothere","maxReceiveCount":5}',
            "Dead letter target does not exist.",
        ),
        (
            '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq.fifo","maxReceiveCount":5}',
            "Dead-letter queue must be same type of queue as the source..",
        ),
    ],
)
def test_redrive_policy_errors(sqs, policy, reason):
    make_queue(sqs, "dlq")
    make_queue(sqs, "dlq.fifo", FifoQueue="true")
    expected = (
        "InvalidParameterValue",
        400,
        f"Value {policy} for parameter RedrivePolicy is invalid. Reason: {reason}",
    )
    assert error_of(sqs.create_queue, QueueName="src", Attributes={"RedrivePolicy": policy}) == expected
    url = make_queue(sqs, "existing")
    assert error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"RedrivePolicy": policy}) == expected
    assert "RedrivePolicy" not in queue_attrs(sqs, url)
    assert len(sqs.list_queues()["QueueUrls"]) == 3


def test_redrive_policy_not_json(sqs):
    assert error_of(sqs.create_queue, QueueName="src", Attributes={"RedrivePolicy": "[]"}) == (
        "InvalidParameterValue",
        400,
        "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.",
    )


UNSUPPORTED = (
    "InvalidAttributeValue",
    400,
    "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create the redrive allow "
    "policy, as it\u2019s in an unsupported format.",
)


@pytest.mark.parametrize(
    "policy,expected",
    [
        ("badjson", UNSUPPORTED),
        ("[]", UNSUPPORTED),
        ("{}", UNSUPPORTED),
        ('{"redrivePermission":"sometimes"}', UNSUPPORTED),
        ('{"redrivePermission":"allowAll","other":1}', UNSUPPORTED),
        ('{"redrivePermission":"byQueue","sourceQueueArns":"arn"}', UNSUPPORTED),
        (
            '{"redrivePermission":"byQueue"}',
            "When you specify the byQueue permission type, you must also "
            "specify one or more sourceQueueArns values.",
        ),
        (
            '{"redrivePermission":"byQueue","sourceQueueArns":[]}',
            "When you specify the byQueue permission "
            "type, you must also specify one or more sourceQueueArns values.",
        ),
        (
            json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [DLQ_ARN] * 11}),
            "The maximum number of source queue ARNs you can specify is 10.",
        ),
        (
            json.dumps({"redrivePermission": "denyAll", "sourceQueueArns": [DLQ_ARN]}),
            "To specify one or more source queue ARNs, you must set redrivePermission to byQueue.",
        ),
    ],
)
def test_redrive_allow_policy_errors(sqs, policy, expected):
    if isinstance(expected, str):
        expected = (
            "InvalidParameterValue",
            400,
            f"Value {policy} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the "
            f"redrive allow policy. {expected}",
        )
    assert error_of(sqs.create_queue, QueueName="q", Attributes={"RedriveAllowPolicy": policy}) == expected
    assert "QueueUrls" not in sqs.list_queues()


def test_policies_as_sqs_returns_them(sqs):
    dlq = make_queue(sqs, "dlq")
    # a RedrivePolicy comes back compact, target first, the count a number (as in SQS's examples)
    redrive = json.dumps({"maxReceiveCount": "10", "deadLetterTargetArn": DLQ_ARN})
    allow = json.dumps(
        {"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:us-east-1:000000000000:src"]}
    )
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "sqs:*"}}
    )
    src = make_queue(sqs, "src", RedrivePolicy=redrive, Policy=policy)
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": allow})
    assert queue_attrs(sqs, src, "RedrivePolicy", "Policy") == {
        "RedrivePolicy": f'{{"deadLetterTargetArn":"{DLQ_ARN}","maxReceiveCount":10}}',
        "Policy": policy,  # the access policy as sent
    }
    assert queue_attrs(sqs, dlq, "RedriveAllowPolicy") == {
        "RedriveAllowPolicy": '{"redrivePermission":"byQueue","sourceQueueArns":["arn:aws:sqs:us-east-1:000000000000:src"]}'
    }
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
    # CreateQueue again with the same documents, spaced otherwise, is the same queue
    same = {
        "RedrivePolicy": json.dumps(json.loads(redrive), indent=2),
        "Policy": json.dumps(json.loads(policy), indent=1),
    }
    assert sqs.create_queue(QueueName="src", Attributes=same)["QueueUrl"] == src


@pytest.mark.parametrize(
    "policy",
    [
        "badjson",
        "[]",
        '"text"',
        '{"Version":"2012-10-17","Statement":[]}',
        '{"Version":"4532-10-17","Statement":{"Effect":"Allow","Action":"sqs:*"}}',
        '{"Version":"2012-10-17","Other":1,"Statement":{"Effect":"Allow","Action":"sqs:*"}}',
        '{"Version":"2012-10-17","Statement":{"Effect":"Maybe","Action":"sqs:*"}}',
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Dummy":1}]}',
    ],
)
def test_bad_policies(sqs, policy):
    expected = ("InvalidAttributeValue", 400, "Invalid value for the parameter Policy.")
    assert error_of(sqs.create_queue, QueueName="q", Attributes={"Policy": policy}) == expected


def test_too_many_policy_statements(sqs):
    statement = {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage"}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement] * 21})
    assert error_of(sqs.create_queue, QueueName="q", Attributes={"Policy": policy}) == (
        "OverLimit",
        403,
        "21 statements were found in the submitted policy, max allowed is 20",
    )
    url = make_queue(sqs, "q")
    with raises("OverLimit", 403):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    assert "Policy" not in queue_attrs(sqs, url)


def test_encryption_attributes(sqs):
    kms = make_queue(sqs, "kms", KmsMasterKeyId="alias/aws/sqs")
    got = queue_attrs(sqs, kms, "SqsManagedSseEnabled", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds")
    assert got == {
        "SqsManagedSseEnabled": "false",
        "KmsMasterKeyId": "alias/aws/sqs",
        "KmsDataKeyReusePeriodSeconds": "300",
    }
    custom = make_queue(sqs, "custom", KmsMasterKeyId="alias/aws/sqs", KmsDataKeyReusePeriodSeconds="860")
    assert queue_attrs(sqs, custom, "KmsDataKeyReusePeriodSeconds") == {"KmsDataKeyReusePeriodSeconds": "860"}
    both = "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE."
    attrs = {"SqsManagedSseEnabled": "true", "KmsMasterKeyId": "alias/aws/sqs"}
    assert error_of(sqs.create_queue, QueueName="both", Attributes=attrs)[2] == both
    assert error_of(sqs.set_queue_attributes, QueueUrl=kms, Attributes=attrs)[2] == both
    # SQS-managed encryption replaces the KMS key, and a KMS key replaces it again
    sqs.set_queue_attributes(QueueUrl=kms, Attributes={"SqsManagedSseEnabled": "true"})
    assert queue_attrs(
        sqs, kms, "SqsManagedSseEnabled", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds"
    ) == {"SqsManagedSseEnabled": "true"}
    plain = make_queue(sqs, "plain")
    sqs.set_queue_attributes(QueueUrl=plain, Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    assert queue_attrs(sqs, plain, "SqsManagedSseEnabled", "KmsDataKeyReusePeriodSeconds") == {
        "SqsManagedSseEnabled": "false",
        "KmsDataKeyReusePeriodSeconds": "300",
    }


def test_queue_attribute_input_rules(sqs):
    for value in (" 5", "5 ", "1.5", ""):
        assert error_of(sqs.create_queue, QueueName="q", Attributes={"DelaySeconds": value}) == (
            "InvalidAttributeValue",
            400,
            "Invalid value for the parameter DelaySeconds.",
        )
    url = make_queue(sqs, "q")
    assert error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={}) == (
        "MissingParameter",
        400,
        "The request must contain the parameter Attribute.Name.",
    )
    assert error_of(sqs.get_queue_url, QueueName="") == (
        "InvalidParameterValue",
        400,
        "Value for parameter QueueName is invalid. Reason: Must specify a queue name.",
    )
    fifo = make_queue(sqs, "q.fifo", FifoQueue="true")
    attrs = {"FifoThroughputLimit": "perMessageGroupId"}
    assert error_of(sqs.set_queue_attributes, QueueUrl=fifo, Attributes=attrs) == (
        "InvalidAttributeValue",
        400,
        "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup",
    )


def test_add_permission_builds_the_policy_as_sqs_does(sqs):
    url = make_queue(sqs, "shared")
    arn = "arn:aws:sqs:us-east-1:000000000000:shared"
    grant = {"QueueUrl": url, "Label": "P1", "AWSAccountIds": ["111111111111"], "Actions": ["SendMessage"]}
    sqs.add_permission(**grant)
    sqs.add_permission(**grant)  # the very same grant again changes nothing
    assert queue_attrs(sqs, url, "Policy")["Policy"] == (
        f'{{"Version":"2008-10-17","Id":"{arn}/SQSDefaultPolicy","Statement":[{{"Sid":"P1","Effect":"Allow",'
        f'"Principal":{{"AWS":"arn:aws:iam::111111111111:root"}},"Action":"SQS:SendMessage","Resource":"{arn}"}}]}}'
    )
    assert error_of(sqs.add_permission, **{**grant, "Actions": ["DeleteMessage"]}) == (
        "InvalidParameterValue",
        400,
        "Value P1 for parameter Label is invalid. Reason: Already exists.",
    )
    assert error_of(sqs.add_permission, **{**grant, "Label": "P2", "Actions": ["CreateQueue"]}) == (
        "InvalidParameterValue",
        400,
        "Value SQS:CreateQueue for parameter ActionName is invalid. Reason: Only the queue owner is allowed to "
        "invoke this action.",
    )
    assert error_of(sqs.add_permission, **{**grant, "Label": "P2", "Actions": []}) == (
        "MissingParameter",
        400,
        "The request must contain the parameter ActionName.",
    )
    for i in range(2, 21):
        sqs.add_permission(**{**grant, "Label": f"P{i}"})
    assert error_of(sqs.add_permission, **{**grant, "Label": "P21"}) == (
        "OverLimit",
        403,
        "21 Statements were found, maximum allowed is 20.",
    )
    assert len(json.loads(queue_attrs(sqs, url, "Policy")["Policy"])["Statement"]) == 20


def test_batch_size_counts_message_attributes(sqs):
    url = make_queue(sqs, "q")
    big = "a" * 524288
    entries = [
        {"Id": "1", "MessageBody": big},
        {"Id": "2", "MessageBody": big[:-20]},
        {
            "Id": "3",
            "MessageBody": "m",
            "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v" * 20}},
        },
    ]
    # 524288 + 524268 + 1 + (1 + 6 + 20) bytes
    assert error_of(sqs.send_message_batch, QueueUrl=url, Entries=entries) == (
        "AWS.SimpleQueueService.BatchRequestTooLong",
        400,
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1048584 bytes.",
    )
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_standard_batch_entries_fail_alone(sqs):
    url = make_queue(sqs, "q")
    assert "Failed" not in sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "a"}])
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "MessageBody": "fine"},
            {"Id": "empty", "MessageBody": ""},
            {"Id": "dedup", "MessageBody": "x", "MessageDeduplicationId": "d"},
            {"Id": "late", "MessageBody": "x", "DelaySeconds": 901},
        ],
    )
    assert [s["Id"] for s in result["Successful"]] == ["ok"]
    assert result["Failed"] == [
        {
            "Id": "empty",
            "SenderFault": True,
            "Code": "MissingParameter",
            "Message": "The request must contain the parameter SendMessageBatchRequestEntry.2.MessageBody.",
        },
        {
            "Id": "dedup",
            "SenderFault": True,
            "Code": "InvalidParameterValue",
            "Message": "The request include parameter that is not valid for this queue type",
        },
        {
            "Id": "late",
            "SenderFault": True,
            "Code": "InvalidParameterValue",
            "Message": "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
        },
    ]


def test_fifo_batch_is_refused_as_a_whole(sqs):
    url = make_queue(
        sqs, "q.fifo", FifoQueue="true", ContentBasedDeduplication="true", MaximumMessageSize=1024
    )
    good = {"Id": "ok", "MessageBody": "x", "MessageGroupId": "g"}
    cases = [
        (
            {"Id": "bad", "MessageBody": "y"},
            "InvalidParameterValue",  # SendMessage says MissingParameter
            "The request must contain the parameter MessageGroupId.",
        ),
        (
            {"Id": "bad", "MessageBody": "y", "MessageGroupId": "g", "DelaySeconds": 3},
            "InvalidParameterValue",
            "Value 3 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not "
            "valid for this queue type.",
        ),
        (
            {"Id": "bad", "MessageBody": "y" * 1025, "MessageGroupId": "g"},
            "InvalidParameterValue",
            "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
        ),
        (
            {"Id": "bad", "MessageBody": "", "MessageGroupId": "g"},
            "MissingParameter",
            "The request must contain the parameter SendMessageBatchRequestEntry.2.MessageBody.",
        ),
    ]
    for bad, code, message in cases:
        assert error_of(sqs.send_message_batch, QueueUrl=url, Entries=[good, bad]) == (code, 400, message)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_send_message_texts(sqs):
    url = make_queue(sqs, "q")
    fifo = make_queue(sqs, "q.fifo", FifoQueue="true")
    cases = [
        (
            {"QueueUrl": url, "MessageBody": "x", "DelaySeconds": 901},
            "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
        ),
        (
            {"QueueUrl": url, "MessageBody": "x", "MessageDeduplicationId": "d"},
            "The request include parameter MessageDeduplicationId which is not valid for this queue type",
        ),
        (
            {"QueueUrl": fifo, "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "a b"},
            "Value a b for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only "
            "include alphanumeric and punctuation characters. 1 to 128 in length.",
        ),
    ]
    for kwargs, message in cases:
        assert error_of(sqs.send_message, **kwargs) == ("InvalidParameterValue", 400, message)


@pytest.mark.parametrize(
    "attributes,message",
    [
        (
            {"": {"DataType": "String", "StringValue": "v"}},
            "The request must contain non-empty message (user) attribute names.",
        ),
        (
            {"a" * 257: {"DataType": "String", "StringValue": "v"}},
            "Message (user) attribute name must be shorter than 256 bytes.",
        ),
        (
            {"AWS.x": {"DataType": "String", "StringValue": "v"}},
            "You can't use message attribute names beginning with 'AWS.' or 'Amazon'. These strings are reserved for internal use.",
        ),
        (
            {"amazon.x": {"DataType": "String", "StringValue": "v"}},
            "You can't use message attribute names beginning with 'AWS.' or 'Amazon'. These strings are reserved for internal use.",
        ),
        (
            {"a": {"DataType": "String." + "t" * 250, "StringValue": "v"}},
            "Message (user) attribute type must be shorter than 256 bytes.",
        ),
        (
            {"a": {"DataType": "String", "StringValue": ""}},
            "Message (user) attribute 'a' must contain a non-empty value of type 'String'.",
        ),
        (
            {"a": {"DataType": "String"}},
            "The message (user) attribute 'a' must contain a non-empty message attribute value.",
        ),
        (
            {"a": {"DataType": "StringList", "StringListValues": ["v"]}},
            "Message attribute list values in SendMessage operation are not supported.",
        ),
        (
            {"a": {"DataType": "Number", "StringValue": "world"}},
            "Can't cast the value of message (user) attribute 'a' to a number.",
        ),
        (
            {"a b": {"DataType": "String", "StringValue": "v"}},
            "Invalid non-alphanumeric character '#x20' was found in the message attribute name. Can only "
            "include alphanumeric characters, hyphens, underscores, or dots.",
        ),
    ],
)
def test_message_attribute_texts(sqs, attributes, message):
    url = make_queue(sqs, "q")
    assert error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageAttributes=attributes) == (
        "InvalidParameterValue",
        400,
        message,
    )


def test_change_visibility_texts(sqs):
    url = make_queue(sqs, "q")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    assert error_of(
        sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43201
    ) == (
        "InvalidParameterValue",
        400,
        "Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.",
    )
    result = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "neg", "ReceiptHandle": handle, "VisibilityTimeout": -20},
            {"Id": "none", "ReceiptHandle": handle},
            {"Id": "blank", "ReceiptHandle": " ", "VisibilityTimeout": 5},
        ],
    )
    assert "Successful" not in result  # SQS leaves out an empty list
    assert [(f["Id"], f["Code"], f["Message"]) for f in result["Failed"]] == [
        (
            "neg",
            "InvalidParameterValue",
            "Value -20 for parameter VisibilityTimeout is invalid. Reason: VisibilityTimeout must be an integer "
            "between 0 and 43200.",
        ),
        (
            "none",
            "MissingParameter",
            "The request must contain the parameter ChangeMessageVisibilityBatchRequestEntry.2.VisibilityTimeout.",
        ),
        ("blank", "MissingParameter", "The request must contain the parameter ReceiptHandle."),
    ]
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "blank", "ReceiptHandle": " "}])
    assert deleted["Failed"][0]["Code"] == "MissingParameter"


def test_fifo_receipt_handle_expires_with_its_visibility(sqs):
    url = make_queue(sqs, "q.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    handle = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["ReceiptHandle"]
    expired = (
        "InvalidParameterValue",
        400,
        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.",
    )
    assert error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle=handle) == expired
    assert (
        error_of(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=5)
        == expired
    )
    batch = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "a", "ReceiptHandle": handle}])
    assert batch["Failed"] == [{"Id": "a", "SenderFault": True, "Code": expired[0], "Message": expired[2]}]
    # the message is still there, and a fresh handle deletes it
    fresh = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    assert error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle=handle) == expired  # superseded
    sqs.delete_message(QueueUrl=url, ReceiptHandle=fresh)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)


def test_visibility_cap_counts_from_the_latest_receive(cloudlet, sqs):
    url = make_queue(sqs, "q")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)
    # the first receive was 13 hours ago; the message was received again just now
    with cloudlet.platform.store.tx() as conn:
        conn.execute("UPDATE sqs_messages SET first_recv_ms = first_recv_ms - 46800000")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43200)


def test_dead_letter_source_listing_input(sqs):
    url = make_queue(sqs, "dlq")
    for limit in (-1, 1001):
        assert error_of(sqs.list_dead_letter_source_queues, QueueUrl=url, MaxResults=limit) == (
            "InvalidParameterValue",
            400,
            "Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.",
        )
    assert error_of(sqs.list_dead_letter_source_queues, QueueUrl=url, NextToken="garbage") == (
        "InvalidParameterValue",
        400,
        "Invalid or expired next token.",
    )


def test_move_task_input(sqs):
    dlq = make_queue(sqs, "dlq")
    make_queue(sqs, "src", RedrivePolicy=json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 2}))
    make_queue(sqs, "other.fifo", FifoQueue="true")
    arn = "arn:aws:sqs:us-east-1:000000000000:"
    cases = [
        (
            {"SourceArn": ""},
            "You must use this format to specify the SourceArn: "
            "arn:<partition>:<service>:<region>:<account-id>:<resource-id>",
        ),
        (
            {"SourceArn": DLQ_ARN, "DestinationArn": "invalid"},
            "You must use this format to specify the "
            "DestinationArn: arn:<partition>:<service>:<region>:<account-id>:<resource-id>",
        ),
        (
            {"SourceArn": DLQ_ARN, "DestinationArn": DLQ_ARN},
            "Source queue arn and destination queue arn cannot be the same.",
        ),
        (
            {"SourceArn": DLQ_ARN, "DestinationArn": arn + "other.fifo"},
            "The source queue and destination queue must be of the same queue type.",
        ),
        (
            {"SourceArn": DLQ_ARN, "MaxNumberOfMessagesPerSecond": 501},
            "Value for parameter "
            "MaxNumberOfMessagesPerSecond is invalid. Reason: You must enter a number that's between 1 and 500.",
        ),
    ]
    for kwargs, message in cases:
        assert error_of(sqs.start_message_move_task, **kwargs) == ("InvalidParameterValue", 400, message)
    assert sqs.list_message_move_tasks(SourceArn=DLQ_ARN)["Results"] == []
    assert queue_attrs(sqs, dlq, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "0"}


def test_tag_input(sqs):
    url = sqs.create_queue(QueueName="tagged", tags={"a": "1"})["QueueUrl"]
    assert error_of(sqs.tag_queue, QueueUrl=url, Tags={}) == (
        "MissingParameter",
        400,
        "The request must contain the parameter Tags.",
    )
    assert error_of(sqs.untag_queue, QueueUrl=url, TagKeys=[]) == (
        "InvalidParameterValue",
        400,
        "Tag keys must be between 1 and 128 characters in length.",
    )
    many = {f"k{i}": "v" for i in range(50)}
    assert error_of(sqs.tag_queue, QueueUrl=url, Tags=many) == (
        "InvalidParameterValue",
        400,
        "Too many tags added for queue tagged.",
    )
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"a": "1"}


def test_missing_parameters(sqs):
    url = make_queue(sqs, "q")
    assert error_of(sqs.send_message, QueueUrl=url) == (
        "MissingParameter",
        400,
        "The request must contain the parameter MessageBody.",
    )
    assert error_of(sqs.delete_message, QueueUrl=url) == (
        "MissingParameter",
        400,
        "The request must contain the parameter ReceiptHandle.",
    )
    assert error_of(sqs.send_message_batch, QueueUrl=url)[:2] == ("MissingParameter", 400)
    assert error_of(sqs.create_queue) == (
        "InvalidParameterValue",
        400,
        "Value for parameter QueueName is invalid. Reason: Must specify a queue name.",
    )
    assert error_of(sqs.start_message_move_task)[2] == "The request must contain the parameter SourceArn."
