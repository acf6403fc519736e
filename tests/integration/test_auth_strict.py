"""Strict mode: every request SigV4-verified against configured keys and STS credentials."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request

import boto3
import botocore.auth
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from polling import Window

from cloudlet.testing.pytest_plugin import start_server

ADMIN = ("AKIAADMINEXAMPLE0001", "admin/secret+key", "111111111111")
OTHER = ("AKIAOTHEREXAMPLE002", "other-secret", "222222222222")
USER = ("AKIAUSEREXAMPLE0003", "user-secret", "111111111111")
CREDENTIALS = f"{':'.join(ADMIN)},{':'.join(OTHER)},{':'.join(USER)}:user"
NO_RETRY = BotoConfig(retries={"max_attempts": 1})


@pytest.fixture(scope="module")
def strict():
    server = start_server(auth="strict", credentials=CREDENTIALS)
    yield server
    server.stop()


def client(server, service, key=ADMIN, token=None, **config):
    return boto3.session.Session(
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        aws_session_token=token,
        region_name="us-east-1",
    ).client(service, endpoint_url=server.endpoint, config=BotoConfig(retries={"max_attempts": 1}, **config))


def error_of(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as info:
        call()
    err = info.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"].get("Message", "")


def test_configured_keys_map_to_their_accounts(strict):
    assert client(strict, "sts").get_caller_identity()["Account"] == "111111111111"
    other = client(strict, "sts", OTHER).get_caller_identity()
    assert other["Account"] == "222222222222"
    assert other["Arn"] == "arn:aws:iam::222222222222:root"
    assert other["UserId"] == "222222222222"


def test_unknown_key_is_invalid_client_token_id(strict):
    code, status, message = error_of(client(strict, "sts", ("AKIANOBODY", "x", "")).get_caller_identity)
    assert (code, status) == ("InvalidClientTokenId", 403)
    assert message == "The security token included in the request is invalid."


def test_wrong_secret_is_signature_does_not_match(strict):
    code, status, message = error_of(client(strict, "sts", (ADMIN[0], "wrong", "")).get_caller_identity)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith(
        "The request signature we calculated does not match the signature you provided."
    )


def test_unsigned_request_is_missing_authentication_token(strict):
    code, status, message = error_of(client(strict, "sts", signature_version=UNSIGNED).get_caller_identity)
    assert (code, status, message) == (
        "MissingAuthenticationToken",
        403,
        "Request is missing Authentication Token",
    )


def test_json_protocol_errors_use_json_codes(strict):
    # SQS speaks JSON and is query-compatible: the JSON type plus the legacy code in x-amzn-query-error.
    sqs = client(strict, "sqs", ("AKIANOBODY", "x", ""))
    with pytest.raises(ClientError) as info:
        sqs.list_queues()
    response = info.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"]["Code"] == "InvalidClientTokenId"
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "UnrecognizedClientException"
    code, status, _ = error_of(client(strict, "sqs", (ADMIN[0], "wrong", "")).list_queues)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    code, status, _ = error_of(client(strict, "sqs", signature_version=UNSIGNED).list_queues)
    assert (code, status) == ("MissingAuthenticationToken", 403)


@pytest.mark.parametrize("minutes, text", [(-20, "Signature expired: "), (20, "Signature not yet current: ")])
def test_outside_clock_skew(strict, monkeypatch, minutes, text):
    skewed = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=minutes)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: skewed)
    code, status, message = error_of(client(strict, "sts").get_caller_identity)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith(text)


def test_within_clock_skew(strict, monkeypatch):
    skewed = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=14)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: skewed)
    assert client(strict, "sts").get_caller_identity()["Account"] == "111111111111"


def test_credential_scope_must_name_the_service(strict):
    request = AWSRequest(
        "POST",
        strict.endpoint + "/",
        data=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues"},
    )
    SigV4Auth(Credentials(ADMIN[0], ADMIN[1]), "sts", "us-east-1").add_auth(request)
    prepared = request.prepare()
    status, body = send(prepared.url, prepared.body, dict(prepared.headers))
    assert status == 403
    error = json.loads(body)
    assert error["__type"].endswith("InvalidSignatureException")
    assert error["message"] == "Credential should be scoped to correct service: 'sqs'. "


def send(url, body=None, headers=None, method=None):
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_unidentifiable_unsigned_request_is_refused_first(strict):
    status, body = send(strict.endpoint + "/no/such/api", method="GET")
    assert status == 403
    assert json.loads(body)["__type"] == "MissingAuthenticationTokenException"


def test_presigned_url(strict):
    sts = client(strict, "sts")
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    status, body = send(url)
    assert status == 200 and b"<Account>111111111111</Account>" in body
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")[:-1]
    status, body = send(tampered)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body


def test_presigned_url_expires(strict, monkeypatch):
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=120)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: old)
    url = client(strict, "sts").generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    status, body = send(url)
    assert status == 400
    assert b"<Code>RequestExpired</Code>" in body


# ---- temporary credentials ----------------------------------------------------------------------


def assume(server, key=ADMIN, **kwargs):
    kwargs.setdefault("RoleArn", f"arn:aws:iam::{key[2]}:role/app/worker")
    kwargs.setdefault("RoleSessionName", "job-1")
    return client(server, "sts", key).assume_role(**kwargs)["Credentials"]


def as_temp(server, creds, service="sts", token=True):
    key = (creds["AccessKeyId"], creds["SecretAccessKey"], "")
    return client(server, service, key, token=creds["SessionToken"] if token is True else token)


def test_assumed_role_credentials_are_accepted(strict):
    creds = assume(strict)
    identity = as_temp(strict, creds).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::111111111111:assumed-role/worker/job-1"
    assert identity["Account"] == "111111111111"
    assert identity["UserId"].startswith("AROA") and identity["UserId"].endswith(":job-1")


def test_assume_role_in_another_account_is_denied(strict):
    code, status, message = error_of(
        lambda: client(strict, "sts").assume_role(
            RoleArn=f"arn:aws:iam::{OTHER[2]}:role/x", RoleSessionName="s1"
        )
    )
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: arn:aws:iam::{ADMIN[2]}:root is not authorized to perform: sts:AssumeRole "
        f"on resource: arn:aws:iam::{OTHER[2]}:role/x"
    )


def test_temporary_key_needs_its_session_token(strict):
    creds = assume(strict)
    code, status, _ = error_of(as_temp(strict, creds, token=None).get_caller_identity)
    assert (code, status) == ("InvalidClientTokenId", 403)
    code, status, _ = error_of(
        as_temp(strict, creds, token=creds["SessionToken"][:-4] + "AAAA").get_caller_identity
    )
    assert (code, status) == ("InvalidClientTokenId", 403)
    code, status, _ = error_of(
        client(strict, "sts", (creds["AccessKeyId"], "wrong", ""), creds["SessionToken"]).get_caller_identity
    )
    assert (code, status) == ("SignatureDoesNotMatch", 403)


def test_permanent_key_with_a_session_token_is_refused(strict):
    code, status, _ = error_of(client(strict, "sts", ADMIN, token="made-up").get_caller_identity)
    assert (code, status) == ("InvalidClientTokenId", 403)


def test_expired_session_token(strict):
    sts = strict.call(strict.platform.service, "sts")
    window = Window(2.0)
    creds = strict.call(_issue, sts, 3)  # expires 2 to 3 s from now (whole seconds)
    with window.inside("using the credentials before they expire"):
        temp = client(strict, "sts", (creds.access_key, creds.secret_key, ""), creds.session_token)
        assert temp.get_caller_identity()["Arn"].endswith("assumed-role/fn-role/fn-session")
    time.sleep(max(0.0, creds.expires_at - time.time()) + 0.05)
    code, status, message = error_of(temp.get_caller_identity)
    assert (code, status) == ("ExpiredToken", 403)
    assert message == "The security token included in the request is expired"


async def _issue(sts, duration):
    return await sts.platform.run_sync(
        sts.issue_role_credentials,
        "111111111111",
        "arn:aws:iam::111111111111:role/fn-role",
        "fn-session",
        duration,
    )


def test_credentials_survive_restart_and_serve_other_nodes(tmp_path):
    a = start_server(auth="strict", credentials=CREDENTIALS, data_dir=str(tmp_path))
    try:
        creds = assume(a)
    finally:
        a.stop()
    b = start_server(auth="strict", credentials=CREDENTIALS, data_dir=str(tmp_path))
    c = start_server(auth="strict", credentials=CREDENTIALS, data_dir=str(tmp_path))
    try:
        assert as_temp(b, creds).get_caller_identity()["Arn"].endswith("assumed-role/worker/job-1")
        fresh = assume(c, RoleSessionName="on-c")
        assert as_temp(b, fresh).get_caller_identity()["Arn"].endswith("assumed-role/worker/on-c")
    finally:
        b.stop()
        c.stop()


# ---- POST /_cloudlet/reset ----------------------------------------------------------------------


def signed_reset(server, key):
    request = AWSRequest("POST", server.endpoint + "/_cloudlet/reset", data=b"")
    SigV4Auth(Credentials(key[0], key[1]), "cloudlet", "us-east-1").add_auth(request)
    prepared = request.prepare()
    return send(prepared.url, b"", dict(prepared.headers), method="POST")


def test_reset_needs_a_signed_admin_request(strict):
    status, body = send(strict.endpoint + "/_cloudlet/reset", b"", method="POST")
    assert status == 403 and json.loads(body)["error"] == "AccessDenied"
    assert signed_reset(strict, USER)[0] == 403  # a configured key, but not an admin
    assert signed_reset(strict, (ADMIN[0], "wrong", ""))[0] == 403
    creds = assume(strict)
    status, body = signed_reset(strict, ADMIN)
    assert status == 200 and json.loads(body) == {"reset": True}
    code, status, _ = error_of(as_temp(strict, creds).get_caller_identity)  # the reset wiped STS sessions
    assert (code, status) == ("InvalidClientTokenId", 403)
