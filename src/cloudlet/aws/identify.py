"""Deciding which service and operation an HTTP request calls, for all five protocols.

- awsJson: `X-Amz-Target: <targetPrefix>.<Operation>`.
- smithy-rpc-v2-cbor: `Smithy-Protocol: rpc-v2-cbor` and `POST /service/<S>/operation/<Op>`.
- query: a form (body or query string) with `Action`, the service chosen by the SigV4 credential
  scope, then by which service has the action, then by `Version`.
- rest-json / rest-xml: method + URI template of the services in the credential scope (all REST
  services when unsigned). Routes are compiled once; among the routes that match, the most
  specific wins: more literal segments, no greedy label, more requirements (query keys fixed by
  the requestUri such as `?uploads`, required query and header members), then the route whose
  own query parameters the request carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import unquote

from botocore.model import OperationModel

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
    """One REST operation's route: method, compiled URI template and what a request must carry."""

    operation: str
    method: str
    pattern: re.Pattern
    labels: dict[str, str]  # regex group -> label name
    fixed_query: tuple[tuple[str, str | None], ...]  # from the requestUri: "?uploads", "?list-type=2"
    required_query: tuple[str, ...]  # wire names of required querystring members
    required_headers: tuple[str, ...]  # lower-case wire names of required header members
    known_query: frozenset[str]
    score: tuple
    rank: int = 0
    prefix: str = ""  # literal text every matching path starts with
    suffixes: tuple[str, ...] = ()  # literal endings, one of which every matching path has (or none)

    def matches(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                relaxed: bool = False) -> dict | None:
        """The route's labels if the request fits it; `relaxed` forgives missing required query
        and header members (so that validation can name them)."""
        if method != self.method:
            return None
        # string tests before the regex: they rule out most routes that share a service's prefix
        if not path.startswith(self.prefix) or (self.suffixes and not path.endswith(self.suffixes)):
            return None
        for key, value in self.fixed_query:  # dict lookups first: they rule out most routes
            if key not in query or (value is not None and query[key] != value):
                return None
        if not relaxed:
            for key in self.required_query:
                if key not in query:
                    return None
            for key in self.required_headers:
                if key not in headers:
                    return None
        m = self.pattern.fullmatch(path)
        if m is None:
            return None
        return {self.labels[g]: unquote(v) for g, v in m.groupdict().items()}

    def fit(self, query: dict[str, str]) -> tuple[int, int]:
        """How well a query string fits this operation: (its own parameters, strangers negated)."""
        own = sum(1 for key in query if key in self.known_query)
        return own, own - len(query)


@dataclass
class _MethodRoutes:
    """The routes of one service and method: those without fixed query keys, and the others by
    their first fixed key (so a request only tries routes whose fixed keys it could carry)."""

    plain: list[_Route] = field(default_factory=list)
    keyed: dict[str, list[_Route]] = field(default_factory=dict)

    def candidates(self, query: dict[str, str]) -> list[_Route]:
        if not query or not self.keyed:
            return self.plain
        found = [r for key in query if key in self.keyed for r in self.keyed[key]]
        if not found:
            return self.plain
        found.extend(self.plain)
        found.sort(key=lambda r: r.rank)
        return found


def _compile_route(operation: str, op: OperationModel) -> _Route:
    http = op.http
    path, _, query = http.get("requestUri", "/").partition("?")
    regex, literal_chars, literal_segments, greedy = "", 0, 0, 0
    labels: dict[str, str] = {}
    parts = re.split(r"(\{[^}]+\})", path)
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            group = f"g{len(labels)}"
            if name.endswith("+"):
                labels[group] = name[:-1]
                regex += f"(?P<{group}>.+)"
                greedy = 1
            else:
                labels[group] = name
                regex += f"(?P<{group}>[^/]+)"
        else:
            regex += re.escape(part)
            literal_chars += len(part.strip("/"))
            literal_segments += len([seg for seg in part.split("/") if seg])
    if path != "/":  # a trailing slash is optional both ways
        regex = regex[:-1] + "/?" if regex.endswith("/") else regex + "/?"
    prefix, suffixes = _literal_ends(path, parts)
    fixed = []
    for item in filter(None, query.split("&")):
        key, eq, value = item.partition("=")
        fixed.append((key, value if eq else None))
    required_query: list[str] = []
    required_headers: list[str] = []
    known_query = {key for key, _ in fixed}
    shape = op.input_shape
    if shape is not None:
        required = set(shape.required_members)
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "querystring" and member.type_name != "map":
                known_query.add(wire)
                if name in required:
                    required_query.append(wire)
            elif location == "header" and name in required:
                required_headers.append(wire.lower())
    score = (
        literal_segments,
        -greedy,
        len(fixed) + len(required_query) + len(required_headers),
        literal_chars,
        not op.deprecated,
    )
    return _Route(
        operation,
        http.get("method", "POST"),
        re.compile(regex),
        labels,
        tuple(fixed),
        tuple(required_query),
        tuple(required_headers),
        frozenset(known_query),
        score,
        prefix=prefix,
        suffixes=suffixes,
    )


def _literal_ends(path: str, parts: list[str]) -> tuple[str, tuple[str, ...]]:
    """The literal start and the possible literal endings of a URI template (trailing '/' optional)."""
    if len(parts) == 1:  # no labels: the whole path, with or without its trailing slash
        return (path.rstrip("/") or "/") if path != "/" else "/", ()
    tail = parts[-1].rstrip("/")
    return parts[0], ((tail, tail + "/") if tail else ())


