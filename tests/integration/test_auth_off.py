"""Auth off (the loopback default): any signature passes; keys still say which account calls."""

from __future__ import annotations

import pytest

from cloudlet.testing.pytest_plugin import start_server

KEY = ("AKIACONFIGURED000001", "secret", "333333333333")


@pytest.fixture(scope="module")
def off():
    server = start_server(auth="off", credentials=":".join(KEY), account_id="444444444444")
    yield server
    server.stop()


def identity(server, key, secret="anything", token=None):
    import boto3

    return boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        region_name="eu-central-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    ).get_caller_identity()


def test_unknown_key_maps_to_the_default_account(off):
    assert identity(off, "whoever")["Account"] == "444444444444"


def test_configured_key_maps_to_its_account_whatever_the_signature(off):
    out = identity(off, KEY[0], secret="not-the-secret")
    assert out["Account"] == "333333333333" and out["Arn"] == "arn:aws:iam::333333333333:root"


def test_temporary_credentials_keep_their_identity(off):
    import boto3

    sts = boto3.client(
        "sts",
        endpoint_url=off.endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY[0],
        aws_secret_access_key="x",
    )
    creds = sts.assume_role(RoleArn="arn:aws:iam::333333333333:role/r", RoleSessionName="s1")["Credentials"]
    out = identity(off, creds["AccessKeyId"], "wrong secret is fine when auth is off")
    assert out["Arn"] == "arn:aws:sts::333333333333:assumed-role/r/s1"


def test_unknown_temporary_key_maps_to_the_default_account(off):
    assert identity(off, "ASIAUNKNOWNKEY000000")["Account"] == "444444444444"


def test_off_mode_never_hashes(off, monkeypatch):
    from cloudlet.aws import sigv4

    def boom(*args, **kwargs):
        raise AssertionError("hashing in off mode")

    monkeypatch.setattr(sigv4, "verify", boom)
    monkeypatch.setattr(sigv4, "parse", boom)
    assert identity(off, KEY[0])["Account"] == "333333333333"


def test_reset_is_open_when_auth_is_off(cloudlet):
    cloudlet.reset()  # the fixture's plain POST, unsigned
