"""Event source mapping refusals in Lambda's words: sources, missing functions and mappings, starting
positions per source kind. A refusal stores nothing."""

import time
import uuid

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import create

IPV, RNF, VE = "InvalidParameterValueException", "ResourceNotFoundException", "ValidationException"


def refusal(call, **params) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as exc:
        call(**params)
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def test_mapping_refusals(cloudlet):
    lam, sqs, ddb = cloudlet.client("lambda"), cloudlet.client("sqs"), cloudlet.client("dynamodb")
    create(lam, "f")
    queue = sqs.get_queue_attributes(QueueUrl=sqs.create_queue(QueueName="q")["QueueUrl"],
                                     AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    stream = ddb.create_table(
        TableName="tbl", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]["LatestStreamArn"]
    now = int(time.time())
    create_mapping = lam.create_event_source_mapping
    positions = ("1 validation error detected: Value '0' at 'startingPosition' failed to satisfy constraint: Member "
                 "must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]")
    not_sqs = (IPV, 400, "StartingPosition is not valid for SQS event sources.")
    cases = [
        (dict(FunctionName="f", EventSourceArn=queue, StartingPosition="0"), (VE, 400, positions)),
        (dict(FunctionName="f", EventSourceArn=stream, StartingPosition="0"), (VE, 400, positions)),
        (dict(FunctionName="f", EventSourceArn=stream, StartingPosition="LATEST", StartingPositionTimestamp=now),
         (IPV, 400, "Timestamp only valid with StartingPosition AT_TIMESTAMP")),
        (dict(FunctionName="f", EventSourceArn=stream, StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=now),
         (IPV, 400, f"Unsupported starting position for arn type: {stream}")),
        (dict(FunctionName="f", EventSourceArn=queue, StartingPosition="LATEST", StartingPositionTimestamp=now), not_sqs),
        (dict(FunctionName="f", EventSourceArn=queue, StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=now),
         not_sqs),
        (dict(FunctionName="doesnotexist"), (IPV, 400, "Unrecognized event source.")),
        (dict(FunctionName="doesnotexist", EventSourceArn="arn:aws:sqs:us-east-1:111111111111:somequeue"),
         (IPV, 400, "Function does not exist")),
    ]
    for params, expected in cases:
        assert refusal(create_mapping, **params) == expected, params
    missing = str(uuid.uuid4())
    gone = (RNF, 404, "The resource you requested does not exist.")
    assert refusal(lam.get_event_source_mapping, UUID=missing) == gone
    assert refusal(lam.delete_event_source_mapping, UUID=missing) == gone
    assert refusal(lam.update_event_source_mapping, UUID=missing, Enabled=False) == gone
    assert lam.list_event_source_mappings(FunctionName="doesnotexist")["EventSourceMappings"] == []
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []
