"""What the protocol tests share: a deterministic value generator walking botocore shapes,
and bridges between botocore's own serializers/parsers and cloudlet's HttpRequest/HttpResponse."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.model import OperationModel, Shape
from botocore.serialize import create_serializer

from cloudlet.aws.http import HttpRequest, HttpResponse

ENDPOINT = "http://127.0.0.1:4566"
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
_BODY_EXTRA = " /:+=é漢&<>'\""


class ValueGenerator:
    """Builds valid values for a shape: strings within min/max and enums, numbers in range,
    lists of 1-3, maps of 1-2, structures to a depth bound, blobs and millisecond timestamps.

    `location` is the HTTP binding of the top-level member being generated: values that travel
    in headers keep to header-safe text and whole-second timestamps.
    """

    def __init__(self, seed: int, max_depth: int = 5) -> None:
        self.rng = random.Random(seed)
        self.max_depth = max_depth

    # top level -----------------------------------------------------------------------------
    def structure(self, shape: Shape, *, skip: set[str] = frozenset()) -> dict:
        return self._structure(shape, 0, top=True, skip=skip)

    def _structure(self, shape: Shape, depth: int, top: bool = False, skip=frozenset()) -> dict:
        if getattr(shape, "is_document_type", False):
            return {"doc": [1, "two", {"three": True}]}
        members = {n: m for n, m in shape.members.items() if n not in skip}
        if shape.is_tagged_union and members:
            name = self.rng.choice(sorted(members))
            return {name: self._value(members[name], depth + 1, self._location(members[name], top))}
        required = set(shape.required_members)
        result = {}
        for name, member in members.items():
            location = self._location(member, top)
            if member.serialization.get("eventstream"):
                continue
            wanted = name in required or location == "uri"
            if not wanted:
                chance = 0.8 if depth < 2 else 0.35
                if depth >= self.max_depth or self.rng.random() > chance:
                    continue
            if member.serialization.get("hostLabel"):  # part of a host name: letters and digits
                value = "".join(self.rng.choice("abcdefgh0123") for _ in range(8))
            else:
                value = self._value(member, depth + 1, location)
            if value is not None:
                result[name] = value
        if not result and members:
            # never empty (the query protocol cannot carry an empty structure); deep down, a scalar
            scalars = sorted(n for n, m in members.items() if m.type_name not in ("structure", "list", "map"))
            if depth >= self.max_depth and not scalars:
                return result
            name = (scalars or sorted(members))[0]
            value = self._value(members[name], depth + 1, self._location(members[name], top))
            if value is not None:
                result[name] = value
        return result

    @staticmethod
    def _location(member: Shape, top: bool) -> str | None:
        return member.serialization.get("location") if top else None

    def _value(self, shape: Shape, depth: int, location: str | None):
        kind = shape.type_name
        rng = self.rng
        if kind == "structure":
            return self._structure(shape, depth)
        if kind == "list":
            if location == "header" and shape.member.type_name == "timestamp":
                return None  # rfc822 dates contain commas: not representable in a header list
            low = max(1, shape.metadata.get("min", 0))
            high = max(low, min(3, shape.metadata.get("max", 3)))
            if depth > self.max_depth:
                high = low
            return [self._value(shape.member, depth + 1, location) for _ in range(rng.randint(low, high))]
        if kind == "map":
            low = max(1, shape.metadata.get("min", 0))
            high = max(low, min(2, shape.metadata.get("max", 2)))
            result = {}
            for _ in range(rng.randint(low, high)):
                key = self._string(shape.key, "headers" if location == "headers" else location)
                result[key] = self._value(shape.value, depth + 1, location)
            return result
        if kind == "string":
            if shape.serialization.get("jsonvalue"):
                return {"a": [1, "x"], "b": {"c": True}}
            return self._string(shape, location)
        if location == "statusCode":
            return rng.choice((200, 201, 202))
        if kind in ("integer", "long"):
            low = int(shape.metadata.get("min", 0))
            high = int(shape.metadata.get("max", low + 1000))
            return rng.randint(low, max(low, min(high, low + 1000)))
        if kind in ("float", "double"):
            low = float(shape.metadata.get("min", 0))
            high = float(shape.metadata.get("max", low + 16))
            return min(high, low + rng.randint(0, 64) / 4)
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "blob":
            return bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 8)))
        if kind == "timestamp":
            whole = location == "header" or shape.serialization.get("timestampFormat") == "rfc822"
            millis = 0 if whole else rng.randint(0, 999)
            return dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                seconds=rng.randint(0, 10**8), milliseconds=millis
            )
        raise AssertionError(f"no generator for {kind}")

    def _string(self, shape: Shape, location: str | None) -> str:
        rng = self.rng
        if shape.enum:
            return rng.choice(shape.enum)
        low = max(1, shape.metadata.get("min", 1))
        high = max(low, min(shape.metadata.get("max", 12), 12))
        size = rng.randint(low, high)
        if location == "headers":
            return "".join(rng.choice("abcdefghij0123") for _ in range(size))
        alphabet = _ALPHABET if location else _ALPHABET + _BODY_EXTRA
        text = "".join(rng.choice(alphabet) for _ in range(size))
        return text


def to_http_request(op: OperationModel, params: dict, protocol: str) -> HttpRequest:
    """Serialize params with botocore exactly as a client would and return cloudlet's HttpRequest."""
    serializer = create_serializer(protocol, include_validation=True)
    request_dict = serializer.serialize_to_request(params, op)
    # A host prefix ("sync-", "{RequestRoute}.") cannot reach a loopback endpoint; the request
    # is identified without it.
    request_dict.pop("host_prefix", None)
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    headers = {k.lower(): v if isinstance(v, str) else v.decode() for k, v in prepared.headers.items()}
    headers["host"] = url.netloc
    service = op.service_model
    scope = f"AKIDEXAMPLE/20260101/us-east-1/{service.signing_name or service.endpoint_prefix}/aws4_request"
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=00"
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = body.read()
    return HttpRequest(prepared.method, url.path or "/", url.query, headers, body)


def to_botocore_response(resp: HttpResponse) -> dict:
    """cloudlet's HttpResponse as the dict botocore's parsers take."""
    headers = HeadersDict()
    for key, value in resp.headers.items():
        headers[key] = value
    if "content-length" not in headers:  # as the server's edge adds it
        headers["Content-Length"] = str(len(resp.body))
    return {"status_code": resp.status, "headers": headers, "body": resp.body, "context": {}}


@pytest.fixture(scope="session")
def oracle() -> SimpleNamespace:
    """The generator and the botocore bridges, for the protocol tests."""
    return SimpleNamespace(
        ValueGenerator=ValueGenerator,
        to_http_request=to_http_request,
        to_botocore_response=to_botocore_response,
    )
