"""Lambda's errors, worded as Lambda words them."""

from __future__ import annotations

from cloudlet.aws.errors import AWSError


def invalid(message: str) -> AWSError:
    return AWSError("InvalidParameterValueException", message, 400, fields={"Type": "User"})


def not_found(message: str) -> AWSError:
    return AWSError("ResourceNotFoundException", message, 404, fields={"Type": "User"})


def function_not_found(arn: str) -> AWSError:
    return not_found(f"Function not found: {arn}")


def conflict(message: str) -> AWSError:
    return AWSError("ResourceConflictException", message, 409, fields={"Type": "User"})


def precondition_failed(source: str = "GetFunction/GetAlias") -> AWSError:
    """A RevisionId that is not the current one; `source` names the API that tells the current one."""
    return AWSError(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. "
        f"Call the {source} API to retrieve the latest Revision Id",
        412,
        fields={"Type": "User"},
    )


def too_large(message: str) -> AWSError:
    """A request body over Lambda's limit (the front end's code, not the model's RequestTooLargeException)."""
    return AWSError("RequestEntityTooLargeException", message, 413)


def throttled(reason: str) -> AWSError:
    """429 Rate Exceeded; a function's own reserved limit comes without Retry-After, as on Lambda."""
    fields = {"Type": "User", "Reason": reason}
    if reason != "ReservedFunctionConcurrentInvocationLimitExceeded":
        fields["retryAfterSeconds"] = "1"
    return AWSError("TooManyRequestsException", "Rate Exceeded.", 429, fields=fields)
