"""Helpers shared by the DynamoDB and DynamoDB Streams tests."""

from __future__ import annotations


def error(excinfo) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a botocore ClientError caught by pytest.raises."""
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]
