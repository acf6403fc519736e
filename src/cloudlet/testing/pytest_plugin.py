"""The `cloudlet` pytest fixture: a real cloudlet server in this process, reset between tests.

    def test_queue(cloudlet):
        sqs = cloudlet.client("sqs")
        url = sqs.create_queue(QueueName="jobs")["QueueUrl"]

The server starts once per test session on a free loopback port with a temporary data
directory (or the store named by CLOUDLET_TEST_STORE); each test starts from an empty cloud.
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
from functools import cached_property

import pytest

from cloudlet.config import Config
from cloudlet.server.runner import ThreadedServer

TEST_KEY = "test"


class CloudletHandle:
    """A running cloudlet: its endpoint and ready-made boto3 clients."""

    def __init__(self, server: ThreadedServer) -> None:
        self.server = server
        self.endpoint = server.endpoint
        self.region = server.config.region
        self.account_id = server.config.account_id
        self._clients: dict = {}

    @cached_property
    def session(self):
        import boto3

        return boto3.session.Session(
            aws_access_key_id=TEST_KEY, aws_secret_access_key=TEST_KEY, region_name=self.region
        )

    def client(self, service: str, **kwargs):
        """A boto3 client for `service` pointed at this cloudlet (cached when called without kwargs)."""
        cacheable = not kwargs
        if cacheable and service in self._clients:
            return self._clients[service]
        from botocore.config import Config as BotoConfig

        kwargs.setdefault("endpoint_url", self.endpoint)
        kwargs.setdefault("config", BotoConfig(retries={"max_attempts": 1}, read_timeout=65))
        client = self.session.client(service, **kwargs)
        if cacheable:
            self._clients[service] = client
        return client

    def resource(self, service: str, **kwargs):
        kwargs.setdefault("endpoint_url", self.endpoint)
        return self.session.resource(service, **kwargs)

    @property
    def platform(self):
        return self.server.platform

    def reset(self) -> None:
        """Wipe all state (the same as POST /_cloudlet/reset)."""
        request = urllib.request.Request(self.endpoint + "/_cloudlet/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def env(self) -> dict[str, str]:
        """Environment variables that point an AWS SDK or the AWS CLI at this cloudlet."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": TEST_KEY,
            "AWS_SECRET_ACCESS_KEY": TEST_KEY,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }


def start_server(**overrides) -> ThreadedServer:
    """Start a cloudlet in a background thread on a free loopback port.

    Each server gets its own temporary data directory unless a test names one: with SQLite that is
    its own cloud; servers on one PostgreSQL store are nodes of one cloud (function code is in the
    store, the data directory holds only each node's cache)."""
    data_dir = overrides.pop("data_dir", None) or tempfile.mkdtemp(prefix="cloudlet-test-")
    store = overrides.pop("store", None) or os.environ.get("CLOUDLET_TEST_STORE") or "sqlite"
    config = Config(
        host="127.0.0.1",
        port=0,
        data_dir=data_dir,
        store=store,
        auth=overrides.pop("auth", "off"),
        **overrides,
    )
    return ThreadedServer(config).start()


@pytest.fixture(scope="session")
def cloudlet_server():
    """The session's cloudlet (started once); most tests want `cloudlet` instead."""
    server = start_server()
    yield CloudletHandle(server)
    server.stop()


@pytest.fixture
def cloudlet(cloudlet_server) -> CloudletHandle:
    """A cloudlet with no state left from earlier tests."""
    cloudlet_server.reset()
    return cloudlet_server
