"""SQS queue management: create/idempotence, names, attributes, URLs, listing, tags, permissions, purge."""

from __future__ import annotations

import json

import pytest
from sqs_helpers import make_queue, queue_attrs, raises


@pytest.fixture
def sqs(cloudlet):
    return cloudlet.client("sqs")


def test_create_queue_defaults_and_url(cloudlet, sqs):
    url = make_queue(sqs, "jobs")
    assert url == f"{cloudlet.endpoint}/000000000000/jobs"
    attrs = queue_attrs(sqs, url)
    assert attrs["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:jobs"
    assert attrs["VisibilityTimeout"] == "30"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["DelaySeconds"] == "0"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attrs["SqsManagedSseEnabled"] == "true"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert "FifoQueue" not in attrs
    assert int(attrs["CreatedTimestamp"]) == int(attrs["LastModifiedTimestamp"])


def test_create_queue_is_idempotent_with_same_attributes(sqs):
    first = make_queue(sqs, "same", VisibilityTimeout=10)
    assert make_queue(sqs, "same", VisibilityTimeout=10) == first
    assert make_queue(sqs, "same") == first  # no attributes given: nothing differs
    with raises("QueueAlreadyExists", 400, "QueueNameExists"):
        make_queue(sqs, "same", VisibilityTimeout=11)
    assert queue_attrs(sqs, first, "VisibilityTimeout")["VisibilityTimeout"] == "10"


@pytest.mark.parametrize("name", ["", "a" * 81, "has space", "dot.name", "x.fifo"])
def test_bad_queue_names(sqs, name):
    with raises("InvalidParameterValue"):
        sqs.create_queue(QueueName=name)
    assert "QueueUrls" not in sqs.list_queues()


def test_fifo_names(sqs):
    url = make_queue(sqs, "a" * 75 + ".fifo", FifoQueue="true")
    assert url.endswith(".fifo")
    with raises("InvalidParameterValue"):
        make_queue(sqs, "a" * 76 + ".fifo", FifoQueue="true")
    with raises("InvalidAttributeName", 400, "InvalidAttributeName"):
        make_queue(sqs, "nofifosuffix", FifoQueue="true")
    attrs = queue_attrs(sqs, url)
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["DeduplicationScope"] == "queue"
    assert attrs["FifoThroughputLimit"] == "perQueue"


@pytest.mark.parametrize(
    "name,value",
    [
        ("VisibilityTimeout", "43201"),
        ("VisibilityTimeout", "-1"),
        ("VisibilityTimeout", "abc"),
        ("DelaySeconds", "901"),
        ("MaximumMessageSize", "1023"),
        ("MaximumMessageSize", "1048577"),
        ("MessageRetentionPeriod", "59"),
        ("MessageRetentionPeriod", "1209601"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("Policy", "{not json"),
        ("SqsManagedSseEnabled", "maybe"),
    ],
)
def test_bad_attribute_values(sqs, name, value):
    with raises("InvalidAttributeValue", 400, "InvalidAttributeValue"):
        make_queue(sqs, "bad", **{name: value})
    url = make_queue(sqs, "good")
    before = queue_attrs(sqs, url)
    with raises("InvalidAttributeValue", 400, "InvalidAttributeValue"):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "5", name: value})
    assert queue_attrs(sqs, url) == before
    assert len(sqs.list_queues()["QueueUrls"]) == 1


