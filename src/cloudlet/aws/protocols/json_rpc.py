"""The awsJson 1.0 / 1.1 protocol: POST /, X-Amz-Target, a JSON body both ways."""

from __future__ import annotations

import zlib

import orjson
from botocore.model import OperationModel, ServiceModel

from cloudlet.aws.errors import AWSError, serialization_error
from cloudlet.aws.http import HttpRequest, HttpResponse
from cloudlet.aws.protocols.common import (
    depth_guarded,
    message_member_name,
    query_error_header,
    resolve_error,
)
from cloudlet.aws.shapes import json_to_python, python_to_json


def decode_json_body(body: bytes) -> dict:
    """Decode a JSON object body; an empty body is an empty object."""
    if not body or body.isspace():
        return {}
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise serialization_error("Malformed JSON: the request body could not be parsed.") from None
    if not isinstance(value, dict):
        raise serialization_error("Start of list found where not expected")
    return value


class JsonProtocol:
    name = "json"

    @depth_guarded
    def parse(self, op: OperationModel, req: HttpRequest, uri_params: dict | None = None) -> dict:
        return json_to_python(op.input_shape, decode_json_body(req.body)) if op.input_shape else {}

    def serialize(self, op: OperationModel, output: dict | None, ctx) -> HttpResponse:
        body = python_to_json(op.output_shape, output or {}) if op.output_shape else {}
        return _response(op.service_model, 200, self._headers(op.service_model, ctx), orjson.dumps(body))

    def serialize_error(self, service: ServiceModel, err: AWSError, ctx) -> HttpResponse:
        error = resolve_error(service, err)
        headers = self._headers(service, ctx)
        headers["x-amzn-ErrorType"] = error.name
        query_error = query_error_header(service, error)
        if query_error:
            headers["x-amzn-query-error"] = query_error
        headers.update(err.headers)
        body = {"__type": error_type(service, error.name)}
        if message_member_name(error.shape) is None:
            body["message"] = err.message
        body.update(python_to_json(error.shape, error.fields) if error.shape else error.fields)
        return _response(service, error.status, headers, orjson.dumps(body))

    @staticmethod
    def _headers(service: ServiceModel, ctx) -> dict[str, str]:
        version = service.metadata.get("jsonVersion", "1.0")
        return {
            "Content-Type": f"application/x-amz-json-{version}",
            "x-amzn-RequestId": ctx.request_id if ctx else "",
        }


# services whose responses carry the CRC32 of their body, which SDKs check when the header is present
_CRC32_SERVICES = frozenset({"dynamodb"})


def _response(service: ServiceModel, status: int, headers: dict[str, str], body: bytes) -> HttpResponse:
    if service.service_name in _CRC32_SERVICES:
        headers["x-amz-crc32"] = str(zlib.crc32(body))
    return HttpResponse(status, headers, body)


def error_type(service: ServiceModel, code: str) -> str:
    """The __type of a JSON error: namespaced as AWS does for awsJson1_0 services."""
    if service.metadata.get("jsonVersion") == "1.0" and "#" not in code:
        namespace = _NAMESPACES.get(service.service_name)
        if namespace:
            return f"{namespace}#{code}"
    return code


_NAMESPACES = {
    "sqs": "com.amazonaws.sqs",
    "dynamodb": "com.amazonaws.dynamodb.v20120810",
    "dynamodbstreams": "com.amazonaws.dynamodb.v20120810",
}

PROTOCOL = JsonProtocol()
