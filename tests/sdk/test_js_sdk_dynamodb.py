"""DynamoDB and DynamoDB Streams through the AWS SDK for JavaScript v3 (client, DocumentClient, waiters,
paginators, error classes), one node process for the module."""

from __future__ import annotations

import pytest

from .conftest import run_script


@pytest.fixture(scope="module")
def out(fresh_cloudlet, js_sdk):
    return run_script("dynamodb.js", fresh_cloudlet, js_sdk)


def test_waiters_follow_the_table_status(out):
    assert out["wire"] == {"target": "DynamoDB_20120810.CreateTable", "contentType": "application/x-amz-json-1.0",
                           "queryMode": None, "path": "/"}
    assert out["createdStatus"] == "CREATING"
    assert out["waiter"] == {"state": "SUCCESS", "status": "ACTIVE"}
    assert out["deleted"] == "SUCCESS"


def test_document_client_round_trips_every_type(out):
    assert out["got"] == {"pk": "cust#1", "sk": 1, "name": "Ada", "tags": ["a", "b"], "nums": [1, 2.5],
                          "nested": {"list": [1, "two", {"three": True}], "nil": None}, "blob": [1, 2, 3],
                          "big": 12345678901234}
    assert out["updated"] == {"name": "Ada L.", "visits": 1}


def test_conditional_failure_carries_the_old_item(out):
    assert out["conditional"] == {"name": "ConditionalCheckFailedException", "ctor": "ConditionalCheckFailedException",
                                  "status": 400, "fault": "client", "message": "The conditional request failed",
                                  "requestId": True}
    assert out["conditionalItem"] == {"name": "Ada L.", "visits": 1}


def test_batches_paginators_and_transactions(out):
    assert out["batchGet"] == [{"sk": 0, "n": 0}, {"sk": 6, "n": 60}]
    assert out["unprocessed"] == {}
    assert out["queryPages"] == [{"count": 3, "sks": [6, 5, 4], "more": True},
                                 {"count": 3, "sks": [3, 2, 1], "more": True},
                                 {"count": 0, "sks": [], "more": False}]
    assert out["scanTotal"] == 8
    assert out["transactError"] == {"name": "TransactionCanceledException", "status": 400,
                                    "reasons": ["None", "ConditionalCheckFailed"]}
    assert out["transactLeftNothing"] == "absent"


def test_errors_are_the_sdk_classes_with_status(out):
    assert out["missingTable"] == {"name": "ResourceNotFoundException", "ctor": "ResourceNotFoundException",
                                   "status": 400, "fault": "client",
                                   "message": "Requested resource not found: Table: nope not found", "requestId": True}
    # ValidationException is not a modeled DynamoDB error: the SDK raises its service base class with that name
    assert out["validation"] == {"name": "ValidationException", "ctor": "DynamoDBServiceException", "status": 400,
                                 "fault": "client", "message": "The provided key element does not match the schema",
                                 "requestId": True}


def test_stream_records_through_the_streams_client(out):
    assert out["stream"] == {"view": "NEW_AND_OLD_IMAGES", "first": [
        {"event": "INSERT", "keys": {"pk": {"S": "cust#1"}, "sk": {"N": "1"}}, "newName": {"S": "Ada"},
         "created": True},
        {"event": "MODIFY", "keys": {"pk": {"S": "cust#1"}, "sk": {"N": "1"}}, "newName": {"S": "Ada L."},
         "oldName": {"S": "Ada"}, "created": True},
    ]}
