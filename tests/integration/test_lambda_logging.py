"""LoggingConfig applied: JSON application and system logs, log-level filtering and custom log groups,
for python3.12 and nodejs20.x functions invoked through boto3."""

import base64
import json
import re

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from lambda_helpers import ROLE, create, invoke, make_zip, wait_for

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
ISO_S = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")  # the Python runtime's JSON timestamps
ARN = "arn:aws:lambda:us-east-1:000000000000:function:"

INIT_START = re.compile(r"INIT_START Runtime Version: (\S+)\tRuntime Version ARN: (arn:aws:lambda:us-east-1::runtime:"
                        r"[0-9a-f]{64})")

PY = """
import json, logging, os, time
log = logging.getLogger("app")
def handler(event, context):
    a = event.get("a")
    if a == "raise":
        raise ValueError("bad input")
    if a == "sleep":
        time.sleep(2)
    print("printed")
    print(json.dumps({"level": "debug", "msg": "json debug"}))
    print(json.dumps({"level": "Error", "msg": "json error"}))
    logging.debug("root debug")
    logging.info("hello %s", "there")
    log.info({"k": 1})
    log.warning("warned", extra={"order": 7})
    try:
        1 / 0
    except ZeroDivisionError:
        log.exception("failed")
    return {"env": {k: os.environ.get(k) for k in ("AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL",
                                                    "AWS_LAMBDA_LOG_GROUP_NAME")},
            "group": context.log_group_name, "stream": context.log_stream_name}
"""

NODE = """
exports.handler = async (event) => {
  if (event.a === "raise") throw new TypeError("bad input");
  console.log("a", 1);
  console.info({ x: 1 });
  console.debug("debugged");
  console.trace("traced");
  console.warn("careful", new RangeError("out"));
  console.error(new Error("boom"));
  process.stdout.write("raw line\\n");
  return { format: process.env.AWS_LAMBDA_LOG_FORMAT || null, level: process.env.AWS_LAMBDA_LOG_LEVEL || null };
};
"""


def tail(lam, name: str, event=None, **kwargs) -> tuple[dict, object, list[str], str]:
    """Invoke with LogType=Tail: (response, payload, the tail's lines, request id)."""
    response, body = invoke(lam, name, event or {}, LogType="Tail", **kwargs)
    lines = base64.b64decode(response["LogResult"]).decode().split("\n")[:-1]
    return response, body, lines, response["ResponseMetadata"]["RequestId"]


def records(lines: list[str]) -> list[dict]:
    """Every line that is a JSON object, decoded."""
    out = []
    for line in lines:
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict):
            out.append(doc)
    return out


def platform(lines: list[str]) -> list[dict]:
    return [r for r in records(lines) if str(r.get("type", "")).startswith("platform.")]


def app(lines: list[str]) -> list[dict]:
    return [r for r in records(lines) if "type" not in r]


def group_messages(cloudlet, group: str) -> list[str]:
    logs = cloudlet.client("logs")
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        return []
    return [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]


def first_message(cloudlet, group: str) -> str:
    """The first event of a group (an environment's INIT_START line or platform.initStart record)."""
    return wait_for(lambda: group_messages(cloudlet, group))[0]


def configuration(lam, name: str) -> dict:
    out = lam.get_function_configuration(FunctionName=name)
    out.pop("ResponseMetadata")
    return out


def error_of(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def node(lam, name: str, **kwargs) -> dict:
    return lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                               Code={"ZipFile": make_zip({"index.js": NODE})}, **kwargs)


