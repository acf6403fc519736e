"""Round trips through every protocol with botocore itself as the oracle, generated over the models.

For every operation of the services below:
  * inputs: a generated value -> botocore's serializer (the HTTP request a client sends) ->
    cloudlet's Router.identify (must name that operation) -> cloudlet's parse == the value, and
    cloudlet's validation accepts it (enums included);
  * outputs: a generated value -> cloudlet's serialize -> botocore's parser == the value;
  * errors: every modeled error shape with generated fields -> cloudlet's serialize_error ->
    botocore's parser: code, HTTP status and the shape's fields.

Exclusions (with the reason) are listed in EXCLUDED and applied by `_excluded`.
"""

from __future__ import annotations

import datetime as dt
import os
import zlib

import pytest
from botocore.parsers import create_parser

from cloudlet.aws import models, protocols
from cloudlet.aws.context import RequestContext
from cloudlet.aws.errors import AWSError
from cloudlet.aws.identify import Router
from cloudlet.aws.protocols.common import message_member_name
from cloudlet.aws.validate import validate_input

# service -> the protocols its model offers that are tested
SERVICES: dict[str, tuple[str, ...]] = {
    "sqs": ("json",),
    "sts": ("query",),
    "lambda": ("rest-json",),
    "logs": ("json",),
    "dynamodb": ("json",),
    "dynamodbstreams": ("json",),
    "s3": ("rest-xml",),
    "sns": ("query",),
    "events": ("json",),
    "kinesis": ("json",),
    "stepfunctions": ("json",),
    "cloudwatch": ("smithy-rpc-v2-cbor", "json", "query"),
    "xray": ("rest-json",),
    "apigateway": ("rest-json",),
    "cloudformation": ("query",),
    "iam": ("query",),
    "secretsmanager": ("json",),
    "ssm": ("json",),
    "kms": ("json",),
    "scheduler": ("rest-json",),
    "apigatewayv2": ("rest-json",),
    "route53": ("rest-xml",),
    "sesv2": ("rest-json",),
    "lex-runtime": ("rest-json",),  # jsonvalue headers both ways
    "cloudfront": ("rest-xml",),
    "ses": ("query",),
    "glacier": ("rest-json",),
    "appsync": ("rest-json",),
    "ecr": ("json",),
    "firehose": ("json",),
    "cognito-idp": ("json",),
    "elbv2": ("query",),
    "rds": ("query",),
    "efs": ("rest-json",),
    "iot-data": ("rest-json",),
    "mediastore-data": ("rest-json",),
}

EXCLUDED = {
    "event streams": "operations with an event stream input or output (a separate framing format)",
    "host labels": "members that travel only in the host name (hostLabel without another "
    "location) are not compared: a loopback endpoint cannot carry a host prefix",
    "s3 GetBucketLocation output": "S3 answers the location as the root element's text; botocore "
    "reads it with a handler outside the protocol parser",
    "deprecated twins": "requests of deprecated S3 operations with the exact route of their "
    "successor (GetBucketLifecycle, PutBucketLifecycle, GetBucketNotification, "
    "PutBucketNotification): such a request names the successor",
    "s3 GetBucketNotification output": "its deprecated shape has two members on one element name "
    "(Event and the flattened Events)",
}
DEPRECATED_TWINS = {
    ("s3", "GetBucketLifecycle"),
    ("s3", "PutBucketLifecycle"),
    ("s3", "GetBucketNotification"),
    ("s3", "PutBucketNotification"),
}
# Parameters a generated request must carry so that its route is not the twin's.
DISTINGUISHING = {("s3", "ListDirectoryBuckets"): {"MaxDirectoryBuckets": 5}}

SAMPLES = 3
SEED = int(os.environ.get("CLOUDLET_ORACLE_SEED", "0"))  # vary to explore more values
CTX = RequestContext("000000000000", "us-east-1", "req-0001")


def _seed(*parts) -> int:
    return zlib.crc32("/".join(map(str, (SEED, *parts))).encode())


