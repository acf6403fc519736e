"""The AWS SDK for JavaScript v3, installed once into a cache, and a way to run node scripts with it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cloudlet.compute import node_sdk

SCRIPTS = Path(__file__).parent / "js"


# the last @aws-sdk/client-sqs release that spoke the query protocol (3.446.0 moved to awsJson 1.0)
SQS_QUERY_RELEASE = {"@aws-sdk/client-sqs": "3.445.0"}


def _installed(install) -> Path:
    """An SDK install; a failed install fails (not skips) every test that uses it."""
    if os.environ.get("CLOUDLET_SKIP_NPM_SDK") == "1":
        pytest.skip("CLOUDLET_SKIP_NPM_SDK=1: the AWS SDK for JavaScript v3 is not installed")
    try:
        return install()
    except node_sdk.npm_cache.BuildError as exc:
        pytest.fail(f"the AWS SDK for JavaScript v3 could not be installed: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def js_sdk() -> Path:
    """The node_modules directory of the latest SDK packages (compute/node_sdk.py's list)."""
    return _installed(node_sdk.install)


@pytest.fixture(scope="session")
def js_sdk_sqs_query() -> Path:
    """The node_modules directory of an SQS client that speaks the query protocol."""
    return _installed(lambda: node_sdk.install_pinned(SQS_QUERY_RELEASE))


def run_script(name: str, handle, sdk: Path, *args: str, timeout: float = 90) -> dict:
    """Run js/<name> against the cloudlet `handle`; the JSON document it prints last."""
    env = {**os.environ, **handle.env(), "NODE_PATH": str(sdk)}
    env.pop("AWS_PROFILE", None)
    proc = subprocess.run(["node", str(SCRIPTS / name), *args], capture_output=True, text=True, timeout=timeout,
                          env=env, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        pytest.fail(f"node {name} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}",
                    pytrace=False)
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def fresh_cloudlet(cloudlet_server):
    """The session's cloudlet, emptied once for a module whose tests read one script's results."""
    cloudlet_server.reset()
    return cloudlet_server
