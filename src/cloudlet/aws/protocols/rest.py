"""What rest-json and rest-xml share: URI labels, query strings, headers, status codes, payloads.

A subclass supplies the body codec (JSON or XML). Each operation's member layout is computed once
(`layout`), so a request only touches the members that are bound to its HTTP parts.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from functools import lru_cache

import orjson
from botocore.model import OperationModel, ServiceModel, Shape

from cloudlet.aws.errors import AWSError
from cloudlet.aws.http import HttpRequest, HttpResponse
from cloudlet.aws.protocols.common import ResolvedError, depth_guarded, resolve_error
from cloudlet.aws.shapes import parse_timestamp, scalar_to_text, text_to_scalar


@dataclass
class Layout:
    """Where each member of a structure lives on the wire."""

    uri: list[tuple[str, Shape, str]] = field(default_factory=list)
    query: list[tuple[str, Shape, str]] = field(default_factory=list)
    query_map: list[tuple[str, Shape]] = field(default_factory=list)
    headers: list[tuple[str, Shape, str]] = field(default_factory=list)
    header_maps: list[tuple[str, Shape, str]] = field(default_factory=list)
    status: str | None = None
    payload: tuple[str, Shape] | None = None
    body: list[str] = field(default_factory=list)
    fixed_query: frozenset = frozenset()


@lru_cache(maxsize=8192)
def layout(shape: Shape | None, request_uri: str = "") -> Layout:
    """The wire layout of a structure (cached); `request_uri` adds the query keys it fixes."""
    plan = Layout()
    if request_uri:
        query = request_uri.partition("?")[2]
        plan.fixed_query = frozenset(item.partition("=")[0] for item in query.split("&") if item)
    if shape is None:
        return plan
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        ser = member.serialization
        location = ser.get("location")
        wire = ser.get("name", name)
        if location == "uri":
            plan.uri.append((name, member, wire))
        elif location == "querystring":
            if member.type_name == "map":
                plan.query_map.append((name, member))
            else:
                plan.query.append((name, member, wire))
        elif location == "header":
            plan.headers.append((name, member, wire))
        elif location == "headers":
            plan.header_maps.append((name, member, wire.lower()))
        elif location == "statusCode":
            plan.status = name
        elif name == payload:
            plan.payload = (name, member)
        else:
            plan.body.append(name)
    return plan


def _is_json_value(shape: Shape) -> bool:
    return shape.type_name == "string" and bool(shape.serialization.get("jsonvalue"))


def split_header_list(raw: str) -> list[str]:
    """Split a comma-separated header list, honouring double-quoted items (RFC 7230)."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = was_quoted = False
    for ch in raw:
        if escaped:
            current.append(ch)
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            if not quoted and not "".join(current).strip():
                current = []
            quoted = not quoted
            was_quoted = True
        elif ch == "," and not quoted:
            items.append("".join(current) if was_quoted else "".join(current).strip())
            current, was_quoted = [], False
        elif not (was_quoted and not quoted):
            current.append(ch)
    items.append("".join(current) if was_quoted else "".join(current).strip())
    return items


def header_to_python(shape: Shape, raw: str):
    """A header value as the shape's Python type (lists, jsonvalue, rfc822 timestamps ...)."""
    kind = shape.type_name
    if kind == "list":
        return [header_to_python(shape.member, item) for item in split_header_list(raw)]
    if _is_json_value(shape):
        try:
            return orjson.loads(base64.b64decode(raw))
        except (binascii.Error, ValueError):
            raise AWSError("SerializationException", "Invalid JSON value in a header.") from None
    if kind == "timestamp":
        return parse_timestamp(raw)
    return text_to_scalar(shape, raw)


def python_to_header(shape: Shape, value) -> str:
    """A Python value as a header value, the inverse of header_to_python."""
    kind = shape.type_name
    if kind == "list":
        return ",".join(_quote_list_item(python_to_header(shape.member, v)) for v in value if v is not None)
    if _is_json_value(shape):
        return base64.b64encode(orjson.dumps(value)).decode("ascii")
    return scalar_to_text(shape, value, "rfc822")


def _quote_list_item(text: str) -> str:
    if '"' in text or "," in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


