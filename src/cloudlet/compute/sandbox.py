"""Sandboxes: the command line and limits that turn a runtime process into an execution environment.

The default backend is bubblewrap: new user, mount, PID, IPC, UTS and cgroup namespaces (the
sandbox user is an unprivileged host uid even when cloudlet runs as root); the
network namespace is shared so the function reaches cloudlet (and the Runtime API) over
loopback. Only /usr (and the /bin, /lib* links), a few /etc files, the runtime (/var/lang,
/var/runtime), the code (/var/task) and layers (/opt) are visible, all read-only; /tmp is a
private tmpfs of EphemeralStorage MB. rlimits bound processes, memory and files; cgroup v2
memory/pids limits are added where the host delegates a cgroup to cloudlet.

The "none" backend runs the runtime as a plain process with rlimits only: no isolation at all,
so it is used only when asked for explicitly, and says so loudly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from cloudlet.compute.errors import SandboxUnavailable

log = logging.getLogger("cloudlet.compute")

SANDBOX_UID, SANDBOX_GID = 993, 990  # Lambda's sbx_user1051
# When cloudlet runs as root, the sandbox user is this unprivileged host uid/gid (never host root)
HOST_UID, HOST_GID = 100993, 100990
ETC_FILES = ("ssl", "ca-certificates", "ca-certificates.conf", "resolv.conf", "hosts", "nsswitch.conf",
             "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "mime.types",
             "protocols", "services", "gai.conf", "host.conf")
NPROC_LIMIT = 1024  # Lambda's limit on processes/threads per environment
NOFILE_LIMIT = 1024  # Lambda's file descriptor limit
MEMORY_SLACK_MB = 128  # address-space slack for thread stacks and runtime reservations


@dataclass
class Mount:
    source: str
    dest: str
    kind: str = "ro"  # "ro" | "dir" | "tmpfs"


@dataclass
class SandboxSpec:
    """What one environment sees and may use."""

    argv: list[str]
    env: dict[str, str]
    task_dir: str
    opt_dir: str | None
    runtime_mounts: list[Mount] = field(default_factory=list)
    memory_mb: int = 128
    tmp_mb: int = 512
    limit_memory: bool = True  # False for runtimes whose VM reserves address space (Node.js)
    pass_fds: tuple[int, ...] = ()


class Cgroups:
    """cgroup v2 limits under a delegated cgroup, when the host gives cloudlet one."""

    def __init__(self, base: Path | None) -> None:
        self.base = base

    @classmethod
    def detect(cls, configured: str = "") -> Cgroups:
        """Use `configured` (a cgroup v2 directory) or cloudlet's own cgroup when memory and pids
        controllers are delegated to its children; otherwise limits fall back to rlimits."""
        candidates = [Path(configured)] if configured else []
        try:
            for line in Path("/proc/self/cgroup").read_text().splitlines():
                if line.startswith("0::"):
                    candidates.append(Path("/sys/fs/cgroup") / line[3:].lstrip("/"))
        except OSError:
            pass
        for path in candidates:
            try:
                enabled = (path / "cgroup.subtree_control").read_text().split()
            except OSError:
                continue
            if {"memory", "pids"} <= set(enabled) and os.access(path, os.W_OK):
                return cls(path)
        return cls(None)

    @property
    def available(self) -> bool:
        return self.base is not None

    def create(self, name: str, memory_mb: int) -> Path | None:
        if self.base is None:
            return None
        path = self.base / f"cloudlet-{name}"
        try:
            path.mkdir()
            (path / "memory.max").write_text(str(memory_mb * 1024 * 1024))
            (path / "memory.swap.max").write_text("0")
            (path / "pids.max").write_text(str(NPROC_LIMIT))
        except OSError as exc:
            log.warning("cgroup %s not usable (%s); using rlimits", path, exc)
            return None
        return path

    @staticmethod
    def oom_killed(path: Path | None) -> bool:
        if path is None:
            return False
        try:
            for line in (path / "memory.events").read_text().splitlines():
                if line.startswith("oom_kill "):
                    return int(line.split()[1]) > 0
        except OSError:
            pass
        return False

    @staticmethod
    def peak_mb(path: Path | None) -> int | None:
        if path is None:
            return None
        try:
            return int((path / "memory.peak").read_text()) // (1024 * 1024)
        except (OSError, ValueError):
            return None

    @staticmethod
    def remove(path: Path | None) -> None:
        if path is not None:
            try:
                (path / "cgroup.kill").write_text("1")
            except OSError:
                pass
            try:
                path.rmdir()
            except OSError:
                pass


class Sandbox:
    """Builds the argv and the pre-exec limits of an environment for the chosen backend."""

    def __init__(self, state_dir: Path, backend: str = "bwrap", bwrap: str = "", cgroup: str = "") -> None:
        if backend not in ("bwrap", "none"):
            raise ValueError(f"unknown sandbox backend {backend!r}")
        self.backend = backend
        self.system_mounts = _system_mounts(_generated_etc(Path(state_dir) / "etc"))
        self.cgroups = Cgroups.detect(cgroup)
        if backend == "none":
            log.warning("!!! sandbox backend 'none': function code runs as a plain process with rlimits "
                        "only. It can read every file this user can and signal its processes. "
                        "Use this only for code you trust. !!!")
            self.bwrap = ""
            self.setpriv = ""
            return
        self.bwrap = bwrap or shutil.which("bwrap") or "/usr/bin/bwrap"
        if not os.access(self.bwrap, os.X_OK):
            raise SandboxUnavailable(
                "bubblewrap (bwrap) is needed to run functions: install the Debian package 'bubblewrap', "
                "or start with the sandbox backend 'none' to run functions unisolated")
        self.setpriv = shutil.which("setpriv") or ""
        if os.geteuid() == 0 and not self.setpriv:
            log.warning("cloudlet runs as root and setpriv (util-linux) is missing: sandboxed processes will be "
                        "host root inside their user namespace (no capabilities), and RLIMIT_NPROC cannot bind them")

    @property
    def isolated(self) -> bool:
        return self.backend == "bwrap"

    @property
    def remap(self) -> bool:
        """Root runs sandboxes as an unprivileged host uid (RLIMIT_NPROC never binds host root)."""
        return self.isolated and os.geteuid() == 0 and bool(self.setpriv)

    def command(self, spec: SandboxSpec, userns: UserNamespace | None = None) -> list[str]:
        """The argv of an environment; `userns` (required when `remap` is true) maps the sandbox user."""
        if not self.isolated:
            return list(spec.argv)
        args = [self.bwrap, "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--share-net", "--die-with-parent", "--new-session",
                "--cap-drop", "ALL", "--hostname", "localhost"]
        if self.remap:
            # set up as namespace root (mapped to host root only for building the mounts), then
            # setpriv becomes the sandbox user, an unprivileged host uid, and drops every capability
            args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                     "--info-fd", str(userns.info_w), "--userns-block-fd", str(userns.block_r)]
            prefix = [self.setpriv, f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_GID}", "--clear-groups",
                      "--inh-caps=-all", "--"]
        else:
            args += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID)]
            prefix = []
        args += self.system_mounts
        for m in spec.runtime_mounts:
            args += ["--perms", "0755", "--dir", m.dest] if m.kind == "dir" else ["--ro-bind", m.source, m.dest]
        args += ["--ro-bind", spec.task_dir, "/var/task"]
        args += ["--ro-bind", spec.opt_dir, "/opt"] if spec.opt_dir else ["--perms", "0755", "--dir", "/opt"]
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--size", str(spec.tmp_mb * 1024 * 1024), "--perms", "1777", "--tmpfs", "/tmp",
                 "--chdir", "/var/task", "--"]
        return args + prefix + spec.argv

    def user_namespace(self) -> UserNamespace | None:
        """The handshake that maps the sandbox user, when cloudlet runs as root."""
        return UserNamespace() if self.remap else None

    def preexec(self, spec: SandboxSpec, cgroup: Path | None):
        """The function run in the child before exec: rlimits, and the cgroup when there is one."""
        memory = (spec.memory_mb + MEMORY_SLACK_MB) * 1024 * 1024 if spec.limit_memory else None

        def apply() -> None:
            if cgroup is not None:
                (cgroup / "cgroup.procs").write_text(str(os.getpid()))
            resource.setrlimit(resource.RLIMIT_NPROC, (NPROC_LIMIT, NPROC_LIMIT))
            resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE_LIMIT, NOFILE_LIMIT))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if memory is not None:
                resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
            if not self.isolated:  # the only bound on /tmp use without a private tmpfs
                size = spec.tmp_mb * 1024 * 1024
                resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

        return apply


class UserNamespace:
    """bubblewrap's user namespace handshake: it reports its child, cloudlet writes the id maps
    (namespace root -> host root for building the sandbox; the sandbox user -> HOST_UID), then
    lets it continue."""

    def __init__(self) -> None:
        self.info_r, self.info_w = os.pipe()
        self.block_r, self.block_w = os.pipe()

    @property
    def child_fds(self) -> tuple[int, int]:
        return (self.info_w, self.block_r)

    def spawned(self) -> None:
        """Call once the child started: the parent's copies of the child's ends go."""
        os.close(self.info_w)
        os.close(self.block_r)

    async def complete(self) -> None:
        loop = asyncio.get_running_loop()
        os.set_blocking(self.info_r, False)
        data = b""
        try:
            while not data.rstrip().endswith(b"}"):
                ready = loop.create_future()
                loop.add_reader(self.info_r, lambda f=ready: f.done() or f.set_result(None))
                try:
                    await ready
                finally:
                    loop.remove_reader(self.info_r)
                chunk = _read_some(self.info_r)
                if chunk == b"":
                    raise OSError("bubblewrap exited before its user namespace was ready")
                data += chunk or b""
            self._map(json.loads(data)["child-pid"])
        finally:
            self.close()

    def complete_blocking(self) -> None:
        data = b""
        try:
            while not data.rstrip().endswith(b"}"):
                chunk = os.read(self.info_r, 4096)
                if not chunk:
                    raise OSError("bubblewrap exited before its user namespace was ready")
                data += chunk
            self._map(json.loads(data)["child-pid"])
        finally:
            self.close()

    def _map(self, pid: int) -> None:
        with open(f"/proc/{pid}/uid_map", "w") as f:
            f.write(f"0 0 1\n{SANDBOX_UID} {HOST_UID} 1\n")
        with open(f"/proc/{pid}/gid_map", "w") as f:
            f.write(f"0 0 1\n{SANDBOX_GID} {HOST_GID} 1\n")
        os.write(self.block_w, b"1")

    def close(self) -> None:
        for fd in (self.info_r, self.block_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self.info_r = self.block_w = -1


def _read_some(fd: int) -> bytes | None:
    try:
        return os.read(fd, 4096)
    except BlockingIOError:
        return None


def _system_mounts(etc: Path) -> list[str]:
    """Read-only binds of the host's system directories a runtime needs."""
    args = ["--ro-bind", "/usr", "/usr", "--perms", "0755", "--dir", "/etc", "--perms", "0755", "--dir", "/var"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC_FILES:
        path = f"/etc/{name}"
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    args += ["--ro-bind", str(etc / "passwd"), "/etc/passwd", "--ro-bind", str(etc / "group"), "/etc/group"]
    return args


def _generated_etc(etc: Path) -> Path:
    """passwd/group files naming the sandbox user."""
    etc.mkdir(parents=True, exist_ok=True)
    passwd = f"root:x:0:0:root:/root:/sbin/nologin\nsbx_user1051:x:{SANDBOX_UID}:{SANDBOX_GID}::/tmp:/sbin/nologin\n"
    group = f"root:x:0:\nsbx_user1051:x:{SANDBOX_GID}:\n"
    for name, text in (("passwd", passwd), ("group", group)):
        path = etc / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return etc
