"""Hostile input never becomes a traceback: valid requests (botocore-built, generated over the
models) are mutated at random, and parse + validate must either succeed or raise an AWSError
with a 4xx status. A plain exception here would be a 500 InternalFailure on the wire."""

from __future__ import annotations

import json
import random
from urllib.parse import parse_qsl, urlencode

import cbor2
import pytest

from cloudlet.aws import models, protocols
from cloudlet.aws.errors import AWSError
from cloudlet.aws.http import HttpRequest
from cloudlet.aws.identify import Router
from cloudlet.aws.validate import validate_input

CASES = [
    ("sqs", "json"),
    ("dynamodb", "json"),
    ("lambda", "rest-json"),
    ("apigateway", "rest-json"),
    ("s3", "rest-xml"),
    ("route53", "rest-xml"),
    ("iam", "query"),
    ("sns", "query"),
    ("cloudwatch", "smithy-rpc-v2-cbor"),
]
ROUTER = Router(sorted({s for s, _ in CASES}))
WEIRD = ["", " ", "-1", "1e400", "NaN", "true", "null", "漢字", "\x00", "%zz", "<x>", "9" * 40, "a" * 3000]


def _junk(rng: random.Random, depth: int = 0):
    choice = rng.randrange(8 if depth < 2 else 5)
    if choice == 0:
        return rng.choice(WEIRD)
    if choice == 1:
        return rng.randint(-(2**70), 2**70)
    if choice == 2:
        return rng.random() * 1e6
    if choice == 3:
        return rng.random() < 0.5
    if choice == 4:
        return None
    if choice == 5:
        return [_junk(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {
        rng.choice(["a", "Name", "Value", "member", ""]): _junk(rng, depth + 1)
        for _ in range(rng.randint(0, 3))
    }


def _mutate_doc(rng: random.Random, doc):
    """Replace one random node of a decoded JSON/CBOR document with junk."""
    if isinstance(doc, dict) and doc and rng.random() < 0.8:
        key = rng.choice(list(doc))
        doc[key] = _mutate_doc(rng, doc[key])
        return doc
    if isinstance(doc, list) and doc and rng.random() < 0.8:
        i = rng.randrange(len(doc))
        doc[i] = _mutate_doc(rng, doc[i])
        return doc
    return _junk(rng)


def _mutate(rng: random.Random, req: HttpRequest, protocol: str) -> HttpRequest:
    body, query, headers = req.body, req.query_string, dict(req.headers)
    what = rng.randrange(4)
    if what == 0 and body:
        cut = rng.randrange(len(body))
        body = body[:cut] + bytes([rng.randrange(256)]) + body[cut + 1 :]
    elif what == 1 and protocol in ("json", "rest-json") and body.strip().startswith(b"{"):
        body = json.dumps(_mutate_doc(rng, json.loads(body)), default=str).encode()
    elif what == 1 and protocol == "smithy-rpc-v2-cbor" and body:
        body = cbor2.dumps(_mutate_doc(rng, cbor2.loads(body)), default=lambda e, v: e.encode(str(v)))
    elif what == 1 and protocol == "query":
        form = parse_qsl(body.decode(), keep_blank_values=True)
        if form:
            i = rng.randrange(len(form))
            form[i] = (
                rng.choice([form[i][0], form[i][0] + ".1", form[i][0] + ".entry.1.key"]),
                rng.choice(WEIRD),
            )
        body = urlencode(form).encode()
    elif what == 2:
        names = [h for h in headers if h not in ("host", "authorization", "x-amz-target", "smithy-protocol")]
        if names:
            headers[rng.choice(names)] = rng.choice(WEIRD)
    else:
        pairs = parse_qsl(query, keep_blank_values=True)
        if pairs:
            i = rng.randrange(len(pairs))
            pairs[i] = (pairs[i][0], rng.choice(WEIRD))
            query = urlencode(pairs)
        elif body and protocol == "rest-xml":
            body = body.replace(b">", b">" + rng.choice(WEIRD).encode(), 1)
    return HttpRequest(req.method, req.path, query, headers, body)


@pytest.mark.parametrize(("service", "protocol"), CASES, ids=[f"{s}-{p}" for s, p in CASES])
def test_mutated_requests_get_aws_errors_not_tracebacks(service: str, protocol: str, oracle) -> None:
    proto = protocols.get(protocol)
    rng = random.Random(f"{service}/{protocol}")
    tried = 0
    for name, op in models.operations(service).items():
        if op.has_event_stream_input or op.has_event_stream_output:
            continue
        params = (
            oracle.ValueGenerator(rng.randrange(2**32)).structure(op.input_shape) if op.input_shape else {}
        )
        original = oracle.to_http_request(op, params, protocol)
        for _ in range(4):
            req = _mutate(rng, original, protocol)
            try:
                target = ROUTER.identify(req)
                found = models.operation_model(target.service, target.operation)
                if found is None:
                    continue
                parsed = protocols.get(target.protocol).parse(found, req, target.uri_params)
                validate_input(found, parsed, check_enums=True)
            except AWSError as err:
                assert 400 <= err.status < 500, (name, err)
            tried += 1
    assert tried > 50
    assert proto is not None
