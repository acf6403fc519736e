"""Queue attributes: names, defaults, value rules, and the policies (redrive, redrive-allow, permissions)."""

from __future__ import annotations

import re

import orjson

from cloudlet.services.sqs.errors import (
    invalid_attribute_name,
    invalid_attribute_value,
    invalid_parameter,
    invalid_value,
    missing_parameter,
    sqs_error,
)

# settable numeric attributes: (min, max)
RANGES = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1048576),
    "MessageRetentionPeriod": (60, 1209600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43200),
    "KmsDataKeyReusePeriodSeconds": (60, 86400),
}
DEFAULTS = {
    "VisibilityTimeout": "30",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}
FIFO_ONLY = ("FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
SETTABLE = set(RANGES) | {
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "SqsManagedSseEnabled",
    *FIFO_ONLY,
}
COMPUTED = (
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
)
READABLE = set(SETTABLE) | set(COMPUTED) | {"All"}
# the order in which GetQueueAttributes lists them
ORDER = (
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)
KMS_REUSE_DEFAULT = "300"
MAX_STATEMENTS = 20
_INTEGER = re.compile(r"-?[0-9]+")
_BOOLEANS = ("SqsManagedSseEnabled", "ContentBasedDeduplication", "FifoQueue")
_ENUMS = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}


def normalize(attrs: dict[str, str], fifo: bool, *, creating: bool) -> dict[str, str]:
    """Check settable attributes and return them in their canonical form ('' removes an attribute).

    Raises InvalidAttributeName / InvalidAttributeValue. Cross-queue rules (redrive targets) are
    checked by the caller."""
    result: dict[str, str] = {}
    for name, raw in attrs.items():
        value = "" if raw is None else str(raw)
        if name not in SETTABLE or (name in FIFO_ONLY and not fifo and name != "FifoQueue"):
            raise invalid_attribute_name(name)
        if name == "FifoQueue" and not creating:
            if not fifo:
                raise invalid_attribute_name(name)
            if value.lower() == "false":
                raise invalid_attribute_value(name, " Reason: Modifying queue type is not supported.")
            if value.lower() != "true":
                raise invalid_attribute_value(name)
            continue  # a FIFO queue stays one: nothing to change
        if name in RANGES:
            low, high = RANGES[name]
            if not _INTEGER.fullmatch(value) or not low <= int(value) <= high:
                raise invalid_attribute_value(name)
            value = str(int(value))
        elif name in _BOOLEANS:
            if value.lower() not in ("true", "false"):
                raise invalid_attribute_value(name)
            value = value.lower()
        elif name in _ENUMS:
            if value not in _ENUMS[name]:
                raise invalid_attribute_value(name)
        elif name == "Policy":
            value = _policy(value)
        elif name == "RedrivePolicy":
            value = _redrive_policy(value)
        elif name == "RedriveAllowPolicy":
            value = _redrive_allow_policy(value)
        result[name] = value
    return result


def _json_object(value: str):
    """The JSON object `value` holds, or None."""
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


_POLICY_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}


def _policy(value: str) -> str:
    """An access policy document: its shape is checked, the text kept as sent."""
    if value == "":
        return ""
    doc = _json_object(value)
    statements = doc.get("Statement") if doc is not None else None
    if isinstance(statements, dict):
        statements = [statements]
    if (
        doc is None
        or not set(doc) <= _POLICY_KEYS
        or doc.get("Version", "2012-10-17") not in ("2012-10-17", "2008-10-17")
        or not isinstance(statements, list)
        or not statements
        or not all(_statement_ok(s) for s in statements)
    ):
        raise invalid_attribute_value("Policy")
    if len(statements) > MAX_STATEMENTS:
        raise sqs_error(
            "OverLimit",
            f"{len(statements)} statements were found in the submitted policy, max allowed is {MAX_STATEMENTS}",
        )
    return value


def _statement_ok(statement) -> bool:
    return (
        isinstance(statement, dict)
        and set(statement) <= _STATEMENT_KEYS
        and statement.get("Effect") in ("Allow", "Deny")
        and ("Action" in statement or "NotAction" in statement)
    )


def _redrive_policy(value: str) -> str:
    """A RedrivePolicy checked as SQS checks it (InvalidParameterValue), in the form SQS returns it:
    compact, deadLetterTargetArn first, maxReceiveCount a number even when sent as a string."""
    if value == "":
        return ""
    policy = _json_object(value)
    if policy is None:
        raise invalid_parameter(
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map."
        )
    for key in ("maxReceiveCount", "deadLetterTargetArn"):
        if key not in policy:
            raise invalid_value(
                "RedrivePolicy", value, f"Redrive policy does not contain mandatory attribute: {key}"
            )
    count = policy["maxReceiveCount"]
    if isinstance(count, bool) or not _INTEGER.fullmatch(str(count)) or not 1 <= int(count) <= 1000:
        raise invalid_value(
            "RedrivePolicy",
            value,
            f"Invalid value for maxReceiveCount: {count}, valid values are from 1 to 1000 both inclusive",
        )
    target = policy["deadLetterTargetArn"]
    parts = target.split(":") if isinstance(target, str) else []
    if len(parts) != 6 or parts[0] != "arn":
        raise invalid_value("RedrivePolicy", value, "Invalid value for deadLetterTargetArn")
    if parts[2] != "sqs":
        raise invalid_value(
            "RedrivePolicy", value, "Only SQS queues are valid resources for deadLetterTargetArn"
        )
    if len(policy) > 2:
        raise invalid_value(
            "RedrivePolicy",
            value,
            "Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn]",
        )
    return orjson.dumps({"deadLetterTargetArn": target, "maxReceiveCount": int(count)}).decode()


