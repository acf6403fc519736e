"""Running cloudlet: in the foreground (`cloudlet up`) or on a background thread (tests, embedding)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
from collections.abc import Callable

from cloudlet.config import Config
from cloudlet.platform import Platform
from cloudlet.server.app import App
from cloudlet.server.http import HttpServer

log = logging.getLogger("cloudlet")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (faster I/O), else the standard loop."""
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:
        return asyncio.new_event_loop()


class Node:
    """One cloudlet: the platform and its HTTP server on one event loop."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.platform = Platform(config)
        self.app = App(self.platform)
        self.http = HttpServer(self.app.handle, config.host, config.port)
        self.stopping: asyncio.Event | None = None

    async def run(self, started: threading.Event | None = None,
                  announce: Callable[[], None] | None = None) -> None:
        """Serve until request_stop(); `started` is set and `announce` called once requests are answered."""
        self.stopping = asyncio.Event()
        await self.platform.startup()
        await self.http.start()
        self.config.port = self.http.port
        if started is not None:
            started.set()
        if announce is not None:
            announce()
        try:
            await self.stopping.wait()
        finally:
            await self.http.close()
            await self.platform.shutdown()

    def request_stop(self) -> None:
        if self.stopping is not None:
            self.stopping.set()


def serve(config: Config, announce: Callable[[], None] | None = None) -> None:
    """Serve in the foreground until SIGINT or SIGTERM, then stop cleanly; `announce` is called
    once the server answers."""
    node = Node(config)
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, node.request_stop)
    try:
        loop.run_until_complete(node.run(announce=announce))
    finally:
        loop.close()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ThreadedServer:
    """A cloudlet serving from a background thread of this process (the pytest fixture uses it)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.node = Node(config)
        self.platform = self.node.platform
        self.loop = new_event_loop()
        self._started = threading.Event()
        self._error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="cloudlet-server", daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://{self.config.host}:{self.config.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.node.run(self._started))
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._started.set()
        finally:
            self.loop.close()

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        self.thread.start()
        if not self._started.wait(timeout) or self._error is not None:
            raise RuntimeError(f"cloudlet did not start: {self._error!r}")
        return self

    def call(self, coro_fn, *args, timeout: float = 30.0):
        """Run a coroutine function on the server's event loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro_fn(*args), self.loop).result(timeout)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.node.request_stop)
            self.thread.join(timeout=10)
