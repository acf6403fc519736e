"""Build npm `aws-lambda-ric` (latest) once into a cache outside the repository and pack it as a layer.

Its install compiles curl and aws-lambda-cpp from source and links a Node.js addon (minutes), so a
build is kept per (version, node major, machine) under CLOUDLET_NPM_RIC_CACHE (default
~/.cache/cloudlet/aws-lambda-ric) and reused by later runs.
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-lambda-ric"
BUILD_TIMEOUT_S = 1200


class BuildError(Exception):
    """npm could not resolve or build the package; the message says why."""


def cache_root() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cloudlet" / PACKAGE
    return Path(os.environ.get("CLOUDLET_NPM_RIC_CACHE") or default)


def _run(argv: list[str], cwd: Path, timeout: float) -> str:
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"{' '.join(argv)}: {exc}") from None
    if proc.returncode != 0:
        raise BuildError(f"{' '.join(argv)} exited {proc.returncode}:\n{(proc.stdout + proc.stderr)[-3000:]}")
    return proc.stdout


def latest_version(cwd: Path) -> str:
    """The version npm's `latest` tag names (npm would pick an older one when engines do not match)."""
    return _run(["npm", "view", f"{PACKAGE}@latest", "version"], cwd, 120).strip()


def build() -> Path:
    """The installed package directory (node_modules/aws-lambda-ric), built now or by an earlier run."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise BuildError("node and npm are needed (scripts/system-deps.sh test installs them)")
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    node_major = _run(["node", "-p", "process.versions.node.split('.')[0]"], root, 30).strip()
    suffix = f"-node{node_major}-{platform.machine()}"
    try:
        version = latest_version(root)
    except BuildError:
        built = sorted(root.glob(f"*{suffix}/complete"), key=lambda p: p.stat().st_mtime)
        if not built:
            raise
        return built[-1].parent / "node_modules" / PACKAGE  # registry unreachable: the newest earlier build
    final = root / f"{version}{suffix}"
    package = final / "node_modules" / PACKAGE
    if (final / "complete").exists():
        return package
    work = Path(tempfile.mkdtemp(prefix="build-", dir=root))
    try:
        # its install scripts build the native client: allowed by name (npm warns today, will refuse later)
        (work / "package.json").write_text(json.dumps({"private": True, "allowScripts": {f"{PACKAGE}@{version}": True}}))
        # the version is pinned so npm installs `latest` even where its engines range does not match
        _run(["npm", "install", "--no-audit", "--no-fund", "--no-update-notifier", f"{PACKAGE}@{version}"],
             work, BUILD_TIMEOUT_S)
        (work / "complete").write_text(version + "\n")
        if not (final / "complete").exists():  # another run may have finished the same build meanwhile
            shutil.rmtree(final, ignore_errors=True)
            work.rename(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return package


def layer_zip(package: Path) -> bytes:
    """A layer holding the package as /opt/nodejs/node_modules/aws-lambda-ric (sources of the build left out)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for root, dirs, files in os.walk(package):
            dirs[:] = [d for d in dirs if not (Path(root) == package and d in ("deps", "src"))]
            for name in files:
                full = Path(root) / name
                zf.write(full, f"nodejs/node_modules/{PACKAGE}/{full.relative_to(package)}")
    return buf.getvalue()


def entry_point(package: Path) -> str:
    """The path of the package's command inside the sandbox (its `bin` entry, under /opt)."""
    bin_field = json.loads((package / "package.json").read_text())["bin"]
    relative = bin_field if isinstance(bin_field, str) else bin_field[PACKAGE]
    return f"/opt/nodejs/node_modules/{PACKAGE}/{os.path.normpath(relative)}"
