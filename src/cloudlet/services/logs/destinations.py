"""Checking the destination of a subscription filter as PutSubscriptionFilter does.

A Lambda function of the caller's account and region is the one destination cloudlet delivers
to: it must exist and its resource policy must let CloudWatch Logs (`logs.amazonaws.com` or
`logs.REGION.amazonaws.com`, or `*`) call `lambda:InvokeFunction`, with any SourceArn /
SourceAccount condition matching the log group. Kinesis streams, Firehose streams and logical
destinations do not exist in cloudlet, so they are refused as AWS refuses ones that do not exist.
"""

from __future__ import annotations

import re

import orjson

from cloudlet.aws import arns
from cloudlet.aws.context import RequestContext
from cloudlet.aws.errors import AWSError
from cloudlet.services.logs.params import invalid

CANNOT_INVOKE = (
    "Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute"
    " your function."
)
_UNREACHABLE = {
    "kinesis": "Could not deliver message to specified Kinesis stream. Ensure that the Kinesis stream exists"
    " and is ACTIVE.",
    "firehose": "Could not deliver message to specified Firehose stream. Ensure that the Firehose stream"
    " exists and is ACTIVE.",
}


def check_account(ctx, destination: str) -> None:
    """A function of another account is refused first, before the log group is looked up."""
    try:
        arn = arns.parse(destination)
    except ValueError:
        return  # `check` answers for a value that is not an ARN
    if arn.service == "lambda" and arn.account != ctx.account_id:
        raise AWSError(
            "AccessDeniedException",
            "Cross-account lambda invocation passing is not allowed. You must use DestinationPolicies to create"
            " cross account lambda triggers.",
            400,
        )


async def check(platform, ctx, group_name: str, destination: str, role_arn: str | None) -> None:
    """Raise the error PutSubscriptionFilter answers for a destination cloudlet cannot deliver to."""
    try:
        arn = arns.parse(destination)
    except ValueError:
        raise invalid(f"Invalid destinationArn: {destination}") from None
    vendor = arn.service
    if vendor == "lambda":
        if role_arn:
            raise invalid("destinationArn for vendor lambda cannot be used with roleArn")
        if not await _logs_may_invoke(platform, ctx, group_name, destination):
            raise invalid(CANNOT_INVOKE)
        return
    if vendor == "logs":  # a logical destination (PutDestination): cloudlet keeps none
        raise AWSError("ResourceNotFoundException", "The specified destination does not exist.", 400)
    if not role_arn:
        raise invalid(f"destinationArn for vendor {vendor} cannot be used without roleArn")
    if vendor in _UNREACHABLE:
        raise invalid(_UNREACHABLE[vendor])
    raise invalid(f"PutSubscriptionFilter operation cannot work with destinationArn for vendor {vendor}")


def log_group_arn(ctx, group_name: str) -> str:
    """The SourceArn CloudWatch Logs presents when it invokes a function for a group's filter."""
    return arns.build("logs", ctx.region, ctx.account_id, f"log-group:{group_name}:*")


async def _logs_may_invoke(platform, ctx, group_name: str, function_arn: str) -> bool:
    lam = await platform.service("lambda")
    lambda_ctx = RequestContext(ctx.account_id, ctx.region, ctx.request_id, service="lambda", operation="GetPolicy")
    try:
        policy = await platform.run_sync(lam.get_policy, lambda_ctx, {"FunctionName": function_arn})
    except AWSError:  # no such function (or version, alias, account, region), or no policy at all
        return False
    source = {"arn": log_group_arn(ctx, group_name), "account": ctx.account_id}
    statements = orjson.loads(policy["Policy"]).get("Statement") or []
    return any(allows_logs(s, ctx.region, source) for s in _as_list(statements))


def allows_logs(statement: dict, region: str, source: dict) -> bool:
    """Whether one policy statement lets CloudWatch Logs invoke the function for `source`
    ({"arn": log group ARN, "account": account id})."""
    if statement.get("Effect") != "Allow":
        return False
    if not any(a in ("lambda:InvokeFunction", "lambda:*", "*") for a in _as_list(statement.get("Action"))):
        return False
    principal = statement.get("Principal")
    services = {"logs.amazonaws.com", f"logs.{region}.amazonaws.com"}
    if principal != "*" and not (
        isinstance(principal, dict) and any(p in services for p in _as_list(principal.get("Service")))
    ):
        return False
    return all(
        _condition_holds(operator, key, values, source)
        for operator, block in (statement.get("Condition") or {}).items()
        for key, values in block.items()
    )


def _condition_holds(operator: str, key: str, values, source: dict) -> bool:
    name = key.lower()
    if name == "aws:sourcearn":
        actual = source["arn"]
    elif name == "aws:sourceaccount":
        actual = source["account"]
    else:  # organisation ids, tokens and the like: the Logs service presents none of them
        return False
    wanted = _as_list(values)
    if operator in ("StringEquals", "ArnEquals"):
        return actual in wanted
    if operator == "StringLike":
        return any(_wildcard(w).fullmatch(actual) for w in wanted)
    if operator == "ArnLike":
        return any(_arn_like(w, actual) for w in wanted)
    return False


def _arn_like(pattern: str, arn: str) -> bool:
    """IAM's ArnLike: the six colon-separated parts compared one by one, with * and ? wildcards."""
    want, have = pattern.split(":", 5), arn.split(":", 5)
    return len(want) == len(have) == 6 and all(_wildcard(w).fullmatch(h) for w, h in zip(want, have, strict=True))


def _wildcard(pattern: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.S)


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
