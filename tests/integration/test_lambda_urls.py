"""Function URLs: the configuration API through boto3, and the URLs themselves over plain HTTP."""

from __future__ import annotations

import base64
import http.client
import json
import re
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from cli_helpers import aws_cli
from lambda_helpers import create, wait_for

from cloudlet.testing.pytest_plugin import start_server

WEB = """
import base64, json, os
def handler(event, context):
    path = event["rawPath"]
    if path == "/boom":
        raise ValueError("no")
    if path == "/plain":
        return {"answer": 42, "list": [1, 2]}
    if path == "/text":
        return "Hello, world!"
    if path == "/binary":
        return {"statusCode": 200, "headers": {"content-type": "image/png"}, "isBase64Encoded": True,
                "body": base64.b64encode(bytes(range(256))).decode()}
    if path == "/bad-status":
        return {"statusCode": "teapot", "body": "x"}
    if path == "/raw-bytes":
        return b"not json at all"
    if path == "/framing":
        return {"statusCode": 200, "headers": {"Content-Length": "999", "Connection": "close", "X-Kept": 1},
                "body": "short"}
    if path == "/bad-header":
        return {"statusCode": 200, "headers": {"X-Split": "a\\r\\nInjected: yes"}, "body": "x"}
    if path == "/bad-name":
        return {"statusCode": 200, "headers": {"Bad Name": "x"}, "body": "x"}
    return {"statusCode": 201,
            "headers": {"X-Custom": "yes", "Access-Control-Allow-Origin": "https://function.example"},
            "cookies": ["a=1; Path=/", "b=2; Max-Age=60"],
            "body": json.dumps({"event": event, "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"]})}
"""
URL_ID = re.compile(r"http://([a-z0-9]{32})\.lambda-url\.us-east-1\.localhost:(\d+)/")


def error(exc_info) -> tuple[str, int]:
    response = exc_info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def unvalidated(cloudlet):
    return cloudlet.client("lambda", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


def url_id(config: dict) -> str:
    return URL_ID.fullmatch(config["FunctionUrl"]).group(1)


def allow_public(lam, name: str, **kwargs) -> None:
    """The two statements a NONE URL needs (what the console and SAM add)."""
    lam.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="NONE", **kwargs)
    lam.add_permission(FunctionName=name, StatementId="invoke", Action="lambda:InvokeFunction", Principal="*",
                       InvokedViaFunctionUrl=True, **kwargs)


def public_url(cloudlet, name: str = "web", source: str = WEB, **config) -> str:
    """Create a function with a public URL; returns the URL's path-form prefix (no trailing slash)."""
    lam = cloudlet.client("lambda")
    create(lam, name, source=source)
    out = lam.create_function_url_config(FunctionName=name, AuthType="NONE", **config)
    allow_public(lam, name)
    return path_form(cloudlet, out)


