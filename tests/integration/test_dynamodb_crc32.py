"""DynamoDB answers carry x-amz-crc32, the CRC32 of the body, which SDKs check when it is present."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import zlib
from types import SimpleNamespace

import pytest
from botocore.config import Config as BotoConfig

from cloudlet.aws.protocols import json_rpc


def raw_call(cloudlet, target: str, body: dict) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(cloudlet.endpoint + "/", data=json.dumps(body).encode(), method="POST", headers={
        "X-Amz-Target": f"DynamoDB_20120810.{target}", "Content-Type": "application/x-amz-json-1.0",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.mark.parametrize(("target", "body", "status"), [
    ("ListTables", {}, 200),
    ("DescribeTable", {"TableName": "missing"}, 400),
    ("GetItem", {"TableName": 5}, 400),
])
def test_every_answer_carries_the_crc32_of_its_body(cloudlet, target, body, status):
    code, headers, payload = raw_call(cloudlet, target, body)
    assert code == status
    assert headers["x-amz-crc32"] == str(zlib.crc32(payload))


def test_boto3_checks_it(cloudlet):
    ddb = cloudlet.client("dynamodb")  # botocore compares x-amz-crc32 with the body and fails on a mismatch
    ddb.create_table(TableName="crc", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    ddb.put_item(TableName="crc", Item={"pk": {"S": "ü" * 1000}})
    response = ddb.scan(TableName="crc")
    assert response["Items"] == [{"pk": {"S": "ü" * 1000}}]
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amz-crc32"].isdigit()


def test_a_wrong_checksum_is_noticed(cloudlet, monkeypatch):
    """botocore's standard retry mode retries a DynamoDB answer whose body does not match x-amz-crc32."""
    client = cloudlet.client("dynamodb", config=BotoConfig(retries={"max_attempts": 2, "mode": "standard"}))
    assert client.list_tables()["ResponseMetadata"]["RetryAttempts"] == 0
    monkeypatch.setattr(json_rpc, "zlib", SimpleNamespace(crc32=lambda body: 12345))
    assert client.list_tables()["ResponseMetadata"]["RetryAttempts"] == 2  # every retry it was allowed
