"""Two cloudlet nodes on one PostgreSQL store: each mapping is polled by one node only
(skipped on SQLite)."""

from __future__ import annotations

import os

import pytest
from ddbstreams_helpers import make_table
from esm_helpers import FAST, fast_fixtures, keys_seen, recorder
from lambda_helpers import wait_for

from cloudlet.testing.pytest_plugin import CloudletHandle, start_server

STORE = os.environ.get("CLOUDLET_TEST_STORE", "")
pytestmark = pytest.mark.skipif(not STORE.startswith("postgres"), reason="needs CLOUDLET_TEST_STORE=postgresql://...")

fast_server, fast = fast_fixtures()


@pytest.fixture
def second_node(fast):
    server = start_server(store=STORE, extra=dict(FAST))  # its own data directory: code comes from the store
    yield CloudletHandle(server)
    server.stop()


def test_each_record_reaches_the_function_once_with_two_nodes(fast, second_node):
    ddb = fast.client("dynamodb")
    arn = make_table(ddb)["LatestStreamArn"]
    recorder(fast)
    second_node.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="rec",
                                                             StartingPosition="TRIM_HORIZON", BatchSize=3)
    expected = []
    for i in range(12):
        key = f"k{i:02d}"
        (ddb if i % 2 else second_node.client("dynamodb")).put_item(TableName="tbl", Item={"pk": {"S": key}})
        expected.append(key)
    wait_for(lambda: sum(len(k) for k in keys_seen(fast)) >= 12, 30)
    seen = [k for batch in keys_seen(fast) for k in batch]
    assert seen == expected
