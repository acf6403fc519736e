"""Running the ASGI app under uvicorn: in the foreground (`cloudlet up`) or in a thread (tests)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn

from cloudlet.config import Config
from cloudlet.platform import Platform
from cloudlet.server.app import App


def uvicorn_config(app: App, config: Config, sock: socket.socket | None = None) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        loop="auto",
        http="httptools",
        lifespan="on",
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=True,
        timeout_keep_alive=75,
        timeout_graceful_shutdown=2,
    )


def serve(config: Config) -> None:
    """Serve in the foreground until SIGINT/SIGTERM."""
    platform = Platform(config)
    server = uvicorn.Server(uvicorn_config(App(platform), config))
    server.run()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ThreadedServer:
    """A cloudlet serving from a background thread of this process (the pytest fixture uses it)."""

    def __init__(self, config: Config) -> None:
        if not config.port:
            config.port = free_port(config.host)
        self.config = config
        self.platform = Platform(config)
        self.server = uvicorn.Server(uvicorn_config(App(self.platform), config))
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self._run, name="cloudlet-server", daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://{self.config.host}:{self.config.port}"

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("cloudlet did not start")
            time.sleep(0.005)
        return self

    def call(self, coro_fn, *args, timeout: float = 30.0):
        """Run a coroutine function on the server's event loop and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(coro_fn(*args), self.platform.loop)
        return future.result(timeout)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
