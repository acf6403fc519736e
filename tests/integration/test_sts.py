"""STS against a live server (auth off): identities, AssumeRole, GetSessionToken and their rules."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from cloudlet.testing.pytest_plugin import start_server

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service/app-role"


def error_of(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    err = info.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Message"]


def unvalidated(cloudlet):
    """An STS client that lets bad input through to the server."""
    return cloudlet.client("sts", config=BotoConfig(parameter_validation=False, retries={"max_attempts": 1}))


def temp_client(cloudlet, creds, service="sts"):
    return cloudlet.session.client(
        service,
        endpoint_url=cloudlet.endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def stored_credentials(cloudlet) -> int:
    with cloudlet.platform.store.read() as conn:
        return conn.scalar("SELECT COUNT(*) FROM sts_credentials")


def test_assume_role_returns_credentials_and_user(cloudlet):
    before = dt.datetime.now(dt.UTC)
    out = cloudlet.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="build@ci", DurationSeconds=900)
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40
    assert len(creds["SessionToken"]) > 100
    expected = before + dt.timedelta(seconds=900)
    assert abs((creds["Expiration"] - expected).total_seconds()) < 5
    user = out["AssumedRoleUser"]
    assert user["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/build@ci"
    role_id, session = user["AssumedRoleId"].split(":")
    assert role_id.startswith("AROA") and len(role_id) == 21 and session == "build@ci"
    identity = temp_client(cloudlet, creds).get_caller_identity()
    assert identity == {
        "UserId": user["AssumedRoleId"],
        "Account": ACCOUNT,
        "Arn": user["Arn"],
        "ResponseMetadata": identity["ResponseMetadata"],
    }


def test_role_id_is_stable_per_role(cloudlet):
    sts = cloudlet.client("sts")
    a = sts.assume_role(RoleArn=ROLE, RoleSessionName="one")["AssumedRoleUser"]["AssumedRoleId"]
    b = sts.assume_role(RoleArn=ROLE, RoleSessionName="two")["AssumedRoleUser"]["AssumedRoleId"]
    c = sts.assume_role(RoleArn=ROLE + "2", RoleSessionName="one")["AssumedRoleUser"]["AssumedRoleId"]
    assert a.split(":")[0] == b.split(":")[0] != c.split(":")[0]


def test_assume_role_default_duration_is_one_hour(cloudlet):
    before = dt.datetime.now(dt.UTC)
    creds = cloudlet.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="s1")["Credentials"]
    assert abs((creds["Expiration"] - before).total_seconds() - 3600) < 5


@pytest.mark.parametrize("duration", [899, 43201, -1])
def test_assume_role_duration_bounds(cloudlet, duration):
    before = stored_credentials(cloudlet)
    code, status, message = error_of(
        unvalidated(cloudlet).assume_role, RoleArn=ROLE, RoleSessionName="s1", DurationSeconds=duration
    )
    assert (code, status) == ("ValidationError", 400)
    assert "at 'durationSeconds' failed to satisfy constraint" in message
    assert stored_credentials(cloudlet) == before


def test_assume_role_longest_duration(cloudlet):
    creds = cloudlet.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="s1", DurationSeconds=43200)
    remaining = creds["Credentials"]["Expiration"] - dt.datetime.now(dt.UTC)
    assert 43190 < remaining.total_seconds() <= 43200


@pytest.mark.parametrize(
    "params",
    [
        {"RoleArn": "arn:aws:iam::000000000000:user/someone", "RoleSessionName": "s"},
        {"RoleArn": "not-an-arn-but-long-enough", "RoleSessionName": "s1"},
        {"RoleArn": ROLE, "RoleSessionName": "x"},  # too short
        {"RoleArn": ROLE, "RoleSessionName": "has space"},
        {"RoleArn": ROLE, "RoleSessionName": "s" * 65},
        {"RoleArn": ROLE},
    ],
)
def test_assume_role_bad_input(cloudlet, params):
    before = stored_credentials(cloudlet)
    code, status, _ = error_of(unvalidated(cloudlet).assume_role, **params)
    assert (code, status) == ("ValidationError", 400)
    assert stored_credentials(cloudlet) == before


def test_assume_role_in_another_account_when_auth_is_off(cloudlet):
    out = cloudlet.client("sts").assume_role(RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="s1")
    identity = temp_client(cloudlet, out["Credentials"]).get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/x/s1"


def test_role_chaining_is_limited_to_one_hour(cloudlet):
    creds = cloudlet.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="first")["Credentials"]
    chained = temp_client(cloudlet, creds)
    code, status, message = error_of(
        chained.assume_role, RoleArn=ROLE, RoleSessionName="second", DurationSeconds=3601
    )
    assert (code, status) == ("ValidationError", 400)
    assert "role chaining" in message
    out = chained.assume_role(RoleArn=ROLE, RoleSessionName="second", DurationSeconds=3600)
    assert out["AssumedRoleUser"]["Arn"].endswith("assumed-role/app-role/second")


def test_source_identity_is_returned(cloudlet):
    out = cloudlet.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="s1", SourceIdentity="alice")
    assert out["SourceIdentity"] == "alice"


def test_get_session_token_for_the_account_owner_is_capped_at_one_hour(cloudlet):
    sts = cloudlet.client("sts")
    for kwargs in ({}, {"DurationSeconds": 129600}):
        creds = sts.get_session_token(**kwargs)["Credentials"]
        remaining = (creds["Expiration"] - dt.datetime.now(dt.UTC)).total_seconds()
        assert 3590 < remaining <= 3600
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    session = temp_client(cloudlet, creds)
    identity = session.get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:root" and identity["UserId"] == ACCOUNT
    code, status, _ = error_of(session.get_session_token)
    assert (code, status) == ("AccessDenied", 403)
    code, status, _ = error_of(unvalidated(cloudlet).get_session_token, DurationSeconds=100)
    assert (code, status) == ("ValidationError", 400)


def test_other_operations_are_not_implemented(cloudlet):
    code, status, _ = error_of(cloudlet.client("sts").decode_authorization_message, EncodedMessage="x")
    assert (code, status) == ("NotImplemented", 501)


def test_get_federation_token(cloudlet):
    sts = cloudlet.client("sts")
    out = sts.get_federation_token(Name="bob@ci", DurationSeconds=7200)
    assert out["FederatedUser"] == {
        "FederatedUserId": f"{ACCOUNT}:bob@ci",
        "Arn": f"arn:aws:sts::{ACCOUNT}:federated-user/bob@ci",
    }
    assert out["PackedPolicySize"] == 0  # always present here, 0 without a session policy
    remaining = (out["Credentials"]["Expiration"] - dt.datetime.now(dt.UTC)).total_seconds()
    assert 3590 < remaining <= 3600  # account owners get at most one hour
    federated = temp_client(cloudlet, out["Credentials"])
    identity = federated.get_caller_identity()
    assert (identity["UserId"], identity["Arn"]) == (f"{ACCOUNT}:bob@ci", out["FederatedUser"]["Arn"])
    for call, kwargs in (
        (federated.get_federation_token, {"Name": "again"}),
        (federated.get_session_token, {}),
        (federated.assume_role, {"RoleArn": ROLE, "RoleSessionName": "s1"}),
    ):
        assert error_of(call, **kwargs)[:2] == ("AccessDenied", 403)
    policy = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
    )
    assert sts.get_federation_token(Name="carol", Policy=policy)["PackedPolicySize"] > 0
    before = stored_credentials(cloudlet)
    for params in (
        {"Name": "x"},
        {"Name": "has space"},
        {"Name": "n" * 33},
        {"Name": "ok", "DurationSeconds": 899},
    ):
        assert error_of(unvalidated(cloudlet).get_federation_token, **params)[:2] == ("ValidationError", 400)
    assert error_of(sts.get_federation_token, Name="dave", Policy="{not json")[:2] == (
        "MalformedPolicyDocument",
        400,
    )
    assert stored_credentials(cloudlet) == before


def test_assume_role_session_policy_must_be_json(cloudlet):
    sts = cloudlet.client("sts")
    before = stored_credentials(cloudlet)
    for policy in ("{not json", "[1, 2]"):
        code, status, _ = error_of(sts.assume_role, RoleArn=ROLE, RoleSessionName="s1", Policy=policy)
        assert (code, status) == ("MalformedPolicyDocument", 400)
    assert stored_credentials(cloudlet) == before
    out = sts.assume_role(
        RoleArn=ROLE,
        RoleSessionName="s1",
        Policy='{"Version": "2012-10-17", "Statement": []}',
        Tags=[{"Key": "team", "Value": "ci"}],
    )
    assert 0 < out["PackedPolicySize"] <= 100
    assert "PackedPolicySize" not in sts.assume_role(RoleArn=ROLE, RoleSessionName="s2")


def test_get_access_key_info(cloudlet):
    sts = cloudlet.client("sts")
    creds = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="s1")["Credentials"]
    assert sts.get_access_key_info(AccessKeyId=creds["AccessKeyId"])["Account"] == "123456789012"
    assert sts.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")["Account"] == ACCOUNT
    code, status, _ = error_of(unvalidated(cloudlet).get_access_key_info, AccessKeyId="short")
    assert (code, status) == ("ValidationError", 400)


def test_issue_role_credentials_for_other_services(cloudlet):
    platform = cloudlet.platform

    async def issue():
        sts = await platform.service("sts")
        return await platform.run_sync(
            sts.issue_role_credentials,
            "123456789012",
            "arn:aws:iam::123456789012:role/fn-exec",
            "my-function",
            900,
        )

    credential = cloudlet.server.call(issue)
    assert credential.access_key.startswith("ASIA")
    client = cloudlet.session.client(
        "sts",
        endpoint_url=cloudlet.endpoint,
        aws_access_key_id=credential.access_key,
        aws_secret_access_key=credential.secret_key,
        aws_session_token=credential.session_token,
    )
    identity = client.get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/fn-exec/my-function"


def jwt(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_assume_role_with_web_identity(cloudlet):
    sts = cloudlet.client("sts")
    token = jwt(
        {
            "iss": "https://token.actions.githubusercontent.com",
            "sub": "repo:org/app:ref:refs/heads/main",
            "aud": "sts.amazonaws.com",
            "exp": int(time.time()) + 600,
        }
    )
    out = sts.assume_role_with_web_identity(
        RoleArn="arn:aws:iam::123456789012:role/ci/deploy", RoleSessionName="gha", WebIdentityToken=token
    )
    assert out["SubjectFromWebIdentityToken"] == "repo:org/app:ref:refs/heads/main"
    assert out["Audience"] == "sts.amazonaws.com"
    assert out["Provider"] == "https://token.actions.githubusercontent.com"
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/deploy/gha"
    remaining = (out["Credentials"]["Expiration"] - dt.datetime.now(dt.UTC)).total_seconds()
    assert 3590 < remaining <= 3600
    identity = temp_client(cloudlet, out["Credentials"]).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == ("123456789012", out["AssumedRoleUser"]["Arn"])
    oauth = sts.assume_role_with_web_identity(
        RoleArn=ROLE,
        RoleSessionName="app1",
        WebIdentityToken=jwt({"sub": "amzn1.account.X", "aud": ["client.1"]}),
        ProviderId="www.amazon.com",
        DurationSeconds=900,
    )
    assert (oauth["Provider"], oauth["Audience"]) == ("www.amazon.com", "client.1")


def test_assume_role_with_web_identity_refusals(cloudlet):
    sts = unvalidated(cloudlet)
    before = stored_credentials(cloudlet)
    good = {"RoleArn": ROLE, "RoleSessionName": "s1"}
    cases = [
        ({"WebIdentityToken": "not-a-jwt"}, "InvalidIdentityToken", 400),
        ({"WebIdentityToken": "a.b.c"}, "InvalidIdentityToken", 400),
        ({"WebIdentityToken": jwt({"sub": "x", "exp": int(time.time()) - 10})}, "ExpiredTokenException", 400),
        (
            {"WebIdentityToken": jwt({"sub": "x"}), "RoleArn": "arn:aws:iam::000000000000:user/u"},
            "ValidationError",
            400,
        ),
        ({"WebIdentityToken": jwt({"sub": "x"}), "RoleSessionName": "a b"}, "ValidationError", 400),
        ({"WebIdentityToken": jwt({"sub": "x"}), "DurationSeconds": 43201}, "ValidationError", 400),
        ({"WebIdentityToken": "abc"}, "ValidationError", 400),
        ({"WebIdentityToken": jwt({"sub": "x"}), "Policy": "nope"}, "MalformedPolicyDocument", 400),
    ]
    for params, code, status in cases:
        assert error_of(sts.assume_role_with_web_identity, **{**good, **params})[:2] == (code, status), params
    assert stored_credentials(cloudlet) == before


def test_web_identity_needs_no_signature_in_strict_mode():
    server = start_server(auth="strict", credentials="AKIASTRICTEXAMPLE001:secret:111111111111")
    try:
        unsigned = boto3.session.Session(region_name="us-east-1")
        sts = unsigned.client(
            "sts", endpoint_url=server.endpoint, config=BotoConfig(signature_version=UNSIGNED)
        )
        out = sts.assume_role_with_web_identity(
            RoleArn="arn:aws:iam::111111111111:role/ci",
            RoleSessionName="s1",
            WebIdentityToken=jwt({"sub": "x"}),
        )
        role = unsigned.client(
            "sts",
            endpoint_url=server.endpoint,
            aws_access_key_id=out["Credentials"]["AccessKeyId"],
            aws_secret_access_key=out["Credentials"]["SecretAccessKey"],
            aws_session_token=out["Credentials"]["SessionToken"],
        )
        assert role.get_caller_identity()["Arn"] == "arn:aws:sts::111111111111:assumed-role/ci/s1"
        # every other operation still needs a signature
        code, status, _ = error_of(sts.get_caller_identity)
        assert (code, status) == ("MissingAuthenticationToken", 403)
    finally:
        server.stop()
