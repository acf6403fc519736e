"""The execution environment as a function sees it, checked through boto3 for python3.12 and nodejs20.x:
variables, the context object, error documents and the START / END / REPORT log lines."""

import base64
import json
import re

import pytest
from lambda_helpers import ROLE, create, invoke, make_zip, wait_for

PY_PROBE = """
import json, logging, os, sys, time
def handler(event, context):
    a = event.get("a")
    if a == "raise":
        raise ValueError("bad input")
    if a == "set":
        return {1, 2}
    if a == "decimal":
        import decimal
        return {"n": decimal.Decimal("12345678901234567890.5"), "i": decimal.Decimal("3"), "s": "caf\u00e9"}
    if a == "bytes":
        return b"raw \\xff bytes"
    if a == "exit":
        sys.exit(3)
    if a == "exit0":
        os._exit(0)
    if a == "sleep":
        print("before the timeout")
        context.log("via context.log\\n")
        time.sleep(3)
    if a == "log":
        print("printed")
        logging.getLogger().warning("warned %s", 1)
        logging.getLogger().info("not shown: the root logger stays at WARNING")
        return None
    cc = context.client_context
    return {"env": dict(os.environ), "cwd": os.getcwd(), "tz": time.strftime("%Z"),
            "ctx": [context.function_name, context.function_version, context.invoked_function_arn,
                    context.memory_limit_in_mb, context.aws_request_id, context.log_group_name,
                    context.log_stream_name, context.identity.cognito_identity_id,
                    context.identity.cognito_identity_pool_id],
            "cc": None if cc is None else [cc.custom, cc.env, cc.client.installation_id, cc.client.app_title],
            "remaining": context.get_remaining_time_in_millis()}
"""

NODE_PROBE = """
exports.handler = async (event, context) => {
  switch (event.a) {
    case "raise": throw new TypeError("bad input");
    case "string": throw "plain";
    case "cycle": { const o = {}; o.o = o; return o; }
    case "exit": process.exit(3);
    case "uncaught": setTimeout(() => { throw new RangeError("later"); }, 0); break;
    case "rejection": Promise.reject(new Error("ignored")); break;
    case "undefined": throw undefined;
    case "never": await new Promise(() => {}); break;
    case "log": console.log("line one\\nline two"); console.warn("warned", { x: 1 }); return null;
  }
  if (event.a) { await new Promise((resolve) => setTimeout(resolve, 300)); return "survived"; }
  return { env: process.env, cwd: process.cwd(), context,
           remaining: context.getRemainingTimeInMillis(), hasDone: typeof context.done };
};
"""

TRACE = re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0")
TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
INIT_START = re.compile(r"INIT_START Runtime Version: (python:3\.12|nodejs:20)\.v1\tRuntime Version ARN: "
                        r"arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}")


def report(rid: str, cold: bool, status: str = "") -> re.Pattern:
    """Lambda's REPORT line: tab-separated fields, Init Duration on cold starts only, Status last."""
    line = (rf"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: \d+ MB\t"
            r"Max Memory Used: \d+ MB\t")
    if cold:
        line += r"Init Duration: \d+\.\d\d ms\t"
    return re.compile(line + status + "$")


def run(lam, name: str, event: dict, **kwargs) -> tuple[dict, object, list[str], str]:
    """Invoke with LogType=Tail: (response, payload, log lines of the tail, request id)."""
    response, body = invoke(lam, name, event, LogType="Tail", **kwargs)
    tail = base64.b64decode(response["LogResult"]).decode()
    return response, body, tail.split("\n")[:-1], response["ResponseMetadata"]["RequestId"]


def node(lam, name: str, files: dict[str, str], handler: str = "index.handler", **kwargs) -> None:
    lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE, Handler=handler,
                        Code={"ZipFile": make_zip(files)}, **kwargs)


