"""The Smithy RPC v2 CBOR protocol: POST /service/<S>/operation/<Op>, CBOR bodies both ways.

Members travel under their own names; timestamps are CBOR tag 1 (epoch seconds), blobs are byte
strings. Errors are a CBOR map with `__type` and the error shape's members.
"""

from __future__ import annotations

import cbor2
from botocore.model import OperationModel, ServiceModel, Shape

from cloudlet.aws.errors import AWSError, serialization_error
from cloudlet.aws.http import HttpRequest, HttpResponse
from cloudlet.aws.protocols.common import (
    depth_guarded,
    message_member_name,
    query_error_header,
    resolve_error,
)
from cloudlet.aws.shapes import UTC, decode_blob, needs_conversion, parse_timestamp

CONTENT_TYPE = "application/cbor"


def cbor_to_python(shape: Shape | None, value):
    """Normalise decoded CBOR per the shape: aware datetimes, bytes for blobs."""
    if shape is None or value is None or not needs_conversion(shape):
        return value
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return value
        members = shape.members
        return {k: cbor_to_python(members.get(k), v) for k, v in value.items() if v is not None}
    if kind == "list":
        return [cbor_to_python(shape.member, v) for v in value] if isinstance(value, list) else value
    if kind == "map":
        return (
            {k: cbor_to_python(shape.value, v) for k, v in value.items()}
            if isinstance(value, dict)
            else value
        )
    if kind == "timestamp":
        return parse_timestamp(value)
    if kind == "blob":
        return decode_blob(value) if isinstance(value, str) else value
    return value


def python_to_cbor(shape: Shape | None, value):
    """Prepare plain Python for CBOR: millisecond timestamps, bytes for blobs, no None members."""
    if shape is None or value is None or not needs_conversion(shape):
        return value
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        return {k: python_to_cbor(members.get(k), v) for k, v in value.items() if v is not None}
    if kind == "list":
        return [python_to_cbor(shape.member, v) for v in value]
    if kind == "map":
        return {k: python_to_cbor(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        stamp = parse_timestamp(value)
        return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)
    if kind == "blob":
        return value.encode() if isinstance(value, str) else bytes(value)
    return value


def _dumps(value) -> bytes:
    return cbor2.dumps(value, datetime_as_timestamp=True, timezone=UTC)


class RpcV2CborProtocol:
    name = "smithy-rpc-v2-cbor"

    @depth_guarded
    def parse(self, op: OperationModel, req: HttpRequest, uri_params: dict | None = None) -> dict:
        body = req.body
        if not body:
            return {}
        ctype = req.headers.get("content-type", "").partition(";")[0].strip().lower()
        if ctype and ctype != CONTENT_TYPE:
            raise AWSError("UnsupportedMediaTypeException", f"Unsupported content type {ctype}", 415)
        try:
            value = cbor2.loads(body)
        except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError):
            raise serialization_error("Malformed CBOR: the request body could not be decoded.") from None
        if not isinstance(value, dict):
            raise serialization_error("The request body is not a CBOR map.")
        if op.input_shape is None:
            return {}
        return cbor_to_python(op.input_shape, value)

    def serialize(self, op: OperationModel, output: dict | None, ctx) -> HttpResponse:
        body = python_to_cbor(op.output_shape, output or {}) if op.output_shape else {}
        return HttpResponse(200, self._headers(ctx), _dumps(body))

    def serialize_error(self, service: ServiceModel, err: AWSError, ctx) -> HttpResponse:
        error = resolve_error(service, err)
        headers = self._headers(ctx)
        query_error = query_error_header(service, error)
        if query_error:
            headers["x-amzn-query-error"] = query_error
        headers.update(err.headers)
        body: dict = {"__type": error.name}
        if message_member_name(error.shape) is None:
            body["message"] = err.message
        body.update(python_to_cbor(error.shape, error.fields) if error.shape else error.fields)
        return HttpResponse(error.status, headers, _dumps(body))

    @staticmethod
    def _headers(ctx) -> dict[str, str]:
        return {
            "Content-Type": CONTENT_TYPE,
            "smithy-protocol": "rpc-v2-cbor",
            "x-amzn-RequestId": ctx.request_id if ctx else "",
        }


PROTOCOL = RpcV2CborProtocol()
