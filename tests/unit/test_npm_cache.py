"""compute/npm_cache.py without the registry: keys, reuse of a complete install, the offline fallback."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest

from cloudlet.compute import node_sdk, npm_cache

pytestmark = pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None,
                                reason="node and npm are needed")


def complete(root, name: str, age_s: float = 0):
    folder = root / name
    (folder / "node_modules").mkdir(parents=True)
    (folder / "complete").write_text("x\n")
    stamp = os.path.getmtime(folder / "complete") - age_s
    os.utime(folder / "complete", (stamp, stamp))
    return folder


def no_npm(monkeypatch, suffix: str) -> None:
    monkeypatch.setattr(npm_cache, "_suffix", lambda root: suffix)
    monkeypatch.setattr(npm_cache, "run", lambda *a, **k: pytest.fail("npm must not run"))


def test_a_complete_install_of_those_versions_is_reused(tmp_path, monkeypatch):
    suffix = npm_cache._suffix(tmp_path)
    done = complete(tmp_path, f"1.2.3{suffix}")
    no_npm(monkeypatch, suffix)
    assert npm_cache.install(tmp_path, ["pkg"], versions={"pkg": "1.2.3"}) == done


def test_several_packages_are_keyed_by_all_their_versions(tmp_path, monkeypatch):
    suffix = npm_cache._suffix(tmp_path)
    monkeypatch.setattr(npm_cache, "latest_versions", lambda packages, cwd: {"a": "1", "b": "2"})
    key = hashlib.sha256(b"a@1 b@2").hexdigest()[:16]
    done = complete(tmp_path, f"{key}{suffix}")
    no_npm(monkeypatch, suffix)
    assert npm_cache.install(tmp_path, ["a", "b"]) == done


def test_without_the_registry_the_newest_earlier_install_is_used(tmp_path, monkeypatch):
    suffix = npm_cache._suffix(tmp_path)
    complete(tmp_path, f"1.0.0{suffix}", age_s=100)
    newer = complete(tmp_path, f"1.1.0{suffix}", age_s=10)
    complete(tmp_path, "2.0.0-node0-other", age_s=0)  # another node or machine: never used here
    (tmp_path / "build-unfinished").mkdir()  # no complete marker: never used

    def offline(packages, cwd):
        raise npm_cache.BuildError("npm view: registry unreachable")

    monkeypatch.setattr(npm_cache, "latest_versions", offline)
    assert npm_cache.install(tmp_path, ["pkg"]) == newer
    shutil.rmtree(tmp_path)
    with pytest.raises(npm_cache.BuildError, match="registry unreachable"):
        npm_cache.install(tmp_path, ["pkg"])


def test_functions_get_the_newest_latest_install_not_a_pinned_one(tmp_path, monkeypatch):
    monkeypatch.delenv(node_sdk.DIR_VAR, raising=False)
    monkeypatch.setenv(node_sdk.CACHE_VAR, str(tmp_path))
    assert node_sdk.find() is None
    latest = complete(tmp_path, "abc-node20-x86_64")
    complete(tmp_path / "pinned", "3.445.0-node20-x86_64")
    assert node_sdk.find() == latest / "node_modules"
