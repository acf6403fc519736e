"""Shared helpers of the Lambda integration tests: packages, functions, waiting for logs."""

from __future__ import annotations

import importlib.metadata
import io
import json
import urllib.error
import urllib.request
import zipfile

import pytest
from polling import wait_for  # noqa: F401  (the Lambda tests import it from here)

from cloudlet.testing.pytest_plugin import CloudletHandle, start_server

ROLE = "arn:aws:iam::000000000000:role/lambda-role"

ECHO = """
import json, os
def handler(event, context):
    print("event", json.dumps(event))
    return {"event": event, "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
            "arn": context.invoked_function_arn, "request_id": context.aws_request_id}
"""

TAGGED = """
def handler(event, context):
    return [open("/var/task/tag.txt").read(), open("/opt/layer.txt").read()]
"""


def make_zip(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


def create(client, name: str, source: str = ECHO, runtime: str = "python3.12", **kwargs) -> dict:
    """Create a Python function whose module app.py holds `source`."""
    files = kwargs.pop("files", None) or {"app.py": source}
    kwargs.setdefault("Handler", "app.handler")
    kwargs.setdefault("Role", ROLE)
    return client.create_function(FunctionName=name, Runtime=runtime, Code={"ZipFile": make_zip(files)}, **kwargs)


def invoke(client, name: str, event=None, **kwargs) -> tuple[dict, object]:
    """Invoke and decode the payload: (response, decoded JSON payload or raw bytes)."""
    response = client.invoke(FunctionName=name, Payload=json.dumps(event if event is not None else {}), **kwargs)
    raw = response["Payload"].read()
    try:
        return response, json.loads(raw) if raw else None
    except ValueError:
        return response, raw


def installed_layer(*distributions: str) -> bytes:
    """A layer package holding the named distributions as installed in this environment (their
    files under python/, as Lambda puts a Python layer on sys.path): frameworks that run inside
    functions come from the test environment, not from a network install."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in distributions:
            dist = importlib.metadata.distribution(name)
            for file in dist.files or ():
                if file.suffix == ".pyc" or ".." in file.parts:
                    continue
                zf.write(file.locate(), f"python/{file}")
    return buf.getvalue()


def tagged_package(tag: str) -> bytes:
    """A package whose function returns `tag` and the content of its layer's /opt/layer.txt."""
    return make_zip({"app.py": TAGGED, "tag.txt": tag})


def download(url: str) -> tuple[int, bytes]:
    """GET a URL: (HTTP status, body)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def fast_fixtures(settings: dict):
    """A module-scoped server with `settings` (short durations) and a per-test reset of it:
    assign the pair to `fast_server, fast` at a test module's top level."""
    @pytest.fixture(scope="module")
    def fast_server():
        server = start_server(extra=dict(settings))
        yield CloudletHandle(server)
        server.stop()

    @pytest.fixture
    def fast(fast_server):
        fast_server.reset()
        return fast_server
    return fast_server, fast
