"""One execution environment: a sandboxed runtime process, its Runtime API channel and its log.

An environment runs one invocation at a time. It is started (init), then invoked any number of
times, and destroyed after a timeout, a crash, running out of memory, or when the pool reaps it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import orjson

from cloudlet.compute import logs, peers
from cloudlet.compute.logformat import FunctionLog
from cloudlet.compute.model import FunctionConfig, InvocationMeta, InvocationResult
from cloudlet.compute.runtime_api import Invocation, RuntimeAPIServer, RuntimeChannel, next_headers
from cloudlet.compute.sandbox import Cgroups, UserNamespace

log = logging.getLogger("cloudlet.compute")
OOM_TYPES = ("Runtime.OutOfMemory", "MemoryError")
MAX_LINE = 256 * 1024
# The built-in runtimes write a log event that holds line breaks (an error with its traceback, a
# multi-line log record) as one line that starts with FRAME, its line breaks written as BREAK, as
# Lambda's runtimes write such events through a framed channel.
FRAME, BREAK = b"\x1e", b"\x1f"


class InitFailed(Exception):
    """The environment could not initialise; `doc` is the error document to return, `lines` its log."""

    def __init__(self, doc: dict) -> None:
        super().__init__(doc.get("errorMessage", ""))
        self.doc = doc
        self.lines: list[str] = []
        self.log_stream = ""
        self.init_ms = 0.0


class EnvironmentLost(Exception):
    """The runtime ended between invocations (after answering the last one) without asking for the
    next: the invocation did not start here and may run in another environment."""


class _Exited(Exception):
    def __init__(self, description: str, killed: bool) -> None:
        super().__init__(description)
        self.description = description
        self.killed = killed


class _TimedOut(Exception):
    pass


class Process:
    """The handle of an environment's runtime process, however it was started."""

    def __init__(self, pid: int, waiter: asyncio.Future | None, kill: Callable[[], None],
                 runtime_pid: Callable[[], int | None]) -> None:
        self.pid = pid
        self.waiter = waiter  # resolves to the return code (None when only EOF tells the end)
        self._kill = kill
        self._runtime_pid = runtime_pid
        self._cached: int | None = None

    def kill(self) -> None:
        try:
            self._kill()
        except ProcessLookupError:
            pass

    def runtime_pid(self) -> int | None:
        if self._cached is None:
            self._cached = self._runtime_pid()
        return self._cached


