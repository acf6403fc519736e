"""Whether a Lambda resource policy statement lets CloudWatch Logs invoke a function for a group."""

from __future__ import annotations

import pytest

from cloudlet.services.logs.destinations import allows_logs

REGION = "us-east-1"
SOURCE = {"arn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/web:*", "account": "123456789012"}


def statement(**changes) -> dict:
    base = {"Sid": "s", "Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"},
            "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize("changes", [
    {},
    {"Principal": {"Service": "logs.us-east-1.amazonaws.com"}},
    {"Principal": {"Service": ["sns.amazonaws.com", "logs.amazonaws.com"]}},
    {"Principal": "*"},
    {"Action": "lambda:*"},
    {"Action": ["lambda:GetFunction", "lambda:InvokeFunction"]},
    {"Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/web:*"}}},
    {"Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:logs:*:123456789012:log-group:/app/*"}}},
    {"Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-?:123456789012:log-group:/app/web:*"}}},
    {"Condition": {"ArnEquals": {"AWS:SourceArn": SOURCE["arn"]}}},
    {"Condition": {"StringEquals": {"AWS:SourceAccount": "123456789012"},
                   "ArnLike": {"AWS:SourceArn": ["arn:aws:logs:*:*:log-group:other:*", SOURCE["arn"]]}}},
    {"Condition": {"StringLike": {"AWS:SourceAccount": "1234*"}}},
])
def test_allowed(changes):
    assert allows_logs(statement(**changes), REGION, SOURCE)


@pytest.mark.parametrize("changes", [
    {"Effect": "Deny"},
    {"Principal": {"Service": "events.amazonaws.com"}},
    {"Principal": {"Service": "logs.eu-west-1.amazonaws.com"}},
    {"Principal": {"AWS": "arn:aws:iam::123456789012:root"}},
    {"Action": "lambda:GetFunction"},
    {"Action": None},
    # without ":*" the pattern does not cover the group's ARN, as IAM's ArnLike compares
    {"Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/web"}}},
    {"Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:logs:us-east-1:123456789012:log-group:/other:*"}}},
    {"Condition": {"StringEquals": {"AWS:SourceAccount": "999999999999"}}},
    {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}},
    {"Condition": {"NumericLessThan": {"AWS:SourceAccount": "2"}}},
])
def test_refused(changes):
    assert not allows_logs(statement(**changes), REGION, SOURCE)
