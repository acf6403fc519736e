"""Deployment packages live in the store: download URLs, deletion once unreferenced, reset, and a
node whose unpacked cache is gone fetching them again."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from esm_helpers import error
from lambda_helpers import ROLE, TAGGED, download, invoke, make_zip
from lambda_helpers import tagged_package as package

from cloudlet.testing.pytest_plugin import CloudletHandle, start_server


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored(handle: CloudletHandle) -> dict[str, tuple[int, int]]:
    """The packages in the store: sha256 -> (size, unzipped size)."""
    with handle.platform.store.read() as conn:
        rows = conn.all("SELECT sha256, size, unzipped_size FROM lambda_code_blobs")
    return {r[0]: (r[1], r[2]) for r in rows}


def deploy(lam, name: str, data: bytes, **kwargs) -> dict:
    return lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler", Role=ROLE,
                               Code={"ZipFile": data}, **kwargs)


def with_layer(lam, tag: str = "fn") -> tuple[str, bytes]:
    """A layer and a function using it; returns the layer's ARN and the function's package."""
    layer = lam.publish_layer_version(LayerName="lay", Content={"ZipFile": make_zip({"layer.txt": "from layer"})})
    data = package(tag)
    deploy(lam, "fn", data, Layers=[layer["LayerVersionArn"]])
    return layer["LayerVersionArn"], data


def test_packages_are_stored_and_downloaded_from_the_store(cloudlet):
    lam = cloudlet.client("lambda")
    layer_arn, data = with_layer(lam)
    layer = lam.get_layer_version_by_arn(Arn=layer_arn)
    size, unzipped = stored(cloudlet)[sha(data)]
    assert size == len(data) and unzipped == len(TAGGED) + len("fn")
    assert set(stored(cloudlet)) == {sha(data), sha(download(layer["Content"]["Location"])[1])}
    assert download(lam.get_function(FunctionName="fn")["Code"]["Location"]) == (200, data)
    assert invoke(lam, "fn")[1] == ["fn", "from layer"]
    cloudlet.reset()
    assert stored(cloudlet) == {}


def test_a_package_goes_when_nothing_names_it(cloudlet):
    lam = cloudlet.client("lambda")
    old, new = package("old"), package("new")
    for name in ("f1", "f2"):
        deploy(lam, name, old, Publish=name == "f1")
    old_url = lam.get_function(FunctionName="f1")["Code"]["Location"]
    lam.update_function_code(FunctionName="f1", ZipFile=new)
    new_url = lam.get_function(FunctionName="f1")["Code"]["Location"]
    assert set(stored(cloudlet)) == {sha(old), sha(new)}
    lam.delete_function(FunctionName="f2")
    assert set(stored(cloudlet)) == {sha(old), sha(new)}  # version 1 of f1 still runs the old package
    lam.delete_function(FunctionName="f1", Qualifier="1")
    assert set(stored(cloudlet)) == {sha(new)}
    assert download(old_url)[0] == 403
    lam.delete_function(FunctionName="f1")
    assert stored(cloudlet) == {}
    assert download(new_url)[0] == 403


def test_unpacked_trees_of_packages_the_store_dropped_are_pruned(cloudlet):
    lam = cloudlet.client("lambda")
    layer_arn, old = with_layer(lam, tag="old")
    assert invoke(lam, "fn")[1] == ["old", "from layer"]
    new = package("new")
    lam.update_function_code(FunctionName="fn", ZipFile=new)
    assert invoke(lam, "fn")[1] == ["new", "from layer"]
    code = Path(cloudlet.platform.config.data_path) / "compute" / "code"
    assert (code / sha(old)).is_dir()

    async def prune(platform):
        service = await platform.service("lambda")
        return await service.runner.prune_code(idle_s=0)

    assert cloudlet.server.call(prune, cloudlet.platform) >= 1
    assert not (code / sha(old)).exists()
    assert (code / sha(new)).is_dir() and os.listdir(code.parent / "trash") == []
    assert invoke(lam, "fn")[1] == ["new", "from layer"]  # the running function and its layer stay
    assert set(stored(cloudlet)) <= set(os.listdir(code))


def test_a_layer_package_stays_while_a_function_uses_it(cloudlet):
    lam = cloudlet.client("lambda")
    layer_arn, data = with_layer(lam)
    layer_sha = sha(download(lam.get_layer_version_by_arn(Arn=layer_arn)["Content"]["Location"])[1])
    lam.delete_layer_version(LayerName="lay", VersionNumber=1)
    assert set(stored(cloudlet)) == {sha(data), layer_sha}  # the function still names the layer's package
    lam.delete_function(FunctionName="fn")
    assert stored(cloudlet) == {}


def test_refused_writes_store_no_package(cloudlet):
    lam = cloudlet.client("lambda")
    layer_arn, data = with_layer(lam)
    before = stored(cloudlet)
    with pytest.raises(ClientError) as exc:
        lam.update_function_code(FunctionName="fn", ZipFile=package("other"), RevisionId="stale")
    assert error(exc) == ("PreconditionFailedException", 412)
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="fn", Runtime="python3.12", Handler="app.handler", Role=ROLE,
                            Code={"ZipFile": package("again")})
    assert error(exc) == ("ResourceConflictException", 409)
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="g", Runtime="python3.12", Handler="app.handler", Role=ROLE,
                            Code={"ZipFile": b"not a zip"})
    assert error(exc) == ("InvalidParameterValueException", 400)
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="g", Runtime="python3.12", Handler="app.handler", Role=ROLE,
                            Code={"ZipFile": package("g")}, Layers=[layer_arn.rsplit(":", 1)[0] + ":9"])
    assert error(exc) == ("InvalidParameterValueException", 400)
    assert lam.update_function_code(FunctionName="fn", ZipFile=package("dry"), DryRun=True)["CodeSize"] > 0
    assert stored(cloudlet) == before
    assert invoke(lam, "fn")[1] == ["fn", "from layer"]


def wipe(root: Path) -> None:
    """Remove a tree of read-only directories."""
    for dirpath, _dirs, _files in os.walk(root):
        os.chmod(dirpath, 0o755)
    shutil.rmtree(root)


def test_a_wiped_code_cache_is_filled_again_from_the_store():
    data_dir = tempfile.mkdtemp(prefix="cloudlet-packages-")
    try:
        first = CloudletHandle(start_server(data_dir=data_dir, store="sqlite"))
        try:
            with_layer(first.client("lambda"), tag="before restart")
        finally:
            first.server.stop()
        cache = Path(data_dir) / "compute"
        for sub in ("code", "opt"):
            wipe(cache / sub)
        second = CloudletHandle(start_server(data_dir=data_dir, store="sqlite"))
        try:
            assert invoke(second.client("lambda"), "fn")[1] == ["before restart", "from layer"]
            assert len(list((cache / "code").iterdir())) == 2  # the function's and the layer's package
        finally:
            second.server.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_packages_an_older_version_kept_in_the_data_directory_move_into_the_store():
    data_dir = tempfile.mkdtemp(prefix="cloudlet-packages-")
    try:
        first = CloudletHandle(start_server(data_dir=data_dir, store="sqlite"))
        data = package("old layout")
        try:
            deploy(first.client("lambda"), "fn", data)
        finally:
            first.server.stop()
        # as an older cloudlet left it: the zips in compute/blobs/, none in the database
        with closing(sqlite3.connect(Path(data_dir) / "cloudlet.db")) as conn, conn:
            conn.execute("DELETE FROM lambda_code_blobs")
        blobs = Path(data_dir) / "compute" / "blobs"
        (blobs / f"{sha(data)}.zip").write_bytes(data)
        unused = package("nobody")
        (blobs / f"{sha(unused)}.zip").write_bytes(unused)
        second = CloudletHandle(start_server(data_dir=data_dir, store="sqlite"))
        try:
            assert list(stored(second)) == [sha(data)]
            assert list(blobs.iterdir()) == []
            location = second.client("lambda").get_function(FunctionName="fn")["Code"]["Location"]
            assert download(location) == (200, data)
        finally:
            second.server.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
