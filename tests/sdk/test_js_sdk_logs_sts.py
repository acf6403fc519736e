"""CloudWatch Logs (awsJson 1.1) and STS (query) through the AWS SDK for JavaScript v3, one node process."""

from __future__ import annotations

import pytest

from .conftest import run_script


@pytest.fixture(scope="module")
def out(fresh_cloudlet, js_sdk):
    return run_script("logs_sts.js", fresh_cloudlet, js_sdk)


def test_sts_speaks_query_and_its_credentials_sign(out):
    assert out["stsWire"] == {"target": None, "contentType": "application/x-www-form-urlencoded", "queryMode": None,
                              "path": "/"}
    assert out["identity"] == {"account": "000000000000", "arn": "arn:aws:iam::000000000000:root",
                               "user": "000000000000", "http": 200}
    assert out["assumed"]["arn"] == "arn:aws:sts::000000000000:assumed-role/app/js"
    assert out["assumed"]["key"] == "ASIA" and out["assumed"]["expires"] is True
    assert 890 <= out["assumed"]["seconds"] <= 900
    assert out["roleIdentity"] == "arn:aws:sts::000000000000:assumed-role/app/js"


def test_sts_query_error(out):
    assert out["stsError"] == {
        "name": "ValidationError", "ctor": "STSServiceException", "status": 400, "fault": "client", "requestId": True,
        "message": "1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy constraint: "
                   "Member must have value greater than or equal to 900"}


def test_logs_events_filters_and_paginators(out):
    assert out["events"] == ["first ERROR", "second", "third ERROR"]
    assert out["forwardToken"] is True
    assert out["filtered"] == ["first ERROR", "third ERROR"]
    assert out["groupPages"] == [["/app/g0", "/app/g1"], ["/app/g2", "/app/web"]]


def test_logs_errors_are_the_sdk_classes(out):
    assert out["exists"] == {"name": "ResourceAlreadyExistsException", "ctor": "ResourceAlreadyExistsException",
                             "status": 400, "fault": "client", "message": "The specified log group already exists",
                             "requestId": True}
    assert out["missing"] == {"name": "ResourceNotFoundException", "ctor": "ResourceNotFoundException",
                              "status": 400, "fault": "client", "message": "The specified log group does not exist.",
                              "requestId": True}
