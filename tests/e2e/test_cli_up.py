"""`cloudlet up` as a subprocess: every flag from CLOUDLET_<NAME>, refusals, clean stop on signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from cloudlet.cli import build_parser
from cloudlet.config import Config
from cloudlet.server.runner import free_port

SRC = str(Path(__file__).resolve().parents[2] / "src")


def up_env(tmp_path, **env) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDLET_")}
    base["PYTHONPATH"] = SRC
    base["CLOUDLET_DATA_DIR"] = str(tmp_path / "data")
    base.update(env)
    return base


def launch(tmp_path, *flags, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cloudlet.cli", "up", *flags],
        env=up_env(tmp_path, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"cloudlet exited early: {proc.communicate()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_cloudlet/health", timeout=1) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.02)
    raise AssertionError("cloudlet did not answer /_cloudlet/health")


def stop(proc: subprocess.Popen, signum: int) -> int:
    proc.send_signal(signum)
    try:
        return proc.wait(timeout=3)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_every_up_flag_has_an_environment_variable():
    parser = build_parser()
    up = parser._subparsers._group_actions[0].choices["up"]  # argparse has no public accessor
    dests = {a.dest for a in up._actions if a.dest != "help"}
    fields = set(Config.__dataclass_fields__) - {"extra"}
    assert dests <= fields, dests - fields
    env = {f"CLOUDLET_{d.upper()}": "7" if d == "port" else f"v-{d}" for d in dests}
    config = Config.from_env(env)
    for dest in dests:
        assert getattr(config, dest) == (7 if dest == "port" else f"v-{dest}")
    # flags win over the environment
    assert Config.from_env(env, region="eu-west-3").region == "eu-west-3"


def test_environment_configures_a_strict_server(tmp_path):
    port = free_port()
    proc = launch(
        tmp_path,
        CLOUDLET_PORT=str(port),
        CLOUDLET_AUTH="strict",
        CLOUDLET_REGION="eu-west-1",
        CLOUDLET_ACCOUNT_ID="999999999999",
        CLOUDLET_CREDENTIALS="AKIAENVKEY0000000001:env-secret:123456789012",
        CLOUDLET_LOG_LEVEL="warning",
    )
    try:
        health = wait_healthy(port, proc)
        assert health["auth"] == "strict" and health["region"] == "eu-west-1"

        def sts(key, secret):
            return boto3.client(
                "sts",
                endpoint_url=f"http://127.0.0.1:{port}",
                region_name="eu-west-1",
                aws_access_key_id=key,
                aws_secret_access_key=secret,
            )

        assert sts("AKIAENVKEY0000000001", "env-secret").get_caller_identity()["Account"] == "123456789012"
        with pytest.raises(ClientError) as info:
            sts("AKIAOTHER", "x").get_caller_identity()
        assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"
    finally:
        assert stop(proc, signal.SIGTERM) == 0


def test_account_id_flag_overrides_environment(tmp_path):
    port = free_port()
    proc = launch(
        tmp_path, "--account-id", "555555555555", CLOUDLET_PORT=str(port), CLOUDLET_ACCOUNT_ID="111111111111"
    )
    try:
        wait_healthy(port, proc)
        sts = boto3.client(
            "sts",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        assert sts.get_caller_identity()["Account"] == "555555555555"
    finally:
        assert stop(proc, signal.SIGINT) == 0  # Ctrl-C


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_on_signals(tmp_path, signum):
    port = free_port()
    proc = launch(tmp_path, "--port", str(port))
    wait_healthy(port, proc)
    started = time.monotonic()
    assert stop(proc, signum) == 0
    assert time.monotonic() - started < 3
    assert "Traceback" not in proc.stderr.read()


@pytest.mark.parametrize(
    "flags, env, message",
    [
        (["--host", "0.0.0.0"], {}, "listening on 0.0.0.0 (beyond loopback)"),
        (["--auth", "strict"], {}, "--auth strict verifies every request, so it needs credentials"),
        ([], {"CLOUDLET_AUTH": "sometimes"}, "--auth must be off or strict"),
        ([], {"CLOUDLET_PORT": "http"}, "CLOUDLET_PORT must be a number"),
        ([], {"CLOUDLET_ACCOUNT_ID": "12"}, "--account-id must be 12 digits"),
        ([], {"CLOUDLET_CREDENTIALS": "AKIA1:topsecret"}, "bad credential entry for 'AKIA1'"),
        ([], {"CLOUDLET_CREDENTIALS": "AKIA1:topsecret:123"}, "the account must be 12 digits"),
        ([], {"CLOUDLET_LOG_LEVEL": "loud"}, "--log-level must be"),
    ],
)
def test_refuses_to_start(tmp_path, flags, env, message):
    proc = launch(tmp_path, *flags, **env)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 2
    assert message in err
    assert "topsecret" not in err and "Traceback" not in err


def test_strict_beyond_loopback_starts_with_credentials(tmp_path):
    # Validation only: binding a non-loopback address is not done in tests.
    config = Config.from_env({"CLOUDLET_CREDENTIALS": "AKIAX:s:123456789012"}, host="0.0.0.0")
    config.validate()
    assert config.auth_mode == "strict"
    assert Config(host="127.0.0.1").auth_mode == "off"
    assert Config(host="::1").auth_mode == "off"
    assert Config(host="localhost").auth_mode == "off"
    assert Config(host="10.0.0.1").auth_mode == "strict"


def test_a_second_cloudlet_on_the_same_sqlite_data_directory_is_refused(tmp_path):
    port = free_port()
    first = launch(tmp_path, "--port", str(port))
    try:
        wait_healthy(port, first)
        second = launch(tmp_path, "--port", str(free_port()))
        out, err = second.communicate(timeout=20)
        assert second.returncode == 1
        assert "is in use by another process" in err and str(tmp_path / "data") in err
        assert "Traceback" not in err
        assert "listening on" not in out  # the banner comes only once the server answers
        wait_healthy(port, first)  # the first one serves on, its data untouched
    finally:
        assert stop(first, signal.SIGTERM) == 0
    again = launch(tmp_path, "--port", str(port))  # once it has stopped, the directory is free
    try:
        wait_healthy(port, again)
    finally:
        assert stop(again, signal.SIGTERM) == 0
