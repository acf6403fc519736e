"""Explicit wire-layer behaviours: identification edge cases, bad input, error shapes, validation."""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.error
import urllib.request

import cbor2
import orjson
import pytest

from cloudlet.aws import models, protocols
from cloudlet.aws.context import RequestContext
from cloudlet.aws.errors import AWSError
from cloudlet.aws.http import HttpRequest
from cloudlet.aws.identify import Router
from cloudlet.aws.protocols.rest import header_to_python, python_to_header, split_header_list
from cloudlet.aws.shapes import format_timestamp, parse_timestamp
from cloudlet.aws.validate import InputValidationError, validate_input

CTX = RequestContext("000000000000", "us-east-1", "req-1")
ROUTER = Router(["s3", "lambda", "sqs", "sts", "iam", "cloudwatch", "apigateway", "route53"])


def _signed(service: str) -> dict[str, str]:
    scope = f"AKID/20260101/us-east-1/{service}/aws4_request"
    return {"authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"}


def _rest(method: str, path: str, query: str = "", service: str = "s3", headers=None, body=b""):
    return HttpRequest(method, path, query, {**_signed(service), **(headers or {})}, body)


# ---- identification ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "query", "operation", "labels"),
    [
        ("GET", "/", "", "ListBuckets", {}),
        ("PUT", "/bucket", "", "CreateBucket", {"Bucket": "bucket"}),
        ("GET", "/bucket", "list-type=2", "ListObjectsV2", {"Bucket": "bucket"}),
        ("GET", "/bucket", "", "ListObjects", {"Bucket": "bucket"}),
        ("GET", "/bucket", "uploads", "ListMultipartUploads", {"Bucket": "bucket"}),
        (
            "POST",
            "/bucket/a/b%20c/%E6%BC%A2.txt",
            "uploads",
            "CreateMultipartUpload",
            {"Bucket": "bucket", "Key": "a/b c/漢.txt"},
        ),
        ("PUT", "/bucket/k", "partNumber=1&uploadId=u", "UploadPart", {"Bucket": "bucket", "Key": "k"}),
        ("GET", "/bucket/k", "uploadId=u", "ListParts", {"Bucket": "bucket", "Key": "k"}),
        ("GET", "/bucket/k", "", "GetObject", {"Bucket": "bucket", "Key": "k"}),
        ("DELETE", "/bucket/k", "uploadId=u", "AbortMultipartUpload", {"Bucket": "bucket", "Key": "k"}),
        ("GET", "/bucket", "lifecycle", "GetBucketLifecycleConfiguration", {"Bucket": "bucket"}),
    ],
)
def test_s3_routes_most_specific_first(method, path, query, operation, labels) -> None:
    target = ROUTER.identify(_rest(method, path, query))
    assert (target.service, target.operation, target.protocol) == ("s3", operation, "rest-xml")
    assert target.uri_params == labels


def test_copy_is_told_from_put_by_its_required_header() -> None:
    put = ROUTER.identify(_rest("PUT", "/b/k"))
    copy = ROUTER.identify(_rest("PUT", "/b/k", headers={"x-amz-copy-source": "/src/k"}))
    part_copy = ROUTER.identify(
        _rest("PUT", "/b/k", "partNumber=1&uploadId=u", headers={"x-amz-copy-source": "/src/k"})
    )
    assert (put.operation, copy.operation, part_copy.operation) == (
        "PutObject",
        "CopyObject",
        "UploadPartCopy",
    )


def test_trailing_slash_and_percent_decoded_labels() -> None:
    with_slash = ROUTER.identify(_rest("GET", "/2015-03-31/functions/", service="lambda"))
    without = ROUTER.identify(_rest("GET", "/2015-03-31/functions", service="lambda"))
    assert with_slash.operation == without.operation == "ListFunctions"
    target = ROUTER.identify(_rest("GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Ax", service="lambda"))
    assert target.operation == "GetFunction"
    assert target.uri_params == {"FunctionName": "arn:aws:lambda:x"}


def test_unsigned_rest_request_is_found_across_services() -> None:
    target = ROUTER.identify(HttpRequest("GET", "/2015-03-31/functions/f/configuration"))
    assert (target.service, target.operation) == ("lambda", "GetFunctionConfiguration")


