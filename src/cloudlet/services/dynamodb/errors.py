"""DynamoDB's error shapes as AWSError values, with AWS's wording."""

from __future__ import annotations

from cloudlet.aws.errors import AWSError


def validation(message: str) -> AWSError:
    return AWSError("ValidationException", message, 400)


def too_many(member: str, limit: int) -> AWSError:
    """The ValidationException for a list longer than the API allows (AWS's constraint wording)."""
    return validation(
        f"1 validation error detected: Value '[...]' at '{member}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}"
    )


def invalid_params(detail: str) -> AWSError:
    """The common 'One or more parameter values were invalid: ...' ValidationException."""
    return AWSError("ValidationException", f"One or more parameter values were invalid: {detail}", 400)


def not_found(message: str = "Requested resource not found") -> AWSError:
    return AWSError("ResourceNotFoundException", message, 400)


def in_use(message: str) -> AWSError:
    return AWSError("ResourceInUseException", message, 400)


def condition_failed(item: dict | None = None) -> AWSError:
    fields = {"Item": item} if item is not None else None
    return AWSError("ConditionalCheckFailedException", "The conditional request failed", 400, fields=fields)


def empty_index_key(name: str, kind: str, index: str) -> AWSError:
    """The error for an empty string or binary (`kind` S or B) as a secondary-index key value."""
    return validation(
        "One or more parameter values are not valid. A value specified for a secondary index key "
        "is not supported. The AttributeValue for a key attribute cannot contain an empty "
        f"{'string' if kind == 'S' else 'binary'} value. IndexName: {index}, IndexKey: {name}"
    )


def empty_index_key_update(kind: str) -> AWSError:
    """The error for an update that sets a secondary-index key to an empty string or binary (`kind`
    S or B): unlike a put's, it names neither the index nor the key."""
    return validation(
        "One or more parameter values are not valid. The update expression attempted to update a secondary "
        "index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an "
        f"empty {'string' if kind == 'S' else 'binary'} value."
    )