def test_logging_config_rules(cloudlet):
    lam = cloudlet.client("lambda")
    raw = cloudlet.client("lambda", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    text_levels = 'LogLevel is not supported when LogFormat is set to "Text".'
    code, status, message = error_of(create, client=lam, name="f",
                                     LoggingConfig={"LogFormat": "Text", "ApplicationLogLevel": "DEBUG"})
    assert (code, status) == ("InvalidParameterValueException", 400) and message.startswith(text_levels)
    with pytest.raises(ClientError):
        lam.get_function(FunctionName="f")  # nothing was created
    out = create(lam, "f", LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "WARN"})
    assert out["LoggingConfig"] == {"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN",
                                    "LogGroup": "/aws/lambda/f"}
    before = configuration(lam, "f")
    for bad, expected in (
            ({"LogFormat": "Text", "SystemLogLevel": "DEBUG"}, ("InvalidParameterValueException", 400)),
            ({"LogGroup": "has space"}, ("ValidationException", 400)),
            ({"LogFormat": "XML"}, ("ValidationException", 400)),
            ({"ApplicationLogLevel": "LOUD"}, ("ValidationException", 400))):
        code, status, message = error_of(raw.update_function_configuration, FunctionName="f", LoggingConfig=bad)
        assert (code, status) == expected, (bad, message)
    assert "at 'loggingConfig.logGroup' failed to satisfy constraint: Member must satisfy regular expression " \
           "pattern: [\\.\\-_/#A-Za-z0-9]+" in error_of(raw.update_function_configuration, FunctionName="f",
                                                        LoggingConfig={"LogGroup": "has space"})[2]
    assert configuration(lam, "f") == before  # refused changes leave it as it was
    # a partial change keeps what it does not name; Text drops the levels; levels need JSON to stay
    changed = lam.update_function_configuration(FunctionName="f", LoggingConfig={"ApplicationLogLevel": "ERROR"})
    assert changed["LoggingConfig"] == {"LogFormat": "JSON", "ApplicationLogLevel": "ERROR", "SystemLogLevel": "WARN",
                                        "LogGroup": "/aws/lambda/f"}
    changed = lam.update_function_configuration(FunctionName="f", LoggingConfig={"LogFormat": "Text",
                                                                                 "LogGroup": "/shared/x"})
    assert changed["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/shared/x"}
    code, status, _ = error_of(lam.update_function_configuration, FunctionName="f",
                               LoggingConfig={"SystemLogLevel": "INFO"})
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert lam.get_function_configuration(FunctionName="f")["LoggingConfig"] == changed["LoggingConfig"]


def test_python_json_logs_at_debug_into_a_custom_group(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "pyjson", PY, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG",
                                             "SystemLogLevel": "DEBUG", "LogGroup": "/custom/shared"})
    response, out, lines, rid = tail(lam, "pyjson")
    assert "FunctionError" not in response
    assert out["env"] == {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "DEBUG",
                          "AWS_LAMBDA_LOG_GROUP_NAME": "/custom/shared"}
    assert out["group"] == "/custom/shared"
    kinds = [r["type"] for r in platform(lines)]
    assert kinds == ["platform.start", "platform.runtimeDone", "platform.report"]  # initStart: not in a tail
    start, done, report = platform(lines)
    assert ISO_MS.fullmatch(start["time"])
    assert start["record"] == {"requestId": rid, "functionArn": ARN + "pyjson", "version": "$LATEST"}
    assert done["record"]["requestId"] == rid and done["record"]["status"] == "success"
    assert set(done["record"]["metrics"]) == {"durationMs", "producedBytes"}
    assert done["record"]["metrics"]["producedBytes"] > 0
    assert list(report["record"]) == ["requestId", "metrics", "status"] and report["record"]["status"] == "success"
    assert list(report["record"]["metrics"]) == ["durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB",
                                                 "initDurationMs"]
    assert report["record"]["metrics"]["memorySizeMB"] == 128
    assert "printed" in lines  # plain output is INFO: kept at DEBUG, as it was written
    logged = app(lines)
    assert {"level": "debug", "msg": "json debug"} in logged and {"level": "Error", "msg": "json error"} in logged
    runtime = [r for r in logged if "timestamp" in r]
    for record in runtime:
        assert ISO_S.fullmatch(record["timestamp"]) and record["requestId"] == rid
    assert [(r["level"], r["logger"], r["message"]) for r in runtime] == [
        ("DEBUG", "root", "root debug"), ("INFO", "root", "hello there"), ("INFO", "app", {"k": 1}),
        ("WARNING", "app", "warned"), ("ERROR", "app", "failed")]
    assert list(runtime[1]) == ["timestamp", "level", "message", "logger", "requestId"]
    assert runtime[3]["order"] == 7  # `extra` keys join the record
    failed = runtime[4]
    assert failed["errorType"] == "ZeroDivisionError" and failed["errorMessage"] == "division by zero"
    assert failed["location"] == "/var/task/app.py:handler:20"
    assert "1 / 0" in "".join(failed["stackTrace"])
    # the events are in the custom group, in the environment's stream; the default group stays empty
    stream = out["stream"]
    events = wait_for(lambda: [m for m in group_messages(cloudlet, "/custom/shared") if '"platform.report"' in m])
    assert events
    logs = cloudlet.client("logs")
    assert logs.describe_log_streams(logGroupName="/custom/shared")["logStreams"][0]["logStreamName"] == stream
    assert group_messages(cloudlet, "/aws/lambda/pyjson") == []
    # a warm invocation reports no init duration
    _, _, lines, _ = tail(lam, "pyjson")
    assert "initDurationMs" not in platform(lines)[-1]["record"]["metrics"]


