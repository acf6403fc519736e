"""What every protocol shares: resolving an AWSError against the model's error shapes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, wraps

from botocore.model import ServiceModel, Shape

from cloudlet.aws.errors import AWSError


@dataclass(frozen=True)
class ResolvedError:
    """An error as the wire needs it.

    `name` is the error shape's name (the JSON `__type`), `code` the code of the query and XML
    protocols (the model's `error.code`, else the name), `query_code` the code for the
    x-amzn-query-error header of awsQueryCompatible services, `shape` the modeled error shape.
    """

    name: str
    code: str
    status: int
    sender_fault: bool
    query_code: str | None
    shape: Shape | None
    fields: dict


@lru_cache(maxsize=256)
def _error_shapes(service: ServiceModel) -> dict[str, Shape]:
    shapes = service.error_shapes
    found: dict[str, Shape] = {shape.name: shape for shape in shapes}
    for shape in shapes:  # a legacy code names a shape only where no shape has that name
        code = shape.metadata.get("error", {}).get("code")
        if code:
            found.setdefault(code, shape)
    return found


def resolve_error(service: ServiceModel, err: AWSError) -> ResolvedError:
    """Status, codes and fault of an error; the model's error shape wins when the code names one."""
    shape = _error_shapes(service).get(err.code)
    if shape is None:
        return ResolvedError(
            err.code,
            err.query_code or err.code,
            err.status,
            err.sender_fault,
            err.query_code,
            None,
            err.fields,
        )
    meta = shape.metadata.get("error", {})
    status = meta.get("httpStatusCode", err.status)
    sender = meta.get("senderFault", status < 500 if "httpStatusCode" in meta else err.sender_fault)
    code = meta.get("code") or shape.name
    query_code = err.query_code or meta.get("code")
    fields = dict(err.fields)
    message_member = message_member_name(shape)
    if message_member and err.message and message_member not in fields:
        fields[message_member] = err.message
    return ResolvedError(shape.name, err.query_code or code, status, sender, query_code, shape, fields)


def message_member_name(shape: Shape | None) -> str | None:
    """The member of an error shape that holds the message ('message' or 'Message'), if any."""
    if shape is None:
        return None
    for name in ("message", "Message"):
        if name in shape.members:
            return name
    return None


def query_error_header(service: ServiceModel, error: ResolvedError) -> str | None:
    """The x-amzn-query-error value for awsQueryCompatible services ('Code;Sender')."""
    if not service.is_query_compatible:
        return None
    code = error.query_code or error.code
    return f"{code};{'Sender' if error.sender_fault else 'Receiver'}"


def depth_guarded(parse):
    """Wrap a parse method: input nested deeper than Python's stack is a 400, not a crash."""

    @wraps(parse)
    def guarded(self, *args, **kwargs):
        try:
            return parse(self, *args, **kwargs)
        except RecursionError:
            raise too_deep() from None

    return guarded


def too_deep() -> AWSError:
    return AWSError("SerializationException", "The request nests values too deeply.", 400)