async def spawn_process(argv: list[str], env: dict[str, str], out_fd: int, preexec,
                        userns: UserNamespace | None = None) -> Process:
    """Start a sandbox command with stdout and stderr on `out_fd`."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=subprocess.DEVNULL, stdout=out_fd, stderr=out_fd, env=env, preexec_fn=preexec,
            start_new_session=True, pass_fds=userns.child_fds if userns else ())
    except BaseException:
        if userns is not None:
            userns.spawned()
            userns.close()
        raise
    waiter = asyncio.ensure_future(proc.wait())
    if userns is not None:
        userns.spawned()
        try:
            await userns.complete()
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            raise

    def kill() -> None:
        os.killpg(proc.pid, signal.SIGKILL)

    return Process(proc.pid, waiter, kill, lambda: runtime_descendant(proc.pid))


def runtime_descendant(pid: int) -> int | None:
    """The runtime process below `pid`: the first process that is not bubblewrap itself."""
    for _ in range(4):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() not in ("bwrap", "setpriv"):
                    return pid
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                children = f.read().split()
        except OSError:
            return None
        if not children:
            return None
        pid = int(children[0])
    return None


class PeakMemory:
    """Reads a process's peak resident memory (VmHWM) through one open /proc status file."""

    def __init__(self) -> None:
        self.fd = -1

    def read_mb(self, pid: int | None) -> int:
        if pid is None:
            return 0
        try:
            if self.fd < 0:
                self.fd = os.open(f"/proc/{pid}/status", os.O_RDONLY)
            data = os.pread(self.fd, 4096, 0)
        except OSError:
            return 0
        start = data.find(b"VmHWM:")
        if start < 0:
            return 0
        return int(data[start + 6:data.index(b"kB", start)]) // 1024

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Environment:
    """A sandboxed runtime serving one function configuration, one invocation at a time."""

    def __init__(self, config: FunctionConfig, server: RuntimeAPIServer, sink: logs.LogSink,
                 provisioned: bool = False) -> None:
        self.config = config
        self.id = uuid.uuid4().hex
        self.log_stream = time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{config.version}]{self.id}"
        self.sink = sink
        self.log = FunctionLog(config)
        # a line the runtime wrote; with Text logs every line is kept, so the filter is not even called
        self.output = self._output_filtered if self.log.filters else self.emit
        self.provisioned = provisioned
        self.state = "init"  # init | idle | busy | dead
        self.last_used = time.monotonic()
        self.init_ms: float | None = None
        self.cold = True  # the next invocation reports Init Duration
        self.max_memory_mb = 0
        self.process: Process | None = None
        self.cgroup: Path | None = None
        self._loop = asyncio.get_running_loop()
        self._ready: asyncio.Future = self._loop.create_future()
        self.channel: RuntimeChannel = server.channel(self._on_ready, self._on_init_error)
        self._fd = -1
        self._partial = b""
        self._tail: list[str] | None = None
        self._init_lines: list[str] = []
        self._current: Invocation | None = None
        self.exit_description = ""
        self.oom_seen = False
        self._peak = PeakMemory()

    # -- start -------------------------------------------------------------------------------------
    def output_pipe(self) -> int:
        """Create the log pipe; returns the write end for the runtime process."""
        r, w = os.pipe()
        os.set_blocking(r, False)
        self._fd = r
        self._loop.add_reader(r, self._read)
        return w

    async def start(self, process_factory, init_timeout: float) -> None:
        """Start the runtime (process_factory(write_fd) -> Process) and wait for its first /next."""
        begin = time.perf_counter()
        self.emit(self.log.init_start(self.log_stream, self.provisioned))
        self._init_lines.clear()  # INIT_START is logged but, as on Lambda, in no invocation's LogType=Tail
        w = self.output_pipe()
        try:
            self.process = await asyncio.wait_for(process_factory(w), init_timeout)
        except TimeoutError:
            self.destroy()
            raise InitFailed({"errorType": "Runtime.InitTimeout",
                              "errorMessage": f"Init phase timed out after {init_timeout:.2f} seconds"}) from None
        except BaseException:
            self.destroy()
            raise
        finally:
            os.close(w)
        if self.process.waiter is not None:
            self.process.waiter.add_done_callback(lambda f: self._on_exit(f.result() if not f.cancelled() else None))
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), init_timeout)
        except TimeoutError:
            self.destroy()
            exc = InitFailed({"errorType": "Runtime.InitTimeout",
                              "errorMessage": f"Init phase timed out after {init_timeout:.2f} seconds"})
            exc.lines, exc.log_stream = self._init_lines, self.log_stream
            exc.init_ms = (time.perf_counter() - begin) * 1000
            raise exc from None
        except InitFailed as exc:
            self._read()
            self.destroy()
            exc.lines, exc.log_stream = self._init_lines, self.log_stream
            exc.init_ms = (time.perf_counter() - begin) * 1000
            raise
        self.init_ms = (time.perf_counter() - begin) * 1000
        self.state = "idle"

    def _on_ready(self) -> None:
        if not self._ready.done():
            self._ready.set_result(None)

    def _on_init_error(self, body: bytes, error_type: str) -> None:
        try:
            doc = orjson.loads(body)
            if not isinstance(doc, dict):
                raise ValueError
        except ValueError:
            doc = {"errorMessage": body.decode("utf-8", "replace"), "errorType": error_type or "Runtime.Unknown"}
        doc.setdefault("errorType", error_type or "Runtime.Unknown")
        if not self._ready.done():
            self._ready.set_exception(InitFailed(doc))

    def _on_exit(self, returncode: int | None) -> None:
        self._read()
        if returncode is None or returncode == 0:  # Lambda's words for a runtime that ends without an error
            description, killed = "Runtime exited without providing a reason", False
        elif returncode < 0 or returncode > 128:
            signum = -returncode if returncode < 0 else returncode - 128
            name = {9: "killed", 6: "aborted", 11: "segmentation fault", 15: "terminated"}.get(signum, str(signum))
            description, killed = f"Runtime exited with error: signal: {name}", signum == 9
        else:
            description, killed = f"Runtime exited with error: exit status {returncode}", False
        self.exit_description = description
        if not self._ready.done():
            self._ready.set_exception(InitFailed({
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {{request_id}} Error: {description}"}))
        inv = self._current
        if inv is not None and not inv.future.done():
            inv.future.set_exception(_Exited(description, killed))
        polled = self.channel.polled
        if polled is not None and not polled.done():
            polled.set_exception(EnvironmentLost(description))
        if self.state != "dead":
            self.destroy()

    def process_ids(self) -> list[int] | None:
        """The pids of the environment's processes (None while it is being started)."""
        return peers.process_tree(self.process.pid) if self.process is not None else None

    # -- logs --------------------------------------------------------------------------------------
    def _read(self) -> None:
        if self._fd < 0:
            return
        chunks = []
        eof = False
        try:
            for _ in range(16):  # at most 1 MB per call: a flooding function cannot starve the loop
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    eof = True
                    break
                chunks.append(chunk)
                if len(chunk) < 65536:
                    break
        except BlockingIOError:
            pass
        except OSError:
            eof = True
        if chunks:
            data = self._partial + b"".join(chunks)
            *lines, self._partial = data.split(b"\n")
            for line in lines:
                if line[:1] == FRAME:
                    line = line[1:].replace(BREAK, b"\n")
                while len(line) > MAX_LINE:  # Lambda splits log events above 256 KB
                    self.output(line[:MAX_LINE].decode("utf-8", "replace") + "\n")
                    line = line[MAX_LINE:]
                self.output(line.decode("utf-8", "replace") + "\n")
            while len(self._partial) > MAX_LINE:
                self.output(self._partial[:MAX_LINE].decode("utf-8", "replace") + "\n")
                self._partial = self._partial[MAX_LINE:]
        if eof:
            self._close_pipe()

    def _close_pipe(self) -> None:
        if self._fd >= 0:
            self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = -1
            if self._partial:
                partial = self._partial
                if partial[:1] == FRAME:
                    partial = partial[1:].replace(BREAK, b"\n")
                self.output(partial.decode("utf-8", "replace") + "\n")
                self._partial = b""
            if self.process is not None and self.process.waiter is None:
                self._on_exit(None)  # a forked environment: EOF is how its end is seen

    def _output_filtered(self, message: str) -> None:
        """A line the runtime wrote: logged unless the function's ApplicationLogLevel drops it."""
        if self.log.keep(message):
            self.emit(message)
        elif "out of memory" in message:
            self.oom_seen = True

    def emit(self, message: str | None) -> None:
        """Write one log event (None: a system line the SystemLogLevel dropped)."""
        if message is None:
            return
        self.sink.write(self.config.log_group, self.log_stream, int(time.time() * 1000), message)
        if "out of memory" in message:  # e.g. V8's "JavaScript heap out of memory" before it aborts
            self.oom_seen = True
        if self._tail is not None:
            self._tail.append(message)
        elif self.state == "init":
            self._init_lines.append(message)

    # -- invoke ------------------------------------------------------------------------------------
    async def invoke(self, payload: bytes, meta: InvocationMeta) -> InvocationResult:
        """Run one invocation; the environment is destroyed when it times out, crashes or runs out of memory."""
        config = self.config
        self.state = "busy"
        if not self.channel.polling:
            await self._await_poll(config.timeout_s)
        request_id = meta.request_id
        cold = self.cold
        self.cold = False
        self._read()  # init output first
        if meta.log_tail:
            self._tail = self._init_lines if cold else []
        self._init_lines = []
        self.emit(self.log.start(request_id))
        begin = time.perf_counter()
        deadline_ms = int(time.time() * 1000 + config.timeout_s * 1000)
        headers = next_headers(request_id, deadline_ms, meta.invoked_function_arn or config.arn, meta.trace_id,
                               meta.client_context, meta.cognito_identity)
        inv = Invocation(request_id, payload, headers, self._loop.create_future())
        self._current = inv
        timer = self._loop.call_later(config.timeout_s, _expire, inv.future)
        self.channel.deliver(inv)
        function_error = None
        status = platform_error = ""  # for the REPORT line: how a run that did not end normally ended
        function_error_type = ""
        try:
            body, error_type = await inv.future
            if error_type is not None:
                function_error, function_error_type = "Unhandled", error_type
                if error_type in OOM_TYPES:
                    body = _platform_error(request_id, "Runtime.OutOfMemory",
                                           "Runtime exited with error: signal: killed")
                    self.destroy()
                    self.emit(logs.exit_lines(request_id, "Runtime exited with error: signal: killed", "Runtime.OutOfMemory"))
                    status, platform_error = "error", "Runtime.OutOfMemory"
        except _TimedOut:
            self.emit(f"{logs.timestamp()} {request_id} Task timed out after {config.timeout_s:.2f} seconds\n")
            self.destroy()
            function_error = "Unhandled"
            body = _platform_error(request_id, "Sandbox.Timedout",
                                   f"Task timed out after {config.timeout_s:.2f} seconds")
            status = "timeout"
        except _Exited as exc:
            function_error = "Unhandled"
            peak = max(self.max_memory_mb, Cgroups.peak_mb(self.cgroup) or 0)
            self._read()
            oom = (Cgroups.oom_killed(self.cgroup) or self.oom_seen
                   or (exc.killed and peak >= config.memory_mb * 0.9))
            if oom:
                self.max_memory_mb = max(self.max_memory_mb, config.memory_mb)
            error_type = "Runtime.OutOfMemory" if oom else "Runtime.ExitError"
            body = _platform_error(request_id, error_type, exc.description)
            self.emit(logs.exit_lines(request_id, exc.description, error_type))
            status, platform_error = "error", error_type
        except BaseException:  # cancelled by the caller, or a bug: this environment is in an unknown state
            self.destroy()
            raise
        finally:
            timer.cancel()
            self._current = None
        duration = (time.perf_counter() - begin) * 1000
        self._read()  # output written before the response is in the pipe already: keep it in this invocation
        peak = max(self._peak.read_mb(self.process.runtime_pid()) if self.state != "dead" else 0,
                   Cgroups.peak_mb(self.cgroup) or 0)
        self.max_memory_mb = max(self.max_memory_mb, peak)
        if self.state != "dead" and self.max_memory_mb > config.memory_mb:
            function_error = "Unhandled"  # over its memory size: what Lambda's memory limit would have killed
            body = _platform_error(request_id, "Runtime.OutOfMemory", "Runtime exited with error: signal: killed")
            self.destroy()
            self.emit(logs.exit_lines(request_id, "Runtime exited with error: signal: killed", "Runtime.OutOfMemory"))
            status, platform_error = "error", "Runtime.OutOfMemory"
        metering = logs.metering(duration, config.memory_mb, min(self.max_memory_mb, config.memory_mb),
                                 self.init_ms if cold else None, config.timeout_s * 1000)
        done = status or ("failure" if function_error else "success")
        self.emit(self.log.end(request_id, done, platform_error or (function_error_type if function_error else ""),
                               duration, len(body)))
        self.emit(self.log.report(request_id, metering, status, platform_error))
        tail = ""
        if self._tail is not None:
            raw = "".join(self._tail).encode()[-logs.TAIL_BYTES:]
            tail = raw.decode("utf-8", "ignore")
            self._tail = None
        if self.state == "busy":
            self.state = "idle"
            self.last_used = time.monotonic()
        return InvocationResult(request_id, body, function_error, config.version, tail, metering, cold)

    async def _await_poll(self, timeout_s: float) -> None:
        """Wait for the runtime to ask for its next invocation; EnvironmentLost if it ends instead
        (a runtime that reports a fatal error for the last invocation, then exits)."""
        polled = self.channel.polled = self._loop.create_future()
        try:
            await asyncio.wait_for(asyncio.shield(polled), timeout_s)
        except TimeoutError:
            pass  # delivered anyway: the invocation times out as it would have
        except EnvironmentLost:
            self.destroy()
            raise
        finally:
            self.channel.polled = None
            if polled.done() and not polled.cancelled():
                polled.exception()  # retrieved: no "never retrieved" warning
            else:
                polled.cancel()

    # -- end ---------------------------------------------------------------------------------------
    def destroy(self) -> None:
        """Kill the runtime and everything it started; the environment is never used again."""
        if self.state == "dead":
            return
        self.state = "dead"
        self.channel.close()
        self._peak.close()
        if self.process is not None:
            self.process.kill()
        if not self._ready.done():
            self._ready.set_exception(InitFailed({"errorType": "Runtime.ExitError",
                                                  "errorMessage": "environment destroyed during init"}))
            self._ready.exception()
        if self._fd >= 0:
            fd = self._fd
            self._loop.call_later(0.05, self._drain_closed, fd)
        Cgroups.remove(self.cgroup)

    def _drain_closed(self, fd: int) -> None:
        if self._fd == fd:
            self._read()
            if self._fd == fd:
                self._close_pipe()


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(_TimedOut())


def _platform_error(request_id: str, error_type: str, message: str) -> bytes:
    return orjson.dumps({"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {message}"})
