"""cloudlet's HTTP/1.1 server: asyncio + httptools, handing HttpRequest values to one handler.

Measured on the project's machine, uvicorn's protocol layer spends about 90 µs of CPU per request
more than a bare httptools protocol (docs/benchmarks.md); with a 200 µs budget for a whole
SendMessage that is too much, so the edge speaks HTTP itself with httptools as the parser.
Supports keep-alive, pipelined requests (answered in order), chunked request bodies,
`Expect: 100-continue`, streamed (chunked) responses, an idle timeout, and cancels a request's
handler when its client goes away (so a long poll stops waiting).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import types
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

import httptools

from cloudlet.aws.http import HttpRequest, HttpResponse

log = logging.getLogger("cloudlet.http")

Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]

_REASONS = {s.value: s.phrase for s in HTTPStatus}
_NAMES: dict[bytes, str] = {}  # header names as sent -> lower-case text; SDKs send the same few
_MAX_NAMES = 1024


def _header_name(raw: bytes) -> str:
    name = raw.decode("latin-1").lower()
    if len(_NAMES) < _MAX_NAMES:  # bounded: a client inventing names cannot grow it
        _NAMES[raw] = name
    return name
_date_cache: list = [0.0, b""]


def _date_header() -> bytes:
    now = time.time()
    if int(now) != int(_date_cache[0]):
        _date_cache[0] = now
        _date_cache[1] = formatdate(now, usegmt=True).encode()
    return _date_cache[1]


def render_head(response: HttpResponse, keep_alive: bool, chunked: bool = False) -> bytes:
    """The status line and headers of a response."""
    status = response.status
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}".encode()]
    for name, value in response.headers.items():
        lines.append(f"{name}: {value}".encode("latin-1", "replace"))
    if response.more_headers:
        lines.extend(f"{name}: {value}".encode("latin-1", "replace") for name, value in response.more_headers)
    if chunked:
        lines.append(b"Transfer-Encoding: chunked")
    elif "Content-Length" not in response.headers and "content-length" not in response.headers:
        lines.append(b"Content-Length: " + str(len(response.body)).encode())
    lines.append(b"Date: " + _date_header())
    if not keep_alive:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


class HttpProtocol(asyncio.Protocol):
    """One client connection."""

    def __init__(self, handler: Handler, *, max_body: int, connections: set) -> None:
        self.handler = handler
        self.connections = connections
        self.max_body = max_body
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.pending: deque[tuple[HttpRequest, bool, bool]] = deque()
        self.task: asyncio.Task | None = None
        self.closed = False
        self._url = b""
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._headers: dict[str, str] = {}
        self.last_active = time.monotonic()
        self._body: list[bytes] = []
        self._size = 0
        self._too_large = False
        self._can_write = asyncio.Event()
        self._can_write.set()

    # ---- connection ------------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.connections.add(self)
        peer = transport.get_extra_info("peername")
        self.client_ip = peer[0] if peer else ""

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.connections.discard(self)
        self._can_write.set()
        if self.task and not self.task.done():
            self.task.cancel()

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    def close_if_idle(self, since: float) -> None:
        """Close the connection when it has had nothing to do since `since` (monotonic seconds)."""
        if self.task is None and not self.pending and self.last_active < since and self.transport:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reject(400, b"upgrades are not supported")
        except httptools.HttpParserError:
            self._reject(400, b"malformed HTTP request")

    def _reject(self, status: int, message: bytes) -> None:
        if self.transport and not self.closed:
            response = HttpResponse(status, {"Content-Type": "text/plain"}, message)
            self.transport.write(render_head(response, False) + message)
            self.transport.close()

    # ---- parser callbacks ------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._raw_headers = []
        self._body = []
        self._size = 0
        self._too_large = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        raw = self._raw_headers
        names = _NAMES
        headers = self._headers = {names.get(n) or _header_name(n): v.decode("latin-1") for n, v in raw}
        if len(headers) != len(raw):  # a repeated header: join its values as HTTP allows
            headers.clear()
            for n, v in raw:
                key, text = _header_name(n), v.decode("latin-1")
                headers[key] = f"{headers[key]},{text}" if key in headers else text
        if self._headers.get("expect", "").lower() == "100-continue":
            declared = self._headers.get("content-length", "0")
            if declared.isdigit() and int(declared) > self.max_body:
                self._too_large = True
            else:
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self.max_body:
            self._too_large = True
            self._body = []
        elif not self._too_large:
            self._body.append(body)

    def on_message_complete(self) -> None:
        raw = self._url.decode("latin-1")
        path, _, query = raw.partition("?")
        request = HttpRequest(
            method=self.parser.get_method().decode(),
            path=path,
            query_string=query,
            headers=self._headers,
            body=b"".join(self._body),
            client_ip=self.client_ip,
        )
        self.pending.append((request, self.parser.should_keep_alive(), self._too_large))
        if len(self.pending) > 16:
            self.transport.pause_reading()
        if self.task is None:
            self._start_serving()

    # ---- serving ---------------------------------------------------------------------------
    def _start_serving(self) -> None:
        """Run `_serve` eagerly, here and now; only when it suspends does it become a Task.

        Most requests (an SQS send on SQLite) complete without ever waiting, so this saves a Task
        and a loop turn per request. Like a Task, each run gets its own copy of the context.
        """
        context = contextvars.copy_context()
        coro = self._serve()
        try:
            yielded = context.run(coro.send, None)
        except StopIteration:
            return
        except Exception:
            log.exception("unhandled error serving a request")
            self.task = None
            if self.transport:
                self.transport.close()
            return
        loop = asyncio.get_running_loop()
        self.task = loop.create_task(_finish(coro, yielded), context=context)

    async def _serve(self) -> None:
        try:
            while self.pending and not self.closed:
                request, keep_alive, too_large = self.pending.popleft()
                if len(self.pending) <= 4:
                    self.transport.resume_reading()
                if too_large:
                    response = HttpResponse(413, {"Content-Type": "text/plain"}, b"request body too large")
                    keep_alive = False
                else:
                    response = await self._handle(request)
                await self._write(response, keep_alive, request.method == "HEAD")
                if not keep_alive:
                    self.closed = True  # pipelined requests behind this one are not served
                    self.transport.close()
                    return
        except asyncio.CancelledError:
            pass
        finally:
            self.task = None
            self.last_active = time.monotonic()

    async def _handle(self, request: HttpRequest) -> HttpResponse:
        try:
            return await self.handler(request)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("unhandled error serving %s %s", request.method, request.path)
            return HttpResponse(500, {"Content-Type": "text/plain"}, b"internal error")

    async def _write(self, response: HttpResponse, keep_alive: bool, head_only: bool) -> None:
        stream = response.stream
        if stream is None:
            head = render_head(response, keep_alive)
            self.transport.write(head if head_only else head + response.body)
            return
        self.transport.write(render_head(response, keep_alive, chunked=True))
        await self._write_stream(stream)

    async def _write_stream(self, stream: AsyncIterator[bytes]) -> None:
        async for chunk in stream:
            if self.closed:
                return
            if chunk:
                self.transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                await self._can_write.wait()
        if not self.closed:
            self.transport.write(b"0\r\n\r\n")


async def _finish(coro: Coroutine, yielded: Any) -> None:
    """Carry on a coroutine that was started outside any Task and has suspended on `yielded`."""
    await _resume(coro, yielded)


@types.coroutine
def _resume(coro: Coroutine, yielded: Any) -> Generator[Any, None, Any]:
    """Hand what `coro` awaits to the running Task and feed back its outcome (send or throw)."""
    while True:
        try:
            try:
                yield yielded
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:
                yielded = coro.throw(exc)
            else:
                yielded = coro.send(None)
        except StopIteration as stop:
            return stop.value


class HttpServer:
    """Listens on one address and serves every connection with the handler."""

    def __init__(
        self,
        handler: Handler,
        host: str,
        port: int,
        *,
        max_body: int = 256 * 1024 * 1024,
        idle_timeout: float = 75.0,
    ) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self.max_body = max_body
        self.idle_timeout = idle_timeout
        self.server: asyncio.Server | None = None
        self.connections: set[HttpProtocol] = set()

    def _protocol(self) -> HttpProtocol:
        return HttpProtocol(self.handler, max_body=self.max_body, connections=self.connections)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            self._protocol, self.host, self.port, reuse_address=True, backlog=1024
        )
        if not self.port:
            self.port = self.server.sockets[0].getsockname()[1]
        self._sweeper = loop.create_task(self._sweep_idle())

    async def _sweep_idle(self) -> None:
        while True:
            await asyncio.sleep(min(5.0, self.idle_timeout))
            since = time.monotonic() - self.idle_timeout
            for connection in list(self.connections):
                connection.close_if_idle(since)

    async def close(self, grace: float = 2.0) -> None:
        """Stop accepting, let requests in progress finish for up to `grace` seconds, close the rest."""
        if self.server:
            self.server.close()
            self._sweeper.cancel()
        deadline = time.monotonic() + grace
        while any(c.task for c in self.connections) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        for connection in list(self.connections):
            if connection.transport:
                connection.transport.close()
