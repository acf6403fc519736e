"""Runtimes: how each Lambda runtime identifier is started inside an environment.

python3.9 .. python3.13 run the built-in bootstrap on the host's Python (mounted at /var/lang,
boto3 beside the bootstrap in /var/runtime, as Lambda has them); nodejs18.x .. 22.x run the
built-in bootstrap on the host's node, with the AWS SDK for JavaScript v3 in /var/runtime/node_modules
when one is installed (compute/node_sdk.py); provided.* run the `bootstrap` executable of the code
(or of a layer, at /opt/bootstrap).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cloudlet.compute import node_sdk
from cloudlet.compute.model import NODE_RUNTIMES, PROVIDED_RUNTIMES, PYTHON_RUNTIMES
from cloudlet.compute.sandbox import Mount

log = logging.getLogger("cloudlet.compute")
HERE = Path(__file__).parent
BOTO_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
LD_LIBRARY_PATH = "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
_warned: set[str] = set()


@dataclass
class RuntimeLaunch:
    """The command, extra mounts and environment of one runtime."""

    argv: list[str]
    mounts: list[Mount] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    limit_memory: bool = True
    zygote_capable: bool = False


def _boto_mounts() -> list[Mount]:
    mounts = []
    for name in BOTO_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            mounts.append(Mount(str(origin.parent), f"/var/runtime/{name}"))
        else:
            mounts.append(Mount(str(origin), f"/var/runtime/{origin.name}"))
    return mounts


def python_launch(runtime: str, memory_mb: int) -> RuntimeLaunch:
    host = "python{}.{}".format(*sys.version_info[:2])
    if runtime != host and runtime not in _warned:
        _warned.add(runtime)
        log.warning("runtime %s runs on this host's Python %d.%d", runtime, *sys.version_info[:2])
    mounts = [Mount("", "/var/runtime", "dir"), Mount(sys.base_prefix, "/var/lang"),
              Mount(str(HERE / "python_bootstrap.py"), "/var/runtime/bootstrap.py")]
    mounts += _boto_mounts()
    env = {"PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin", "PYTHONPATH": "/var/runtime",
           "LD_LIBRARY_PATH": LD_LIBRARY_PATH, "LANG": "en_US.UTF-8"}
    # -S: the host's site hooks (.pth files) do not run inside functions; the bootstrap adds
    # site-packages to sys.path itself, where Lambda has it
    return RuntimeLaunch([f"/var/lang/bin/{host}", "-S", "/var/runtime/bootstrap.py"], mounts, env,
                         zygote_capable=True)


def node_launch(runtime: str, memory_mb: int) -> RuntimeLaunch:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        raise FileNotFoundError("Node.js is not installed (Debian package nodejs)")
    major = runtime.removeprefix("nodejs").split(".")[0]
    host_major = _node_major(node)
    if host_major != major and runtime not in _warned:
        _warned.add(runtime)
        log.warning("runtime %s runs on this host's Node.js %s", runtime, host_major)
    mounts = [Mount("", "/var/runtime", "dir"), Mount("", "/var/lang/bin", "dir"),
              Mount(str(Path(node).resolve()), "/var/lang/bin/node"),
              Mount(str(HERE / "node_bootstrap.js"), "/var/runtime/bootstrap.js")]
    sdk = node_sdk.find()
    if sdk is not None:  # SDK v3 where Lambda bundles it
        mounts.append(Mount(str(sdk), "/var/runtime/node_modules"))
    env = {"PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
           "NODE_PATH": f"/opt/nodejs/node{major}/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:"
                        "/var/runtime:/var/task",
           "LD_LIBRARY_PATH": LD_LIBRARY_PATH, "LANG": "en_US.UTF-8"}
    heap = max(int(memory_mb * 0.85), 32)  # V8 reserves address space: bound its heap, not rlimit AS
    return RuntimeLaunch(["/var/lang/bin/node", f"--max-old-space-size={heap}", "/var/runtime/bootstrap.js"],
                         mounts, env, limit_memory=False)


@functools.cache
def _node_major(node: str) -> str:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.strip().lstrip("v").split(".")[0] or "?"


def provided_launch(code_dir: Path, opt_dir: Path | None) -> RuntimeLaunch:
    if (code_dir / "bootstrap").exists():
        argv = ["/var/task/bootstrap"]
    elif opt_dir is not None and (opt_dir / "bootstrap").exists():
        argv = ["/opt/bootstrap"]
    else:
        argv = []  # the pool answers Runtime.InvalidEntrypoint
    env = {"PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LD_LIBRARY_PATH": "/lib64:/usr/lib64:/var/runtime:"
           "/var/runtime/lib:/var/task:/var/task/lib:/opt/lib", "LANG": "en_US.UTF-8"}
    return RuntimeLaunch(argv, [], env)


RUNTIME_RELEASE = 1  # cloudlet's one "runtime version" of each runtime identifier


def runtime_version(runtime: str) -> str:
    """The runtime version an INIT_START line names, in Lambda's form: python:3.12.v1, nodejs:20.v1,
    provided:al2023.v1 (cloudlet runs the host's interpreter, so there is one version per identifier)."""
    if runtime in PYTHON_RUNTIMES:
        name = "python:" + runtime.removeprefix("python")
    elif runtime in NODE_RUNTIMES:
        name = "nodejs:" + runtime.removeprefix("nodejs").removesuffix(".x")
    else:
        name = "provided:" + (runtime.partition(".")[2] or "al1")
    return f"{name}.v{RUNTIME_RELEASE}"


def runtime_version_arn(region: str, runtime: str) -> str:
    """The ARN of that runtime version: arn:aws:lambda:REGION::runtime:<64 hex>, stable per version."""
    return f"arn:aws:lambda:{region}::runtime:{hashlib.sha256(runtime_version(runtime).encode()).hexdigest()}"


def launch_for(runtime: str, memory_mb: int, code_dir: Path, opt_dir: Path | None) -> RuntimeLaunch:
    """How to start `runtime`; ValueError for an identifier this host cannot run."""
    if runtime in PYTHON_RUNTIMES:
        return python_launch(runtime, memory_mb)
    if runtime in NODE_RUNTIMES:
        return node_launch(runtime, memory_mb)
    if runtime in PROVIDED_RUNTIMES:
        return provided_launch(code_dir, opt_dir)
    raise ValueError(f"unsupported runtime {runtime!r}")
