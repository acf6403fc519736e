"""AWS errors as services raise them; the protocol serializers turn them into wire responses."""

from __future__ import annotations


class AWSError(Exception):
    """An error answered to the client.

    `code` is the error shape name from the service model when there is one (the serializer then
    takes status and fault from the model), or a plain error code such as "InvalidParameterValue".
    `query_code` is the legacy code of awsQueryCompatible services (e.g. SQS's
    "AWS.SimpleQueueService.NonExistentQueue"), used by the query protocol and x-amzn-query-error.
    `fields` are extra members of the error shape (e.g. DynamoDB's CancellationReasons).
    """

    def __init__(
        self,
        code: str,
        message: str = "",
        status: int = 400,
        *,
        sender_fault: bool = True,
        query_code: str | None = None,
        fields: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.query_code = query_code
        self.fields = fields or {}
        self.headers = headers or {}

    def __repr__(self) -> str:
        return f"AWSError({self.code!r}, {self.message!r}, {self.status})"


def validation_error(message: str) -> AWSError:
    return AWSError("ValidationException", message, 400)


def internal_failure() -> AWSError:
    return AWSError(
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
        500,
        sender_fault=False,
    )


def unknown_operation(name: str = "") -> AWSError:
    return AWSError("UnknownOperationException", f"Unknown operation {name}".strip(), 400)


def serialization_error(message: str = "Start of structure or map found where not expected.") -> AWSError:
    return AWSError("SerializationException", message, 400)
