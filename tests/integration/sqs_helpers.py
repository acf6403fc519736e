"""Shared helpers of the SQS integration tests."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def raises(code: str, status: int = 400, exception: str | None = None):
    """Context manager: the call fails with `code` (as boto3 reports it) and HTTP `status`."""
    return _Raises(code, status, exception)


class _Raises:
    def __init__(self, code: str, status: int, exception: str | None) -> None:
        self.code, self.status, self.exception = code, status, exception
        self._ctx = pytest.raises(ClientError)

    def __enter__(self):
        self.info = self._ctx.__enter__()
        return self.info

    def __exit__(self, *exc):
        result = self._ctx.__exit__(*exc)
        err = self.info.value.response
        assert err["Error"]["Code"] == self.code, err
        assert err["ResponseMetadata"]["HTTPStatusCode"] == self.status, err
        if self.exception:
            assert type(self.info.value).__name__ == self.exception, type(self.info.value)
        return result


def make_queue(sqs, name: str = "q", **attributes) -> str:
    attrs = {k: str(v) for k, v in attributes.items()}
    return sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]


def queue_attrs(sqs, url: str, *names: str) -> dict:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names) or ["All"])["Attributes"]
