"""The environment pool: warm reuse, concurrency limits, provisioned environments, reaping.

    pool = Pool(PoolSettings(data_dir=...), log_sink=...)
    await pool.start()
    result = await pool.invoke(function_config, payload, InvocationMeta(...))

An invocation takes an idle environment of its configuration (the most recently used one) or
starts a new one; no environment ever runs two invocations at once. Concurrency is the number
of invocations in flight: per account (`account_concurrency`), and per function when it has
reserved concurrency (0 = always throttled); unreserved functions share what the reservations
leave. Environments idle longer than `keep_alive_s` are reaped (scale to zero), except
provisioned ones.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import orjson

from cloudlet.compute import logformat, logs
from cloudlet.compute.codestore import CodeStore, layers_key
from cloudlet.compute.environment import Environment, EnvironmentLost, InitFailed, spawn_process
from cloudlet.compute.errors import Throttled
from cloudlet.compute.model import PROVIDED_RUNTIMES, FunctionConfig, InvocationMeta, InvocationResult
from cloudlet.compute.runtime_api import RuntimeAPIServer, new_trace_id
from cloudlet.compute.runtimes import RuntimeLaunch, launch_for
from cloudlet.compute.sandbox import Sandbox, SandboxSpec

XRAY_DAEMON = "169.254.79.129:2000"  # where Lambda's environments find the X-Ray daemon (none runs here)
log = logging.getLogger("cloudlet.compute")


@dataclass
class PoolSettings:
    data_dir: Path
    endpoint_url: str = "http://127.0.0.1:4566"
    sandbox: str = "bwrap"  # "bwrap" | "none" (no isolation: only behind an explicit flag)
    account_concurrency: int = 1000
    keep_alive_s: float = 300.0
    reap_interval_s: float = 5.0
    init_timeout_s: float = 10.0
    zygotes: bool = True
    cgroup: str = ""


class _Group:
    """The environments of one function configuration."""

    __slots__ = ("config", "idle", "all", "cold_starts")

    def __init__(self, config: FunctionConfig) -> None:
        self.config = config
        self.cold_starts = 0
        self.idle: list[Environment] = []
        self.all: set[Environment] = set()


class Pool:
    """Runs invocations in warm or new execution environments within the concurrency limits."""

    def __init__(self, settings: PoolSettings, log_sink: logs.LogSink | None = None,
                 metering_sink: logs.MeteringSink | None = None, code: CodeStore | None = None) -> None:
        self.settings = settings
        root = Path(settings.data_dir) / "compute"
        self.code = code or CodeStore(root)
        self.sandbox = Sandbox(root, settings.sandbox, cgroup=settings.cgroup)
        self.log_sink = log_sink or logs.StderrLogSink()
        self.metering_sink = metering_sink
        self.server = RuntimeAPIServer()
        self.groups: dict[str, _Group] = {}
        self.inflight_account: dict[str, int] = defaultdict(int)
        self.inflight_unreserved: dict[str, int] = defaultdict(int)
        self.inflight_function: dict[tuple[str, str], int] = defaultdict(int)
        self.reserved: dict[tuple[str, str], int] = {}
        self._zygotes = None
        self._reaper: asyncio.Task | None = None
        self._fetching: dict[tuple[str, tuple[str, ...]], asyncio.Future] = {}

    async def start(self) -> None:
        await self.server.start()
        if self.settings.zygotes and self.sandbox.isolated:
            from cloudlet.compute.zygote import ZygoteManager

            self._zygotes = ZygoteManager(self)
        self._reaper = asyncio.create_task(self._reap_loop())

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        waiters = []
        for group in list(self.groups.values()):
            for env in list(group.all):
                env.destroy()
                if env.process is not None and env.process.waiter is not None:
                    waiters.append(env.process.waiter)
        self.groups.clear()
        if waiters:
            await asyncio.wait(waiters, timeout=5)
        if self._zygotes is not None:
            self._zygotes.stop()
        await self.server.stop()

    # -- concurrency -------------------------------------------------------------------------------
    def set_reserved_concurrency(self, account_id: str, function_name: str, value: int | None) -> None:
        key = (account_id, function_name)
        if value is None:
            self.reserved.pop(key, None)
        else:
            self.reserved[key] = value

    def _admit(self, config: FunctionConfig) -> tuple[tuple[str, str], bool]:
        """Count an invocation in, or raise Throttled; returns its key and whether it is reserved."""
        key = (config.account_id, config.name)
        if config.reserved_concurrency is not None:
            self.reserved[key] = config.reserved_concurrency
        reserved = self.reserved.get(key)
        account = config.account_id
        if reserved is not None:
            if not self._fits_reservation(config, key, reserved):
                raise Throttled("Rate Exceeded.", "ReservedFunctionConcurrentInvocationLimitExceeded")
        else:
            total_reserved = sum(v for (acct, _), v in self.reserved.items() if acct == account)
            if self.inflight_unreserved[account] >= self.settings.account_concurrency - total_reserved:
                raise Throttled("Rate Exceeded.", "ConcurrentInvocationLimitExceeded")
            self.inflight_unreserved[account] += 1
        self.inflight_account[account] += 1
        self.inflight_function[key] += 1
        return key, reserved is not None

    def _fits_reservation(self, config: FunctionConfig, key: tuple[str, str], reserved: int) -> bool:
        """Whether an invocation fits the function's reserved concurrency. Provisioned environments hold
        their share of it: an invocation that finds no idle one of its own version runs on demand, in
        what the reservation leaves beside them (nothing when they hold all of it, as on Lambda)."""
        group = self.groups.get(config.key)
        if group is not None and any(env.provisioned and env.state == "idle" for env in group.idle):
            return self.inflight_function[key] < reserved
        provisioned = [env for g in self.groups.values() if (g.config.account_id, g.config.name) == key
                       for env in g.all if env.provisioned and env.state != "dead"]
        busy = sum(1 for env in provisioned if env.state == "busy")
        return self.inflight_function[key] - busy < reserved - len(provisioned)

    def _release(self, key: tuple[str, str], reserved: bool) -> None:
        self.inflight_account[key[0]] -= 1
        self.inflight_function[key] -= 1
        if not reserved:
            self.inflight_unreserved[key[0]] -= 1

    # -- invoke ------------------------------------------------------------------------------------
    async def invoke(self, config: FunctionConfig, payload: bytes, meta: InvocationMeta | None = None) -> InvocationResult:
        """Run one synchronous invocation. Raises Throttled when no concurrency is left."""
        meta = meta or InvocationMeta()
        meta.client_context = _decode_client_context(meta.client_context)
        meta.cognito_identity = _one_line_json(meta.cognito_identity)
        if not meta.trace_id or "\r" in meta.trace_id or "\n" in meta.trace_id:
            meta.trace_id = new_trace_id()  # Lambda gives every invocation a trace header, sampled or not
        key, reserved = self._admit(config)
        try:
            group = self.groups.get(config.key)
            if group is None:
                group = self.groups[config.key] = _Group(config)
            group.config = config  # new environments start with the latest credentials
            while True:
                env = None
                while group.idle:
                    candidate = group.idle.pop()
                    if candidate.state == "idle":
                        env = candidate
                        break
                if env is None:
                    try:
                        env = await self._new_environment(group)
                    except InitFailed as exc:
                        return self._init_failure(config, meta, exc)
                try:
                    result = await env.invoke(payload, meta)
                except EnvironmentLost:
                    group.all.discard(env)  # it ended before taking the invocation: run it elsewhere
                    continue
                except BaseException:
                    group.all.discard(env)  # the environment destroyed itself
                    raise
                break
            if env.state == "idle":
                group.idle.append(env)
            else:
                group.all.discard(env)
            if self.metering_sink is not None and result.metering is not None:
                self.metering_sink.record(config.arn, result.request_id, result.metering)
            return result
        finally:
            self._release(key, reserved)

    async def ensure_code(self, config: FunctionConfig) -> None:
        """Make a configuration's code and layers local: the code store fetches and unpacks what is
        missing in a worker thread, once however many cold starts wait for it."""
        key = ("" if config.code_dir else config.code_sha256, config.layers)
        if self.code.ready(key[0], list(key[1])):
            self.code.touch(key[0], list(key[1]))
            return
        pending = self._fetching.get(key)
        if pending is None:
            pending = self._fetching[key] = asyncio.ensure_future(
                asyncio.to_thread(self.code.prepare, key[0], list(key[1])))
            pending.add_done_callback(lambda _f: self._fetching.pop(key, None))
        await asyncio.shield(pending)

    def prepare(self, config: FunctionConfig) -> None:
        """Start the template (zygote) of a configuration ahead of its cold starts.

        Without this, a configuration gets its zygote when it needs its second environment.
        The code must be local already (`ensure_code`)."""
        if self._zygotes is None:
            return
        launch, spec = self._spec(config, None)
        if launch.zygote_capable:
            self._zygotes.for_config(config, launch, spec).start_soon()

    async def provision(self, config: FunctionConfig, count: int) -> int:
        """Start environments ahead of demand until `count` provisioned ones exist; returns how many are ready."""
        group = self.groups.get(config.key)
        if group is None:
            group = self.groups[config.key] = _Group(config)
        have = sum(1 for env in group.all if env.provisioned and env.state != "dead")
        for env in [e for e in group.idle if e.provisioned][: max(have - count, 0)]:
            group.idle.remove(env)  # fewer provisioned: surplus idle ones go (busy ones finish first)
            env.provisioned = False
            env.destroy()
            group.all.discard(env)
        started = await asyncio.gather(*(self._new_environment(group, provisioned=True)
                                         for _ in range(max(count - have, 0))), return_exceptions=True)
        for env in started:
            if isinstance(env, Environment):
                group.idle.append(env)
            else:
                log.warning("provisioning %s: %s", config.name, env)
        return sum(1 for env in group.all if env.provisioned and env.state != "dead")

    def retire(self, account_id: str, function_name: str) -> int:
        """Destroy the idle environments of every configuration of a function (deleted or updated);
        busy ones lose their provisioned status and are reaped once idle. Returns how many went."""
        gone = 0
        for key, group in list(self.groups.items()):
            config = group.config
            if (config.account_id, config.name) != (account_id, function_name):
                continue
            for env in list(group.all):
                env.provisioned = False
                if env.state in ("idle", "dead"):
                    env.destroy()
                    group.all.discard(env)
                    gone += 1
            group.idle.clear()
            if not group.all:  # forked environments die with their zygote: only when none is left
                del self.groups[key]
                if self._zygotes is not None:
                    self._zygotes.release(config)
        return gone

    def code_in_use(self) -> set[str]:
        """The packages and /opt views (CodeStore names) that environments or templates use now."""
        configs = [group.config for group in self.groups.values()]
        if self._zygotes is not None:
            configs += [zygote.config for zygote in self._zygotes.zygotes.values()]
        names = set()
        for config in configs:
            if config.code_sha256:
                names.add(config.code_sha256)
            if config.layers:
                names.update(config.layers)
                names.add(layers_key(config.layers))
        return names

    def environments(self, config: FunctionConfig | None = None) -> list[Environment]:
        groups = [self.groups[config.key]] if config and config.key in self.groups else (
            [] if config else list(self.groups.values()))
        return [env for g in groups for env in g.all if env.state != "dead"]

    async def _new_environment(self, group: _Group, provisioned: bool = False) -> Environment:
        config = group.config
        env = Environment(config, self.server, self.log_sink, provisioned)
        group.all.add(env)
        try:
            await self.ensure_code(config)
            if config.runtime in PROVIDED_RUNTIMES:
                # a custom runtime's client may take AWS_LAMBDA_RUNTIME_API only as host:port
                await env.channel.listen(env.process_ids)
            launch, spec = self._spec(config, env)
            if not launch.argv:
                raise InitFailed({"errorType": "Runtime.InvalidEntrypoint", "errorMessage":
                                  "RequestId: {request_id} Error: Couldn't find valid bootstrap(s): "
                                  "[/var/task/bootstrap /opt/bootstrap]"})
            zygote = self._zygotes.for_config(config, launch, spec) if (
                self._zygotes is not None and launch.zygote_capable) else None
            if zygote is not None and not zygote.ready:
                if group.cold_starts:  # a function that scales: fork its next environments
                    zygote.start_soon()
                zygote = None
            if zygote is not None:
                factory = lambda fd: zygote.fork(spec.env, fd)  # noqa: E731
            else:
                env.cgroup = self.sandbox.cgroups.create(env.id, config.memory_mb)
                userns = self.sandbox.user_namespace()
                argv = self.sandbox.command(spec, userns)
                preexec = self.sandbox.preexec(spec, env.cgroup)
                factory = lambda fd: spawn_process(argv, spec.env, fd, preexec, userns)  # noqa: E731
            group.cold_starts += 1
            await env.start(factory, self.settings.init_timeout_s)
        except BaseException:
            group.all.discard(env)
            env.destroy()
            raise
        return env

    def _spec(self, config: FunctionConfig, env: Environment | None) -> tuple[RuntimeLaunch, SandboxSpec]:
        code_dir = Path(config.code_dir) if config.code_dir else self.code.code_dir(config.code_sha256)
        opt_dir = self.code.merged_layers(list(config.layers))
        launch = launch_for(config.runtime, config.memory_mb, code_dir, opt_dir)
        wrapper = dict(config.environment).get("AWS_LAMBDA_EXEC_WRAPPER")
        if wrapper and config.runtime not in PROVIDED_RUNTIMES:
            # Lambda's managed runtimes start through the wrapper script, from their shell: a wrapper
            # that is missing or not executable ends the runtime (exit status 127 / 126)
            launch = replace(launch, argv=["/bin/sh", "-c", 'exec "$@"', "sh", wrapper, *launch.argv],
                             zygote_capable=False)
        environ = self._environment(config, env, launch)
        spec = SandboxSpec(argv=launch.argv, env=environ, task_dir=str(code_dir),
                           opt_dir=str(opt_dir) if opt_dir else None, runtime_mounts=launch.mounts,
                           memory_mb=config.memory_mb, tmp_mb=config.ephemeral_mb, limit_memory=launch.limit_memory)
        if not self.sandbox.isolated:
            _unsandboxed_paths(spec, code_dir, opt_dir)
        return launch, spec

    def _environment(self, config: FunctionConfig, env: Environment | None, launch: RuntimeLaunch) -> dict[str, str]:
        """The variables Lambda sets, the function's own, and the way back to cloudlet."""
        environ = dict(launch.env)
        environ.update(TZ=":UTC", SHLVL="0", AWS_XRAY_CONTEXT_MISSING="LOG_ERROR", AWS_XRAY_DAEMON_ADDRESS=XRAY_DAEMON,
                       _AWS_XRAY_DAEMON_ADDRESS=XRAY_DAEMON.split(":")[0],
                       _AWS_XRAY_DAEMON_PORT=XRAY_DAEMON.split(":")[1])
        environ["AWS_ENDPOINT_URL"] = self.settings.endpoint_url
        # Lambda's unreserved variables (TZ, LANG, PATH, LD_LIBRARY_PATH ...) take the function's values;
        # the reserved ones below cannot be set by the function (CreateFunction refuses them)
        environ.update(config.environment)
        environ.update({
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_VERSION": config.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
            "AWS_REGION": config.region,
            "AWS_DEFAULT_REGION": config.region,
            "_HANDLER": config.handler,
            "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency" if env and env.provisioned else "on-demand",
        })
        environ.update(logformat.variables(config.logging))
        if not config.runtime.startswith("provided"):
            environ["AWS_EXECUTION_ENV"] = f"AWS_Lambda_{config.runtime}"
        if config.credentials is not None:
            environ["AWS_ACCESS_KEY_ID"] = config.credentials.access_key_id
            environ["AWS_SECRET_ACCESS_KEY"] = config.credentials.secret_access_key
            if config.credentials.session_token:
                environ["AWS_SESSION_TOKEN"] = config.credentials.session_token
        if env is not None:
            environ["AWS_LAMBDA_LOG_STREAM_NAME"] = env.log_stream
            environ["AWS_LAMBDA_RUNTIME_API"] = env.channel.address
        return environ

    def _init_failure(self, config: FunctionConfig, meta: InvocationMeta, exc: InitFailed) -> InvocationResult:
        doc = dict(exc.doc)
        doc["errorMessage"] = str(doc.get("errorMessage", "")).replace("{request_id}", meta.request_id)
        rid = meta.request_id
        error_type = str(doc.get("errorType", "Runtime.Unknown"))
        log = logformat.FunctionLog(config)
        lines = [line for line in (log.init_report(exc.init_ms, "init", error_type), log.start(rid),
                                   log.end(rid, "error", error_type),
                                   log.report(rid, logs.metering(0.0, config.memory_mb, 0, None), "error", error_type))
                 if line is not None]
        for line in lines:
            self.log_sink.write(config.log_group, exc.log_stream, int(time.time() * 1000), line)
        tail = "".join(exc.lines + lines).encode()[-logs.TAIL_BYTES:].decode("utf-8", "ignore") if meta.log_tail else ""
        return InvocationResult(rid, orjson.dumps(doc), "Unhandled", config.version, tail, None, True)

    # -- reaping -----------------------------------------------------------------------------------
    def reap(self, now: float | None = None) -> int:
        """Destroy environments idle longer than the keep-alive (provisioned ones stay); returns how many."""
        now = time.monotonic() if now is None else now
        reaped = 0
        for key, group in list(self.groups.items()):
            for env in list(group.all):
                if env.state == "dead":  # died while idle (its runtime exited): forget it
                    group.all.discard(env)
                    if env in group.idle:
                        group.idle.remove(env)
            for env in list(group.idle):
                if env.state == "idle" and not env.provisioned and now - env.last_used >= self.settings.keep_alive_s:
                    group.idle.remove(env)
                    group.all.discard(env)
                    env.destroy()
                    reaped += 1
            if not group.all:
                del self.groups[key]
                if self._zygotes is not None:
                    self._zygotes.release(group.config)
        return reaped

    async def _reap_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.reap_interval_s)
            try:
                self.reap()
            except Exception:
                log.exception("reaping environments")


