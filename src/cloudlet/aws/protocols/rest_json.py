"""The restJson1 protocol: REST routes, members in the URI, query string and headers, JSON bodies."""

from __future__ import annotations

import orjson
from botocore.model import OperationModel, ServiceModel, Shape

from cloudlet.aws.http import HttpResponse
from cloudlet.aws.protocols.common import ResolvedError, message_member_name, query_error_header
from cloudlet.aws.protocols.json_rpc import decode_json_body
from cloudlet.aws.protocols.rest import RestProtocol, layout
from cloudlet.aws.shapes import json_to_python, python_to_json, wire_members


class RestJsonProtocol(RestProtocol):
    name = "rest-json"
    content_type = "application/json"

    def decode_body(self, shape: Shape, body: bytes, members: list[str] | None) -> dict:
        document = decode_json_body(body)
        if members is None:
            return json_to_python(shape, document)
        wanted = set(members)
        result = {}
        for wire, (name, member) in wire_members(shape).items():
            if name in wanted and wire in document and document[wire] is not None:
                result[name] = json_to_python(member, document[wire])
        return result

    def encode_body(
        self, shape: Shape, value: dict, members: list[str] | None, op: OperationModel | None
    ) -> bytes:
        if members is None:
            return orjson.dumps(python_to_json(shape, value))
        all_members = shape.members
        document = {}
        for name in members:
            item = value.get(name)
            if item is not None:
                member = all_members[name]
                document[member.serialization.get("name", name)] = python_to_json(member, item)
        return orjson.dumps(document)

    def error_response(
        self, service: ServiceModel, error: ResolvedError, message: str, ctx, resp: HttpResponse
    ) -> None:
        resp.headers["Content-Type"] = self.content_type
        resp.headers["x-amzn-ErrorType"] = error.name
        query_error = query_error_header(service, error)
        if query_error:
            resp.headers["x-amzn-query-error"] = query_error
        document: dict = {"__type": error.name}
        if message_member_name(error.shape) is None:
            document["message"] = message
        if error.shape is not None:
            body = layout(error.shape).body
            document.update(orjson.loads(self.encode_body(error.shape, error.fields, body, None)))
        else:
            document.update(error.fields)
        resp.body = orjson.dumps(document)


PROTOCOL = RestJsonProtocol()