_ALLOW_FORMAT = (
    "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create the redrive allow "
    "policy, as it\u2019s in an unsupported format."
)


def _redrive_allow_policy(value: str) -> str:
    """A RedriveAllowPolicy checked as SQS checks it, returned compact like a RedrivePolicy."""
    if value == "":
        return ""
    policy = _json_object(value)
    if (
        policy is None
        or policy.get("redrivePermission") not in ("allowAll", "denyAll", "byQueue")
        or not set(policy) <= {"redrivePermission", "sourceQueueArns"}
    ):
        raise sqs_error("InvalidAttributeValue", _ALLOW_FORMAT)
    sources = policy.get("sourceQueueArns")
    if sources is not None and (
        not isinstance(sources, list) or not all(isinstance(s, str) for s in sources)
    ):
        raise sqs_error("InvalidAttributeValue", _ALLOW_FORMAT)
    reason = "Amazon SQS can't create the redrive allow policy. "
    if policy["redrivePermission"] != "byQueue":
        if sources is not None:
            raise invalid_value(
                "RedriveAllowPolicy",
                value,
                reason
                + "To specify one or more source queue ARNs, you must set redrivePermission to byQueue",
            )
    elif not sources:
        raise invalid_value(
            "RedriveAllowPolicy",
            value,
            reason + "When you specify the byQueue permission type, you must also specify one or more "
            "sourceQueueArns values",
        )
    elif len(sources) > 10:
        raise invalid_value(
            "RedriveAllowPolicy",
            value,
            reason + "The maximum number of source queue ARNs you can specify is 10",
        )
    return orjson.dumps(policy).decode()


def same_document(name: str, one: str, other: str) -> bool:
    """Whether two values of a JSON attribute (policies) hold the same document, however spaced."""
    if name not in ("Policy", "RedrivePolicy", "RedriveAllowPolicy") or not one or not other:
        return False
    return orjson.loads(one) == orjson.loads(other)


def apply_encryption(merged: dict[str, str], given: dict[str, str]) -> None:
    """SSE-KMS and SSE-SQS exclude each other: a KMS key turns SqsManagedSseEnabled off (and brings
    the data key reuse period, 300 s by default); SqsManagedSseEnabled=true drops the KMS settings."""
    kms = given.get("KmsMasterKeyId")
    sse = given.get("SqsManagedSseEnabled")
    if kms and sse == "true":
        raise sqs_error(
            "InvalidAttributeName",
            "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.",
        )
    if kms:
        merged["SqsManagedSseEnabled"] = "false"
        merged.setdefault("KmsDataKeyReusePeriodSeconds", KMS_REUSE_DEFAULT)
    elif sse == "true" or kms == "":
        merged.pop("KmsMasterKeyId", None)
        merged.pop("KmsDataKeyReusePeriodSeconds", None)


def allows_source(allow_policy: str | None, source_arn: str) -> bool:
    """Whether a dead-letter queue's RedriveAllowPolicy lets `source_arn` use it."""
    if not allow_policy:
        return True
    policy = orjson.loads(allow_policy)
    permission = policy.get("redrivePermission")
    if permission == "denyAll":
        return False
    if permission == "byQueue":
        return source_arn in policy.get("sourceQueueArns", [])
    return True


# ---- AddPermission / RemovePermission -------------------------------------------------------
ACTIONS = (
    "*",
    "ChangeMessageVisibility",
    "DeleteMessage",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "ListQueueTags",
    "PurgeQueue",
    "ReceiveMessage",
    "SendMessage",
    "StartMessageMoveTask",
    "ListMessageMoveTasks",
    "CancelMessageMoveTask",
)


# actions only the queue's owner may call: AddPermission refuses to grant them
OWNER_ONLY = (
    "AddPermission",
    "CreateQueue",
    "DeleteQueue",
    "ListQueues",
    "RemovePermission",
    "SetQueueAttributes",
    "TagQueue",
    "UntagQueue",
)


def _one_or_list(values: list):
    return values[0] if len(values) == 1 else values


def _statements(doc: dict) -> list[dict]:
    statements = doc.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def add_statement(
    policy: str | None, queue_arn: str, label: str, accounts: list[str], actions: list[str]
) -> str:
    """The Policy document after AddPermission, built the way SQS builds it (its statements always
    a list); adding the very same statement again changes nothing."""
    doc = orjson.loads(policy) if policy else {"Version": "2008-10-17", "Id": f"{queue_arn}/SQSDefaultPolicy"}
    statements = _statements(doc)
    statement = {
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": _one_or_list([f"arn:aws:iam::{a}:root" for a in accounts])},
        "Action": _one_or_list([f"SQS:{a}" for a in actions]),
        "Resource": queue_arn,
    }
    same = [s for s in statements if s.get("Sid") == label]
    if same:
        if same[0] == statement:
            return policy  # type: ignore[return-value]
        raise invalid_value("Label", label, "Already exists")
    statements.append(statement)
    if len(statements) > MAX_STATEMENTS:
        raise sqs_error(
            "OverLimit", f"{len(statements)} Statements were found, maximum allowed is {MAX_STATEMENTS}."
        )
    doc["Statement"] = statements
    return orjson.dumps(doc).decode()


def remove_statement(policy: str | None, label: str) -> str:
    """The Policy document after RemovePermission ('' when no statement is left)."""
    if not label:
        raise missing_parameter("Label")
    if not policy:
        raise invalid_value("Label", label, "can't find label")
    doc = orjson.loads(policy)
    statements = _statements(doc)
    kept = [s for s in statements if s.get("Sid") != label]
    if len(kept) == len(statements):
        raise invalid_value("Label", label, "can't find label on existing policy")
    if not kept:
        return ""
    doc["Statement"] = kept
    return orjson.dumps(doc).decode()
