"""Build npm `aws-lambda-ric` (latest) once into a cache outside the repository and pack it as a layer.

Its install compiles curl and aws-lambda-cpp from source and links a Node.js addon (minutes), so a
build is kept per (version, node major, machine) under CLOUDLET_NPM_RIC_CACHE (default
~/.cache/cloudlet/aws-lambda-ric) and reused by later runs.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

from cloudlet.compute import npm_cache
from cloudlet.compute.npm_cache import BuildError

PACKAGE = "aws-lambda-ric"
BUILD_TIMEOUT_S = 1200
__all__ = ["BuildError", "build", "entry_point", "layer_zip"]


def build() -> Path:
    """The installed package directory (node_modules/aws-lambda-ric), built now or by an earlier run."""
    root = npm_cache.cache_root(PACKAGE, "CLOUDLET_NPM_RIC_CACHE")
    # its install scripts build the native client
    return npm_cache.install(root, [PACKAGE], allow_scripts=True, timeout=BUILD_TIMEOUT_S) / "node_modules" / PACKAGE


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
