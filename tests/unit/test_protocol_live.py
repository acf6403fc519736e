"""The wire layer behind a live server, with boto3 as the client."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def test_query_errors_reach_boto3_with_code_and_status(cloudlet) -> None:
    sts = cloudlet.client("sts")
    with pytest.raises(ClientError) as info:
        sts.decode_authorization_message(EncodedMessage="x")
    error = info.value.response
    assert error["Error"]["Code"] == "NotImplemented"
    assert error["Error"]["Type"] == "Receiver"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["ResponseMetadata"]["RequestId"]


def test_server_side_validation_reaches_boto3(cloudlet) -> None:
    logs = cloudlet.client("logs", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as info:
        logs.create_log_group()
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidParameterException"
    assert error["Error"]["Message"] == (
        "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: "
        "Member must not be null"
    )
    sqs = cloudlet.client("sqs", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as info:
        sqs.send_message(MessageBody="x")
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "MissingParameter"  # the query-compatible code SQS sends
    assert error["Error"]["Message"] == "The request must contain the parameter QueueUrl."


def test_query_by_get_and_unknown_targets(cloudlet) -> None:
    url = cloudlet.endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15"
    with urllib.request.urlopen(url) as response:
        body = response.read()
    assert response.status == 200
    assert b"<GetCallerIdentityResponse" in body and b"<Account>000000000000</Account>" in body
    request = urllib.request.Request(
        cloudlet.endpoint + "/", data=b"{}", method="POST", headers={"X-Amz-Target": "Nope_2020.Do"}
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == 400
    assert b"UnknownOperationException" in info.value.read()


def test_unsigned_unknown_sqs_action_is_invalid_action(cloudlet) -> None:
    for path, body in [("/", b"Action=Bogus&Version=2012-11-05"), ("/000000000000/q1", b"Action=Bogus")]:
        request = urllib.request.Request(cloudlet.endpoint + path, data=body, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request)
        assert info.value.code == 400
        assert b"<Code>InvalidAction</Code>" in info.value.read()


def test_a_missing_required_query_member_is_named_by_validation(cloudlet) -> None:
    arn = "arn:aws:lambda:us-east-1:000000000000:function:nope"
    with pytest.raises(ClientError) as info:
        cloudlet.client("lambda").untag_resource(Resource=arn, TagKeys=[])
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"] == {"Code": "ValidationException", "Message": "1 validation error detected: Value null at "
                              "'tagKeys' failed to satisfy constraint: Member must not be null"}
