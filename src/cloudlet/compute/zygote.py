"""Zygotes: a pre-forked template process per function configuration, inside its own sandbox.

Starting Python and importing boto3 costs more than a cold start may take, so for Python
runtimes the pool keeps one template per configuration: the built-in bootstrap run with
`--zygote`, sandboxed exactly like an environment, with the runtime and boto3 already
imported. A new environment is a fork of it: the child gets its own log pipe (passed over a
Unix socket), its own environment variables, its own user and mount namespace with a private
/tmp, then imports the handler (its init) and polls the Runtime API like any runtime.

Environments forked from one zygote share its PID namespace and its process limit; they are
environments of the same function version.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
from collections import deque
from pathlib import Path

import orjson

from cloudlet.compute.environment import Process, runtime_descendant
from cloudlet.compute.model import FunctionConfig
from cloudlet.compute.runtimes import RuntimeLaunch
from cloudlet.compute.sandbox import SandboxSpec

log = logging.getLogger("cloudlet.compute")
PER_ENV = ("AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_INITIALIZATION_TYPE")


class Zygote:
    """One template process and the socket that asks it to fork."""

    def __init__(self, manager: ZygoteManager, config: FunctionConfig, spec: SandboxSpec) -> None:
        self.manager = manager
        self.config = config
        self.spec = spec
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.host_pid: int | None = None
        self._lock = asyncio.Lock()
        self._forks: deque[asyncio.Future] = deque()
        self._exits: dict[int, asyncio.Future] = {}
        self._started = False
        self.ready = False  # its pre-imports are done: forking from it is now the fast path

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        spec = self.spec
        env = {k: v for k, v in spec.env.items() if k not in PER_ENV}
        argv = [*spec.argv, "--zygote", str(theirs.fileno())]
        zspec = SandboxSpec(argv=argv, env=env, task_dir=spec.task_dir, opt_dir=spec.opt_dir,
                            runtime_mounts=spec.runtime_mounts, memory_mb=spec.memory_mb, tmp_mb=spec.tmp_mb,
                            limit_memory=spec.limit_memory)
        sandbox = self.manager.pool.sandbox
        userns = sandbox.user_namespace()
        logfile = self.manager.log_dir / f"{self.config.key}.log"
        fds = (theirs.fileno(), *(userns.child_fds if userns else ()))
        with open(logfile, "ab") as out:
            self.proc = subprocess.Popen(sandbox.command(zspec, userns), stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=out, env=env, pass_fds=fds, start_new_session=True,
                                         preexec_fn=sandbox.preexec(zspec, None))
        theirs.close()
        if userns is not None:
            userns.spawned()
            userns.complete_blocking()  # a few milliseconds, once per zygote
        ours.setblocking(False)
        self.sock = ours
        asyncio.get_running_loop().add_reader(ours.fileno(), self._on_message)
        self._started = True

    def start_soon(self) -> None:
        if not self._started:
            self._start()

    async def fork(self, env: dict[str, str], out_fd: int) -> Process:
        """A new environment's runtime, forked from the template with stdout/stderr on `out_fd`."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            if not self._started:
                self._start()
            if self.sock is None:
                raise OSError("the zygote exited")
            reply = loop.create_future()
            self._forks.append(reply)
            request = orjson.dumps({"env": env, "tmp": self.spec.tmp_mb})
            self.sock.sendmsg([request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, out_fd.to_bytes(4, "little"))])
            ns_pid = await reply
        if self.host_pid is None:
            self.host_pid = runtime_descendant(self.proc.pid)
        host_pid = _child_by_ns_pid(self.host_pid, ns_pid)
        waiter = self._exits[ns_pid] = loop.create_future()
        if host_pid is None:
            raise OSError("forked environment vanished")

        def kill() -> None:
            os.killpg(host_pid, signal.SIGKILL)  # the child leads its own session and process group

        return Process(host_pid, waiter, kill, lambda: host_pid)

    def _on_message(self) -> None:
        try:
            data = self.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.stop()
            return
        msg = orjson.loads(data)
        if "ready" in msg:
            self.ready = True
        elif "pid" in msg:
            if self._forks:
                self._forks.popleft().set_result(msg["pid"])
        else:
            waiter = self._exits.pop(msg["exit"], None)
            if waiter is not None and not waiter.done():
                waiter.set_result(msg["code"])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self.ready = False
        if self.sock is not None:
            asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()
            self.sock = None
        for future in [*self._forks, *self._exits.values()]:
            if not future.done():
                future.set_exception(OSError("the zygote exited")) if future in self._forks else future.set_result(None)
        self._forks.clear()
        self._exits.clear()
        log_file = self.manager.log_dir / f"{self.config.key}.log"
        try:  # a template that said nothing leaves no file behind (one per configuration adds up)
            if log_file.stat().st_size == 0:
                log_file.unlink()
        except FileNotFoundError:
            pass


class ZygoteManager:
    """The zygotes of a pool, one per function configuration that uses a zygote-capable runtime."""

    def __init__(self, pool) -> None:
        self.pool = pool
        self.zygotes: dict[str, Zygote] = {}
        self.log_dir = Path(pool.settings.data_dir) / "compute" / "zygotes"
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def for_config(self, config: FunctionConfig, launch: RuntimeLaunch, spec: SandboxSpec) -> Zygote:
        zygote = self.zygotes.get(config.key)
        if zygote is None or (zygote.proc is not None and zygote.proc.poll() is not None):
            if zygote is not None:
                zygote.stop()
            zygote = self.zygotes[config.key] = Zygote(self, config, spec)
        return zygote

    def release(self, config: FunctionConfig) -> None:
        zygote = self.zygotes.pop(config.key, None)
        if zygote is not None:
            zygote.stop()

    def stop(self) -> None:
        for zygote in self.zygotes.values():
            zygote.stop()
        self.zygotes.clear()


def _child_by_ns_pid(parent: int | None, ns_pid: int) -> int | None:
    if parent is None:
        return None
    try:
        with open(f"/proc/{parent}/task/{parent}/children") as f:
            children = f.read().split()
    except OSError:
        return None
    for child in children:
        try:
            with open(f"/proc/{child}/status") as f:
                for line in f:
                    if line.startswith("NSpid:"):
                        if int(line.split()[-1]) == ns_pid:
                            return int(child)
                        break
        except OSError:
            continue
    return None