class Router:
    """Identifies requests for a fixed set of shipped services."""

    def __init__(self, services: list[str]) -> None:
        self.services = list(services)
        # REST targets by everything they depend on; clients repeat the same calls, and matching
        # a path against a service's routes is most of identifying one
        self._rest_cache: dict[tuple, Target] = {}

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
    def _rest_routes(self) -> dict[str, dict[str, _MethodRoutes]]:
        """service -> HTTP method -> its routes, indexed by the query keys their URIs fix."""
        result: dict[str, dict[str, _MethodRoutes]] = {}
        for name in self.services:
            protocol = models.service_model(name).protocol
            if protocol not in ("rest-json", "rest-xml"):
                continue
            routes = [_compile_route(op_name, op) for op_name, op in models.operations(name).items()]
            routes.sort(key=lambda r: r.score, reverse=True)
            by_method: dict[str, _MethodRoutes] = {}
            for rank, route in enumerate(routes):
                route.rank = rank
                group = by_method.setdefault(route.method, _MethodRoutes())
                if route.fixed_query:
                    group.keyed.setdefault(route.fixed_query[0][0], []).append(route)
                else:
                    group.plain.append(route)
            result[name] = by_method
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
        if self._may_be_query(req) and "Action" in req.form:
            service = self._query_service(req, scoped)
            if service:
                return Target(service, req.form["Action"], "query")
        return self._identify_rest(req, scoped)

    @staticmethod
    def _may_be_query(req: HttpRequest) -> bool:
        """Cheap pre-check before decoding a form: an Action in the query string or a form body."""
        if "Action=" in req.query_string:
            return req.method in ("GET", "POST")
        return req.method == "POST" and "x-www-form-urlencoded" in req.headers.get("content-type", "")

    @cached_property
    def _route_headers(self) -> tuple[str, ...]:
        """Every header some REST route requires (its presence takes part in matching)."""
        names = {h for by_method in self._rest_routes.values() for group in by_method.values()
                 for route in [*group.plain, *(r for rs in group.keyed.values() for r in rs)]
                 for h in route.required_headers}
        return tuple(sorted(names))

    def _identify_rest(self, req: HttpRequest, scoped: list[str]) -> Target:
        headers = req.headers
        key = (tuple(scoped), req.method, req.path, req.query_string,
               tuple(h for h in self._route_headers if h in headers))
        found = self._rest_cache.get(key)
        if found is None:
            found = self._match_rest(req, scoped)
            if len(self._rest_cache) >= 4096:
                self._rest_cache.clear()
            if "s3" not in scoped:  # virtual-hosted S3 also depends on the Host
                self._rest_cache[key] = found
        return Target(found.service, found.operation, found.protocol, dict(found.uri_params))

    def _match_rest(self, req: HttpRequest, scoped: list[str]) -> Target:
        path = req.path.split("?", 1)[0]
        if "s3" in scoped:
            bucket = virtual_host_bucket(req.host)
            if bucket:  # virtual-hosted-style S3: the bucket is in the host name
                path = "/" + bucket + (path if path != "/" else "")
        # a request lacking a required query or header member still belongs to the operation
        # whose path it has: its validation then names the missing member
        best = self._best_route(req, scoped, path, False) or self._best_route(req, scoped, path, True)
        if best is None:
            raise AWSError("UnknownOperationException", "The requested operation is not recognized.", 404)
        route, params, service = best
        return Target(service, route.operation, models.service_model(service).protocol, params)

    def _best_route(self, req: HttpRequest, scoped: list[str], path: str,
                    relaxed: bool) -> tuple[_Route, dict, str] | None:
        query = req.query_dict
        best: tuple[_Route, dict, str] | None = None
        # Signed requests look at their service only; unsigned ones at every REST service.
        for service in scoped or self._rest_routes:
            group = self._rest_routes.get(service, {}).get(req.method)
            if group is None:
                continue
            for route in group.candidates(query):
                if best is not None and route.score < best[0].score:
                    break  # candidates are sorted: nothing later in this service is more specific
                # the literal pre-checks of `matches`, inline: most routes stop here, without a call
                if not path.startswith(route.prefix):
                    continue
                if route.suffixes and not path.endswith(route.suffixes):
                    continue
                params = route.matches(req.method, path, query, req.headers, relaxed)
                if params is None:
                    continue
                if best is None or (route.score, route.fit(query)) > (best[0].score, best[0].fit(query)):
                    best = (route, params, service)
        return best

    def _query_service(self, req: HttpRequest, scoped: list[str]) -> str | None:
        candidates = [s for s in scoped if s in self._query_services]
        if len(candidates) == 1:
            return candidates[0]
        action = req.form["Action"]
        owners = [s for s in self._query_services if action in models.operations(s)]
        if len(owners) == 1:
            return owners[0]
        version = req.form.get("Version")
        for s in owners or self._query_services:
            if models.service_model(s).api_version == version:
                return s
        if owners:
            return owners[0]
        # an unknown action, unsigned and unversioned: a queue URL's path still names SQS
        if "sqs" in self._query_services and _QUEUE_PATH.match(req.path):
            return "sqs"
        return None

    def _identify_cbor(self, req: HttpRequest) -> Target:
        parts = req.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) == 4 and parts[0] == "service" and parts[2] == "operation":
            service = self._by_target_prefix.get(parts[1])
            if service and "smithy-rpc-v2-cbor" in _protocols(service):
                return Target(service, parts[3], "smithy-rpc-v2-cbor")
        raise AWSError("UnknownOperationException", "The requested operation is not recognized.", 404)


_QUEUE_PATH = re.compile(r"/\d{12}/[\w-]{1,80}(?:\.fifo)?/?(?:\?|$)")
_VIRTUAL_HOST = re.compile(r"(?P<bucket>.+?)\.(?:s3(?:[.-][^:]*)?|localhost)$")


def virtual_host_bucket(host: str) -> str | None:
    """The bucket of a virtual-hosted-style S3 host ('b.s3.localhost', 'b.localhost',
    'b.s3.us-east-1.amazonaws.com'), or None for a path-style host."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if not name or name[0] == "[" or name.replace(".", "").isdigit():
        return None
    m = _VIRTUAL_HOST.fullmatch(name)
    if m is None:
        return None
    bucket = m.group("bucket")
    return None if bucket in ("s3", "") else bucket


def _protocols(service: str) -> list[str]:
    metadata = models.service_model(service).metadata
    return metadata.get("protocols") or [metadata.get("protocol")]
