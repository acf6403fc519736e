"""Helpers shared by the CloudWatch Logs tests."""

from __future__ import annotations

import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def now_ms() -> int:
    return int(time.time() * 1000)


def raw_client(cloudlet):
    """A logs client without boto3's own parameter checks, so the server sees bad input."""
    return cloudlet.client("logs", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


def expect_error(call, code: str, status: int = 400, **kwargs) -> str:
    """Call, assert the AWS error code and HTTP status, and return the message."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response
    assert error["Error"]["Code"] == code, error
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    return error["Error"]["Message"]


def make_stream(logs, group: str = "g", stream: str = "s") -> None:
    existing = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    if not any(g["logGroupName"] == group for g in existing):
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)


def put(logs, group: str, stream: str, messages: list[str], start: int | None = None, step: int = 1) -> int:
    """Put messages with timestamps start, start+step, ...; returns start."""
    start = now_ms() - 60_000 if start is None else start
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": start + i * step, "message": m} for i, m in enumerate(messages)],
    )
    return start