def _excluded(op, request: bool = False) -> str | None:
    if request and (op.service_model.service_name, op.name) in DEPRECATED_TWINS:
        return "deprecated twins"
    if op.has_event_stream_input or op.has_event_stream_output:
        return "event streams"
    return None


def _router() -> Router:
    return Router(sorted(SERVICES))


ROUTER = _router()
CASES = [(s, p) for s, ps in SERVICES.items() for p in ps]


def _normal(value, drop_empty: bool = False):
    """Comparable form: aware datetimes in UTC, tuples as lists; with drop_empty, no empty
    structures (the query protocol cannot tell an empty structure from an absent one)."""
    if isinstance(value, dict):
        items = {k: _normal(v, drop_empty) for k, v in value.items()}
        return {k: v for k, v in items.items() if not (drop_empty and v == {})}
    if isinstance(value, list | tuple):
        return [_normal(v, drop_empty) for v in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return value


def _diff(got: dict, want: dict) -> str:
    keys = sorted(k for k in set(got) | set(want) if got.get(k, "<absent>") != want.get(k, "<absent>"))
    return "; ".join(f"{k}: got {got.get(k, '<absent>')!r} want {want.get(k, '<absent>')!r}" for k in keys)


def _report(failures: list[str], checked: int) -> None:
    assert checked > 0, "nothing was checked"
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:15])


@pytest.mark.parametrize(("service", "protocol"), CASES, ids=[f"{s}-{p}" for s, p in CASES])
def test_requests_identify_and_parse(service: str, protocol: str, oracle) -> None:
    proto = protocols.get(protocol)
    drop_empty = protocol == "query"
    failures = []
    checked = 0
    for name, op in models.operations(service).items():
        if _excluded(op, request=True):
            continue
        for sample in range(SAMPLES):
            gen = oracle.ValueGenerator(_seed(service, name, sample))
            params = gen.structure(op.input_shape) if op.input_shape else {}
            params.update(DISTINGUISHING.get((service, name), {}))
            req = oracle.to_http_request(op, params, protocol)
            try:
                target = ROUTER.identify(req)
            except AWSError as exc:
                failures.append(
                    f"{name}: not identified ({exc.message}) {req.method} {req.path}?{req.query_string}"
                )
                break
            if (target.service, target.operation, target.protocol) != (service, name, protocol):
                failures.append(
                    f"{name}: identified as {target.service}.{target.operation} ({target.protocol}) "
                    f"{req.method} {req.path}?{req.query_string}"
                )
                break
            try:
                parsed = proto.parse(op, req, target.uri_params)
            except AWSError as exc:
                failures.append(f"{name}: parse raised {exc!r}")
                break
            if "ContentLength" not in params and op.input_shape is not None:
                parsed.pop("ContentLength", None)  # the HTTP layer's own Content-Length header
            for member_name, member in op.input_shape.members.items() if op.input_shape else ():
                if member.serialization.get("hostLabel") and "location" not in member.serialization:
                    params.pop(member_name, None)  # see EXCLUDED
            checked += 1
            try:
                validate_input(op, parsed, check_enums=True)
            except AWSError as exc:
                failures.append(f"{name}: valid input refused: {exc.code} {exc.message}")
                break
            if _normal(parsed, drop_empty) != _normal(params, drop_empty):
                failures.append(f"{name}: {_diff(_normal(parsed), _normal(params))}")
                break
    _report(failures, checked)


