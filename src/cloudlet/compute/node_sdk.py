"""The AWS SDK for JavaScript v3 that Node.js functions find in /var/runtime/node_modules, as on Lambda.

Lambda's nodejs18.x and later runtimes bundle SDK v3, so a function may `require("@aws-sdk/client-sqs")`
without packaging it. cloudlet mounts a node_modules directory there read-only: the one
CLOUDLET_NODE_SDK names, else the newest install `install()` made into the cache
(~/.cache/cloudlet/aws-sdk-js-v3, CLOUDLET_NODE_SDK_CACHE moves it). Without either, functions
must bring the SDK themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

from cloudlet.compute import npm_cache

PACKAGES = ["@aws-sdk/client-sqs", "@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb", "@aws-sdk/client-lambda",
            "@aws-sdk/client-cloudwatch-logs", "@aws-sdk/client-sts", "@aws-sdk/client-dynamodb-streams"]
CACHE_NAME = "aws-sdk-js-v3"
CACHE_VAR = "CLOUDLET_NODE_SDK_CACHE"
DIR_VAR = "CLOUDLET_NODE_SDK"


def install(timeout: float = 600) -> Path:
    """Install (or reuse) the `latest` SDK packages in the cache; their node_modules directory."""
    return npm_cache.install(npm_cache.cache_root(CACHE_NAME, CACHE_VAR), PACKAGES, timeout=timeout) / "node_modules"


def install_pinned(versions: dict[str, str], timeout: float = 600) -> Path:
    """Install (or reuse) exactly these package versions, beside the latest ones; their node_modules."""
    root = npm_cache.cache_root(CACHE_NAME, CACHE_VAR) / "pinned"
    return npm_cache.install(root, list(versions), timeout=timeout, versions=versions) / "node_modules"


def find() -> Path | None:
    """The node_modules directory functions get at /var/runtime/node_modules, or None."""
    named = os.environ.get(DIR_VAR)
    if named:
        return Path(named) if Path(named).is_dir() else None
    newest = npm_cache.newest(npm_cache.cache_root(CACHE_NAME, CACHE_VAR))
    return newest / "node_modules" if newest else None
