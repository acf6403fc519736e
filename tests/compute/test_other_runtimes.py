"""Node.js runtimes on the host's node, provided runtimes, and awslambdaric as a custom runtime."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from cloudlet.compute.model import InvocationMeta, LogSettings

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not installed")


@needs_node
@pytest.mark.parametrize("runtime", ["nodejs18.x", "nodejs20.x", "nodejs22.x"])
def test_node_async_handler(harness, runtime):
    config = harness.function({"index.js": "exports.handler = async (event, context) => ({event, name: context.functionName,"
                                            " id: context.awsRequestId, left: context.getRemainingTimeInMillis() > 0,"
                                            " env: process.env.AWS_EXECUTION_ENV});"},
                              runtime=runtime, handler="index.handler")
    meta = InvocationMeta()
    out = json.loads(harness.invoke(config, {"a": 1}, meta).payload)
    assert out == {"event": {"a": 1}, "name": config.name, "id": meta.request_id, "left": True,
                   "env": f"AWS_Lambda_{runtime}"}


@needs_node
def test_node_warm_environment_answers_in_order(harness):
    """One environment answers many invocations over one pipelined connection: results, errors
    and multi-megabyte payloads each reach the right invocation."""
    code = ("exports.handler = async (event) => {"
            " if (event.fail) throw new Error('failed ' + event.n);"
            " return event.big ? 'x'.repeat(event.big) : {n: event.n, env: process.pid}; };")
    config = harness.function({"index.js": code}, runtime="nodejs20.x", handler="index.handler")
    pids = set()
    for n in range(12):
        event = {"n": n, "fail": n % 4 == 1, "big": 3_000_000 if n % 4 == 2 else 0}
        payload = json.loads(harness.invoke(config, event).payload)
        if event["fail"]:
            assert (payload["errorType"], payload["errorMessage"]) == ("Error", f"failed {n}")
        elif event["big"]:
            assert payload == "x" * 3_000_000
        else:
            assert payload["n"] == n
            pids.add(payload["env"])
    assert len(pids) == 1


@needs_node
def test_node_callback_style_esm_and_errors(harness):
    cb = harness.function({"index.js": "exports.handler = (e, c, callback) => { console.log('hi'); callback(null, 'cb'); };"},
                          runtime="nodejs20.x", handler="index.handler")
    result = harness.invoke(cb, {}, InvocationMeta(log_tail=True))
    assert json.loads(result.payload) == "cb"
    assert result.log_tail.startswith(f"START RequestId: {result.request_id} ")  # INIT_START: in no tail
    stamp, request_id, level, message = result.log_tail.splitlines()[1].split("\t")
    assert (request_id, level, message) == (result.request_id, "INFO", "hi")
    assert stamp.endswith("Z") and "T" in stamp
    esm = harness.function({"index.mjs": "export const handler = async () => { throw new TypeError('nope'); };"},
                           runtime="nodejs20.x", handler="index.handler")
    doc = json.loads(harness.invoke(esm, {}).payload)
    assert doc["errorType"] == "TypeError" and doc["errorMessage"] == "nope" and isinstance(doc["trace"], list)
    missing = harness.function({"index.js": "exports.other = 1;"}, runtime="nodejs20.x", handler="index.handler")
    assert json.loads(harness.invoke(missing, {}).payload)["errorType"] == "Runtime.HandlerNotFound"
    nomod = harness.function({"index.js": ""}, runtime="nodejs20.x", handler="nomod.handler")
    assert json.loads(harness.invoke(nomod, {}).payload)["errorType"] == "Runtime.ImportModuleError"
    syntax = harness.function({"index.js": "exports.handler = async () => {"}, runtime="nodejs20.x",
                              handler="index.handler")
    assert json.loads(harness.invoke(syntax, {}).payload)["errorType"] == "Runtime.UserCodeSyntaxError"


@needs_node
def test_node_heap_exhaustion_is_out_of_memory(harness):
    config = harness.function({"index.js": "exports.handler = async () => { const a = [];"
                                            " for (;;) a.push(new Array(1e6).fill(1.5)); };"},
                              runtime="nodejs20.x", handler="index.handler", timeout_s=10)
    result = harness.invoke(config, {})
    doc = json.loads(result.payload)
    assert doc["errorType"] == "Runtime.OutOfMemory"
    assert result.metering.max_memory_mb == 128
    assert harness.pool.environments(config) == []


@needs_node
def test_node_tmp_bounded(harness):
    code = ("const fs = require('fs');\nexports.handler = async () => {\n"
            "  try { fs.writeFileSync('/tmp/big', Buffer.alloc(20 * 1024 * 1024)); return 'wrote'; }\n"
            "  catch (e) { return e.code; } };")
    config = harness.function({"index.js": code}, runtime="nodejs20.x", handler="index.handler", ephemeral_mb=8)
    assert json.loads(harness.invoke(config, {}).payload) == "ENOSPC"


SHELL_RUNTIME = r"""#!/bin/sh
# a custom runtime in shell: the Runtime API with curl-free /dev/tcp-less tools: python's urllib
exec /usr/bin/python3 -c '
import os, urllib.request, json
base = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(base + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    body = json.dumps({"echo": event, "handler": os.environ["_HANDLER"], "api": os.environ["AWS_LAMBDA_RUNTIME_API"]}).encode()
    urllib.request.urlopen(urllib.request.Request(base + rid + "/response", data=body, method="POST")).read()
'
"""


@pytest.mark.skipif(not os.path.exists("/usr/bin/python3"), reason="needs /usr/bin/python3")
def test_provided_bootstrap(harness):
    config = harness.function({"bootstrap": SHELL_RUNTIME}, runtime="provided.al2023", handler="my.handler",
                              executable=("bootstrap",))
    out = json.loads(harness.invoke(config, {"q": 1}).payload)
    # a custom runtime's Runtime API is a bare host:port (its own loopback port), as on Lambda
    assert re.fullmatch(r"127\.0\.0\.1:\d+", out.pop("api"))
    assert out == {"echo": {"q": 1}, "handler": "my.handler"}
    assert "AWS_EXECUTION_ENV" not in harness.pool._environment(config, None, _launch(harness, config))


def _launch(harness, config):
    return harness.pool._spec(config, None)[0]


def test_provided_without_bootstrap_fails_init(harness):
    config = harness.function({"app.py": ""}, runtime="provided.al2", handler="x")
    result = harness.invoke(config, {})
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorType": "Runtime.InvalidEntrypoint",
        "errorMessage": f"RequestId: {result.request_id} Error: Couldn't find valid bootstrap(s): "
                        "[/var/task/bootstrap /opt/bootstrap]"}


def test_provided_bootstrap_from_layer(harness):
    layer = harness.layer({"bootstrap": SHELL_RUNTIME}, executable=("bootstrap",))
    config = harness.function({"app.py": ""}, runtime="provided.al2", handler="h", layers=[layer])
    out = json.loads(harness.invoke(config, {"q": 2}).payload)
    assert out.pop("api").startswith("127.0.0.1:") and out == {"echo": {"q": 2}, "handler": "h"}


@pytest.fixture(scope="session")
def ric_layer(harness, tmp_path_factory):
    """awslambdaric installed from PyPI into a layer (python/ on sys.path inside the sandbox)."""
    target = tmp_path_factory.mktemp("ric") / "python"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-cache-dir", "--target", str(target),
                           "awslambdaric"], capture_output=True, text=True, timeout=180)
    if proc.returncode != 0:
        pytest.skip(f"awslambdaric could not be installed: {proc.stderr[-300:]}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for root, _dirs, files in os.walk(target):
            for name in files:
                full = os.path.join(root, name)
                zf.write(full, os.path.relpath(full, target.parent))
    return harness.pool.code.put(buf.getvalue()).sha256


RIC_BOOTSTRAP = "#!/bin/sh\nexport PYTHONPATH=/opt/python:/var/task\nexec /usr/bin/python3 -m awslambdaric \"$_HANDLER\"\n"


@pytest.mark.skipif(not os.path.exists("/usr/bin/python3"), reason="needs /usr/bin/python3")
def test_awslambdaric_as_custom_runtime(harness, ric_layer):
    handler = ("def handler(event, context):\n    print('from ric')\n"
               "    return {'event': event, 'id': context.aws_request_id, 'fn': context.function_name,"
               " 'left': context.get_remaining_time_in_millis() > 0}\n"
               "def fails(event, context):\n    raise KeyError('k')\n")
    config = harness.function({"bootstrap": RIC_BOOTSTRAP, "app.py": handler}, runtime="provided.al2023",
                              handler="app.handler", executable=("bootstrap",), layers=[ric_layer], timeout_s=10)
    meta = InvocationMeta(log_tail=True)
    result = harness.invoke(config, {"hello": "ric"}, meta)
    assert result.function_error is None, result.payload
    assert json.loads(result.payload) == {"event": {"hello": "ric"}, "id": meta.request_id, "fn": config.name,
                                          "left": True}
    assert "from ric" in result.log_tail
    warm = harness.invoke(config, {"n": 2})
    assert not warm.cold_start and json.loads(warm.payload)["event"] == {"n": 2}
    failing = harness.function({"bootstrap": RIC_BOOTSTRAP, "app.py": handler}, runtime="provided.al2023",
                               handler="app.fails", executable=("bootstrap",), layers=[ric_layer], timeout_s=10)
    doc = json.loads(harness.invoke(failing, {}).payload)
    assert doc["errorType"] == "KeyError" and doc["errorMessage"] == "'k'"


@pytest.mark.skipif(not os.path.exists("/usr/bin/python3"), reason="needs /usr/bin/python3")
def test_awslambdaric_logs_json_at_the_configured_level(harness, ric_layer):
    """Lambda's own runtime client reads AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL as cloudlet sets them,
    and its records pass the platform's level filter; a plain print is INFO and goes at WARN."""
    handler = ("import logging\ndef handler(event, context):\n    print('plain')\n    logging.info('quiet')\n"
               "    logging.warning('loud %s', 1)\n    return 1\n")
    config = harness.function({"bootstrap": RIC_BOOTSTRAP, "app.py": handler}, runtime="provided.al2023",
                              executable=("bootstrap",), layers=[ric_layer], timeout_s=10,
                              logging=LogSettings("JSON", "WARN", "WARN"))
    meta = InvocationMeta(log_tail=True)
    result = harness.invoke(config, {}, meta)
    assert result.function_error is None, result.payload
    records = [json.loads(line) for line in result.log_tail.splitlines()]  # every line is JSON: no platform line
    assert [(r["level"], r["message"], r["requestId"]) for r in records] == [("WARNING", "loud 1", meta.request_id)]


@pytest.mark.skipif(not os.path.exists("/usr/bin/python3"), reason="needs /usr/bin/python3")
def test_awslambdaric_init_error(harness, ric_layer):
    config = harness.function({"bootstrap": RIC_BOOTSTRAP, "app.py": "x = 1\n"}, runtime="provided.al2023",
                              handler="missing.handler", executable=("bootstrap",), layers=[ric_layer], timeout_s=10)
    result = harness.invoke(config, {}, InvocationMeta(log_tail=True))
    assert result.function_error == "Unhandled"
    # awslambdaric reports the failure on init/error (a custom runtime's AWS_LAMBDA_RUNTIME_API is a bare
    # host:port), which the invocation returns as Lambda does; its own error line is in the log
    assert json.loads(result.payload) == {"errorMessage": "Unable to import module 'missing': No module named 'missing'",
                                          "errorType": "Runtime.ImportModuleError", "requestId": "",
                                          "stackTrace": []}
    assert "[ERROR] Runtime.ImportModuleError: Unable to import module 'missing'" in result.log_tail