def test_json_cbor_and_query_identification() -> None:
    json_req = HttpRequest("POST", "/", headers={"x-amz-target": "AmazonSQS.SendMessage"})
    assert ROUTER.identify(json_req).protocol == "json"
    cbor_req = HttpRequest(
        "POST",
        "/service/GraniteServiceVersion20100801/operation/PutMetricData",
        headers={"smithy-protocol": "rpc-v2-cbor"},
    )
    target = ROUTER.identify(cbor_req)
    assert (target.service, target.operation, target.protocol) == (
        "cloudwatch",
        "PutMetricData",
        "smithy-rpc-v2-cbor",
    )
    query_req = HttpRequest(
        "POST",
        "/",
        headers={"content-type": "application/x-www-form-urlencoded", **_signed("iam")},
        body=b"Action=ListUsers&Version=2010-05-08",
    )
    assert (ROUTER.identify(query_req).service, ROUTER.identify(query_req).operation) == ("iam", "ListUsers")
    unsigned = HttpRequest("GET", "/", "Action=GetCallerIdentity&Version=2011-06-15")
    assert ROUTER.identify(unsigned).service == "sts"


@pytest.mark.parametrize(
    "req",
    [
        HttpRequest("POST", "/", headers={"x-amz-target": "Nope_2020.Do"}),
        HttpRequest("POST", "/service/Nope/operation/Do", headers={"smithy-protocol": "rpc-v2-cbor"}),
        HttpRequest(
            "POST", "/service/AmazonSQS/operation/SendMessage", headers={"smithy-protocol": "rpc-v2-cbor"}
        ),
        HttpRequest("PATCH", "/no/such/route", headers=_signed("s3")),
    ],
)
def test_unknown_requests_get_the_aws_error(req) -> None:
    with pytest.raises(AWSError) as info:
        ROUTER.identify(req)
    assert info.value.code == "UnknownOperationException"


# ---- headers and timestamps -----------------------------------------------------------------
def test_header_lists_quote_and_split() -> None:
    assert split_header_list('a, "b,c", "d\\"e" ,f') == ["a", "b,c", 'd"e', "f"]
    shape = models.operation_model("s3", "GetObjectAttributes").input_shape.members["ObjectAttributes"]
    assert python_to_header(shape, ["ETag", "a,b"]) == 'ETag,"a,b"'
    assert header_to_python(shape, 'ETag, "a,b"') == ["ETag", "a,b"]


def test_jsonvalue_headers_round_trip() -> None:
    shape = models.operation_model("lex-runtime", "PostContent").input_shape.members["sessionAttributes"]
    assert shape.serialization.get("jsonvalue")
    value = {"a": [1, "x"], "b": None}
    header = python_to_header(shape, value)
    assert orjson.loads(base64.b64decode(header)) == value
    assert header_to_python(shape, header) == value


@pytest.mark.parametrize(
    "text",
    ["1577836800.5", "2020-01-01T00:00:00.500Z", "2020-01-01T00:00:00.5+00:00", 1577836800.5],
)
def test_timestamps_in_every_format(text) -> None:
    assert parse_timestamp(text) == dt.datetime(2020, 1, 1, 0, 0, 0, 500000, tzinfo=dt.UTC)


def test_rfc822_and_formats() -> None:
    stamp = dt.datetime(2020, 1, 1, 12, 0, 1, 250000, tzinfo=dt.UTC)
    assert parse_timestamp("Wed, 01 Jan 2020 12:00:01 GMT") == stamp.replace(microsecond=0)
    assert format_timestamp(stamp, "rfc822") == "Wed, 01 Jan 2020 12:00:01 GMT"
    assert format_timestamp(stamp, "iso8601") == "2020-01-01T12:00:01.250Z"
    assert format_timestamp(stamp, "unixTimestamp") == 1577880001.25
    with pytest.raises(AWSError) as info:
        parse_timestamp("yesterday")
    assert info.value.code == "SerializationException"


# ---- bad input -----------------------------------------------------------------------------
def _parse(service: str, operation: str, protocol: str, req: HttpRequest):
    return protocols.get(protocol).parse(models.operation_model(service, operation), req, {})


