"""Checks on messages as sent: body characters, size, message attributes, FIFO parameters."""

from __future__ import annotations

import re

from cloudlet.aws.errors import AWSError
from cloudlet.services.sqs.errors import invalid_parameter, invalid_value, missing_parameter, sqs_error

_BAD_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
DEDUP_ID = re.compile(r"[\x21-\x7e]{1,128}")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
MAX_ATTRIBUTES = 10


def check_body(body: str | None) -> int:
    """Raise for an empty body or a character SQS refuses; return the body's size in bytes."""
    if not body:
        raise missing_parameter("MessageBody")
    if body.isascii():
        if body.isprintable():
            return len(body)
        size = len(body)
    else:
        size = len(body.encode("utf-8", "surrogatepass"))
    bad = _BAD_CHAR.search(body)
    if bad:
        raise sqs_error(
            "InvalidMessageContents",
            f"Invalid binary character '#x{ord(bad.group()):X}' was found in the message body, the set of allowed "
            "characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
        )
    return size


def check_attributes(attributes: dict | None) -> int:
    """Validate message attributes (names, types, values); return the bytes they count toward the size."""
    if not attributes:
        return 0
    if len(attributes) > MAX_ATTRIBUTES:
        raise invalid_parameter(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [{MAX_ATTRIBUTES}]."
        )
    size = 0
    for name, value in attributes.items():
        check_attribute_name(name)
        data_type = value.get("DataType")
        if not data_type:
            raise invalid_parameter(
                f"The message attribute '{name}' must contain non-empty message attribute type."
            )
        if len(data_type.encode("utf-8")) > 256:
            raise invalid_parameter("Message (user) attribute type must be shorter than 256 bytes.")
        if value.get("StringListValues") or value.get("BinaryListValues"):
            raise invalid_parameter(
                "Message attribute list values in SendMessage operation are not supported."
            )
        base = data_type.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise invalid_parameter(
                f"The type of message (user) attribute '{name}' is invalid. You must use only the following "
                "supported type prefixes: Binary, Number, String."
            )
        if base == "Binary":
            raw = value.get("BinaryValue")
            if not raw:
                if value.get("StringValue") is None:
                    raise invalid_parameter(
                        f"The message (user) attribute '{name}' must contain a non-empty message attribute value."
                    )
                raise invalid_parameter(
                    f"The message attribute '{name}' with type 'Binary' must use field 'Binary'."
                )
            size += len(raw)
        else:
            text = value.get("StringValue")
            if text is None and value.get("BinaryValue") is None:
                raise invalid_parameter(
                    f"The message (user) attribute '{name}' must contain a non-empty message attribute value."
                )
            if text is None:
                raise invalid_parameter(
                    f"The message attribute '{name}' with type '{base}' must use field 'String'."
                )
            if text == "":
                raise invalid_parameter(
                    f"Message (user) attribute '{name}' must contain a non-empty value of type '{base}'."
                )
            if base == "Number" and (
                not _NUMBER.fullmatch(text) or len(text.lstrip("+-").replace(".", "")) > 38 + 10
            ):
                raise invalid_parameter(
                    f"Can't cast the value of message (user) attribute '{name}' to a number."
                )
            if _BAD_CHAR.search(text):
                raise invalid_parameter(f"Invalid binary character in the message attribute '{name}'.")
            size += len(text.encode("utf-8"))
        size += len(name.encode("utf-8")) + len(data_type.encode("utf-8"))
    return size


def check_attribute_name(name: str) -> None:
    """Raise InvalidParameterValue for a message attribute name SQS refuses."""
    if not name:
        raise invalid_parameter("The request must contain non-empty message (user) attribute names.")
    if len(name.encode("utf-8")) > 256:
        raise invalid_parameter("Message (user) attribute name must be shorter than 256 bytes.")
    if name.lower().startswith(("aws.", "amazon.")):
        raise invalid_parameter(
            "You can't use message attribute names beginning with 'AWS.' or 'Amazon'. "
            "These strings are reserved for internal use."
        )
    bad = next((c for c in name if not (c.isalnum() or c in "_-.")), None)  # letters of any script
    if bad:
        raise invalid_parameter(
            f"Invalid non-alphanumeric character '#x{ord(bad):X}' was found in the message attribute "
            "name. Can only include alphanumeric characters, hyphens, underscores, or dots."
        )
    if name.startswith(".") or name.endswith(".") or ".." in name:
        raise invalid_parameter(
            f"Message (user) attribute name '{name}' is invalid. The attribute name can contain only A-Z, a-z, "
            "0-9, underscore (_), hyphen (-), and period (.); must not start or end with a period, contain "
            "consecutive periods or start with 'AWS.' or 'Amazon.'; and must be at most 256 characters."
        )


