"""Running the AWS CLI (the awscli package, in this interpreter) against a live cloudlet."""

import json
import os
import subprocess
import sys


def _run(cloudlet, service: str, args: tuple[str, ...]) -> subprocess.CompletedProcess:
    env = {**os.environ, **cloudlet.env(), "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    return subprocess.run([sys.executable, "-m", "awscli", service, *args, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=60)


def aws_cli(cloudlet, service: str, *args: str) -> dict:
    """`aws SERVICE ARGS... --output json`, which must succeed; its parsed output ({} when empty)."""
    done = _run(cloudlet, service, args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def aws_cli_fails(cloudlet, service: str, *args: str) -> str:
    """`aws SERVICE ARGS...`, which must fail; its standard error."""
    done = _run(cloudlet, service, args)
    assert done.returncode != 0, done.stdout
    return done.stderr
