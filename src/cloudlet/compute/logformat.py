"""A function's LoggingConfig applied to its log: Text or JSON system records, and log-level filtering.

With LogFormat Text, Lambda writes its plain START / END / REPORT lines and passes every line of the
function's output. With JSON it writes `platform.*` records instead, keeps those at or above the
SystemLogLevel (platform.start, platform.report and platform.initReport are INFO, platform.runtimeDone
DEBUG), and keeps an output line only when its level is at or above the ApplicationLogLevel: the
`level` of a line that is a JSON object, INFO for any other line.
"""

from __future__ import annotations

import orjson

from cloudlet.compute import logs
from cloudlet.compute.model import FunctionConfig, LogSettings, Metering
from cloudlet.compute.runtimes import runtime_version, runtime_version_arn

# Lambda's levels, least detailed last; WARNING and CRITICAL are the Python names of two of them.
RANK = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "WARNING": 3, "ERROR": 4, "FATAL": 5, "CRITICAL": 5}
INFO = RANK["INFO"]


def line_level(line: str) -> int:
    """The level Lambda gives a line of function output: a JSON object's `level` (any case), else INFO."""
    if line[:1] != "{":
        return INFO
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:
        return INFO
    level = doc.get("level") if isinstance(doc, dict) else None
    return RANK.get(level.upper(), INFO) if isinstance(level, str) else INFO


class FunctionLog:
    """The system lines of one function configuration and the filter of its output.

    Each system method returns the line to write, or None when the configured level drops it."""

    def __init__(self, config: FunctionConfig) -> None:
        self.config = config
        settings: LogSettings = config.logging
        self.json = settings.format == "JSON"
        self.app_rank = RANK.get(settings.application_level, INFO) if self.json else 0
        self.system_rank = RANK.get(settings.system_level, INFO) if self.json else 0

    @property
    def filters(self) -> bool:
        """Whether any output line can be dropped (JSON logs: the ApplicationLogLevel applies)."""
        return self.app_rank > 0

    def keep(self, line: str) -> bool:
        """Whether a line the function wrote passes the ApplicationLogLevel (always, for Text logs)."""
        return self.app_rank == 0 or line_level(line) >= self.app_rank

    def _record(self, kind: str, level: str, record: dict, ms: int | None) -> str | None:
        if RANK[level] < self.system_rank:
            return None
        return orjson.dumps({"time": logs.timestamp(ms), "type": kind, "record": record}).decode() + "\n"

    def init_start(self, instance_id: str, provisioned: bool = False, ms: int | None = None) -> str | None:
        """INIT_START, or platform.initStart: the runtime version an environment starts with."""
        config = self.config
        version = runtime_version(config.runtime)
        arn = config.runtime_version_arn or runtime_version_arn(config.region, config.runtime)
        if not self.json:
            return f"INIT_START Runtime Version: {version}\tRuntime Version ARN: {arn}\n"
        return self._record("platform.initStart", "INFO", {
            "initializationType": "provisioned-concurrency" if provisioned else "on-demand", "phase": "init",
            "runtimeVersion": version, "runtimeVersionArn": arn, "functionName": config.name,
            "functionVersion": config.version, "instanceId": instance_id,
            "instanceMaxMemory": config.memory_mb * 1024 * 1024}, ms)

    def start(self, request_id: str, ms: int | None = None) -> str | None:
        config = self.config
        if not self.json:
            return logs.start_line(request_id, config.version)
        return self._record("platform.start", "INFO",
                            {"requestId": request_id, "functionArn": config.arn, "version": config.version}, ms)

    def end(self, request_id: str, status: str, error_type: str = "", duration_ms: float = 0.0,
            produced_bytes: int = 0, ms: int | None = None) -> str | None:
        """END, or platform.runtimeDone: `status` success | failure (a function error) | error | timeout."""
        if not self.json:
            return logs.end_line(request_id)
        record: dict = {"requestId": request_id, "status": status}
        if error_type:
            record["errorType"] = error_type
        record["metrics"] = {"durationMs": round(duration_ms, 3), "producedBytes": produced_bytes}
        return self._record("platform.runtimeDone", "DEBUG", record, ms)

    def report(self, request_id: str, metering: Metering, status: str = "", error_type: str = "",
               ms: int | None = None) -> str | None:
        """REPORT, or platform.report; `status` is "" (success), "timeout" or "error" as for the REPORT line."""
        if not self.json:
            return logs.report_line(request_id, metering, status, error_type)
        metrics: dict = {"durationMs": metering.duration_ms, "billedDurationMs": metering.billed_ms,
                         "memorySizeMB": metering.memory_mb, "maxMemoryUsedMB": metering.max_memory_mb}
        if metering.init_duration_ms is not None:
            metrics["initDurationMs"] = metering.init_duration_ms
        record: dict = {"requestId": request_id, "metrics": metrics, "status": status or "success"}
        if error_type:
            record["errorType"] = error_type
        return self._record("platform.report", "INFO", record, ms)

    def init_report(self, init_ms: float, phase: str, error_type: str, initialization: str = "on-demand",
                    ms: int | None = None) -> str | None:
        """INIT_REPORT of an init phase that failed, or platform.initReport."""
        if not self.json:
            return logs.init_report_line(init_ms, phase, error_type)
        return self._record("platform.initReport", "INFO",
                            {"initializationType": initialization, "phase": phase, "status": "error",
                             "errorType": error_type, "metrics": {"durationMs": round(init_ms, 3)}}, ms)


def variables(settings: LogSettings) -> dict[str, str]:
    """The variables that tell a runtime how to log: set for JSON logs only, as Lambda sets them."""
    if settings.format != "JSON":
        return {}
    return {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": settings.application_level}