def test_unknown_and_fifo_only_attribute_names(sqs):
    with raises("InvalidAttributeName", 400, "InvalidAttributeName"):
        make_queue(sqs, "x", Bogus="1")
    with raises("InvalidAttributeName", 400, "InvalidAttributeName"):
        make_queue(sqs, "x", ContentBasedDeduplication="true")
    url = make_queue(sqs, "y")
    with raises("InvalidAttributeName"):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Bogus"])
    fifo = make_queue(sqs, "f.fifo", FifoQueue="true")
    sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "true"})  # no change: accepted
    with raises("InvalidAttributeValue"):
        sqs.set_queue_attributes(
            QueueUrl=fifo,
            Attributes={"FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "queue"},
        )
    sqs.set_queue_attributes(
        QueueUrl=fifo,
        Attributes={"FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "messageGroup"},
    )
    assert queue_attrs(sqs, fifo, "FifoThroughputLimit") == {"FifoThroughputLimit": "perMessageGroupId"}


def test_set_and_get_selected_attributes(sqs):
    url = make_queue(sqs, "attrs")
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={"VisibilityTimeout": "45", "DelaySeconds": "2", "MaximumMessageSize": "2048"},
    )
    got = queue_attrs(sqs, url, "VisibilityTimeout", "DelaySeconds", "MaximumMessageSize")
    assert got == {"VisibilityTimeout": "45", "MaximumMessageSize": "2048", "DelaySeconds": "2"}
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)


def test_queue_url_forms(cloudlet, sqs):
    url = make_queue(sqs, "forms")
    sqs.send_message(QueueUrl=url, MessageBody="a")
    for other in (
        "http://somewhere.else:1234/000000000000/forms",
        "https://sqs.us-east-1.amazonaws.com/000000000000/forms",
        "https://queue.amazonaws.com/000000000000/forms",
        "/000000000000/forms",
    ):
        assert queue_attrs(sqs, other, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "1"}
    with raises("AWS.SimpleQueueService.NonExistentQueue", 400, "QueueDoesNotExist"):
        sqs.get_queue_attributes(QueueUrl="https://sqs.eu-west-1.amazonaws.com/000000000000/forms")


def test_host_style_url_returns_client_host(cloudlet, sqs):
    # the Host the client used is reflected in the URL (sqs.<region>.localhost:<port>)
    import urllib.request

    port = cloudlet.server.config.port
    req = urllib.request.Request(
        f"{cloudlet.endpoint}/",
        data=b'{"QueueName":"hosted"}',
        headers={
            "Host": f"sqs.us-east-1.localhost:{port}",
            "X-Amz-Target": "AmazonSQS.CreateQueue",
            "Content-Type": "application/x-amz-json-1.0",
        },
        method="POST",
    )
    with urllib.request.urlopen(req) as resp:
        body = json.loads(resp.read())
    assert body["QueueUrl"] == f"http://sqs.us-east-1.localhost:{port}/000000000000/hosted"
    assert queue_attrs(sqs, body["QueueUrl"], "QueueArn")["QueueArn"].endswith(":hosted")


def test_get_queue_url(cloudlet, sqs):
    url = make_queue(sqs, "named")
    assert sqs.get_queue_url(QueueName="named")["QueueUrl"] == url
    assert sqs.get_queue_url(QueueName="named", QueueOwnerAWSAccountId="000000000000")["QueueUrl"] == url
    with raises("AWS.SimpleQueueService.NonExistentQueue", 400, "QueueDoesNotExist"):
        sqs.get_queue_url(QueueName="named", QueueOwnerAWSAccountId="111111111111")
    with raises("AWS.SimpleQueueService.NonExistentQueue", 400, "QueueDoesNotExist"):
        sqs.get_queue_url(QueueName="missing")


def test_list_queues_prefix_and_pages(sqs):
    names = [f"app-{i:02d}" for i in range(7)] + ["other"]
    for name in names:
        make_queue(sqs, name)
    assert len(sqs.list_queues()["QueueUrls"]) == 8
    assert "NextToken" not in sqs.list_queues()
    assert [u.rsplit("/", 1)[1] for u in sqs.list_queues(QueueNamePrefix="oth")["QueueUrls"]] == ["other"]
    seen, token = [], None
    while True:
        kwargs = {"QueueNamePrefix": "app-", "MaxResults": 3}
        if token:
            kwargs["NextToken"] = token
        page = sqs.list_queues(**kwargs)
        seen += [u.rsplit("/", 1)[1] for u in page.get("QueueUrls", [])]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names[:7]
    with raises("InvalidParameterValue"):
        sqs.list_queues(MaxResults=1001)
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="zzz")


