"""Two cloudlet nodes on one PostgreSQL store, each with its own data directory, run the same
functions: code and layers come from the store (skipped on SQLite)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from hashlib import sha256
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lambda_helpers import ROLE, download, invoke, make_zip
from lambda_helpers import tagged_package as package

from cloudlet.testing.pytest_plugin import CloudletHandle, start_server

STORE = os.environ.get("CLOUDLET_TEST_STORE", "")
pytestmark = pytest.mark.skipif(not STORE.startswith("postgres"), reason="needs CLOUDLET_TEST_STORE=postgresql://...")


@pytest.fixture
def second_node(cloudlet):
    server = start_server(store=STORE)
    assert server.config.data_dir != cloudlet.server.config.data_dir
    yield CloudletHandle(server)
    server.stop()


def on(node: CloudletHandle, url: str) -> str:
    """The same URL served by another node."""
    parts = urlsplit(url)
    return f"{node.endpoint}{parts.path}?{parts.query}"


def test_a_function_created_on_one_node_runs_on_the_other(cloudlet, second_node):
    a, b = cloudlet.client("lambda"), second_node.client("lambda")
    layer = a.publish_layer_version(LayerName="lay", Content={"ZipFile": make_zip({"layer.txt": "from layer"})})
    first = package("v1")
    a.create_function(FunctionName="fn", Runtime="python3.12", Handler="app.handler", Role=ROLE,
                      Code={"ZipFile": first}, Layers=[layer["LayerVersionArn"]])
    with ThreadPoolExecutor(4) as pool:  # concurrent cold starts unpack the package once
        results = list(pool.map(lambda _: invoke(b, "fn")[1], range(4)))
    assert results == [["v1", "from layer"]] * 4
    cache = Path(second_node.server.config.data_path) / "compute" / "code"
    assert sha256(first).hexdigest() in os.listdir(cache)
    assert not [name for name in os.listdir(cache) if name.startswith(".")]  # no staging left behind

    second = package("v2")
    b.update_function_code(FunctionName="fn", ZipFile=second)
    assert invoke(a, "fn")[1] == ["v2", "from layer"]

    location = a.get_function(FunctionName="fn")["Code"]["Location"]
    assert download(on(second_node, location)) == (200, second)
    layer_url = b.get_layer_version(LayerName="lay", VersionNumber=1)["Content"]["Location"]
    assert download(on(cloudlet, layer_url))[0] == 200


def test_a_deleted_package_is_gone_for_every_node(cloudlet, second_node):
    a, b = cloudlet.client("lambda"), second_node.client("lambda")
    a.create_function(FunctionName="fn", Runtime="python3.12", Handler="app.handler", Role=ROLE,
                      Code={"ZipFile": package("x")})
    location = a.get_function(FunctionName="fn")["Code"]["Location"]
    b.delete_function(FunctionName="fn")
    assert download(on(cloudlet, location))[0] == 403


def test_nodes_creating_and_deleting_functions_of_one_package_never_lose_it(cloudlet, second_node):
    shared = package("shared")

    def churn(node: CloudletHandle, prefix: str) -> None:
        lam = node.client("lambda")
        for i in range(6):
            lam.create_function(FunctionName=f"{prefix}{i}", Runtime="python3.12", Handler="app.handler",
                                Role=ROLE, Code={"ZipFile": shared})
            if i:
                lam.delete_function(FunctionName=f"{prefix}{i - 1}")

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda args: churn(*args), [(cloudlet, "a"), (second_node, "b")]))
    a = cloudlet.client("lambda")
    assert sorted(f["FunctionName"] for f in a.list_functions()["Functions"]) == ["a5", "b5"]
    for name in ("a5", "b5"):
        assert download(a.get_function(FunctionName=name)["Code"]["Location"]) == (200, shared)
    a.delete_function(FunctionName="a5")
    second_node.client("lambda").delete_function(FunctionName="b5")
    with cloudlet.platform.store.read() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM lambda_code_blobs") == 0
