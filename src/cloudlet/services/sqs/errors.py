"""SQS's errors: the json code (the model's shape name), HTTP status and the legacy query code."""

from __future__ import annotations

from cloudlet.aws.errors import AWSError

# json code -> (legacy query code, HTTP status)
_CODES = {
    "QueueDoesNotExist": ("AWS.SimpleQueueService.NonExistentQueue", 400),
    "QueueNameExists": ("QueueAlreadyExists", 400),
    "QueueDeletedRecently": ("AWS.SimpleQueueService.QueueDeletedRecently", 400),
    "PurgeQueueInProgress": ("AWS.SimpleQueueService.PurgeQueueInProgress", 403),
    "TooManyEntriesInBatchRequest": ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400),
    "EmptyBatchRequest": ("AWS.SimpleQueueService.EmptyBatchRequest", 400),
    "BatchEntryIdsNotDistinct": ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400),
    "BatchRequestTooLong": ("AWS.SimpleQueueService.BatchRequestTooLong", 400),
    "InvalidBatchEntryId": ("AWS.SimpleQueueService.InvalidBatchEntryId", 400),
    "MessageNotInflight": ("AWS.SimpleQueueService.MessageNotInflight", 400),
    "UnsupportedOperation": ("AWS.SimpleQueueService.UnsupportedOperation", 400),
    "OverLimit": ("OverLimit", 403),
    "ResourceNotFoundException": ("ResourceNotFoundException", 404),
    # not in the model: over json AWS names them in `__type` by these longer names
    "InvalidParameterValueException": ("InvalidParameterValue", 400),
    "MissingRequiredParameterException": ("MissingParameter", 400),
}


def sqs_error(code: str, message: str) -> AWSError:
    """An SQS error; codes not in the model (InvalidParameterValue, MissingParameter) are their own legacy code."""
    query_code, status = _CODES.get(code, (code, 400))
    return AWSError(code, message, status, query_code=query_code)


def invalid_parameter(message: str) -> AWSError:
    return sqs_error("InvalidParameterValueException", message)


def invalid_value(name: str, value, reason: str) -> AWSError:
    return invalid_parameter(f"Value {value} for parameter {name} is invalid. Reason: {reason}.")


def missing_parameter(name: str) -> AWSError:
    return sqs_error("MissingRequiredParameterException", f"The request must contain the parameter {name}.")


def queue_does_not_exist() -> AWSError:
    return sqs_error("QueueDoesNotExist", "The specified queue does not exist.")


def for_protocol(err: AWSError, protocol: str) -> AWSError:
    """The error as SQS words it over `protocol`: over query a missing queue names the wsdl version."""
    if protocol == "query" and err.code == "QueueDoesNotExist":
        return sqs_error("QueueDoesNotExist", "The specified queue does not exist for this wsdl version.")
    return err


def invalid_attribute_value(name: str, detail: str = "") -> AWSError:
    return sqs_error("InvalidAttributeValue", f"Invalid value for the parameter {name}.{detail}")


def invalid_attribute_name(name: str) -> AWSError:
    return sqs_error("InvalidAttributeName", f"Unknown Attribute {name}.")


def receipt_handle_invalid(handle: str) -> AWSError:
    return sqs_error(
        "ReceiptHandleIsInvalid", f'The input receipt handle "{handle}" is not a valid receipt handle.'
    )