@pytest.mark.parametrize(("service", "protocol"), CASES, ids=[f"{s}-{p}" for s, p in CASES])
def test_outputs_serialize_for_botocore(service: str, protocol: str, oracle) -> None:
    proto = protocols.get(protocol)
    parser = create_parser(protocol)
    drop_empty = protocol == "query"
    failures = []
    checked = 0
    for name, op in models.operations(service).items():
        if _excluded(op) or op.output_shape is None:
            continue
        if service == "s3" and name in ("GetBucketLocation", "GetBucketNotification"):
            continue  # see EXCLUDED
        for sample in range(SAMPLES):
            gen = oracle.ValueGenerator(_seed(service, name, "out", sample))
            output = gen.structure(op.output_shape)
            expected = dict(output)
            payload = op.output_shape.serialization.get("payload")
            if payload and op.output_shape.members[payload].type_name in ("blob", "string"):
                output[payload] = (
                    b"payload bytes" if op.output_shape.members[payload].type_name == "blob" else "text"
                )
                expected[payload] = "payload bytes" if isinstance(output[payload], bytes) else "text"
            if (
                payload
                and payload not in output
                and op.output_shape.members[payload].type_name == "structure"
            ):
                expected[payload] = {}  # botocore reads an absent payload structure as {}
            resp = proto.serialize(op, output, CTX)
            for member_name, member in op.output_shape.members.items():
                location = member.serialization.get("location")
                if location == "statusCode" and member_name not in expected:
                    expected[member_name] = resp.status  # botocore always reads the status code
                if location == "headers" and member_name not in expected:
                    expected[member_name] = {}  # and always builds header maps
                if location == "header" and member.serialization.get("name", "").lower() == "content-length":
                    expected[member_name] = len(resp.body)  # the body's own length wins
            try:
                parsed = parser.parse(oracle.to_botocore_response(resp), op.output_shape)
            except Exception as exc:  # the oracle rejected our bytes
                failures.append(f"{name}: botocore could not parse ({exc}) {resp.body[:300]!r}")
                break
            metadata = parsed.pop("ResponseMetadata", {})
            for member_name, member in op.output_shape.members.items():
                # a Content-Type header member reads the content type every response carries
                if (
                    member.serialization.get("name", "").lower() == "content-type"
                    and member_name not in expected
                ):
                    parsed.pop(member_name, None)
            if metadata.get("RequestId") != CTX.request_id:
                failures.append(f"{name}: request id {metadata.get('RequestId')!r}")
                break
            checked += 1
            if _normal(parsed, drop_empty) != _normal(expected, drop_empty):
                failures.append(
                    f"{name}: {_diff(_normal(parsed), _normal(expected))}\n   body {resp.body[:400]!r}"
                )
                break
    _report(failures, checked)


@pytest.mark.parametrize(("service", "protocol"), CASES, ids=[f"{s}-{p}" for s, p in CASES])
def test_modeled_errors_serialize_for_botocore(service: str, protocol: str, oracle) -> None:
    proto = protocols.get(protocol)
    parser = create_parser(protocol)
    model = models.service_model(service)
    xml = protocol in ("query", "rest-xml")
    drop_empty = protocol == "query"
    failures = []
    checked = 0
    for shape in model.error_shapes:
        gen = oracle.ValueGenerator(_seed(service, shape.name, SEED))
        message_member = message_member_name(shape)
        fields = gen.structure(shape, skip={message_member} if message_member else set())
        resp = proto.serialize_error(model, AWSError(shape.name, "it went wrong", fields=fields), CTX)
        meta = shape.metadata.get("error", {})
        status = meta.get("httpStatusCode", 400)
        if resp.status != status:
            failures.append(f"{shape.name}: status {resp.status} != {status}")
            continue
        generic = parser.parse(oracle.to_botocore_response(resp), None)
        code = generic["Error"]["Code"]
        if code != shape.error_code:
            failures.append(f"{shape.name}: code {code!r} != {shape.error_code!r}")
            continue
        if generic["Error"].get("Message") != "it went wrong":
            failures.append(f"{shape.name}: message {generic['Error'].get('Message')!r}")
            continue
        if generic.get("ResponseMetadata", {}).get("RequestId") != CTX.request_id:
            failures.append(f"{shape.name}: request id {generic.get('ResponseMetadata')!r}")
            continue
        modeled = parser.parse(oracle.to_botocore_response(resp), shape)
        expected = dict(fields)
        if message_member and not (xml and message_member == "message"):
            expected[message_member] = "it went wrong"
        if xml:
            modeled.pop("message", None)
        checked += 1
        if _normal(modeled, drop_empty) != _normal(expected, drop_empty):
            failures.append(f"{shape.name}: {_diff(_normal(modeled), _normal(expected))}")
    _report(failures, checked)