def test_python_environment_and_context(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "pyenv", PY_PROBE, Timeout=5, MemorySize=256,
           Environment={"Variables": {"TZ": "America/New_York", "LANG": "C.UTF-8", "MINE": "x"}})
    lam.publish_version(FunctionName="pyenv")
    custom = {"custom": {"k": "v"}, "env": {"locale": "en"}, "client": {"installation_id": "i-1"}}
    response, out, lines, rid = run(lam, "pyenv", {}, Qualifier="1",
                                    ClientContext=base64.b64encode(json.dumps(custom).encode()).decode())
    assert "FunctionError" not in response and response["ExecutedVersion"] == "1"
    env = out["env"]
    stream = env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[1\][0-9a-f]{32}", stream)
    assert {k: env.get(k) for k in (
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_HANDLER", "TZ", "LANG",
        "MINE", "AWS_XRAY_CONTEXT_MISSING")} == {
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": "pyenv", "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/pyenv",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime", "_HANDLER": "app.handler",
        "TZ": "America/New_York", "LANG": "C.UTF-8", "MINE": "x", "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR"}  # TZ and LANG are the function's to set
    assert out["tz"] in ("EST", "EDT")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API",
                "PATH", "LD_LIBRARY_PATH"):
        assert env[key], key
    assert env["PATH"].startswith("/var/lang/bin:") and env["LD_LIBRARY_PATH"].startswith("/var/lang/lib:")
    assert TRACE.fullmatch(env["_X_AMZN_TRACE_ID"])
    assert out["cwd"] == "/var/task"
    assert out["ctx"] == ["pyenv", "1", "arn:aws:lambda:us-east-1:000000000000:function:pyenv:1", "256", rid,
                          "/aws/lambda/pyenv", stream, None, None]
    assert out["cc"] == [{"k": "v"}, {"locale": "en"}, "i-1", None]
    assert 4000 < out["remaining"] <= 5000
    # a warm invocation: no client context, a new trace header, the unqualified ARN
    _, again, _, rid2 = run(lam, "pyenv", {})
    assert again["cc"] is None and again["ctx"][2] == "arn:aws:lambda:us-east-1:000000000000:function:pyenv"
    assert again["ctx"][1] == "$LATEST" and again["ctx"][4] == rid2
    assert TRACE.fullmatch(again["env"]["_X_AMZN_TRACE_ID"]) and again["env"]["_X_AMZN_TRACE_ID"] != env[
        "_X_AMZN_TRACE_ID"]
    # through an alias: the ARN names the alias, the version is the one the alias routes to
    lam.create_alias(FunctionName="pyenv", Name="live", FunctionVersion="1")
    response, body = invoke(lam, "pyenv", {}, Qualifier="live")
    assert response["ExecutedVersion"] == "1"
    assert body["ctx"][1:3] == ["1", "arn:aws:lambda:us-east-1:000000000000:function:pyenv:live"]
    # a caller's trace header reaches the function as it was sent
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

    def add_header(request, **_):
        request.headers["X-Amzn-Trace-Id"] = header

    lam.meta.events.register("before-sign.lambda.Invoke", add_header)
    try:
        assert invoke(lam, "pyenv", {})[1]["env"]["_X_AMZN_TRACE_ID"] == header
    finally:
        lam.meta.events.unregister("before-sign.lambda.Invoke", add_header)


def test_reserved_variables_cannot_be_set(cloudlet):
    lam = cloudlet.client("lambda")
    for key in ("AWS_REGION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "_HANDLER", "LAMBDA_TASK_ROOT", "AWS_ACCESS_KEY_ID",
                "_X_AMZN_TRACE_ID", "AWS_LAMBDA_RUNTIME_API"):
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
            create(lam, "reserved", Environment={"Variables": {key: "x"}})
        assert key in exc.value.response["Error"]["Message"]
    assert lam.list_functions()["Functions"] == []


def test_node_environment_and_context(cloudlet):
    lam = cloudlet.client("lambda")
    node(lam, "ndenv", {"index.js": NODE_PROBE}, Timeout=5, MemorySize=256,
         Environment={"Variables": {"TZ": "Europe/Paris"}})
    response, out, _, rid = run(lam, "ndenv", {})
    assert "FunctionError" not in response
    env, ctx = out["env"], out["context"]
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs20.x" and env["TZ"] == "Europe/Paris"
    assert env["_HANDLER"] == "index.handler" and env["LAMBDA_TASK_ROOT"] == "/var/task"
    assert TRACE.fullmatch(env["_X_AMZN_TRACE_ID"])
    assert out["cwd"] == "/var/task"
    assert ctx == {"awsRequestId": rid, "invokedFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:ndenv",
                   "functionName": "ndenv", "functionVersion": "$LATEST", "memoryLimitInMB": "256",
                   "logGroupName": "/aws/lambda/ndenv", "logStreamName": env["AWS_LAMBDA_LOG_STREAM_NAME"],
                   "callbackWaitsForEmptyEventLoop": True}
    assert 4000 < out["remaining"] <= 5000 and out["hasDone"] == "function"