def test_python_levels_filter_application_and_system_logs(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "pywarn", PY, Timeout=1,
           LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN", "SystemLogLevel": "WARN"})
    _, out, lines, rid = tail(lam, "pywarn")
    assert out["env"]["AWS_LAMBDA_LOG_LEVEL"] == "WARN"
    assert platform(lines) == []  # no platform record is WARN or above
    assert "printed" not in lines  # plain lines are INFO
    assert [(r.get("level"), r.get("message", r.get("msg"))) for r in app(lines)] == [
        ("Error", "json error"), ("WARNING", "warned"), ("ERROR", "failed")]
    # an unhandled error is an ERROR record with the error document
    response, body, lines, rid = tail(lam, "pywarn", {"a": "raise"})
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "ValueError"
    (error,) = app(lines)
    assert list(error)[:2] == ["timestamp", "level"] and error["level"] == "ERROR"
    assert {k: error[k] for k in ("errorMessage", "errorType", "requestId")} == {
        "errorMessage": "bad input", "errorType": "ValueError", "requestId": rid}
    assert any("raise ValueError" in frame for frame in error["stackTrace"])
    # the level changes with the configuration
    lam.update_function_configuration(FunctionName="pywarn", LoggingConfig={"ApplicationLogLevel": "ERROR",
                                                                            "SystemLogLevel": "INFO"})
    _, _, lines, rid = tail(lam, "pywarn")
    assert [r["type"] for r in platform(lines)] == ["platform.start", "platform.report"]
    assert [r.get("message", r.get("msg")) for r in app(lines)] == ["json error", "failed"]
    # a timeout: the report says so
    _, _, lines, rid = tail(lam, "pywarn", {"a": "sleep"})
    report = platform(lines)[-1]
    assert report["type"] == "platform.report" and report["record"]["status"] == "timeout"
    assert any(f"{rid} Task timed out after 1.00 seconds" in line for line in lines)


def test_text_logs_into_a_custom_group_shared_by_two_functions(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "one", "def handler(e, c):\n    print('from one')\n", LoggingConfig={"LogGroup": "/team/all"})
    create(lam, "two", "def handler(e, c):\n    print('from two')\n",
           LoggingConfig={"LogFormat": "Text", "LogGroup": "/team/all"})
    _, _, lines, rid = tail(lam, "one")
    assert lines[0] == f"START RequestId: {rid} Version: $LATEST"
    assert "from one" in lines
    assert lines[-1].startswith(f"REPORT RequestId: {rid}\t")
    invoke(lam, "two")
    messages = wait_for(lambda: (lambda m: m if "from one" in m and "from two" in m else None)(
        group_messages(cloudlet, "/team/all")))
    assert sum(m.startswith("START RequestId:") for m in messages) == 2
    assert len(cloudlet.client("logs").describe_log_streams(logGroupName="/team/all")["logStreams"]) == 2
    assert group_messages(cloudlet, "/aws/lambda/one") == [] and group_messages(cloudlet, "/aws/lambda/two") == []
    # back to the default group: new environments write there
    lam.update_function_configuration(FunctionName="one", LoggingConfig={"LogGroup": "/aws/lambda/one"})
    invoke(lam, "one")
    wait_for(lambda: "from one" in group_messages(cloudlet, "/aws/lambda/one"))


def test_failed_init_in_json(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "broken", "import nothing_here\n", LoggingConfig={"LogFormat": "JSON"})
    response, body, lines, rid = tail(lam, "broken")
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.ImportModuleError"
    kinds = [(r["type"], r["record"].get("status"), r["record"].get("errorType")) for r in platform(lines)]
    assert kinds == [("platform.initReport", "error", "Runtime.ImportModuleError"),
                     ("platform.start", None, None), ("platform.report", "error", "Runtime.ImportModuleError")]
    init = platform(lines)[0]["record"]
    assert init["initializationType"] == "on-demand" and init["phase"] == "init"
    errors = [r for r in app(lines) if r.get("level") == "ERROR"]
    assert errors and errors[0]["errorType"] == "Runtime.ImportModuleError"
    assert any(r.get("level") == "WARNING" and r["message"].startswith("LAMBDA_WARNING") for r in app(lines))


def test_node_json_logs(cloudlet):
    lam = cloudlet.client("lambda")
    node(lam, "nodejson", LoggingConfig={"LogFormat": "JSON"})
    response, out, lines, rid = tail(lam, "nodejson")
    assert "FunctionError" not in response and out == {"format": "JSON", "level": "INFO"}
    logged = app(lines)
    for record in logged:
        assert ISO_MS.fullmatch(record["timestamp"]) and record["requestId"] == rid
        assert list(record)[:4] == ["timestamp", "level", "requestId", "message"]
    assert [(r["level"], r["message"]) for r in logged[:2]] == [("INFO", "a 1"), ("INFO", {"x": 1})]
    warned, failed = logged[2:]  # debug and trace are below INFO: not written
    assert warned["level"] == "WARN" and warned["message"].startswith("careful RangeError: out")
    assert warned["errorType"] == "RangeError" and warned["errorMessage"] == "out"
    assert warned["stackTrace"][0] == "RangeError: out"
    assert failed["level"] == "ERROR" and failed["message"]["errorType"] == "Error"
    assert failed["message"]["errorMessage"] == "boom" and failed["message"]["stackTrace"][0] == "Error: boom"
    assert "raw line" in lines  # process.stdout.write is not formatted: an INFO line
    assert [r["type"] for r in platform(lines)] == ["platform.start", "platform.report"]
    # an error the handler throws: an ERROR record whose message is the error
    response, body, lines, rid = tail(lam, "nodejson", {"a": "raise"})
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "TypeError"
    (error,) = app(lines)
    assert error["level"] == "ERROR" and error["requestId"] == rid
    assert error["message"]["errorType"] == "TypeError" and error["message"]["errorMessage"] == "bad input"


def test_node_application_level_trace_and_error(cloudlet):
    lam = cloudlet.client("lambda")
    node(lam, "nodetrace", LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "TRACE"})
    _, out, lines, _ = tail(lam, "nodetrace")
    assert out["level"] == "TRACE"
    assert [r["level"] for r in app(lines)] == ["INFO", "INFO", "DEBUG", "TRACE", "WARN", "ERROR"]
    lam.update_function_configuration(FunctionName="nodetrace", LoggingConfig={"ApplicationLogLevel": "ERROR"})
    _, _, lines, _ = tail(lam, "nodetrace")
    assert [r["level"] for r in app(lines)] == ["ERROR"] and "raw line" not in lines
    # Text again: console.* writes text lines and no level applies
    lam.update_function_configuration(FunctionName="nodetrace", LoggingConfig={"LogFormat": "Text"})
    _, out, lines, rid = tail(lam, "nodetrace")
    assert out == {"format": None, "level": None}
    assert any(re.fullmatch(rf"{ISO_MS.pattern}\t{rid}\tDEBUG\tdebugged", line) for line in lines)
    assert lines[0] == f"START RequestId: {rid} Version: $LATEST"