@pytest.mark.parametrize(
    ("service", "operation", "protocol", "req", "code"),
    [
        ("sqs", "SendMessage", "json", HttpRequest("POST", "/", body=b"{nope"), "SerializationException"),
        ("sqs", "SendMessage", "json", HttpRequest("POST", "/", body=b"[1]"), "SerializationException"),
        (
            "sqs",
            "SendMessage",
            "json",
            HttpRequest(
                "POST",
                "/",
                body=b'{"MessageAttributes": {"a": {"DataType": "Binary", "BinaryValue": "***"}}}',
            ),
            "SerializationException",
        ),
        (
            "lambda",
            "CreateFunction",
            "rest-json",
            HttpRequest("POST", "/", body=b"{nope"),
            "SerializationException",
        ),
        (
            "s3",
            "PutBucketTagging",
            "rest-xml",
            HttpRequest("PUT", "/", body=b"<Tagging><TagSet>"),
            "MalformedXML",
        ),
        (
            "s3",
            "PutBucketTagging",
            "rest-xml",
            HttpRequest("PUT", "/", body=b'<!DOCTYPE x [<!ENTITY a "aaaa">]><Tagging>&a;</Tagging>'),
            "MalformedXML",
        ),
        ("s3", "ListObjectsV2", "rest-xml", HttpRequest("GET", "/", "max-keys=ten"), "InvalidArgument"),
        (
            "s3",
            "GetObject",
            "rest-xml",
            HttpRequest("GET", "/", headers={"if-modified-since": "soon"}),
            "InvalidArgument",
        ),
        (
            "route53",
            "ChangeResourceRecordSets",
            "rest-xml",
            HttpRequest("POST", "/", body=b"<a>"),
            "MalformedXML",
        ),
        (
            "iam",
            "ListUsers",
            "query",
            HttpRequest("GET", "/", "Action=ListUsers&MaxItems=ten"),
            "InvalidQueryParameter",
        ),
        (
            "cloudwatch",
            "PutMetricData",
            "smithy-rpc-v2-cbor",
            HttpRequest("POST", "/", headers={"content-type": "application/cbor"}, body=b"\xff\xff"),
            "SerializationException",
        ),
        (
            "cloudwatch",
            "PutMetricData",
            "smithy-rpc-v2-cbor",
            HttpRequest("POST", "/", headers={"content-type": "application/cbor"}, body=cbor2.dumps([1])),
            "SerializationException",
        ),
        (
            "cloudwatch",
            "PutMetricData",
            "smithy-rpc-v2-cbor",
            HttpRequest("POST", "/", headers={"content-type": "application/json"}, body=b"{}"),
            "UnsupportedMediaTypeException",
        ),
    ],
)
def test_malformed_input_gets_the_aws_error(service, operation, protocol, req, code) -> None:
    with pytest.raises(AWSError) as info:
        _parse(service, operation, protocol, req)
    assert info.value.code == code
    assert 400 <= info.value.status < 500