def test_python_errors_as_lambda_shapes_them(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "pyerr", PY_PROBE, Timeout=1)
    response, body, lines, rid = run(lam, "pyerr", {"a": "raise"})
    assert (response["StatusCode"], response["FunctionError"]) == (200, "Unhandled")
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert (body["errorMessage"], body["errorType"], body["requestId"]) == ("bad input", "ValueError", rid)
    assert body["stackTrace"] == ['  File "/var/task/app.py", line 6, in handler\n    raise ValueError("bad input")\n']
    # the error is one log event (see test_log_lines), its traceback indented with no-break spaces
    assert ('\n[ERROR] ValueError: bad input\nTraceback (most recent call last):\n'
            '\u00a0\u00a0File "/var/task/app.py", line 6, in handler\n'
            '\u00a0\u00a0\u00a0\u00a0raise ValueError("bad input")\nEND RequestId: ') in "\n".join(lines)
    # before the error, the runtime's warning, written as it is (no level, time or request id)
    (warning,) = [line for line in lines if "LAMBDA_WARNING" in line]
    assert warning.startswith("LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the "
                              "function code. However,") and warning.endswith("/dg/runtimes-update.html")
    assert lines[lines.index(warning) + 1] == "[ERROR] ValueError: bad input"
    assert report(rid, True).fullmatch(lines[-1])  # a handler's own error is no platform error

    # Decimals (as DynamoDB returns numbers) are JSON numbers with every digit; bytes go out as they are
    response = lam.invoke(FunctionName="pyerr", Payload=b'{"a": "decimal"}')
    assert "FunctionError" not in response
    assert response["Payload"].read() == '{"n": 12345678901234567890.5, "i": 3, "s": "café"}'.encode()
    response = lam.invoke(FunctionName="pyerr", Payload=b'{"a": "bytes"}')
    assert "FunctionError" not in response and response["Payload"].read() == b"raw \xff bytes"

    _, body, _, rid = run(lam, "pyerr", {"a": "set"})
    assert body == {"errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
                    "errorType": "Runtime.MarshalError", "requestId": rid, "stackTrace": []}

    # the environment that ran the first two serves the first exit; each exit ends its environment
    for event, reason, cold in (({"a": "exit"}, "Runtime exited with error: exit status 3", False),
                                ({"a": "exit0"}, "Runtime exited without providing a reason", True)):
        response, body, lines, rid = run(lam, "pyerr", event)
        assert response["FunctionError"] == "Unhandled"
        assert body == {"errorType": "Runtime.ExitError", "errorMessage": f"RequestId: {rid} Error: {reason}"}
        assert f"RequestId: {rid} Error: {reason}" in lines and "Runtime.ExitError" in lines
        assert lines[-2] == f"END RequestId: {rid}"
        assert report(rid, cold, r"Status: error\tError Type: Runtime.ExitError\t").fullmatch(lines[-1])

    response, body, lines, rid = run(lam, "pyerr", {"a": "sleep"})
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {rid} Error: Task timed out after 1.00 seconds"}
    assert re.fullmatch(rf"{TS} {rid} Task timed out after 1\.00 seconds", lines[-3])
    assert lines[-5:-3] == ["before the timeout", "via context.log"]  # written before the end: kept
    assert report(rid, True, r"Status: timeout\t").fullmatch(lines[-1])
    init_ms = float(re.search(r"Init Duration: ([\d.]+) ms", lines[-1]).group(1))
    billed = int(re.search(r"Billed Duration: (\d+) ms", lines[-1]).group(1))
    assert billed <= 1000 + init_ms + 1  # no more than the timeout is billed for the run


