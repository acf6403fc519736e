"""SQS through the AWS SDK for JavaScript v3 (@aws-sdk/client-sqs): its latest release (awsJson 1.0) and
its last query-protocol release, one node process each."""

from __future__ import annotations

import hashlib

import pytest

from .conftest import run_script


@pytest.fixture(scope="module", params=["json", "query"])
def out(request, fresh_cloudlet):
    sdk = request.getfixturevalue("js_sdk" if request.param == "json" else "js_sdk_sqs_query")
    fresh_cloudlet.reset()
    return {**run_script("sqs.js", fresh_cloudlet, sdk), "protocol": request.param}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def test_the_protocol_the_sdk_chose(out, fresh_cloudlet):
    if out["protocol"] == "json":
        assert out["wire"] == [
            {"target": "AmazonSQS.CreateQueue", "contentType": "application/x-amz-json-1.0", "queryMode": "true",
             "path": "/"},
            {"target": "AmazonSQS.GetQueueUrl", "contentType": "application/x-amz-json-1.0", "queryMode": "true",
             "path": "/"},
        ]
    else:
        assert out["wire"] == [{"target": None, "contentType": "application/x-www-form-urlencoded",
                                "queryMode": None, "path": "/"}] * 2
    assert out["url"] == out["getUrl"] == f"{fresh_cloudlet.endpoint}/000000000000/orders"


def test_send_and_receive_pass_the_sdk_md5_checks(out):
    assert out["sent"] == {"id": True, "md5Body": md5("héllo wörld"), "md5Attrs": out["sent"]["md5Attrs"]}
    assert len(out["sent"]["md5Attrs"]) == 32
    assert out["batch"] == {"ok": ["a", "b"], "failed": []}
    assert out["received"] == [
        {"body": "héllo wörld", "md5": md5("héllo wörld"), "receiveCount": "1",
         "attrs": {"Kind": ["String", "new ünïcode"], "Count": ["Number", "42"], "Raw": ["Binary", [0, 1, 2, 255]],
                   "Custom": ["String.custom", "x"]}},
        {"body": "one", "md5": md5("one"), "receiveCount": "1", "attrs": {"N": ["Number", "1"]}},
        {"body": "two", "md5": md5("two"), "receiveCount": "1", "attrs": {}},
    ]


def test_visibility_delete_and_an_empty_receive(out):
    assert out["deleted"] == 2
    assert out["again"] == [out["first"]]  # the message made visible again; the others were deleted
    assert out["emptyMessages"] == "undefined"  # no Messages member at all, as SQS answers
    assert out["attributes"] == {"vt": "5", "arn": "arn:aws:sqs:us-east-1:000000000000:orders", "visible": "0"}
    assert out["tags"] == {"team": "a"}


def test_fifo_deduplication_and_paginator(out):
    assert out["fifo"] == {"dedup": True, "seq": True}
    assert out["pages"] == [["page-0", "page-1"], ["page-2", "page-3"], ["page-4"]]


def test_errors_are_the_sdk_classes_with_status(out):
    client_error = {"fault": "client", "status": 400, "requestId": True}
    query = out["protocol"] == "query"
    # the query releases read no message for errors whose model has no message member: the SDK says
    # "UnknownError" whatever <Message> holds
    missing = "UnknownError" if query else "The specified queue does not exist."
    assert out["missing"] == {"name": "QueueDoesNotExist", "ctor": "QueueDoesNotExist", "message": missing,
                              **client_error}
    assert out["missingIsClass"] is True
    assert out["afterDelete"] == out["missing"]
    assert out["badBatch"] == {"name": "BatchEntryIdsNotDistinct", "ctor": "BatchEntryIdsNotDistinct",
                               "message": "UnknownError" if query else "Id same repeated.", **client_error}
    assert out["badVisibility"]["name"] == out["badVisibility"]["ctor"] == "ReceiptHandleIsInvalid"
    assert out["badVisibility"]["status"] == 400