def test_live_server_answers_malformed_bodies_with_aws_errors(cloudlet) -> None:
    def post(headers: dict, body: bytes):
        request = urllib.request.Request(cloudlet.endpoint + "/", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read()

    status, headers, body = post(
        {"X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0"}, b"{nope"
    )
    assert status == 400
    assert json.loads(body)["__type"].endswith("SerializationException")
    assert headers.get("x-amzn-requestid")
    status, _, body = post(
        {"X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0"},
        b'{"QueueUrl": 5, "MessageBody": "x"}',
    )
    assert status == 400 and b"SerializationException" in body
    status, headers, body = post(
        {"X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0"}, b"{}"
    )
    assert status == 400  # SQS names the first missing parameter, in its query-era words
    assert json.loads(body)["message"] == "The request must contain the parameter QueueUrl."
    assert headers.get("x-amzn-query-error") == "MissingParameter;Sender"
    status, _, body = post(
        {"X-Amz-Target": "Logs_20140328.PutLogEvents", "Content-Type": "application/x-amz-json-1.1"}, b"{}"
    )
    assert status == 400  # elsewhere every missing member is listed, as AWS's validation does
    assert json.loads(body)["message"] == (
        "3 validation errors detected: Value null at 'logGroupName' failed to satisfy constraint: Member must "
        "not be null; Value null at 'logStreamName' failed to satisfy constraint: Member must not be null; "
        "Value null at 'logEvents' failed to satisfy constraint: Member must not be null"
    )


# ---- validation ----------------------------------------------------------------------------
def test_validation_lists_every_problem_with_aws_wording() -> None:
    op = models.operation_model("sqs", "ReceiveMessage")
    with pytest.raises(InputValidationError) as info:
        validate_input(op, {"QueueUrl": "q", "MessageSystemAttributeNames": ["Nope"]}, check_enums=True)
    assert info.value.code == "ValidationException"
    assert info.value.message.startswith("1 validation error detected: Value 'Nope' at ")
    assert "Member must satisfy enum value set: [" in info.value.message
    validate_input(op, {"QueueUrl": "q", "MessageSystemAttributeNames": ["Nope"]})  # enums are opt-in


def test_validation_length_range_and_query_code() -> None:
    op = models.operation_model("dynamodb", "CreateTable")
    params = {
        "TableName": "",
        "KeySchema": [],
        "AttributeDefinitions": [],
        "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 1},
    }
    with pytest.raises(InputValidationError) as info:
        validate_input(op, params)
    message = info.value.message
    assert message.startswith("3 validation errors detected: ")
    assert (
        "Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1"
        in message
    )
    assert (
        "Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1"
        in message
    )
    assert (
        "Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    ) in message
    with pytest.raises(InputValidationError) as info:
        validate_input(models.operation_model("iam", "GetUser"), {"UserName": ""})
    assert info.value.code == "ValidationError"


def test_wrong_types_are_serialization_errors() -> None:
    op = models.operation_model("sqs", "SendMessage")
    for bad, message in [
        ({"QueueUrl": 5, "MessageBody": "x"}, "NUMBER_VALUE can not be converted to a String"),
        (
            {"QueueUrl": "q", "MessageBody": "x", "DelaySeconds": "5"},
            "STRING_VALUE can not be converted to an Integer",
        ),
        ({"QueueUrl": "q", "MessageBody": {}}, "Start of structure or map found where not expected."),
    ]:
        with pytest.raises(AWSError) as info:
            validate_input(op, bad)
        assert (info.value.code, info.value.message) == ("SerializationException", message)


# ---- errors ----------------------------------------------------------------------------------
def test_s3_errors_use_the_error_root_and_s3_request_ids() -> None:
    resp = protocols.get("rest-xml").serialize_error(
        models.service_model("s3"), AWSError("NoSuchBucket", "The specified bucket does not exist"), CTX
    )
    assert resp.status == 404
    assert resp.headers["x-amz-request-id"] == "req-1" and resp.headers["x-amz-id-2"]
    assert (
        b"<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>" in resp.body
    )
    detailed = protocols.get("rest-xml").serialize_error(
        models.service_model("s3"), AWSError("NoSuchBucket", "gone", fields={"BucketName": "a&b"}), CTX
    )
    assert b"<BucketName>a&amp;b</BucketName>" in detailed.body


def test_other_rest_xml_errors_use_error_response() -> None:
    resp = protocols.get("rest-xml").serialize_error(
        models.service_model("route53"), AWSError("NoSuchHostedZone", "No hosted zone found"), CTX
    )
    assert resp.status == 404
    assert (
        b'<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type>'
        in resp.body
    )
    assert resp.headers["x-amzn-RequestId"] == "req-1"


def test_query_compatible_json_errors_carry_the_legacy_code() -> None:
    sqs = models.service_model("sqs")
    error = AWSError(
        "QueueDoesNotExist",
        "The specified queue does not exist.",
        query_code="AWS.SimpleQueueService.NonExistentQueue",
    )
    resp = protocols.get("json").serialize_error(sqs, error, CTX)
    assert resp.status == 400
    assert resp.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert orjson.loads(resp.body)["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    plain = protocols.get("json").serialize_error(sqs, AWSError("QueueDoesNotExist", "gone"), CTX)
    assert plain.headers["x-amzn-query-error"] == "QueueDoesNotExist;Sender"
    # the model's error.code and status win for a shape that has them (CloudWatch over JSON)
    resp = protocols.get("json").serialize_error(
        models.service_model("cloudwatch"), AWSError("DashboardNotFoundError", "gone"), CTX
    )
    assert resp.status == 404
    assert resp.headers["x-amzn-query-error"] == "ResourceNotFound;Sender"


def test_cbor_errors_and_query_compatibility() -> None:
    resp = protocols.get("smithy-rpc-v2-cbor").serialize_error(
        models.service_model("cloudwatch"), AWSError("ResourceNotFound", "gone"), CTX
    )
    body = cbor2.loads(resp.body)
    assert resp.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert resp.headers["Content-Type"] == "application/cbor"
    assert body["__type"] == "ResourceNotFound" and body["message"] == "gone"
    assert resp.headers["x-amzn-query-error"].endswith(";Sender")


def test_unmodeled_errors_keep_their_status_and_code() -> None:
    for protocol, service in [("json", "sqs"), ("rest-json", "lambda"), ("query", "iam"), ("rest-xml", "s3")]:
        resp = protocols.get(protocol).serialize_error(
            models.service_model(service), AWSError("ThrottlingException", "slow down", 429), CTX
        )
        assert resp.status == 429
        assert (
            b"ThrottlingException" in resp.body
            or resp.headers.get("x-amzn-ErrorType") == "ThrottlingException"
        )


def test_response_code_trait_and_header_members() -> None:
    op = models.operation_model("route53", "CreateHostedZone")
    resp = protocols.get("rest-xml").serialize(
        op,
        {
            "Location": "https://x/zone",
            "HostedZone": {"Id": "Z1", "Name": "example.com.", "CallerReference": "r"},
        },
        CTX,
    )
    assert resp.status == 201
    assert resp.headers["Location"] == "https://x/zone"
    assert resp.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<CreateHostedZoneResult xmlns=')


def test_head_answers_carry_no_body() -> None:
    ctx = RequestContext("000000000000", "us-east-1", "req-1", http=HttpRequest("HEAD", "/b/k"))
    s3 = models.service_model("s3")
    resp = protocols.get("rest-xml").serialize_error(
        s3, AWSError("NoSuchKey", "The specified key does not exist."), ctx
    )
    assert (resp.status, resp.body) == (404, b"")
    op = models.operation_model("s3", "HeadObject")
    resp = protocols.get("rest-xml").serialize(op, {"ContentLength": 5, "ETag": '"abc"'}, ctx)
    assert (resp.status, resp.body, resp.headers["ETag"]) == (200, b"", '"abc"')


def test_deeply_nested_input_is_a_client_error() -> None:
    op = models.operation_model("dynamodb", "PutItem")
    doc = '{"TableName": "t", "Item": {"a": ' + '{"L": [' * 400 + '{"S": "x"}' + "]}" * 400 + "}}"
    with pytest.raises(AWSError) as info:
        params = protocols.get("json").parse(op, HttpRequest("POST", "/", body=doc.encode()), {})
        validate_input(op, params)
    assert (info.value.code, info.value.status) == ("SerializationException", 400)


def test_errors_raised_by_their_legacy_code_resolve_to_the_shape() -> None:
    iam = models.service_model("iam")
    resp = protocols.get("query").serialize_error(
        iam, AWSError("NoSuchEntity", "The user with name x cannot be found."), CTX
    )
    assert resp.status == 404
    assert b"<Code>NoSuchEntity</Code>" in resp.body and b"<Type>Sender</Type>" in resp.body
    resp = protocols.get("query").serialize_error(iam, AWSError("NoSuchEntityException", "gone"), CTX)
    assert (resp.status, b"<Code>NoSuchEntity</Code>" in resp.body) == (404, True)


def test_json_special_floats_both_ways() -> None:
    op = models.operation_model("cloudwatch", "PutMetricData")
    body = b'{"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": "NaN", "Values": ["Infinity", 1.5]}]}'
    params = protocols.get("json").parse(op, HttpRequest("POST", "/", body=body), {})
    datum = params["MetricData"][0]
    assert datum["Value"] != datum["Value"] and datum["Values"] == [float("inf"), 1.5]
    out = models.operation_model("cloudwatch", "GetMetricStatistics")
    resp = protocols.get("json").serialize(out, {"Datapoints": [{"Average": float("-inf")}]}, CTX)
    assert orjson.loads(resp.body)["Datapoints"][0]["Average"] == "-Infinity"


@pytest.mark.parametrize(
    ("host", "path", "query", "operation", "labels"),
    [
        ("photos.localhost:4566", "/cat.jpg", "", "GetObject", {"Bucket": "photos", "Key": "cat.jpg"}),
        (
            "my.photos.s3.localhost:4566",
            "/a/b.jpg",
            "",
            "GetObject",
            {"Bucket": "my.photos", "Key": "a/b.jpg"},
        ),
        ("photos.s3.us-east-1.amazonaws.com", "/", "list-type=2", "ListObjectsV2", {"Bucket": "photos"}),
        ("s3.localhost:4566", "/photos/cat.jpg", "", "GetObject", {"Bucket": "photos", "Key": "cat.jpg"}),
        ("127.0.0.1:4566", "/photos", "", "ListObjects", {"Bucket": "photos"}),
    ],
)
def test_s3_virtual_hosted_and_path_style(host, path, query, operation, labels) -> None:
    target = ROUTER.identify(_rest("GET", path, query, headers={"host": host}))
    assert (target.operation, target.uri_params) == (operation, labels)
