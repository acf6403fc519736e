"""The built-in Python runtime: handler contract, context object, init and invocation errors."""

from __future__ import annotations

import base64
import json
import re

import pytest

from cloudlet.compute.model import Credentials, InvocationMeta

CONTEXT_HANDLER = """
import os
def handler(event, context):
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "group": context.log_group_name,
        "stream": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "client_custom": context.client_context.custom if context.client_context else None,
        "identity": context.identity.cognito_identity_id,
        "env": dict(os.environ),
    }
"""


def test_context_and_environment(harness):
    config = harness.function({"app.py": CONTEXT_HANDLER}, memory_mb=256, timeout_s=5,
                              environment=(("GREETING", "hi"),),
                              credentials=Credentials("AKIDEXAMPLE", "secret", "token"))
    cc = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    meta = InvocationMeta(trace_id="Root=1-abc-def;Sampled=1", client_context=cc,
                          cognito_identity=json.dumps({"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "p"}))
    result = harness.invoke(config, {"x": [1, 2]}, meta)
    assert result.function_error is None
    out = json.loads(result.payload)
    assert out["event"] == {"x": [1, 2]}
    assert out["request_id"] == meta.request_id
    assert out["function_name"] == config.name
    assert out["function_version"] == "$LATEST"
    assert out["memory"] == "256"
    assert out["arn"] == config.arn
    assert out["group"] == f"/aws/lambda/{config.name}"
    assert out["stream"].endswith("]" + out["stream"].split("]")[1]) and "[$LATEST]" in out["stream"]
    assert 4000 < out["remaining"] <= 5000
    assert out["client_custom"] == {"k": "v"}
    assert out["identity"] == "id-1"
    env = out["env"]
    expected = {
        "AWS_LAMBDA_FUNCTION_NAME": config.name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": out["stream"], "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "_HANDLER": "app.handler", "LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11", "TZ": ":UTC", "LANG": "en_US.UTF-8",
        "_X_AMZN_TRACE_ID": "Root=1-abc-def;Sampled=1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token", "GREETING": "hi",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
    }
    for key, value in expected.items():
        assert env[key] == value, key
    assert env["PATH"].startswith("/var/lang/bin:")
    assert env["LD_LIBRARY_PATH"].startswith("/var/lang/lib:")
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")


def test_handler_exception_document(harness):
    config = harness.function({"app.py": "def handler(e, c):\n    raise ValueError('no good')\n"})
    result = harness.invoke(config, {})
    assert result.function_error == "Unhandled"
    doc = json.loads(result.payload)
    assert doc["errorType"] == "ValueError"
    assert doc["errorMessage"] == "no good"
    assert any("raise ValueError" in line for line in doc["stackTrace"])
    assert all("bootstrap" not in line for line in doc["stackTrace"])
    # the environment survives a handled exception and serves the next request warm
    again = harness.invoke(config, {})
    assert again.cold_start is False and again.function_error == "Unhandled"


@pytest.mark.parametrize("files,handler,error_type,message", [
    ({"app.py": "def handler(e, c): pass\n"}, "missing.handler", "Runtime.ImportModuleError",
     "Unable to import module 'missing': No module named 'missing'"),
    ({"app.py": "def handler(e, c):\n  return (\n"}, "app.handler", "Runtime.UserCodeSyntaxError",
     "Syntax error in module 'app'"),
    ({"app.py": "def other(e, c): pass\n"}, "app.handler", "Runtime.HandlerNotFound",
     "Handler 'handler' missing on module 'app'"),
    ({"app.py": "import nothere\n"}, "app.handler", "Runtime.ImportModuleError",
     "Unable to import module 'app': No module named 'nothere'"),
    ({"app.py": "x = 1\n"}, "apphandler", "Runtime.MalformedHandlerName", "Bad handler 'apphandler'"),
])
def test_init_errors(harness, files, handler, error_type, message):
    config = harness.function(files, handler=handler)
    result = harness.invoke(config, {})
    assert result.function_error == "Unhandled"
    doc = json.loads(result.payload)
    assert doc["errorType"] == error_type
    assert doc["errorMessage"].startswith(message)
    assert harness.pool.environments(config) == []  # a failed init leaves no environment behind


def test_nested_module_path_and_layers(harness):
    layer = harness.layer({"python/helper.py": "def value():\n    return 'from layer'\n"})
    config = harness.function({"pkg/__init__.py": "", "pkg/mod.py": "import helper\ndef go(e, c):\n    return helper.value()\n"},
                              handler="pkg/mod.go", layers=[layer])
    result = harness.invoke(config, None)
    assert json.loads(result.payload) == "from layer"


def test_unserialisable_result(harness):
    config = harness.function({"app.py": "def handler(e, c):\n    return object()\n"})
    doc = json.loads(harness.invoke(config, {}).payload)
    assert doc["errorType"] == "Runtime.MarshalError"


def test_boto3_available_like_lambda(harness):
    config = harness.function({"app.py": "import boto3\ndef handler(e, c):\n    return boto3.__file__\n"})
    assert json.loads(harness.invoke(config, {}).payload) == "/var/runtime/boto3/__init__.py"


def test_hostile_invocation_metadata_is_neutralised(harness):
    config = harness.function({"app.py": "import os\ndef handler(e, c):\n    return [os.environ.get('_X_AMZN_TRACE_ID'),"
                                         " c.client_context, c.identity.cognito_identity_id]\n"})
    meta = InvocationMeta(trace_id="Root=1\r\nX-Evil: 1", client_context="not base64 json",
                          cognito_identity='{"cognitoIdentityId":\n "x"}')
    trace, client_context, identity = json.loads(harness.invoke(config, {}, meta).payload)
    assert (client_context, identity) == (None, "x")
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0", trace)  # a fresh one
    assert harness.invoke(config, {}).cold_start is False  # the environment is fine


def test_non_json_payload_reaches_handler_as_error(harness):
    config = harness.function({"app.py": "def handler(e, c):\n    return e\n"})
    result = harness.invoke(config, raw=b"not json")
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload)["errorType"] == "Runtime.UnmarshalError"


def test_init_phase_timeout(harness):
    config = harness.function({"app.py": "import time\ntime.sleep(30)\ndef handler(e, c):\n    return 1\n"})
    settings = harness.pool.settings
    before, settings.init_timeout_s = settings.init_timeout_s, 0.5
    try:
        result = harness.invoke(config, {})
    finally:
        settings.init_timeout_s = before
    doc = json.loads(result.payload)
    assert result.function_error == "Unhandled" and doc["errorType"] == "Runtime.InitTimeout"
    assert doc["errorMessage"] == "Init phase timed out after 0.50 seconds"
    assert harness.pool.environments(config) == []


def test_logging_like_lambda(harness):
    config = harness.function({"app.py": "import logging\nlogger = logging.getLogger()\nlogger.setLevel(logging.INFO)\n"
                                         "def handler(e, c):\n    logger.info('hello %s', 'there')\n    logging.debug('hidden')\n"})
    result = harness.invoke(config, {}, InvocationMeta(log_tail=True))
    line = result.log_tail.splitlines()[1]  # after START
    level, stamp, request_id, message = line.split("\t")
    assert (level, request_id, message) == ("[INFO]", result.request_id, "hello there")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
    assert "hidden" not in result.log_tail


def test_local_code_directory(harness, tmp_path):
    from cloudlet.compute.model import FunctionConfig

    code = tmp_path / "src"
    code.mkdir()
    (code / "app.py").write_text("def handler(e, c):\n    return 'local'\n")
    config = FunctionConfig(name="local-dir", runtime="python3.12", handler="app.handler", code_dir=str(code))
    assert json.loads(harness.invoke(config, {}).payload) == "local"