def _decode_client_context(value: str) -> str:
    """The Invoke API carries base64 JSON; the Runtime API header carries the JSON on one line."""
    if not value:
        return ""
    try:
        return orjson.dumps(orjson.loads(base64.b64decode(value, validate=True))).decode()
    except (binascii.Error, ValueError):
        try:
            return orjson.dumps(orjson.loads(value)).decode()
        except ValueError:
            return ""


def _one_line_json(value: str) -> str:
    if not value:
        return ""
    try:
        return orjson.dumps(orjson.loads(value)).decode()
    except ValueError:
        return ""


def _unsandboxed_paths(spec: SandboxSpec, code_dir: Path, opt_dir: Path | None) -> None:
    """Without a sandbox there is no /var/task or /opt: point the runtime at the host paths."""
    mapping = {m.dest: m.source for m in spec.runtime_mounts if m.kind == "ro"}
    mapping["/var/task"] = str(code_dir)
    if opt_dir is not None:
        mapping["/opt"] = str(opt_dir)

    def host(path: str) -> str:
        for dest, source in sorted(mapping.items(), key=lambda kv: -len(kv[0])):
            if path == dest or path.startswith(dest + "/"):
                return source + path[len(dest):]
        return path

    spec.argv = [host(a) if a.startswith("/") else a for a in spec.argv]
    spec.env["LAMBDA_TASK_ROOT"] = str(code_dir)
    for var in ("PYTHONPATH", "NODE_PATH"):
        spec.env[var] = ":".join(host(p) for p in spec.env.get(var, "").split(":") if p)
