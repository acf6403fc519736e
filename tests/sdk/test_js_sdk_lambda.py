"""Lambda through the AWS SDK for JavaScript v3 (waiters, invoke, event streams, paginators, errors), and a
nodejs20.x function that uses the SDK v3 the runtime provides, as Lambda bundles it; one node process."""

from __future__ import annotations

import zipfile

import pytest

from .conftest import SCRIPTS, run_script


@pytest.fixture(scope="module")
def out(fresh_cloudlet, js_sdk, tmp_path_factory):
    package = tmp_path_factory.mktemp("code") / "function.zip"
    with zipfile.ZipFile(package, "w") as zf:
        for name in ("app.js", "esm.mjs"):
            zf.write(SCRIPTS / "function" / name, name)
    return run_script("lambda.js", fresh_cloudlet, js_sdk, str(package))


def test_create_and_the_v2_waiters(out):
    assert out["created"] == {"state": "Pending", "runtime": "nodejs20.x",
                              "arn": "arn:aws:lambda:us-east-1:000000000000:function:app"}
    assert out["active"] == {"state": "SUCCESS", "fnState": "Active"}
    assert out["updated"] == {"state": "SUCCESS", "status": "Successful"}


def test_invoke_types_and_the_log_tail(out):
    echo = out["echo"]
    assert {k: echo[k] for k in ("status", "http", "payload", "version", "error")} == {
        "status": 200, "http": 200, "payload": {"echo": {"a": [1, "ü"]}, "env": None}, "version": "$LATEST",
        "error": None}
    assert "START RequestId: " in echo["log"] and "\nREPORT RequestId: " in echo["log"]
    assert out["fail"] == {"status": 200, "error": "Unhandled", "type": "RangeError", "message": "out of range"}
    assert out["event"] == {"status": 202, "http": 202}
    assert out["dryRun"] == 204


def test_invoke_with_response_stream_is_an_event_stream(out):
    assert out["stream"] == {"status": 200, "kinds": ["PayloadChunk", "InvokeComplete"],
                             "payload": {"echo": {"streamed": True}, "env": None},
                             "complete": {"errorCode": None, "details": None}}


def test_versions_aliases_paginator_and_errors(out):
    assert out["alias"] == {"version": "1", "executed": "1", "payload": {"echo": 1, "env": "hi"}}
    assert out["pages"] == [["app", "echo"], ["fail"]]  # listed before "esm" was created
    assert out["missing"] == {"name": "ResourceNotFoundException", "ctor": "ResourceNotFoundException",
                              "status": 404, "fault": "client", "requestId": True,
                              "message": "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"}
    assert out["missingIsClass"] is True
    assert out["conflict"] == {"name": "ResourceConflictException", "ctor": "ResourceConflictException",
                               "status": 409, "fault": "client", "message": "Function already exist: echo",
                               "requestId": True}


def test_a_function_uses_the_runtime_sdk_with_no_endpoint_configuration(out, fresh_cloudlet):
    app = out["app"]
    assert app["error"] is None, app
    assert app["payload"]["item"] == {"pk": "t-1", "by": "app"}
    assert app["payload"]["sdk"] == "/var/runtime/node_modules/@aws-sdk/client-sqs/dist-cjs/index.js"
    assert "\tINFO\tstored t-1\n" in app["log"]
    assert out["appMessage"] == [{"id": app["payload"]["messageId"], "body": {"pk": "t-1", "by": "app"}}]
    stored = fresh_cloudlet.client("dynamodb").get_item(TableName="things", Key={"pk": {"S": "t-1"}})["Item"]
    assert stored == {"pk": {"S": "t-1"}, "by": {"S": "app"}}


def test_throttling_is_retried_by_the_sdk(out):
    assert out["throttled"] == {"name": "TooManyRequestsException", "status": 429, "attempts": 2, "retried": True,
                                "reason": "ReservedFunctionConcurrentInvocationLimitExceeded", "type": "User"}


def test_an_es_module_imports_the_runtime_sdk(out):
    assert out["esm"] == {"error": None, "payload": {"queues": ["things"]}}
