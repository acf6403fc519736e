"""DynamoDB Streams pieces without a server: routing of its target prefix (signed as "dynamodb"),
shard iterator tokens, sequence numbers and the record helpers."""

import datetime as dt

import pytest

from cloudlet.aws.errors import AWSError
from cloudlet.aws.http import HttpRequest
from cloudlet.aws.identify import Router
from cloudlet.services import REGISTRY
from cloudlet.services.dynamodbstreams import iterators
from cloudlet.services.dynamodbstreams import records as R

SIGNED_DYNAMODB = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
)


@pytest.mark.parametrize("target, service", [
    ("DynamoDBStreams_20120810.GetRecords", "dynamodbstreams"),
    ("DynamoDBStreams_20120810.ListStreams", "dynamodbstreams"),
    ("DynamoDB_20120810.PutItem", "dynamodb"),
])
def test_router_tells_streams_from_dynamodb_under_one_signing_name(target, service):
    request = HttpRequest("POST", "/", headers={"x-amz-target": target, "authorization": SIGNED_DYNAMODB,
                                                "content-type": "application/x-amz-json-1.0"}, body=b"{}")
    found = Router(sorted(REGISTRY)).identify(request)
    assert (found.service, found.operation, found.protocol) == (service, target.split(".")[1], "json")


def test_iterator_round_trip_and_refusals():
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"
    it = iterators.Iterator(arn, "000000000000", "sid", "shardId-00000000000000000001-00000000", 7, True, 123)
    text = iterators.encode(it)
    assert text.startswith(arn + "|1|") and len(text) <= 2048
    assert iterators.decode(text) == it
    for bad in ("", "x", arn, arn + "|1|", "|1|abc", arn + "|1|%%%"):
        with pytest.raises(AWSError) as excinfo:
            iterators.decode(bad)
        assert (excinfo.value.code, excinfo.value.status) == ("ValidationException", 400)


def test_sequence_numbers():
    assert R.seq_text(1) == "100000000000000000001" and len(R.seq_text(1)) == 21
    assert R.parse_seq(R.seq_text(42)) == 42
    assert [R.parse_seq(t) for t in ("", "12", "-100000000000000000001", "1e21", "9" * 41)] == [None] * 5


def test_images_per_view_type_and_sizes():
    old, new = {"pk": {"S": "a"}, "v": {"N": "1"}}, {"pk": {"S": "a"}, "v": {"N": "2"}}
    assert R.images("KEYS_ONLY", old, new) == (None, None)
    assert R.images("NEW_IMAGE", old, new) == (new, None)
    assert R.images("OLD_IMAGE", old, new) == (None, old)
    assert R.images("NEW_AND_OLD_IMAGES", old, new) == (new, old)
    assert R.size_bytes({"pk": {"S": "a"}}, None, None) == 3
    assert R.unchanged({"s": {"SS": ["a", "b"]}}, {"s": {"SS": ["b", "a"]}})
    assert not R.unchanged(None, new) and not R.unchanged(old, new)
    assert [R.event_name(None, new), R.event_name(old, new), R.event_name(old, None)] == ["INSERT", "MODIFY", "REMOVE"]


def test_lambda_event_record():
    record = {"eventID": "e", "eventName": "REMOVE", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
              "awsRegion": "us-east-1",
              "dynamodb": {"ApproximateCreationDateTime": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                           "Keys": {"pk": {"S": "a"}}, "SequenceNumber": R.seq_text(1), "SizeBytes": 3,
                           "StreamViewType": "KEYS_ONLY"},
              "userIdentity": {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}}
    event = R.lambda_event_record(record, "arn:s")
    assert event["dynamodb"]["ApproximateCreationDateTime"] == 1767225600
    assert event["eventSourceARN"] == "arn:s"
    assert event["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert record["dynamodb"]["ApproximateCreationDateTime"].year == 2026  # the input is left alone


def test_settings_from_config_extra_then_environment():
    from cloudlet.services.dynamodbstreams.settings import Settings

    assert Settings.from_extra(None, {}) == Settings(86400, 14400, 900, 60)
    got = Settings.from_extra({"dynamodbstreams_retention": 5}, {"CLOUDLET_DYNAMODBSTREAMS_RETENTION": "7",
                                                                   "CLOUDLET_DYNAMODBSTREAMS_SHARD_ROLL": "9"})
    assert (got.retention, got.shard_roll, got.iterator_ttl) == (5.0, 9.0, 900.0)
