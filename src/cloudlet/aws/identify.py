"""Deciding which service and operation an HTTP request calls, for all five protocols."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import unquote

from cloudlet.aws import models
from cloudlet.aws.errors import AWSError
from cloudlet.aws.http import HttpRequest
from cloudlet.aws.sigv4 import credential_scope

# Services that serve the query protocol beside the protocol their current model names.
QUERY_COMPATIBLE_EXTRA = {"sqs"}


@dataclass
class Target:
    service: str
    operation: str
    protocol: str
    uri_params: dict[str, str] = field(default_factory=dict)


@dataclass
class _Route:
    operation: str
    method: str
    pattern: re.Pattern
    query_requirements: tuple[tuple[str, str | None], ...]
    score: tuple[int, int, int]

    def matches(self, method: str, path: str, query: dict[str, str]) -> dict[str, str] | None:
        if method != self.method:
            return None
        m = self.pattern.fullmatch(path)
        if m is None:
            return None
        for key, value in self.query_requirements:
            if key not in query or (value is not None and query[key] != value):
                return None
        return {k: unquote(v) for k, v in m.groupdict().items()}


def _compile_route(operation: str, http: dict) -> _Route:
    uri = http.get("requestUri", "/")
    path, _, query = uri.partition("?")
    regex, literal = "", 0
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            if name.endswith("+"):
                regex += f"(?P<{name[:-1]}>.+)"
            else:
                regex += f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(part)
            literal += len(part.strip("/"))
    if path.endswith("/") and path != "/":
        regex += "?"
    requirements = []
    for item in filter(None, query.split("&")):
        key, eq, value = item.partition("=")
        requirements.append((key, value if eq else None))
    score = (literal, len(requirements), -regex.count("(?P<"))
    return _Route(operation, http.get("method", "POST"), re.compile(regex), tuple(requirements), score)


class Router:
    """Identifies requests for a fixed set of shipped services."""

    def __init__(self, services: list[str]) -> None:
        self.services = list(services)

    @cached_property
    def _by_target_prefix(self) -> dict[str, str]:
        result = {}
        for name in self.services:
            prefix = models.service_model(name).metadata.get("targetPrefix")
            if prefix:
                result[prefix] = name
        return result

    @cached_property
    def _by_signing_name(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for name in self.services:
            model = models.service_model(name)
            for key in {model.signing_name, model.endpoint_prefix, name}:
                result.setdefault(key, []).append(name)
        return result

    @cached_property
    def _query_services(self) -> list[str]:
        return [s for s in self.services if "query" in _protocols(s) or s in QUERY_COMPATIBLE_EXTRA]

    @cached_property
    def _rest_routes(self) -> dict[str, list[_Route]]:
        result = {}
        for name in self.services:
            protocol = models.service_model(name).protocol
            if protocol not in ("rest-json", "rest-xml"):
                continue
            routes = [_compile_route(op_name, op.http) for op_name, op in models.operations(name).items()]
            routes.sort(key=lambda r: r.score, reverse=True)
            result[name] = routes
        return result

    def identify(self, req: HttpRequest) -> Target:
        """Return the target of a request, or raise the AWS error for an unknown one."""
        headers = req.headers
        target = headers.get("x-amz-target")
        if target:
            prefix, _, operation = target.rpartition(".")
            service = self._by_target_prefix.get(prefix)
            if service is None:
                raise AWSError("UnknownOperationException", f"Unknown target {target}", 400)
            return Target(service, operation, "json")
        if headers.get("smithy-protocol") == "rpc-v2-cbor":
            return self._identify_cbor(req)
        scope = credential_scope(req)
        scoped = self._by_signing_name.get(scope.service, []) if scope else []
        if "Action" in req.form and (req.method in ("POST", "GET")):
            service = self._query_service(req, scoped)
            if service:
                return Target(service, req.form["Action"], "query")
        path = req.path.split("?", 1)[0]
        for service in scoped or self._rest_routes:
            routes = self._rest_routes.get(service)
            if not routes:
                continue
            query = req.query_dict
            for route in routes:
                params = route.matches(req.method, path, query)
                if params is not None:
                    return Target(service, route.operation, models.service_model(service).protocol, params)
        raise AWSError("UnknownOperationException", "The requested operation is not recognized.", 404)

    def _query_service(self, req: HttpRequest, scoped: list[str]) -> str | None:
        candidates = [s for s in scoped if s in self._query_services]
        if len(candidates) == 1:
            return candidates[0]
        action = req.form["Action"]
        owners = [s for s in self._query_services if action in models.operations(s)]
        if len(owners) == 1:
            return owners[0]
        version = req.form.get("Version")
        for s in owners:
            if models.service_model(s).api_version == version:
                return s
        return owners[0] if owners else None

    def _identify_cbor(self, req: HttpRequest) -> Target:
        parts = req.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) == 4 and parts[0] == "service" and parts[2] == "operation":
            service = self._by_target_prefix.get(parts[1])
            if service:
                return Target(service, parts[3], "smithy-rpc-v2-cbor")
        raise AWSError("UnknownOperationException", "The requested operation is not recognized.", 404)


def _protocols(service: str) -> list[str]:
    metadata = models.service_model(service).metadata
    return metadata.get("protocols") or [metadata.get("protocol")]