def test_delete_queue(cloudlet, sqs):
    url = make_queue(sqs, "gone")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.delete_queue(QueueUrl=url)
    with raises("AWS.SimpleQueueService.NonExistentQueue", 400, "QueueDoesNotExist"):
        sqs.send_message(QueueUrl=url, MessageBody="x")
    with raises("AWS.SimpleQueueService.NonExistentQueue", 400, "QueueDoesNotExist"):
        sqs.delete_queue(QueueUrl=url)
    # the name stays taken for 60 seconds
    with raises("AWS.SimpleQueueService.QueueDeletedRecently", 400, "QueueDeletedRecently"):
        make_queue(sqs, "gone")
    with cloudlet.platform.store.tx() as conn:
        conn.execute("UPDATE sqs_deleted_queues SET deleted_ms = deleted_ms - 60000")
    url = make_queue(sqs, "gone")
    assert queue_attrs(sqs, url, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "0"}


def test_tags(sqs):
    url = sqs.create_queue(QueueName="tagged", tags={"team": "a", "env": "dev"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "dev"}
    sqs.tag_queue(QueueUrl=url, Tags={"env": "prod", "cost": "1"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "prod", "cost": "1"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "nothere"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "prod", "cost": "1"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env", "cost"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {}
    with raises("InvalidParameterValue"):
        sqs.tag_queue(QueueUrl=url, Tags={f"k{i}": "v" for i in range(51)})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {}


def test_permissions_build_policy(sqs):
    url = make_queue(sqs, "shared")
    arn = queue_attrs(sqs, url, "QueueArn")["QueueArn"]
    sqs.add_permission(QueueUrl=url, Label="one", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
    sqs.add_permission(
        QueueUrl=url,
        Label="two",
        AWSAccountIds=["111111111111", "222222222222"],
        Actions=["ReceiveMessage", "DeleteMessage"],
    )
    policy = json.loads(queue_attrs(sqs, url, "Policy")["Policy"])
    assert policy["Version"] == "2008-10-17"
    assert policy["Id"] == f"{arn}/SQSDefaultPolicy"
    assert policy["Statement"] == [
        {
            "Sid": "one",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
            "Action": "SQS:SendMessage",
            "Resource": arn,
        },
        {
            "Sid": "two",
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]},
            "Action": ["SQS:ReceiveMessage", "SQS:DeleteMessage"],
            "Resource": arn,
        },
    ]
    with raises("InvalidParameterValue"):
        sqs.add_permission(QueueUrl=url, Label="one", AWSAccountIds=["1"], Actions=["SendMessage"])
    with raises("InvalidParameterValue"):
        sqs.add_permission(QueueUrl=url, Label="three", AWSAccountIds=["1"], Actions=["Fly"])
    sqs.remove_permission(QueueUrl=url, Label="one")
    assert [s["Sid"] for s in json.loads(queue_attrs(sqs, url, "Policy")["Policy"])["Statement"]] == ["two"]
    with raises("InvalidParameterValue"):
        sqs.remove_permission(QueueUrl=url, Label="one")
    sqs.remove_permission(QueueUrl=url, Label="two")
    assert "Policy" not in queue_attrs(sqs, url)


def test_purge_queue_once_a_minute(sqs):
    url = make_queue(sqs, "purged")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "m"} for i in range(5)])
    sqs.purge_queue(QueueUrl=url)
    assert queue_attrs(sqs, url, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "0"}
    sqs.send_message(QueueUrl=url, MessageBody="after")
    with raises("AWS.SimpleQueueService.PurgeQueueInProgress", 403, "PurgeQueueInProgress"):
        sqs.purge_queue(QueueUrl=url)
    assert queue_attrs(sqs, url, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "1"}
