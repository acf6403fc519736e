"""Function logs and metering: the LogSink interface and Lambda's START / END / REPORT lines."""

from __future__ import annotations

import math
import sys
import time
from typing import Protocol

from cloudlet.compute.model import Metering

TAIL_BYTES = 4096


class LogSink(Protocol):
    """Where function log lines go (the CloudWatch Logs service implements this later)."""

    def write(self, log_group: str, log_stream: str, timestamp_ms: int, message: str) -> None: ...


class MeteringSink(Protocol):
    """Where one metering record per invocation goes (metrics, billing)."""

    def record(self, function_arn: str, request_id: str, metering: Metering) -> None: ...


class MemoryLogSink:
    """Keeps every line in memory: for tests and for running without a logs service."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, int, str]] = []

    def write(self, log_group: str, log_stream: str, timestamp_ms: int, message: str) -> None:
        self.events.append((log_group, log_stream, timestamp_ms, message))

    def messages(self, log_group: str | None = None) -> list[str]:
        return [e[3] for e in self.events if log_group is None or e[0] == log_group]


class StderrLogSink:
    """Prints lines prefixed with the log group: the default when nothing else is plugged in."""

    def write(self, log_group: str, log_stream: str, timestamp_ms: int, message: str) -> None:
        sys.stderr.write(f"{log_group} {message}")


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}\n"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}\n"


def report_line(request_id: str, m: Metering, status: str = "", error_type: str = "") -> str:
    """The REPORT line; `status` is "timeout" or "error" (with the platform's `error_type`) when the
    invocation did not end normally, as Lambda adds them."""
    line = (f"REPORT RequestId: {request_id}\tDuration: {m.duration_ms:.2f} ms\tBilled Duration: {m.billed_ms} ms\t"
            f"Memory Size: {m.memory_mb} MB\tMax Memory Used: {m.max_memory_mb} MB\t")
    if m.init_duration_ms is not None:
        line += f"Init Duration: {m.init_duration_ms:.2f} ms\t"
    if status:
        line += f"Status: {status}\t"
    if error_type:
        line += f"Error Type: {error_type}\t"
    return line + "\n"


def init_report_line(init_ms: float, phase: str, error_type: str) -> str:
    """Lambda's line for an init phase that failed."""
    return f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: {phase}\tStatus: error\tError Type: {error_type}\n"


def exit_lines(request_id: str, description: str, error_type: str) -> str:
    """What Lambda logs when the runtime process ends during an invocation (one log event)."""
    return f"RequestId: {request_id} Error: {description}\n{error_type}\n"


def metering(duration_ms: float, memory_mb: int, max_memory_mb: int, init_ms: float | None,
             timeout_ms: float | None = None) -> Metering:
    """Lambda's billing: 1 ms granularity, the init phase billed on cold starts, an invocation
    billed no longer than its timeout."""
    run_ms = duration_ms if timeout_ms is None else min(duration_ms, timeout_ms)
    billed = max(1, math.ceil(run_ms + (init_ms or 0.0)))
    return Metering(round(duration_ms, 2), billed, memory_mb, max_memory_mb,
                    None if init_ms is None else round(init_ms, 2))


def timestamp(ms: int | None = None) -> str:
    """Lambda's log timestamp: 2024-01-01T00:00:00.000Z."""
    ms = int(time.time() * 1000) if ms is None else ms
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"