@pytest.mark.parametrize("files,handler,error_type,message,trace", [
    ({"app.py": "import nothere\n"}, "app.handler", "Runtime.ImportModuleError",
     "Unable to import module 'app': No module named 'nothere'", []),
    ({"app.py": "def other(e, c): pass\n"}, "app.handler", "Runtime.HandlerNotFound",
     "Handler 'handler' missing on module 'app'", []),
    ({"app.py": "x = 1\n"}, "missing.handler", "Runtime.ImportModuleError",
     "Unable to import module 'missing': No module named 'missing'", []),
    ({"app.py": "def handler(e, c):\n  return (\n"}, "app.handler", "Runtime.UserCodeSyntaxError",
     "Syntax error in module 'app': '(' was never closed (app.py, line 2)",
     ['  File "/var/task/app.py" Line 2\n      return (\n']),
])
def test_python_init_errors(cloudlet, files, handler, error_type, message, trace):
    lam = cloudlet.client("lambda")
    create(lam, "pyinit", files=files, Handler=handler)
    response, body, lines, rid = run(lam, "pyinit", {})
    assert not any(INIT_START.fullmatch(line) for line in lines)  # logged, but in no tail
    assert (response["StatusCode"], response["FunctionError"]) == (200, "Unhandled")
    assert body == {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": trace}
    assert re.fullmatch(rf"\[WARNING\]\t{TS}\t\tLAMBDA_WARNING: Unhandled exception\. The most likely cause is "
                        r"an issue in the function code\. .*", lines[0])
    indented = [re.sub("^ +", lambda m: "\u00a0" * len(m.group()), part)
                for element in trace for part in element.splitlines()]
    error = [f"[ERROR] {error_type}: {message}", "Traceback (most recent call last):", *indented]
    assert lines[1:-4] == error  # one event: see test_log_lines
    assert re.fullmatch(rf"INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\tError Type: "
                        rf"{re.escape(error_type)}", lines[-4])
    assert lines[-3:-1] == [f"START RequestId: {rid} Version: $LATEST", f"END RequestId: {rid}"]
    assert report(rid, False, rf"Status: error\tError Type: {re.escape(error_type)}\t").fullmatch(lines[-1])


def test_node_errors_as_lambda_shapes_them(cloudlet):
    lam = cloudlet.client("lambda")
    node(lam, "nderr", {"index.js": NODE_PROBE})
    response, body, lines, rid = run(lam, "nderr", {"a": "raise"})
    assert response["FunctionError"] == "Unhandled"
    assert list(body) == ["errorType", "errorMessage", "trace"]
    assert (body["errorType"], body["errorMessage"]) == ("TypeError", "bad input")
    assert body["trace"][0] == "TypeError: bad input" and "/var/task/index.js:4" in body["trace"][1]
    logged = [line for line in lines if "\tERROR\t" in line]
    assert len(logged) == 1
    time, request_id, level, text = logged[0].split("\t", 3)
    assert re.fullmatch(TS, time) and (request_id, level) == (rid, "ERROR")
    assert text.startswith("Invoke Error \t")
    assert json.loads(text.removeprefix("Invoke Error \t")) == {
        "errorType": "TypeError", "errorMessage": "bad input", "stack": body["trace"]}

    assert invoke(lam, "nderr", {"a": "string"})[1] == {"errorType": "string", "errorMessage": "plain", "trace": []}
    body = invoke(lam, "nderr", {"a": "cycle"})[1]
    assert (body["errorType"], body["errorMessage"]) == ("Error", "Unable to stringify response body")
    response, body, lines, rid = run(lam, "nderr", {"a": "exit"})
    assert body == {"errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: exit status 3"}
    assert report(rid, False, r"Status: error\tError Type: Runtime.ExitError\t").fullmatch(lines[-1])

    # an exception nobody catches, or a rejection nobody handles, fails the invocation and ends the runtime
    for event, label, error_type, message in (
            ({"a": "uncaught"}, "Uncaught Exception", "RangeError", "later"),
            ({"a": "rejection"}, "Unhandled Promise Rejection", "Runtime.UnhandledPromiseRejection",
             "Error: ignored")):
        response, body, lines, rid = run(lam, "nderr", event)
        assert response["FunctionError"] == "Unhandled"
        assert (body["errorType"], body["errorMessage"]) == (error_type, message)
        assert body["trace"][0] == f"{error_type}: {message}"
        logged = [line.split("\t", 3)[3] for line in lines if "\tERROR\t" in line]
        assert [text.split(" \t")[0] for text in logged] == [label]
        assert report(rid, event["a"] == "uncaught").fullmatch(lines[-1])  # the first follows an exit
        # the next invocation starts a new runtime, whenever it comes
        _, body, lines, rid = run(lam, "nderr", {"a": "string"})
        assert body == {"errorType": "string", "errorMessage": "plain", "trace": []}
        assert report(rid, True).fullmatch(lines[-1])
    assert invoke(lam, "nderr", {"a": "undefined"})[1] == {
        "errorType": "handled", "errorMessage": "callback called with Error argument, but there was a problem while "
                                                "retrieving one or more of its message, name, and stack"}


@pytest.mark.parametrize("files,handler,error_type,message", [
    ({"index.js": "exports.other = async () => 1;\n"}, "index.handler", "Runtime.HandlerNotFound",
     "index.handler is undefined or not exported"),
    ({"index.js": "exports.handler = 1;\n"}, "index.handler", "Runtime.HandlerNotFound",
     "index.handler is not a function"),
    ({"index.js": "exports.handler = 1;\n"}, "missing.handler", "Runtime.ImportModuleError",
     "Error: Cannot find module 'missing'\nRequire stack:\n- /var/runtime/index.mjs"),
    ({"index.js": "require('nothere');\n"}, "index.handler", "Runtime.ImportModuleError",
     "Error: Cannot find module 'nothere'\nRequire stack:\n- /var/task/index.js\n- /var/runtime/index.mjs"),
    ({"index.js": "exports.handler = async () => {;\n"}, "index.handler", "Runtime.UserCodeSyntaxError",
     "SyntaxError: Unexpected end of input"),
])
def test_node_init_errors(cloudlet, files, handler, error_type, message):
    lam = cloudlet.client("lambda")
    node(lam, "ndinit", files, handler)
    response, body, lines, rid = run(lam, "ndinit", {})
    assert not any(INIT_START.fullmatch(line) for line in lines)
    assert response["FunctionError"] == "Unhandled"
    assert list(body) == ["errorType", "errorMessage", "trace"]
    assert (body["errorType"], body["errorMessage"]) == (error_type, message)
    assert body["trace"][:message.count("\n") + 1] == f"{error_type}: {message}".split("\n")
    time, request_id, level, text = lines[0].split("\t", 3)
    assert (request_id, level) == ("undefined", "ERROR") and text.startswith("Uncaught Exception \t")
    assert json.loads(text.removeprefix("Uncaught Exception \t"))["stack"] == body["trace"]
    assert lines[1].startswith("INIT_REPORT Init Duration: ") and lines[1].endswith(f"Error Type: {error_type}")
    assert report(rid, False, rf"Status: error\tError Type: {re.escape(error_type)}\t").fullmatch(lines[-1])


def test_node_handler_resolution(cloudlet):
    lam = cloudlet.client("lambda")
    # a .js file is an ES module under a package.json of type module; the handler path after the
    # module's name may go through nested exports
    node(lam, "ndesm", {"package.json": '{"type": "module"}',
                        "src/app.js": "export const api = { v1: { handler: async (e) => ({ esm: e.n }) } };\n"},
         handler="src/app.api.v1.handler")
    response, body = invoke(lam, "ndesm", {"n": 1})
    assert "FunctionError" not in response and body == {"esm": 1}
    node(lam, "ndbad", {"index.js": "exports.handler = async () => 1;\n"}, handler="index")
    assert invoke(lam, "ndbad", {})[1]["errorType"] == "Runtime.MalformedHandlerName"


CALLBACK = """
exports.handler = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = event.wait;
  setTimeout(() => console.log("timer fired"), 1000);
  if (event.fail) return context.fail();
  callback(null, "answered");
};
exports.sync = (event) => 42;
"""


def test_node_callback_waits_for_the_event_loop(cloudlet):
    lam = cloudlet.client("lambda")
    node(lam, "ndcb", {"index.js": CALLBACK})
    # by default the callback's answer leaves once the timer has fired: its line is in this invocation
    _, body, lines, rid = run(lam, "ndcb", {"wait": True})
    assert body == "answered" and any(line.endswith("\tINFO\ttimer fired") for line in lines)
    assert float(re.search(r"Duration: ([\d.]+) ms", lines[-1]).group(1)) >= 900
    # callbackWaitsForEmptyEventLoop = false answers at once
    _, body, lines, rid = run(lam, "ndcb", {"wait": False})
    assert body == "answered" and not any("timer fired" in line for line in lines)
    assert float(re.search(r"Duration: ([\d.]+) ms", lines[-1]).group(1)) < 900  # long before the timer
    # context.fail() without an error fails with the string "handled"
    assert invoke(lam, "ndcb", {"wait": True, "fail": True})[1] == {
        "errorType": "string", "errorMessage": "handled", "trace": []}
    # a handler that neither returns a promise nor calls its callback answers null once idle
    lam.update_function_configuration(FunctionName="ndcb", Handler="index.sync")
    lam.get_waiter("function_updated_v2").wait(FunctionName="ndcb")
    response, body = invoke(lam, "ndcb", {})
    assert "FunctionError" not in response and body is None
    # an async handler whose promise can never settle fails when nothing is left to run
    node(lam, "ndnever", {"index.js": NODE_PROBE})
    response, body = invoke(lam, "ndnever", {"a": "never"})
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.NodeJsExit"
    assert "a Promise that was never settled" in body["errorMessage"]
    assert invoke(lam, "ndnever", {"a": "string"})[1]["errorType"] == "string"  # the environment serves on


def test_log_lines(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "pylog", PY_PROBE)
    _, _, lines, rid = run(lam, "pylog", {"a": "log"})
    assert lines[0] == f"START RequestId: {rid} Version: $LATEST"  # cold, but INIT_START is in no tail
    assert lines[1] == "printed"
    assert re.fullmatch(rf"\[WARNING\]\t{TS}\t{rid}\twarned 1", lines[2])
    assert lines[3] == f"END RequestId: {rid}"
    assert report(rid, True).fullmatch(lines[4]) and len(lines) == 5
    _, _, lines, rid = run(lam, "pylog", {"a": "log"})
    assert report(rid, False).fullmatch(lines[-1])  # warm: no Init Duration

    node(lam, "ndlog", {"index.js": NODE_PROBE})
    _, _, lines, rid = run(lam, "ndlog", {"a": "log"})
    assert re.fullmatch(rf"{TS}\t{rid}\tINFO\tline one", lines[1]) and lines[2] == "line two"
    assert re.fullmatch(rf"{TS}\t{rid}\tWARN\twarned {{ x: 1 }}", lines[3])
    assert report(rid, True).fullmatch(lines[-1])

    # in CloudWatch Logs an error with its traceback, a multi-line record or console line is one event
    create(lam, "pymulti", "import logging\ndef handler(e, c):\n    logging.warning('two\\nlines')\n"
                           "    raise KeyError('k')\n")
    rid = invoke(lam, "pymulti", {})[0]["ResponseMetadata"]["RequestId"]
    events = cloudwatch_events(cloudlet, "pymulti", rid)
    assert INIT_START.fullmatch(events.pop(0))
    assert [e for e in events if e.startswith("[WARNING]")] == [
        events[1]] and events[1].endswith(f"\t{rid}\ttwo\nlines")
    assert events[2].startswith("LAMBDA_WARNING: Unhandled exception.")  # one event of its own
    assert events[3].startswith("[ERROR] KeyError: 'k'\nTraceback (most recent call last):\n\u00a0\u00a0File ")
    rid = invoke(lam, "ndlog", {"a": "log"})[0]["ResponseMetadata"]["RequestId"]
    assert any(e.endswith(f"\t{rid}\tINFO\tline one\nline two") for e in cloudwatch_events(cloudlet, "ndlog", rid))


def cloudwatch_events(cloudlet, name: str, rid: str) -> list[str]:
    """The messages of a function's log group once the REPORT line of invocation `rid` is there."""
    logs = cloudlet.client("logs")

    def read():
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return None
        texts = [e["message"] for e in events]
        return texts if any(t.startswith(f"REPORT RequestId: {rid}") for t in texts) else None
    return wait_for(read)
