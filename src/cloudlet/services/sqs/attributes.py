"""Queue attributes: names, defaults, value rules, and the policies (redrive, redrive-allow, permissions)."""

from __future__ import annotations

import orjson

from cloudlet.services.sqs.errors import invalid_attribute_name, invalid_attribute_value, invalid_value

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
            raise invalid_attribute_name(name)
        if name in RANGES:
            low, high = RANGES[name]
            if not value.strip().lstrip("-").isdigit() or not low <= int(value) <= high:
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
            value = _json_attribute(name, value)
        elif name == "RedrivePolicy":
            value = _redrive_policy(value)
        elif name == "RedriveAllowPolicy":
            value = _redrive_allow_policy(value)
        result[name] = value
    return result


def _json_object(name: str, value: str) -> dict:
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise invalid_attribute_value(name) from None
    if not isinstance(parsed, dict):
        raise invalid_attribute_value(name)
    return parsed


def _json_attribute(name: str, value: str) -> str:
    if value == "":
        return ""
    _json_object(name, value)
    return value


def _redrive_policy(value: str) -> str:
    if value == "":
        return ""
    policy = _json_object("RedrivePolicy", value)
    target, count = policy.get("deadLetterTargetArn"), policy.get("maxReceiveCount")
    if not isinstance(target, str) or count is None:
        raise invalid_attribute_value(
            "RedrivePolicy",
            " Reason: Redrive policy is not a valid JSON map or is missing deadLetterTargetArn or maxReceiveCount.",
        )
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise invalid_attribute_value(
            "RedrivePolicy", " Reason: Invalid value for maxReceiveCount."
        ) from None
    if not 1 <= count <= 1000:
        raise invalid_attribute_value(
            "RedrivePolicy",
            f" Reason: Value {count} for parameter maxReceiveCount is invalid. Must be between 1 and 1000.",
        )
    return orjson.dumps({"deadLetterTargetArn": target, "maxReceiveCount": count}).decode()


def _redrive_allow_policy(value: str) -> str:
    if value == "":
        return ""
    policy = _json_object("RedriveAllowPolicy", value)
    permission = policy.get("redrivePermission")
    sources = policy.get("sourceQueueArns")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise invalid_attribute_value("RedriveAllowPolicy", " Reason: Invalid redrivePermission.")
    if permission == "byQueue":
        if (
            not isinstance(sources, list)
            or not 1 <= len(sources) <= 10
            or not all(isinstance(s, str) for s in sources)
        ):
            raise invalid_attribute_value(
                "RedriveAllowPolicy",
                " Reason: sourceQueueArns must list 1 to 10 queue ARNs when redrivePermission is byQueue.",
            )
        return orjson.dumps({"redrivePermission": permission, "sourceQueueArns": sources}).decode()
    if sources:
        raise invalid_attribute_value(
            "RedriveAllowPolicy",
            " Reason: sourceQueueArns is allowed only when redrivePermission is byQueue.",
        )
    return orjson.dumps({"redrivePermission": permission}).decode()


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


def _one_or_list(values: list[str]):
    return values[0] if len(values) == 1 else values


def add_statement(
    policy: str | None, queue_arn: str, label: str, accounts: list[str], actions: list[str]
) -> str:
    """The Policy document after AddPermission, built the way SQS builds it."""
    doc = (
        orjson.loads(policy)
        if policy
        else {"Version": "2012-10-17", "Id": f"{queue_arn}/SQSDefaultPolicy", "Statement": []}
    )
    statements = doc.setdefault("Statement", [])
    if any(s.get("Sid") == label for s in statements):
        raise invalid_value("Label", label, "Already exists")
    statements.append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": _one_or_list([f"arn:aws:iam::{a}:root" for a in accounts])},
            "Action": _one_or_list([f"SQS:{a}" for a in actions]),
            "Resource": queue_arn,
        }
    )
    return orjson.dumps(doc).decode()


def remove_statement(policy: str | None, label: str) -> str:
    """The Policy document after RemovePermission ('' when no statement is left)."""
    doc = orjson.loads(policy) if policy else {}
    statements = doc.get("Statement", [])
    kept = [s for s in statements if s.get("Sid") != label]
    if len(kept) == len(statements):
        raise invalid_value("Label", label, "can't find label on existing policy")
    if not kept:
        return ""
    doc["Statement"] = kept
    return orjson.dumps(doc).decode()