def check_system_attributes(attributes: dict | None) -> str | None:
    """Validate MessageSystemAttributes (only AWSTraceHeader, a String); return the trace header."""
    if not attributes:
        return None
    for name, value in attributes.items():
        if name != "AWSTraceHeader":
            raise invalid_parameter(f"Message system attribute name '{name}' is invalid.")
        if value.get("DataType") != "String" or not value.get("StringValue"):
            raise invalid_parameter(
                "Message system attribute 'AWSTraceHeader' must be of type String with a non-empty value."
            )
    return attributes["AWSTraceHeader"]["StringValue"]


def check_batch_ids(entries: list | None, entry_name: str) -> None:
    """The batch-wide rules: 1..10 entries, well-formed and distinct ids."""
    if not entries:
        raise sqs_error("EmptyBatchRequest", f"There should be at least one {entry_name} in the request.")
    if len(entries) > 10:
        raise sqs_error(
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are 10. You have sent {len(entries)}.",
        )
    seen = set()
    for entry in entries:
        entry_id = entry.get("Id") or ""
        if not _BATCH_ID.fullmatch(entry_id):
            raise sqs_error(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                "It can be at most 80 letters long.",
            )
        if entry_id in seen:
            raise sqs_error("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        seen.add(entry_id)


def check_fifo_fields(fifo: bool, params: dict, content_dedup: bool) -> None:
    """MessageGroupId / MessageDeduplicationId / DelaySeconds as the queue type allows."""
    group, dedup = params.get("MessageGroupId"), params.get("MessageDeduplicationId")
    if fifo:
        if not group:
            raise missing_parameter("MessageGroupId")
        if params.get("DelaySeconds"):
            raise invalid_value(
                "DelaySeconds",
                params["DelaySeconds"],
                "The request include parameter that is not valid for this queue type",
            )
        if dedup is None and not content_dedup:
            raise invalid_parameter(
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
            )
        if dedup is not None and not DEDUP_ID.fullmatch(dedup):
            raise invalid_value(
                "MessageDeduplicationId",
                dedup,
                "MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length",
            )
    elif dedup is not None:
        raise invalid_parameter(
            "The request include parameter MessageDeduplicationId which is not valid for this queue type"
        )
    if group is not None and not DEDUP_ID.fullmatch(group):
        raise invalid_value(
            "MessageGroupId",
            group,
            "MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length",
        )


def check_standard_batch_entry(entry: dict) -> None:
    """A SendMessageBatch entry for a standard queue names a FIFO-only parameter (SQS's batch wording)."""
    if entry.get("MessageDeduplicationId") is not None:
        raise invalid_parameter("The request include parameter that is not valid for this queue type")


def check_delay(delay) -> None:
    if delay is not None and not 0 <= delay <= 900:
        raise invalid_value("DelaySeconds", delay, "DelaySeconds must be >= 0 and <= 900")


def entry_size(entry: dict) -> int:
    """The bytes one sent message counts toward a batch's limit: body plus attribute names, types, values."""
    size = len((entry.get("MessageBody") or "").encode("utf-8", "surrogatepass"))
    for name, value in (entry.get("MessageAttributes") or {}).items():
        if not isinstance(value, dict):
            continue
        size += len(name.encode("utf-8")) + len((value.get("DataType") or "").encode("utf-8"))
        if value.get("BinaryValue") is not None:
            size += len(value["BinaryValue"])
        else:
            size += len((value.get("StringValue") or "").encode("utf-8", "surrogatepass"))
    return size


def check_range(name: str, value, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise invalid_value(name, value, f"Must be >= {low} and <= {high}, if provided")


def error_entry(entry_id: str, err: AWSError) -> dict:
    return {
        "Id": entry_id,
        "SenderFault": err.sender_fault,
        "Code": err.query_code or err.code,
        "Message": err.message,
    }
