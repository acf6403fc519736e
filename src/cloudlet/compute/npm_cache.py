"""npm packages installed once into a cache outside any repository, keyed by their versions.

An install lives in `<root>/<key>-node<MAJOR>-<machine>/` (its `node_modules/` beside a `complete`
marker). The key names the `latest` versions npm reports now, so a new release makes a new install;
when the registry cannot be reached, the newest earlier install is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CACHE_HOME_VAR = "XDG_CACHE_HOME"


class BuildError(Exception):
    """npm could not resolve or install the packages; the message says why."""


def cache_root(name: str, override_var: str | None = None) -> Path:
    """`$override_var`, else `$XDG_CACHE_HOME/cloudlet/<name>` (default ~/.cache/cloudlet/<name>)."""
    default = Path(os.environ.get(CACHE_HOME_VAR) or Path.home() / ".cache") / "cloudlet" / name
    return Path((override_var and os.environ.get(override_var)) or default)


def run(argv: list[str], cwd: Path, timeout: float) -> str:
    """Run an npm/node command; BuildError with its output's tail when it fails."""
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"{' '.join(argv)}: {exc}") from None
    if proc.returncode != 0:
        raise BuildError(f"{' '.join(argv)} exited {proc.returncode}:\n{(proc.stdout + proc.stderr)[-3000:]}")
    return proc.stdout


def latest_versions(packages: list[str], cwd: Path) -> dict[str, str]:
    """The version npm's `latest` tag names for each package (asked in parallel)."""
    def one(package: str) -> str:
        return run(["npm", "view", f"{package}@latest", "version"], cwd, 120).strip()

    with ThreadPoolExecutor(max_workers=min(8, len(packages))) as executor:
        return dict(zip(packages, executor.map(one, packages), strict=True))


def _suffix(root: Path) -> str:
    node_major = run(["node", "-p", "process.versions.node.split('.')[0]"], root, 30).strip()
    return f"-node{node_major}-{platform.machine()}"


def newest(root: Path, suffix: str = "") -> Path | None:
    """The newest complete install under `root` (of that suffix), or None."""
    built = sorted(root.glob(f"*{suffix}/complete"), key=lambda p: p.stat().st_mtime) if root.is_dir() else []
    return built[-1].parent if built else None


def install(root: Path, packages: list[str], allow_scripts: bool = False, timeout: float = 600,
            versions: dict[str, str] | None = None) -> Path:
    """The install directory (holding node_modules/) of the `latest` versions of `packages` (or the
    `versions` given), made now or by an earlier run. `allow_scripts` lets their install scripts run
    (a native build)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise BuildError("node and npm are needed (scripts/system-deps.sh test installs them)")
    root.mkdir(parents=True, exist_ok=True)
    suffix = _suffix(root)
    try:
        versions = versions or latest_versions(packages, root)
    except BuildError:
        earlier = newest(root, suffix)
        if earlier is None:
            raise
        return earlier  # registry unreachable: the newest earlier install
    pinned = [f"{name}@{version}" for name, version in versions.items()]
    key = versions[packages[0]] if len(packages) == 1 else hashlib.sha256(" ".join(sorted(pinned)).encode()).hexdigest()[:16]
    final = root / f"{key}{suffix}"
    if (final / "complete").exists():
        return final
    work = Path(tempfile.mkdtemp(prefix="build-", dir=root))
    try:
        manifest: dict = {"private": True}
        if allow_scripts:  # allowed by name (npm warns today, will refuse later)
            manifest["allowScripts"] = dict.fromkeys(pinned, True)
        (work / "package.json").write_text(json.dumps(manifest))
        # versions are pinned so npm installs `latest` even where an engines range does not match
        run(["npm", "install", "--no-audit", "--no-fund", "--no-update-notifier", *pinned], work, timeout)
        (work / "complete").write_text("\n".join(pinned) + "\n")
        if not (final / "complete").exists():  # another run may have finished the same install meanwhile
            shutil.rmtree(final, ignore_errors=True)
            work.rename(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final