def path_form(cloudlet, config: dict) -> str:
    return f"{cloudlet.endpoint}/_cloudlet/lambda-url/{url_id(config)}"


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    """(status, [(header, value)...], body) of one request; `Host` in headers overrides the URL's."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path or "/", body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def header(headers: list, name: str) -> str | None:
    values = [v for k, v in headers if k.lower() == name.lower()]
    return values[-1] if values else None


# -- the configuration API ------------------------------------------------------------------------
def test_create_get_update_delete(cloudlet):
    lam = cloudlet.client("lambda")
    arn = create(lam, "web", source=WEB)["FunctionArn"]
    cors = {"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"], "MaxAge": 300}
    created = lam.create_function_url_config(FunctionName="web", AuthType="NONE", Cors=cors)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    match = URL_ID.fullmatch(created["FunctionUrl"])
    assert match and int(match.group(2)) == urlsplit(cloudlet.endpoint).port
    assert created["FunctionArn"] == arn
    assert (created["AuthType"], created["InvokeMode"], created["Cors"]) == ("NONE", "BUFFERED", cors)
    assert "LastModifiedTime" not in created
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", created["CreationTime"])

    got = lam.get_function_url_config(FunctionName="web")
    assert got["FunctionUrl"] == created["FunctionUrl"]
    assert got["CreationTime"] == created["CreationTime"] and got["LastModifiedTime"] >= got["CreationTime"]

    updated = lam.update_function_url_config(FunctionName=arn, AuthType="AWS_IAM", InvokeMode="RESPONSE_STREAM")
    assert (updated["AuthType"], updated["InvokeMode"], updated["Cors"]) == ("AWS_IAM", "RESPONSE_STREAM", cors)
    assert updated["FunctionUrl"] == created["FunctionUrl"]
    updated = lam.update_function_url_config(FunctionName="web", Cors={"AllowOrigins": ["*"]})
    assert updated["Cors"] == {"AllowOrigins": ["*"]} and updated["AuthType"] == "AWS_IAM"

    with pytest.raises(ClientError) as info:
        lam.create_function_url_config(FunctionName="web", AuthType="NONE")
    assert error(info) == ("ResourceConflictException", 409)
    assert "FunctionUrlConfig exists" in info.value.response["Error"]["Message"]

    deleted = lam.delete_function_url_config(FunctionName="web")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    for call_ in (lambda: lam.get_function_url_config(FunctionName="web"),
                  lambda: lam.delete_function_url_config(FunctionName="web"),
                  lambda: lam.update_function_url_config(FunctionName="web", AuthType="NONE")):
        with pytest.raises(ClientError) as info:
            call_()
        assert error(info) == ("ResourceNotFoundException", 404)
    again = lam.create_function_url_config(FunctionName="web", AuthType="NONE")
    assert again["FunctionUrl"] != created["FunctionUrl"]  # a new URL is a new address


def test_alias_urls_and_listing(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "web", source=WEB, Publish=True)
    for alias in ("blue", "green"):
        lam.create_alias(FunctionName="web", Name=alias, FunctionVersion="1")
    plain = lam.create_function_url_config(FunctionName="web", AuthType="NONE")
    blue = lam.create_function_url_config(FunctionName="web", Qualifier="blue", AuthType="NONE")
    green = lam.create_function_url_config(FunctionName="web:green", AuthType="AWS_IAM")
    assert blue["FunctionArn"].endswith(":function:web:blue")
    assert green["FunctionArn"].endswith(":function:web:green")
    assert len({plain["FunctionUrl"], blue["FunctionUrl"], green["FunctionUrl"]}) == 3
    assert lam.get_function_url_config(FunctionName="web", Qualifier="green")["AuthType"] == "AWS_IAM"

    listed = lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"]
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in listed] == ["web", "blue", "green"]
    assert all("LastModifiedTime" in c for c in listed)
    pages, marker = [], None
    while True:
        page = lam.list_function_url_configs(FunctionName="web", MaxItems=2, **({"Marker": marker} if marker else {}))
        pages.append([c["FunctionUrl"] for c in page["FunctionUrlConfigs"]])
        marker = page.get("NextMarker")
        if not marker:
            break
    assert pages == [[plain["FunctionUrl"], blue["FunctionUrl"]], [green["FunctionUrl"]]]

    lam.delete_alias(FunctionName="web", Name="blue")  # the alias's URL goes with it
    assert len(lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"]) == 2
    lam.create_alias(FunctionName="web", Name="blue", FunctionVersion="1")
    with pytest.raises(ClientError) as info:
        lam.get_function_url_config(FunctionName="web", Qualifier="blue")
    assert error(info) == ("ResourceNotFoundException", 404)

    lam.delete_function(FunctionName="web")  # and every URL goes with the function
    create(lam, "web", source=WEB)
    assert lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"] == []
    status, _, _ = call(path_form(cloudlet, plain) + "/")
    assert status == 403


def test_targets_that_do_not_exist_or_are_refused(cloudlet):
    lam = cloudlet.client("lambda")
    raw = unvalidated(cloudlet)
    for kwargs in ({"FunctionName": "nothing"}, {"FunctionName": "nothing", "Qualifier": "live"}):
        with pytest.raises(ClientError) as info:
            lam.create_function_url_config(AuthType="NONE", **kwargs)
        assert error(info) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as info:
        lam.list_function_url_configs(FunctionName="nothing")
    assert error(info) == ("ResourceNotFoundException", 404)
    create(lam, "web", source=WEB, Publish=True)
    with pytest.raises(ClientError) as info:
        lam.create_function_url_config(FunctionName="web", Qualifier="live", AuthType="NONE")
    assert error(info) == ("ResourceNotFoundException", 404)
    # a version number or $LATEST is not a URL qualifier: the model's pattern refuses them
    for kwargs in ({"FunctionName": "web", "Qualifier": "1"}, {"FunctionName": "web", "Qualifier": "$LATEST"},
                   {"FunctionName": "web:1"}):
        with pytest.raises(ClientError) as info:
            raw.create_function_url_config(AuthType="NONE", **kwargs)
        assert error(info) == ("ValidationException", 400)
    with pytest.raises(ClientError) as info:
        raw.create_function_url_config(FunctionName="web", AuthType="OPEN")
    assert error(info) == ("ValidationException", 400)
    assert lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"] == []


@pytest.mark.parametrize("cors, code", [
    ({"AllowMethods": ["GET", "FETCH"]}, "InvalidParameterValueException"),
    ({"AllowOrigins": ["https://ok.example/path"]}, "InvalidParameterValueException"),
    ({"AllowOrigins": ["not an origin"]}, "InvalidParameterValueException"),
    ({"AllowHeaders": ["x-ok", "bad header"]}, "InvalidParameterValueException"),
    ({"MaxAge": 86401}, "ValidationException"),
    ({"MaxAge": -1}, "ValidationException"),
    ({"AllowMethods": ["GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*"]}, "ValidationException"),
    ({"AllowMethods": ["OPTIONS"]}, "ValidationException"),
    ({"AllowOrigins": ["https://" + "a" * 250]}, "ValidationException"),
])
def test_bad_cors_is_refused_and_changes_nothing(cloudlet, cors, code):
    lam, raw = cloudlet.client("lambda"), unvalidated(cloudlet)
    create(lam, "web", source=WEB)
    with pytest.raises(ClientError) as info:
        raw.create_function_url_config(FunctionName="web", AuthType="NONE", Cors=cors)
    assert error(info) == (code, 400)
    with pytest.raises(ClientError) as info:
        lam.get_function_url_config(FunctionName="web")
    assert error(info) == ("ResourceNotFoundException", 404)
    good = {"AllowOrigins": ["https://app.example"], "AllowCredentials": True, "ExposeHeaders": ["x-custom"]}
    before = lam.create_function_url_config(FunctionName="web", AuthType="NONE", Cors=good)
    with pytest.raises(ClientError) as info:
        raw.update_function_url_config(FunctionName="web", AuthType="AWS_IAM", Cors=cors)
    assert error(info) == (code, 400)
    after = lam.get_function_url_config(FunctionName="web")
    assert (after["Cors"], after["AuthType"], after["FunctionUrl"]) == (good, "NONE", before["FunctionUrl"])


def test_add_permission_writes_the_url_conditions(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "web", source=WEB)
    allow_public(lam, "web")
    statements = json.loads(lam.get_policy(FunctionName="web")["Policy"])["Statement"]
    assert statements[0]["Action"] == "lambda:InvokeFunctionUrl" and statements[0]["Principal"] == "*"
    assert statements[0]["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}
    assert statements[1]["Action"] == "lambda:InvokeFunction"
    assert statements[1]["Condition"] == {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}


# -- serving --------------------------------------------------------------------------------------
def test_none_auth_url_needs_both_permissions(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "web", source=WEB)
    base = path_form(cloudlet, lam.create_function_url_config(FunctionName="web", AuthType="NONE"))
    status, headers, body = call(base + "/")
    assert (status, json.loads(body)["Message"].split(".")[0]) == (403, "Forbidden")
    assert header(headers, "x-amzn-ErrorType") == "AccessDeniedException" and header(headers, "x-amzn-RequestId")
    lam.add_permission(FunctionName="web", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="NONE")
    assert call(base + "/")[0] == 403  # lambda:InvokeFunction is needed too
    lam.add_permission(FunctionName="web", StatementId="wrong", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com")
    assert call(base + "/")[0] == 403  # a statement for another principal does not count
    lam.add_permission(FunctionName="web", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*",
                       InvokedViaFunctionUrl=True)
    assert call(base + "/")[0] == 201
    lam.remove_permission(FunctionName="web", StatementId="url")
    lam.add_permission(FunctionName="web", StatementId="iam-only", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="AWS_IAM")
    assert call(base + "/")[0] == 403  # the condition names the other auth type


def test_unknown_url_is_forbidden(cloudlet):
    status, _, body = call(f"{cloudlet.endpoint}/_cloudlet/lambda-url/{'x' * 32}/anything")
    assert (status, json.loads(body)) == (403, {"Message": None})
    status, _, _ = call(f"{cloudlet.endpoint}/", headers={"Host": f"{'y' * 32}.lambda-url.us-east-1.localhost"})
    assert status == 403


def test_request_becomes_a_payload_2_event(cloudlet):
    base = public_url(cloudlet)
    status, headers, body = call(base + "/a/b%20c?x=1&x=2&flag&q=a%2Bb", "POST", b'{"k": 1}',
                                 {"Content-Type": "application/json", "Cookie": "c1=v1; c2=v2",
                                  "X-Multi": "one", "User-Agent": "tester/1"})
    assert status == 201
    event = json.loads(body)["event"]
    assert (event["version"], event["routeKey"]) == ("2.0", "$default")
    assert event["rawPath"] == "/a/b%20c"
    assert event["rawQueryString"] == "x=1&x=2&flag&q=a%2Bb"
    assert event["queryStringParameters"] == {"x": "1,2", "flag": "", "q": "a+b"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["content-type"] == "application/json"
    assert event["headers"]["x-multi"] == "one" and event["headers"]["x-forwarded-proto"] == "http"
    assert (event["body"], event["isBase64Encoded"]) == ('{"k": 1}', False)
    ctx = event["requestContext"]
    uid = base.rsplit("/", 1)[1]
    assert (ctx["apiId"], ctx["domainPrefix"], ctx["accountId"]) == (uid, uid, cloudlet.account_id)
    assert ctx["domainName"] == f"{uid}.lambda-url.us-east-1.localhost"
    assert ctx["http"] == {"method": "POST", "path": "/a/b c", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                           "userAgent": "tester/1"}
    assert (ctx["routeKey"], ctx["stage"]) == ("$default", "$default")
    assert ctx["requestId"] == header(headers, "x-amzn-RequestId")
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", ctx["time"])
    assert isinstance(ctx["timeEpoch"], int) and "authorizer" not in ctx

    # a binary body arrives base64-encoded; no query string means no queryStringParameters
    raw = bytes(range(256))
    event = json.loads(call(base + "/", "PUT", raw, {"Content-Type": "application/octet-stream"})[2])["event"]
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == raw
    assert "queryStringParameters" not in event and "cookies" not in event and event["rawQueryString"] == ""
    event = json.loads(call(base, "GET")[2])["event"]
    assert event["rawPath"] == "/" and "body" not in event and event["isBase64Encoded"] is False


def test_host_form_reaches_the_same_function(cloudlet):
    base = public_url(cloudlet)
    uid = base.rsplit("/", 1)[1]
    host = f"{uid}.lambda-url.us-east-1.localhost:{urlsplit(cloudlet.endpoint).port}"
    status, _, body = call(cloudlet.endpoint + "/deep/path?z=9", headers={"Host": host})
    assert status == 201
    event = json.loads(body)["event"]
    assert (event["rawPath"], event["queryStringParameters"]) == ("/deep/path", {"z": "9"})
    assert event["requestContext"]["domainName"] == f"{uid}.lambda-url.us-east-1.localhost"
    status, _, _ = call(cloudlet.endpoint + "/", headers={"Host": f"{uid}.lambda-url.eu-west-1.localhost"})
    assert status == 403  # a URL answers in its own region only


def test_function_answers_map_to_http_responses(cloudlet):
    base = public_url(cloudlet)
    status, headers, body = call(base + "/custom")
    assert status == 201
    assert header(headers, "X-Custom") == "yes" and header(headers, "Content-Type") == "application/json"
    assert [v for k, v in headers if k.lower() == "set-cookie"] == ["a=1; Path=/", "b=2; Max-Age=60"]
    assert header(headers, "X-Amz-Executed-Version") == "$LATEST"

    status, headers, body = call(base + "/plain")  # no statusCode: the JSON itself, as the function wrote it
    assert (status, header(headers, "Content-Type")) == (200, "application/json")
    assert json.loads(body) == {"answer": 42, "list": [1, 2]}
    status, _, body = call(base + "/text")  # a string: its text
    assert (status, body) == (200, b"Hello, world!")
    status, headers, body = call(base + "/binary")
    assert (status, header(headers, "Content-Type"), body) == (200, "image/png", bytes(range(256)))

    status, headers, body = call(base + "/framing")  # the edge frames the response itself
    assert (status, body, header(headers, "Content-Length")) == (200, b"short", "5")
    assert header(headers, "Connection") != "close" and header(headers, "X-Kept") == "1"
    for path in ("/boom", "/bad-status", "/raw-bytes", "/bad-header", "/bad-name"):
        status, headers, body = call(base + path)
        assert (status, body) == (502, b"Internal Server Error"), path
        assert header(headers, "x-amzn-RequestId")


def test_cors_preflight_and_response_headers(cloudlet):
    cors = {"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["x-custom", "content-type"], "ExposeHeaders": ["x-custom"], "MaxAge": 600,
            "AllowCredentials": True}
    # the function fails every request: a preflight answered from the configuration never reaches it
    base = public_url(cloudlet, source="def handler(e, c):\n    raise RuntimeError('invoked')\n", Cors=cors)
    status, headers, body = call(base + "/x", "OPTIONS", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert (status, body) == (200, b"")
    assert header(headers, "Access-Control-Allow-Origin") == "https://app.example"
    assert header(headers, "Access-Control-Allow-Methods") == "GET,POST"
    assert header(headers, "Access-Control-Allow-Headers") == "x-custom,content-type"
    assert header(headers, "Access-Control-Max-Age") == "600"
    assert header(headers, "Access-Control-Allow-Credentials") == "true"
    status, headers, _ = call(base + "/x", "OPTIONS", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert status == 200 and header(headers, "Access-Control-Allow-Origin") is None
    assert call(base + "/x", "OPTIONS")[0] == 502  # not a preflight: the function is invoked


def test_configured_cors_headers_win_over_the_functions(cloudlet):
    cors = {"AllowOrigins": ["https://app.example"], "ExposeHeaders": ["x-custom"]}
    base = public_url(cloudlet, Cors=cors)
    status, headers, _ = call(base + "/", headers={"Origin": "https://app.example"})
    assert status == 201
    assert [v for k, v in headers if k.lower() == "access-control-allow-origin"] == ["https://app.example"]
    assert header(headers, "Access-Control-Expose-Headers") == "x-custom"
    status, headers, _ = call(base + "/", headers={"Origin": "https://other.example"})
    assert header(headers, "Access-Control-Allow-Origin") == "https://function.example"  # the function's own
    assert header(headers, "Access-Control-Expose-Headers") is None


def test_wildcard_origin(cloudlet):
    base = public_url(cloudlet, Cors={"AllowOrigins": ["*"], "AllowMethods": ["*"]})
    _, headers, _ = call(base + "/", "OPTIONS", headers={"Origin": "https://a.example",
                                                        "Access-Control-Request-Method": "DELETE"})
    assert header(headers, "Access-Control-Allow-Origin") == "*"
    assert header(headers, "Access-Control-Allow-Methods") == "*"


def test_throttled_url_answers_429(cloudlet):
    base = public_url(cloudlet)
    cloudlet.client("lambda").put_function_concurrency(FunctionName="web", ReservedConcurrentExecutions=0)
    status, headers, body = call(base + "/")
    assert (status, json.loads(body)) == (429, {"Message": "Rate Exceeded."})
    assert header(headers, "x-amzn-ErrorType") == "TooManyRequestsException"
    cloudlet.client("lambda").delete_function_concurrency(FunctionName="web")
    assert call(base + "/")[0] == 201


def test_event_over_6_mb_is_413(cloudlet):
    base = public_url(cloudlet)
    status, _, body = call(base + "/", "POST", b"x" * (6 * 1024 * 1024), {"Content-Type": "text/plain"})
    assert status == 413 and "6291456" in json.loads(body)["Message"]


def test_alias_url_runs_the_alias_version(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "web", source=WEB, Publish=True)
    lam.create_alias(FunctionName="web", Name="live", FunctionVersion="1")
    config = lam.create_function_url_config(FunctionName="web", Qualifier="live", AuthType="NONE")
    allow_public(lam, "web", Qualifier="live")
    status, headers, body = call(path_form(cloudlet, config) + "/")
    assert status == 201 and json.loads(body)["version"] == "1"
    assert header(headers, "X-Amz-Executed-Version") == "1"
    # the unqualified function's policy does not open the alias's URL
    lam.remove_permission(FunctionName="web", Qualifier="live", StatementId="url")
    allow_public(lam, "web")
    assert call(path_form(cloudlet, config) + "/")[0] == 403


def test_aws_iam_url_in_off_mode_takes_any_caller(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "web", source=WEB)
    base = path_form(cloudlet, lam.create_function_url_config(FunctionName="web", AuthType="AWS_IAM"))
    status, _, body = call(base + "/")
    assert status == 201
    iam = json.loads(body)["event"]["requestContext"]["authorizer"]["iam"]
    assert iam["accountId"] == cloudlet.account_id and iam["userArn"] == f"arn:aws:iam::{cloudlet.account_id}:root"


# -- AWS_IAM with SigV4 verified (strict mode) ----------------------------------------------------
OWNER = ("AKIAURLOWNER00000001", "owner-secret", "111111111111")
STRANGER = ("AKIAURLSTRANGER00002", "stranger-secret", "222222222222")


@pytest.fixture(scope="module")
def strict():
    server = start_server(auth="strict", credentials=f"{':'.join(OWNER)},{':'.join(STRANGER)}")
    yield server
    server.stop()


def strict_client(server, key=OWNER):
    return boto3.session.Session(aws_access_key_id=key[0], aws_secret_access_key=key[1],
                                 region_name="us-east-1").client(
        "lambda", endpoint_url=server.endpoint, config=Config(retries={"max_attempts": 1}))


def signed_call(url: str, key, secret: str | None = None, body: bytes = b"") -> tuple[int, dict]:
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(key[0], secret or key[1]), "lambda", "us-east-1").add_auth(request)
    status, _, raw = call(url, "POST", body, dict(request.headers.items()))
    return status, json.loads(raw)


def test_aws_iam_url_verifies_signatures(strict):
    lam = strict_client(strict)
    try:
        lam.delete_function(FunctionName="iam-web")
    except ClientError:
        pass
    create(lam, "iam-web", source=WEB, Role="arn:aws:iam::111111111111:role/lambda-role")
    config = lam.create_function_url_config(FunctionName="iam-web", AuthType="AWS_IAM")
    url = f"{strict.endpoint}/_cloudlet/lambda-url/{url_id(config)}/secure?a=1"

    status, body = signed_call(url, OWNER, body=b'{"x": 1}')
    assert status == 201
    iam = body["event"]["requestContext"]["authorizer"]["iam"]
    assert iam == {"accessKey": OWNER[0], "accountId": OWNER[2], "callerId": OWNER[2], "cognitoIdentity": None,
                   "principalOrgId": None, "userArn": f"arn:aws:iam::{OWNER[2]}:root", "userId": OWNER[2]}

    status, _, raw = call(url, "POST", b"{}")
    assert (status, json.loads(raw)) == (403, {"Message": "Forbidden"})
    status, body = signed_call(url, OWNER, secret="wrong-secret")
    assert status == 403 and "signature we calculated does not match" in body["Message"]

    # another account needs the function's policy to name it, for both actions
    assert signed_call(url, STRANGER)[0] == 403
    lam.add_permission(FunctionName="iam-web", StatementId="url", Action="lambda:InvokeFunctionUrl",
                       Principal=STRANGER[2], FunctionUrlAuthType="AWS_IAM")
    assert signed_call(url, STRANGER)[0] == 403
    lam.add_permission(FunctionName="iam-web", StatementId="invoke", Action="lambda:InvokeFunction",
                       Principal=STRANGER[2], InvokedViaFunctionUrl=True)
    status, body = signed_call(url, STRANGER)
    assert status == 201 and body["event"]["requestContext"]["authorizer"]["iam"]["accountId"] == STRANGER[2]


def test_url_invocations_are_logged_and_metered(cloudlet):
    base = public_url(cloudlet)
    status, headers, _ = call(base + "/")
    assert status == 201
    request_id = header(headers, "x-amzn-RequestId")
    logs = cloudlet.client("logs")

    def started():
        try:
            found = logs.filter_log_events(logGroupName="/aws/lambda/web", filterPattern=f'"{request_id}"')
        except ClientError:
            return None
        return [e["message"] for e in found["events"] if e["message"].startswith("START")]
    assert wait_for(started)[0].startswith(f"START RequestId: {request_id} Version: $LATEST")
    _, _, body = call(cloudlet.endpoint + "/_cloudlet/lambda/metering")
    arn = f"arn:aws:lambda:us-east-1:{cloudlet.account_id}:function:web"
    assert json.loads(body)["Functions"][arn]["Invocations"] >= 1


def test_alias_url_follows_routing_weights(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "web", source=WEB, Publish=True)
    lam.update_function_configuration(FunctionName="web", Description="second")
    lam.publish_version(FunctionName="web")
    lam.create_alias(FunctionName="web", Name="live", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 1.0}})
    config = lam.create_function_url_config(FunctionName="web", Qualifier="live", AuthType="NONE")
    allow_public(lam, "web", Qualifier="live")
    status, headers, body = call(path_form(cloudlet, config) + "/")
    assert (status, header(headers, "X-Amz-Executed-Version"), json.loads(body)["version"]) == (201, "2", "2")


def test_cli_configures_a_public_url(cloudlet, tmp_path):
    lam = cloudlet.client("lambda")
    create(lam, "web", source=WEB)

    def aws(*args: str) -> dict:
        return aws_cli(cloudlet, "lambda", *args)

    created = aws("create-function-url-config", "--function-name", "web", "--auth-type", "NONE",
                  "--cors", json.dumps({"AllowOrigins": ["https://app.example"], "MaxAge": 60}))
    assert created["Cors"] == {"AllowOrigins": ["https://app.example"], "MaxAge": 60}
    aws("add-permission", "--function-name", "web", "--statement-id", "url", "--action",
        "lambda:InvokeFunctionUrl", "--principal", "*", "--function-url-auth-type", "NONE")
    aws("add-permission", "--function-name", "web", "--statement-id", "invoke", "--action",
        "lambda:InvokeFunction", "--principal", "*", "--invoked-via-function-url")
    assert call(path_form(cloudlet, created) + "/cli")[0] == 201
    assert aws("get-function-url-config", "--function-name", "web")["FunctionUrl"] == created["FunctionUrl"]


def test_timeouts_and_oversized_answers_are_bad_gateways(cloudlet):
    source = """
import time
def handler(event, context):
    if event["rawPath"] == "/slow":
        time.sleep(3)
    return "x" * (7 * 1024 * 1024)
"""
    lam = cloudlet.client("lambda")
    create(lam, "web", source=source, Timeout=1)
    config = lam.create_function_url_config(FunctionName="web", AuthType="NONE")
    allow_public(lam, "web")
    for path in ("/slow", "/big"):
        status, headers, body = call(path_form(cloudlet, config) + path)
        assert (status, body) == (502, b"Internal Server Error"), path
