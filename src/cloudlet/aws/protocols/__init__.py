"""One parser and serializer per wire protocol, driven by botocore's models.

Each protocol module exposes a `Protocol` object with:

    parse(operation_model, http_request, uri_params) -> dict
        the input parameters, as botocore's client would have been given them
    serialize(operation_model, output: dict, ctx) -> HttpResponse
    serialize_error(service_model, error: AWSError, ctx) -> HttpResponse
"""

from __future__ import annotations

from importlib import import_module

_MODULES = {
    "json": "cloudlet.aws.protocols.json_rpc",
    "query": "cloudlet.aws.protocols.query",
    "rest-json": "cloudlet.aws.protocols.rest_json",
    "rest-xml": "cloudlet.aws.protocols.rest_xml",
    "smithy-rpc-v2-cbor": "cloudlet.aws.protocols.rpcv2_cbor",
}
_cache: dict = {}


def get(name: str):
    """The Protocol object for a protocol name as botocore's models spell it."""
    proto = _cache.get(name)
    if proto is None:
        proto = _cache[name] = import_module(_MODULES[name]).PROTOCOL
    return proto