def test_init_start_names_the_runtime_version(cloudlet):
    lam = cloudlet.client("lambda")
    out = create(lam, "inits", "print('init output')\ndef handler(e, c):\n    print('ran')\n")
    arn = out["RuntimeVersionConfig"]["RuntimeVersionArn"]
    _, _, lines, rid = tail(lam, "inits")
    assert lines[:2] == ["init output", f"START RequestId: {rid} Version: $LATEST"]  # INIT_START: only in the log
    match = INIT_START.fullmatch(first_message(cloudlet, "/aws/lambda/inits"))
    assert match and match.groups() == ("python:3.12.v1", arn)
    _, _, lines, rid = tail(lam, "inits")  # warm: no init, no INIT_START
    assert lines[0] == f"START RequestId: {rid} Version: $LATEST"
    messages = wait_for(lambda: (lambda m: m if len(m) >= 9 else None)(group_messages(cloudlet, "/aws/lambda/inits")))
    assert sum(m.startswith("INIT_START ") for m in messages) == 1 and messages[0].startswith("INIT_START ")
    # another runtime: another version and ARN; JSON logs: a platform.initStart record
    node(lam, "initn", LoggingConfig={"LogFormat": "JSON"}, MemorySize=256)
    node_arn = lam.get_function_configuration(FunctionName="initn")["RuntimeVersionConfig"]["RuntimeVersionArn"]
    assert node_arn != arn and re.fullmatch(r"arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}", node_arn)
    tail(lam, "initn")
    init = json.loads(first_message(cloudlet, "/aws/lambda/initn"))
    assert init["type"] == "platform.initStart" and ISO_MS.fullmatch(init["time"])
    record = init["record"]
    assert {k: record[k] for k in ("initializationType", "phase", "runtimeVersion", "runtimeVersionArn",
                                   "functionName", "functionVersion", "instanceMaxMemory")} == {
        "initializationType": "on-demand", "phase": "init", "runtimeVersion": "nodejs:20.v1",
        "runtimeVersionArn": node_arn, "functionName": "initn", "functionVersion": "$LATEST",
        "instanceMaxMemory": 256 * 1024 * 1024}
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", record["instanceId"])


