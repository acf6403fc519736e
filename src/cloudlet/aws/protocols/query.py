"""The AWS query protocol: form-encoded Action/Version requests, XML responses."""

from __future__ import annotations

from importlib import import_module

from botocore.model import OperationModel, ServiceModel, Shape

from cloudlet.aws.errors import AWSError
from cloudlet.aws.http import HttpRequest, HttpResponse
from cloudlet.aws.protocols.common import depth_guarded, resolve_error
from cloudlet.aws.shapes import text_to_scalar
from cloudlet.aws.xml import element, escape, write_members

# Wire-name overrides for services whose current model lost the query traits of their old
# query model (awsQueryCompatible services such as SQS). Keys: "Structure.Member" for the name
# of a member, "ListShape" for the element name of a flattened list, "MapShape" -> (entry, key, value).
WIRE_NAMES: dict[str, dict[str, object]] = {}


def register_wire_names(service: str, names: dict[str, object]) -> None:
    WIRE_NAMES[service] = names


def _wire_names(service: str) -> dict[str, object]:
    """The names a service registered; its `wire` module is imported on first use, because a
    request is parsed before the service itself is loaded."""
    names = WIRE_NAMES.get(service)
    if names is None:
        try:
            import_module(f"cloudlet.services.{service}.wire")
        except ImportError:
            pass
        names = WIRE_NAMES.setdefault(service, {})
    return names


def _tree(params: dict[str, str]) -> dict:
    """Turn {'A.1.B': 'x'} into {'A': {'1': {'B': 'x'}}}; a node with a value and children keeps the value under ''."""
    root: dict = {}
    for key, value in params.items():
        node = root
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {"": child} if child is not None else {}
                node[part] = child
            node = child
        last = parts[-1]
        if isinstance(node.get(last), dict):
            node[last][""] = value
        else:
            node[last] = value
    return root


def _indexed(node) -> list:
    """The children of a list node in numeric order ('1', '2', ...)."""
    if not isinstance(node, dict):
        return []
    items = sorted((int(k), v) for k, v in node.items() if k.isdigit())
    return [v for _, v in items]


class QueryProtocol:
    name = "query"

    # ---- parsing -------------------------------------------------------------------------
    @depth_guarded
    def parse(self, op: OperationModel, req: HttpRequest, uri_params: dict | None = None) -> dict:
        shape = op.input_shape
        if shape is None:
            return {}
        form = {k: v for k, v in req.form.items() if k not in ("Action", "Version")}
        names = _wire_names(op.service_model.service_name)
        return self._struct(shape, _tree(form), names) or {}

    def _member_name(self, struct: Shape, name: str, member: Shape, names: dict) -> str:
        return names.get(f"{struct.name}.{name}") or member.serialization.get("name", name)

    def _struct(self, shape: Shape, node, names: dict):
        if not isinstance(node, dict):
            return None
        result = {}
        for name, member in shape.members.items():
            wire = self._member_name(shape, name, member, names)
            value = self._value(member, wire, node, names)
            if value is not None:
                result[name] = value
        return result

    def _value(self, shape: Shape, wire: str, parent: dict, names: dict):
        kind = shape.type_name
        if kind == "list":
            return self._list(shape, wire, parent, names)
        if kind == "map":
            return self._map(shape, wire, parent, names)
        node = parent.get(wire)
        if node is None:
            return None
        if kind == "structure":
            return self._struct(shape, node, names)
        if isinstance(node, dict):
            node = node.get("")
            if node is None:
                return None
        return self._scalar(shape, node)

    def _list(self, shape: Shape, wire: str, parent: dict, names: dict):
        if shape.serialization.get("flattened") or shape.name in names:
            element_name = names.get(shape.name) or shape.member.serialization.get("name") or wire
            node = parent.get(element_name)
            if node is None and element_name != wire:
                node = parent.get(wire)
        else:
            node = parent.get(wire)
            if node == "":
                return []
            if isinstance(node, dict):
                node = node.get(shape.member.serialization.get("name", "member"))
        if node is None:
            return None
        if node == "":
            return []
        return [self._element(shape.member, item, names) for item in _indexed(node)]

    def _map(self, shape: Shape, wire: str, parent: dict, names: dict):
        override = names.get(shape.name)
        if override:
            entry_name, key_name, value_name = override
            node = parent.get(entry_name) or parent.get(wire)
        else:
            key_name = shape.key.serialization.get("name", "key")
            value_name = shape.value.serialization.get("name", "value")
            node = parent.get(wire)
            if not shape.serialization.get("flattened") and isinstance(node, dict):
                node = node.get("entry")
        if node is None:
            return None
        result = {}
        for entry in _indexed(node):
            if not isinstance(entry, dict) or key_name not in entry:
                continue
            key = entry[key_name]
            if isinstance(key, dict):
                key = key.get("")
            result[key] = self._element(shape.value, entry.get(value_name), names)
        return result

    def _element(self, shape: Shape, node, names: dict):
        kind = shape.type_name
        if kind == "structure":
            return self._struct(shape, node, names)
        if kind in ("list", "map"):
            return self._value(shape, "_", {"_": node}, names)
        if isinstance(node, dict):
            node = node.get("")
        return None if node is None else self._scalar(shape, node)

    @staticmethod
    def _scalar(shape: Shape, text: str):
        try:
            return text_to_scalar(shape, text)
        except AWSError:
            raise AWSError(
                "InvalidQueryParameter",
                f"Value {text} for parameter {shape.name} is invalid: the AWS query string is "
                "malformed or does not adhere to AWS standards.",
                400,
            ) from None

    # ---- serializing ---------------------------------------------------------------------
    def serialize(self, op: OperationModel, output: dict | None, ctx) -> HttpResponse:
        service = op.service_model
        names = _wire_names(service.service_name)
        shape = op.output_shape
        result = ""
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper") or f"{op.name}Result"
            result = element(wrapper, write_members(shape, output or {}, names))
        metadata = element("ResponseMetadata", element("RequestId", ctx.request_id))
        body = element(f"{op.name}Response", result + metadata, _xmlns(service))
        return HttpResponse(
            200, {"Content-Type": "text/xml", "x-amzn-RequestId": ctx.request_id}, body.encode()
        )

    def serialize_error(self, service: ServiceModel, err: AWSError, ctx) -> HttpResponse:
        error = resolve_error(service, err)
        fault = "Sender" if error.sender_fault else "Receiver"
        fields = {k: v for k, v in error.fields.items() if k not in ("Message", "message", "Code", "Type")}
        extra = write_members(error.shape, fields) if error.shape is not None else ""
        inner = (
            element("Type", fault)
            + element("Code", escape(error.code))
            + element("Message", escape(err.message))
            + extra
        )
        body = element(
            "ErrorResponse",
            element("Error", inner + "<Detail/>") + element("RequestId", ctx.request_id),
            _xmlns(service),
        )
        headers = {"Content-Type": "text/xml", "x-amzn-RequestId": ctx.request_id, **err.headers}
        return HttpResponse(error.status, headers, body.encode())


def _xmlns(service: ServiceModel) -> str:
    namespace = service.metadata.get("xmlNamespace") or _DEFAULT_NAMESPACES.get(service.service_name)
    if not namespace:
        namespace = f"http://{service.endpoint_prefix}.amazonaws.com/doc/{service.api_version}/"
    return f' xmlns="{namespace}"'


_DEFAULT_NAMESPACES = {"sqs": "http://queue.amazonaws.com/doc/2012-11-05/"}

PROTOCOL = QueryProtocol()
