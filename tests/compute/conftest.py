"""A running compute Pool on its own event loop thread, shared by the compute tests."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid

import pytest

from cloudlet.compute.logs import MemoryLogSink
from cloudlet.compute.model import FunctionConfig, InvocationMeta
from cloudlet.compute.pool import Pool, PoolSettings

from .ziputil import make_zip


class Metering:
    def __init__(self) -> None:
        self.records = []

    def record(self, arn, request_id, metering) -> None:
        self.records.append((arn, request_id, metering))


class PoolHarness:
    """Drives a Pool from synchronous tests."""

    def __init__(self, tmp_dir, **settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sink = MemoryLogSink()
        self.metering = Metering()
        self.pool = Pool(PoolSettings(data_dir=tmp_dir, **settings), self.sink, self.metering)
        self.run(self.pool.start())

    def run(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn, *args):
        async def wrapper():
            return fn(*args)
        return self.run(wrapper())

    def function(self, files: dict, runtime: str = "python3.11", handler: str = "app.handler", layers=(),
                 executable=(), **kwargs) -> FunctionConfig:
        ref = self.pool.code.put(make_zip(files, executable=executable))
        name = kwargs.pop("name", "fn-" + uuid.uuid4().hex[:8])
        return FunctionConfig(name=name, runtime=runtime, handler=handler, code_sha256=ref.sha256,
                              layers=tuple(layers), **kwargs)

    def layer(self, files: dict, executable=()) -> str:
        return self.pool.code.put(make_zip(files, executable=executable)).sha256

    def invoke(self, config: FunctionConfig, event=None, meta: InvocationMeta | None = None, raw: bytes | None = None):
        payload = raw if raw is not None else json.dumps(event if event is not None else {}).encode()
        return self.run(self.pool.invoke(config, payload, meta or InvocationMeta()))

    def zygote_ready(self, config: FunctionConfig) -> None:
        """Start the configuration's zygote and wait until new environments fork from it."""
        self.call(self.pool.prepare, config)
        zygote = self.pool._zygotes.zygotes[config.key]
        for _ in range(3000):
            if zygote.ready:
                return
            time.sleep(0.01)
        raise TimeoutError("zygote not ready")

    def close(self) -> None:
        self.run(self.pool.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="session")
def harness(tmp_path_factory):
    h = PoolHarness(tmp_path_factory.mktemp("compute"), keep_alive_s=300, reap_interval_s=3600)
    yield h
    h.close()


@pytest.fixture(params=["direct", "zygote"])
def make(request, harness):
    """Build a function whose environments start directly in bubblewrap, or fork from its zygote."""
    def build(files: dict, **kwargs) -> FunctionConfig:
        config = harness.function(files, **kwargs)
        if request.param == "zygote":
            harness.zygote_ready(config)
        return config
    build.mode = request.param
    return build
