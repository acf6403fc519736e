"""Two cloudlet nodes on one PostgreSQL store, each with its own data directory, run the same
functions: code and layers come from the store (skipped on SQLite)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
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