def test_runtime_management_config(cloudlet):
    lam = cloudlet.client("lambda")
    out = create(lam, "rt", "def handler(e, c):\n    return 1\n")
    own = out["RuntimeVersionConfig"]["RuntimeVersionArn"]
    assert lam.get_runtime_management_config(FunctionName="rt")["UpdateRuntimeOn"] == "Auto"
    got = lam.get_runtime_management_config(FunctionName="rt")
    assert {k: v for k, v in got.items() if k != "ResponseMetadata"} == {"UpdateRuntimeOn": "Auto",
                                                                         "FunctionArn": ARN + "rt"}
    pinned = "arn:aws:lambda:us-east-1::runtime:" + "ab" * 32
    for bad in ({"UpdateRuntimeOn": "Manual"}, {"UpdateRuntimeOn": "Auto", "RuntimeVersionArn": pinned}):
        code, status, _ = error_of(lam.put_runtime_management_config, FunctionName="rt", **bad)
        assert (code, status) == ("InvalidParameterValueException", 400)
    code, status, _ = error_of(lam.put_runtime_management_config, FunctionName="missing", UpdateRuntimeOn="Auto")
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, status, _ = error_of(lam.get_runtime_management_config, FunctionName="rt", Qualifier="7")
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert configuration(lam, "rt")["RuntimeVersionConfig"] == {"RuntimeVersionArn": own}
    put = lam.put_runtime_management_config(FunctionName="rt", UpdateRuntimeOn="Manual", RuntimeVersionArn=pinned)
    assert (put["UpdateRuntimeOn"], put["FunctionArn"], put["RuntimeVersionArn"]) == ("Manual", ARN + "rt", pinned)
    assert configuration(lam, "rt")["RuntimeVersionConfig"] == {"RuntimeVersionArn": pinned}
    tail(lam, "rt")
    assert first_message(cloudlet, "/aws/lambda/rt") == (
        f"INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: {pinned}")
    # a published version keeps the setting; a runtime change keeps a pinned ARN, and follows the runtime in Auto
    version = lam.publish_version(FunctionName="rt")
    assert version["RuntimeVersionConfig"] == {"RuntimeVersionArn": pinned}
    assert lam.get_runtime_management_config(FunctionName="rt", Qualifier="1")["FunctionArn"] == ARN + "rt:1"
    lam.update_function_configuration(FunctionName="rt", Runtime="python3.11")
    assert configuration(lam, "rt")["RuntimeVersionConfig"] == {"RuntimeVersionArn": pinned}
    lam.put_runtime_management_config(FunctionName="rt", UpdateRuntimeOn="FunctionUpdate")
    after = configuration(lam, "rt")["RuntimeVersionConfig"]["RuntimeVersionArn"]
    assert after not in (own, pinned)  # python3.11's own version
    assert "RuntimeVersionArn" not in lam.get_runtime_management_config(FunctionName="rt")
    assert lam.get_runtime_management_config(FunctionName="rt", Qualifier="1")["UpdateRuntimeOn"] == "Manual"
