"""npm aws-lambda-ric (latest, built from npm at test time) as a provided.al2023 custom runtime."""

from __future__ import annotations

import base64
import json
import os
import time

import pytest

from cloudlet.compute.model import InvocationMeta

from . import npm_ric
from .ziputil import make_zip

ROLE = "arn:aws:iam::000000000000:role/lambda-role"

HANDLERS = """
exports.handler = async (event, context) => {
  console.log('from npm ric');
  return {event, id: context.awsRequestId, fn: context.functionName, version: context.functionVersion,
          arn: context.invokedFunctionArn, left: context.getRemainingTimeInMillis(),
          group: context.logGroupName, stream: context.logStreamName, memory: context.memoryLimitInMB};
};
exports.fails = async () => { throw new TypeError('nope'); };
"""


@pytest.fixture(scope="session")
def npm_ric_package():
    """The built package directory; a failed build fails (not skips) every test that uses it."""
    if os.environ.get("CLOUDLET_SKIP_NPM_RIC") == "1":
        pytest.skip("CLOUDLET_SKIP_NPM_RIC=1: npm aws-lambda-ric not built")
    try:
        return npm_ric.build()
    except npm_ric.BuildError as exc:
        pytest.fail(f"npm aws-lambda-ric could not be built: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def npm_ric_runtime(harness, npm_ric_package):
    """(layer sha256, entry point path) of aws-lambda-ric in the compute pool's code store."""
    return harness.pool.code.put(npm_ric.layer_zip(npm_ric_package)).sha256, npm_ric.entry_point(npm_ric_package)


def bootstrap(entry: str) -> str:
    return f'#!/bin/sh\nexec node {entry} "$_HANDLER"\n'  # as the package's README runs it


def ric_function(harness, runtime, handler: str, files: dict | None = None, **kwargs):
    layer, entry = runtime
    return harness.function({"bootstrap": bootstrap(entry), **(files if files is not None else {"index.js": HANDLERS})},
                            runtime="provided.al2023", handler=handler, executable=("bootstrap",), layers=[layer],
                            timeout_s=10, **kwargs)


def test_handler_result_and_context(harness, npm_ric_runtime):
    config = ric_function(harness, npm_ric_runtime, "index.handler", memory_mb=256)
    meta = InvocationMeta(log_tail=True)
    result = harness.invoke(config, {"hello": "ric"}, meta)
    assert result.function_error is None, result.payload
    out = json.loads(result.payload)
    assert 0 < out.pop("left") <= 10_000
    assert out.pop("stream").startswith(time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()))
    assert out == {"event": {"hello": "ric"}, "id": meta.request_id, "fn": config.name, "version": "$LATEST",
                   "arn": config.arn, "group": config.log_group, "memory": "256"}
    assert f"\t{meta.request_id}\tINFO\tfrom npm ric" in result.log_tail
    warm = harness.invoke(config, [1, 2])
    assert not warm.cold_start and json.loads(warm.payload)["event"] == [1, 2]


def test_handler_error(harness, npm_ric_runtime):
    config = ric_function(harness, npm_ric_runtime, "index.fails")
    result = harness.invoke(config, {}, InvocationMeta(log_tail=True))
    assert result.function_error == "Unhandled"
    doc = json.loads(result.payload)
    trace = doc.pop("trace")
    assert doc == {"errorType": "TypeError", "errorMessage": "nope"}
    assert trace[0] == "TypeError: nope" and "(/var/task/index.js:8:" in trace[1]
    assert f"\t{result.request_id}\tERROR\tInvoke Error \t" in result.log_tail
    # the environment survives a handler error
    again = harness.invoke(config, {})
    assert not again.cold_start and json.loads(again.payload)["errorType"] == "TypeError"


def test_init_errors(harness, npm_ric_runtime):
    entry = npm_ric_runtime[1]
    config = ric_function(harness, npm_ric_runtime, "missing.handler")
    result = harness.invoke(config, {}, InvocationMeta(log_tail=True))
    assert result.function_error == "Unhandled"
    doc = json.loads(result.payload)
    trace = doc.pop("trace")
    message = "Error: Cannot find module 'missing'\nRequire stack:\n- " + entry
    assert doc == {"errorType": "Runtime.ImportModuleError", "errorMessage": message}
    assert trace[:3] == ["Runtime.ImportModuleError: Error: Cannot find module 'missing'", "Require stack:", "- " + entry]
    assert "\tERROR\tInit Error \t" in result.log_tail
    # init runs again on the next invocation, as on Lambda
    again = harness.invoke(config, {})
    assert again.cold_start and json.loads(again.payload)["errorType"] == "Runtime.ImportModuleError"
    no_export = ric_function(harness, npm_ric_runtime, "index.nothere")
    doc = json.loads(harness.invoke(no_export, {}).payload)
    assert (doc["errorType"], doc["errorMessage"]) == ("Runtime.HandlerNotFound",
                                                       "index.nothere is undefined or not exported")
    syntax = ric_function(harness, npm_ric_runtime, "index.handler", files={"index.js": "exports.handler = () => {"})
    assert json.loads(harness.invoke(syntax, {}).payload)["errorType"] == "Runtime.UserCodeSyntaxError"


def test_through_the_lambda_api(cloudlet, npm_ric_package):
    lam = cloudlet.client("lambda")
    layer = lam.publish_layer_version(LayerName="npm-ric", Content={"ZipFile": npm_ric.layer_zip(npm_ric_package)},
                                      CompatibleRuntimes=["provided.al2023"])["LayerVersionArn"]
    code = make_zip({"bootstrap": bootstrap(npm_ric.entry_point(npm_ric_package)), "index.js": HANDLERS},
                    executable=("bootstrap",))
    for name, handler in (("ric-ok", "index.handler"), ("ric-fails", "index.fails"), ("ric-init", "nomodule.handler")):
        lam.create_function(FunctionName=name, Runtime="provided.al2023", Handler=handler, Role=ROLE,
                            Code={"ZipFile": code}, Layers=[layer], Timeout=10)
    ok = lam.invoke(FunctionName="ric-ok", Payload=b'{"via": "boto3"}', LogType="Tail")
    body = json.loads(ok["Payload"].read())
    assert (ok["StatusCode"], "FunctionError" in ok) == (200, False)
    assert body["event"] == {"via": "boto3"} and body["id"] == ok["ResponseMetadata"]["RequestId"]
    assert body["fn"] == "ric-ok" and body["arn"] == "arn:aws:lambda:us-east-1:000000000000:function:ric-ok"
    assert "\tINFO\tfrom npm ric" in base64.b64decode(ok["LogResult"]).decode()
    fails = lam.invoke(FunctionName="ric-fails", Payload=b"{}")
    body = json.loads(fails["Payload"].read())
    assert (fails["StatusCode"], fails["FunctionError"]) == (200, "Unhandled")
    assert (body["errorType"], body["errorMessage"], body["trace"][0]) == ("TypeError", "nope", "TypeError: nope")
    init = lam.invoke(FunctionName="ric-init", Payload=b"{}")
    body = json.loads(init["Payload"].read())
    assert (init["StatusCode"], init["FunctionError"]) == (200, "Unhandled")
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"].startswith("Error: Cannot find module 'nomodule'\nRequire stack:")
