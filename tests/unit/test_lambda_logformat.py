"""compute/logformat.py: the levels Lambda gives output lines, and system lines per LoggingConfig."""

import json

import pytest

from cloudlet.compute import logs
from cloudlet.compute.logformat import RANK, FunctionLog, line_level, variables
from cloudlet.compute.model import FunctionConfig, LogSettings

METERING = logs.metering(12.345, 128, 40, 100.0)


@pytest.mark.parametrize("line,level", [
    ("plain text", "INFO"),
    ('{"level": "debug", "msg": "x"}', "DEBUG"),
    ('{"level":"Error"}', "ERROR"),
    ('{"level": "WARNING"}', "WARN"),
    ('{"level": "critical"}', "FATAL"),
    ('{"level": "TRACE"}', "TRACE"),
    ('{"level": "loud"}', "INFO"),  # an invalid level is INFO, as Lambda assigns it
    ('{"level": 40}', "INFO"),
    ('{"msg": "no level"}', "INFO"),
    ('{"level": "debug"', "INFO"),  # not JSON
    ('["level", "debug"]', "INFO"),
    ("", "INFO"),
])
def test_line_levels(line, level):
    assert line_level(line) == RANK[level]


def config(**logging) -> FunctionConfig:
    return FunctionConfig(name="f", runtime="python3.12", handler="app.handler", logging=LogSettings(**logging))


def test_text_lines_are_lambdas_and_nothing_is_filtered():
    log = FunctionLog(config())
    assert log.start("r") == logs.start_line("r", "$LATEST")
    assert log.end("r", "failure", "ValueError") == logs.end_line("r")
    assert log.report("r", METERING, "timeout") == logs.report_line("r", METERING, "timeout")
    assert log.init_report(5.0, "init", "Runtime.ExitError") == logs.init_report_line(5.0, "init", "Runtime.ExitError")
    assert log.init_start("stream").startswith("INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: ")
    assert all(log.keep(line) for line in ('{"level": "trace"}', "x"))
    assert variables(LogSettings()) == {}


def test_json_records_and_levels():
    log = FunctionLog(config(format="JSON", application_level="WARN", system_level="INFO"))
    start = json.loads(log.start("r", ms=0))
    assert start == {"time": "1970-01-01T00:00:00.000Z", "type": "platform.start",
                     "record": {"requestId": "r", "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:f",
                                "version": "$LATEST"}}
    assert log.end("r", "success") is None  # platform.runtimeDone is DEBUG
    report = json.loads(log.report("r", METERING, "error", "Runtime.ExitError", ms=0))["record"]
    assert report == {"requestId": "r", "metrics": {"durationMs": 12.35, "billedDurationMs": 113,
                                                    "memorySizeMB": 128, "maxMemoryUsedMB": 40,
                                                    "initDurationMs": 100.0},
                      "status": "error", "errorType": "Runtime.ExitError"}
    assert [log.keep(line) for line in ("x", '{"level": "warn"}', '{"level": "ERROR"}')] == [False, True, True]
    assert variables(LogSettings("JSON", "WARN")) == {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "WARN"}
    quiet = FunctionLog(config(format="JSON", system_level="WARN"))
    assert [quiet.init_start("s"), quiet.start("r"), quiet.report("r", METERING),
            quiet.init_report(1.0, "init", "X")] == [None] * 4
    debug = FunctionLog(config(format="JSON", system_level="DEBUG"))
    done = json.loads(debug.end("r", "failure", "ValueError", 1.5, 10))["record"]
    assert done == {"requestId": "r", "status": "failure", "errorType": "ValueError",
                    "metrics": {"durationMs": 1.5, "producedBytes": 10}}