class RestProtocol:
    """The REST binding; subclasses implement the body codec and the error body."""

    name = ""
    content_type = ""

    # ---- body codec (subclasses) ---------------------------------------------------------
    def decode_body(self, shape: Shape, body: bytes, members: list[str] | None) -> dict:
        raise NotImplementedError

    def encode_body(
        self, shape: Shape, value: dict, members: list[str] | None, op: OperationModel | None
    ) -> bytes:
        raise NotImplementedError

    def error_response(
        self, service: ServiceModel, error: ResolvedError, message: str, ctx, resp: HttpResponse
    ) -> None:
        raise NotImplementedError

    def request_id_headers(self, service: ServiceModel, ctx) -> dict[str, str]:
        return {"x-amzn-RequestId": ctx.request_id if ctx else ""}

    # ---- parsing -------------------------------------------------------------------------
    def bad_value(self, service: ServiceModel, err: AWSError) -> AWSError:
        """The error for a value that does not convert to its shape's type."""
        return err

    @depth_guarded
    def parse(self, op: OperationModel, req: HttpRequest, uri_params: dict | None = None) -> dict:
        try:
            return self._parse(op, req, uri_params)
        except AWSError as err:
            if err.code != "SerializationException":
                raise
            raise self.bad_value(op.service_model, err) from None

    def _parse(self, op: OperationModel, req: HttpRequest, uri_params: dict | None) -> dict:
        shape = op.input_shape
        if shape is None:
            return {}
        plan = layout(shape, op.http.get("requestUri", ""))
        params: dict = {}
        if plan.uri and uri_params:
            for name, member, wire in plan.uri:
                raw = uri_params.get(wire)
                if raw is not None:
                    params[name] = text_to_scalar(member, raw)
        if plan.query or plan.query_map:
            self._parse_query(plan, req, params)
        if plan.headers:
            headers = req.headers
            for name, member, wire in plan.headers:
                raw = headers.get(wire.lower())
                if raw is not None:
                    params[name] = header_to_python(member, raw)
        for name, _member, prefix in plan.header_maps:
            found = {k[len(prefix) :]: v for k, v in req.headers.items() if k.startswith(prefix)}
            if found:
                params[name] = found
        if plan.payload is not None:
            name, member = plan.payload
            if member.type_name in ("blob", "string"):
                if req.body:
                    params[name] = req.body if member.type_name == "blob" else _utf8(req.body)
            elif req.body and not req.body.isspace():
                value = self.decode_body(member, req.body, None)
                if value:  # an empty document stands for an absent payload
                    params[name] = value
        elif plan.body and req.body and not req.body.isspace():
            params.update(self.decode_body(shape, req.body, plan.body))
        return params

    @staticmethod
    def _parse_query(plan: Layout, req: HttpRequest, params: dict) -> None:
        multi: dict[str, list[str]] = {}
        for key, value in req.query:
            multi.setdefault(key, []).append(value)
        bound = set(plan.fixed_query)
        for name, member, wire in plan.query:
            values = multi.get(wire)
            bound.add(wire)
            if not values:
                continue
            if member.type_name == "list":
                params[name] = [text_to_scalar(member.member, v) for v in values]
            else:
                params[name] = text_to_scalar(member, values[0])
        for name, member in plan.query_map:
            found = {}
            for key, values in multi.items():
                if key in bound:
                    continue
                if member.value.type_name == "list":
                    found[key] = [text_to_scalar(member.value.member, v) for v in values]
                else:
                    found[key] = text_to_scalar(member.value, values[0])
            if found:
                params[name] = found

    # ---- serializing ---------------------------------------------------------------------
    def serialize(self, op: OperationModel, output: dict | None, ctx) -> HttpResponse:
        service = op.service_model
        resp = HttpResponse(op.http.get("responseCode", 200), self.request_id_headers(service, ctx), b"")
        self._write(op.output_shape, output or {}, resp, op)
        if _is_head(ctx):
            resp.body = b""  # a modeled Content-Length stays: it describes the resource
        else:
            for key in [k for k in resp.headers if k.lower() == "content-length"]:
                del resp.headers[key]  # the body's own length is the truth; the server adds it
        return resp

    def _write(self, shape: Shape | None, value: dict, resp: HttpResponse, op: OperationModel | None) -> None:
        if shape is None:
            return
        plan = layout(shape)
        headers = resp.headers
        _write_headers(plan, value, headers)
        if plan.status and value.get(plan.status) is not None:
            resp.status = int(value[plan.status])
        if plan.payload is not None:
            name, member = plan.payload
            item = value.get(name)
            if member.type_name in ("blob", "string"):
                if item is not None:
                    resp.body = item.encode() if isinstance(item, str) else bytes(item)
                _default_content_type(
                    headers, "application/octet-stream" if member.type_name == "blob" else "text/plain"
                )
            elif item is not None:
                resp.body = self.encode_body(member, item, None, op)
                _default_content_type(headers, self.content_type)
        elif plan.body:
            resp.body = self.encode_body(shape, value, plan.body, op)
            _default_content_type(headers, self.content_type)

    def serialize_error(self, service: ServiceModel, err: AWSError, ctx) -> HttpResponse:
        error = resolve_error(service, err)
        resp = HttpResponse(error.status, self.request_id_headers(service, ctx), b"")
        if error.shape is not None:
            _write_headers(layout(error.shape), error.fields, resp.headers)
        self.error_response(service, error, err.message, ctx, resp)
        resp.headers.update(err.headers)
        if _is_head(ctx):  # a HEAD answer has no body: the status code is the error
            resp.body = b""
        return resp


def _write_headers(plan: Layout, value: dict, headers: dict[str, str]) -> None:
    """Header members and prefix maps of a structure into response headers."""
    for name, member, wire in plan.headers:
        item = value.get(name)
        if item is not None and not (member.type_name == "list" and not item):
            headers[wire] = python_to_header(member, item)
    for name, _member, prefix in plan.header_maps:
        for key, item in (value.get(name) or {}).items():
            headers[prefix + key] = str(item)


def _default_content_type(headers: dict[str, str], content_type: str) -> None:
    if not any(key.lower() == "content-type" for key in headers):
        headers["Content-Type"] = content_type


def _is_head(ctx) -> bool:
    http = getattr(ctx, "http", None)
    return http is not None and http.method == "HEAD"


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise AWSError("SerializationException", "The request body is not valid UTF-8.") from None
