"""The Lambda Runtime API (2018-06-01) served on one loopback port for every environment.

An environment is told AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT/<token>, so every URL its runtime
builds (http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/...) starts with the token that names
its RuntimeChannel; an unknown token gets 403. A small asyncio.Protocol on httptools keeps the
hot path (long-polled /next, then /response) free of any framework.

Runtime interface clients that take AWS_LAMBDA_RUNTIME_API as a bare `host:port` (npm
aws-lambda-ric refuses anything else; awslambdaric's init/error call drops the path) need a
channel that `listen()`s on a loopback port of its own, where paths carry no token.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httptools
import orjson

from cloudlet.compute import peers

log = logging.getLogger("cloudlet.compute")

MAX_RESPONSE = 6_291_556  # Lambda's synchronous response payload limit, bytes
MAX_REQUEST_BODY = MAX_RESPONSE + 1_000_000
PREFIX = b"/2018-06-01/runtime/"


@dataclass
class Invocation:
    """One request travelling through a channel: delivered on /next, answered on /response|/error."""

    request_id: str
    payload: bytes
    headers: bytes  # the Lambda-Runtime-* header lines of the /next response
    future: asyncio.Future = field(repr=False)


class RuntimeChannel:
    """The Runtime API state of one execution environment.

    `on_ready` fires on the first /next (init finished); `on_init_error(body, error_type)` on
    init/error. Results resolve the invocation's future with (payload, error_type or None).
    """

    def __init__(self, server: RuntimeAPIServer, on_ready: Callable[[], None],
                 on_init_error: Callable[[bytes, str], None]) -> None:
        self.server = server
        self.token = secrets.token_urlsafe(18)
        self.on_ready = on_ready
        self.on_init_error = on_init_error
        self.ready = False
        self.waiter: _Connection | None = None  # a parked /next
        self.pending: Invocation | None = None  # waiting for a /next
        self.current: Invocation | None = None  # delivered, not answered yet
        self.polled: asyncio.Future | None = None  # resolved when the runtime next parks a /next
        self.listener: asyncio.base_events.Server | None = None  # its own port, after listen()

    @property
    def address(self) -> str:
        if self.listener is not None:
            return f"127.0.0.1:{self.listener.sockets[0].getsockname()[1]}"
        return f"127.0.0.1:{self.server.port}/{self.token}"

    async def listen(self, owners: Callable[[], Iterable[int] | None] | None = None) -> None:
        """Serve this channel alone on its own loopback port too; `address` becomes `127.0.0.1:PORT`.

        With `owners` (the pids of the environment's processes, None while not known yet) a
        connection whose client end belongs to another process is closed at once."""
        loop = asyncio.get_running_loop()
        # not started yet, so a cancellation below still leaves it assigned (and closed by close())
        self.listener = await loop.create_server(lambda: _ChannelConnection(self.server, self.token, owners),
                                                 "127.0.0.1", 0, backlog=16, start_serving=False)
        await self.listener.start_serving()

    @property
    def polling(self) -> bool:
        """Whether the runtime is waiting on /next now."""
        return self.waiter is not None and not self.waiter.closed

    def deliver(self, inv: Invocation) -> None:
        """Hand an invocation to the runtime (now if it is polling, else on its next /next)."""
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.closed:
            self.current = inv
            waiter.send_next(inv)
        else:
            self.pending = inv

    def close(self) -> None:
        self.server.channels.pop(self.token, None)
        if self.listener is not None:
            self.listener.close()
        waiter, self.waiter = self.waiter, None
        if waiter is not None:
            waiter.abort()

    # called by the connection
    def next(self, conn: _Connection) -> None:
        if not self.ready:
            self.ready = True
            self.on_ready()
        inv, self.pending = self.pending, None
        if inv is not None:
            self.current = inv
            conn.send_next(inv)
        else:
            conn.parked = True
            self.waiter = conn
            if self.polled is not None and not self.polled.done():
                self.polled.set_result(None)

    def finish(self, request_id: str, body: bytes, error_type: str | None) -> int:
        inv = self.current
        if inv is None or inv.request_id != request_id:
            return 400
        self.current = None
        if not inv.future.done():
            inv.future.set_result((body, error_type))
        return 202


def _status(code: int, body: bytes) -> bytes:
    reason = {200: b"OK", 202: b"Accepted", 400: b"Bad Request", 403: b"Forbidden", 404: b"Not Found",
              405: b"Method Not Allowed", 413: b"Payload Too Large"}[code]
    return (b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (code, reason, len(body), body))


_ACCEPTED = _status(202, b'{"status":"OK"}')


def _error(code: int, error_type: str, message: str) -> bytes:
    return _status(code, orjson.dumps({"errorMessage": message, "errorType": error_type}))


class _Connection(asyncio.Protocol):
    __slots__ = ("server", "transport", "parser", "url", "body", "size", "error_type", "closed", "too_big",
                 "feeding", "held", "parked")

    def __init__(self, server: RuntimeAPIServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.closed = False
        self.feeding = False  # inside data_received: answers wait in `held`
        self.held = b""
        self.parked = False  # this connection's /next waits for an invocation
        self._reset()

    def _reset(self) -> None:
        self.url = b""
        self.body: list[bytes] = []
        self.size = 0
        self.error_type: str | None = None
        self.too_big = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.closed = True

    def data_received(self, data: bytes) -> None:
        self.feeding = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.feeding = False
            self._send(_error(400, "InvalidRequest", "malformed HTTP request"))
            self.abort()
            return
        self.feeding = False
        # A runtime that pipelined its answer with the next /next reads the answer's 202 only
        # before that /next's response: both go out in one write when the invocation comes.
        if self.held and not self.parked:
            self._send(b"")

    def _send(self, data: bytes) -> None:
        if self.feeding:
            self.held += data
            return
        if self.held:
            data, self.held = self.held + data, b""
        self.transport.write(data)

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    # httptools callbacks
    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"lambda-runtime-function-error-type":
            self.error_type = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        if not self.too_big:
            self.body.append(body)
            self.size += len(body)
            if self.size > MAX_REQUEST_BODY:
                self.too_big = True
                self.body = []

    def on_message_complete(self) -> None:
        try:
            self._handle(self.parser.get_method(), self.url)
        finally:
            self._reset()

    def _handle(self, method: bytes, url: bytes) -> None:
        token, _, rest = url.partition(b"?")[0].partition(b"/")[2].partition(b"/")
        channel = self.server.channels.get(token.decode("latin-1"))
        path = b"/" + rest
        if channel is None or not path.startswith(PREFIX):
            self._send(_error(403, "Forbidden", "unknown runtime token"))
            return
        route = path[len(PREFIX):]
        if route == b"invocation/next":
            if method != b"GET":
                self._send(_error(405, "InvalidRequest", "use GET"))
            else:
                channel.next(self)
            return
        if method != b"POST":
            self._send(_error(405, "InvalidRequest", "use POST"))
            return
        body = b"".join(self.body)
        if route == b"init/error":
            channel.on_init_error(body, self.error_type or "")
            self._send(_ACCEPTED)
            return
        parts = route.split(b"/")
        if len(parts) != 3 or parts[0] != b"invocation" or parts[2] not in (b"response", b"error"):
            self._send(_error(404, "NotFound", "no such Runtime API route"))
            return
        request_id = parts[1].decode("latin-1")
        if parts[2] == b"response":
            if self.too_big or len(body) > MAX_RESPONSE:
                message = (f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE} bytes).")
                doc = orjson.dumps({"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"})
                if channel.finish(request_id, doc, "Function.ResponseSizeTooLarge") == 202:
                    self._send(_error(413, "Function.ResponseSizeTooLarge", message))
                else:
                    self._send(_error(400, "InvalidRequestID", "unknown request id"))
                return
            status = channel.finish(request_id, body, None)
        else:
            status = channel.finish(request_id, body or b"{}", self.error_type or "Unhandled")
        if status == 202:
            self._send(_ACCEPTED)
        else:
            self._send(_error(400, "InvalidRequestID", "unknown request id"))

    def send_next(self, inv: Invocation) -> None:
        self.parked = False
        self._send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n"
                             % (inv.headers, len(inv.payload)) + inv.payload)


class _ChannelConnection(_Connection):
    """A connection to one channel's own port: its paths carry no token, so every URL gets it prefixed."""

    __slots__ = ("prefix", "owners")

    def __init__(self, server: RuntimeAPIServer, token: str,
                 owners: Callable[[], Iterable[int] | None] | None) -> None:
        self.prefix = b"/" + token.encode()
        self.owners = owners
        super().__init__(server)

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        pids = self.owners() if self.owners is not None else None
        if pids is None:
            return
        client = transport.get_extra_info("peername")
        own = transport.get_extra_info("sockname")
        if client and own and not peers.connected_from(client[1], own[1], pids):
            log.warning("refused a Runtime API connection from outside the environment (port %s)", client[1])
            self.abort()

    def _reset(self) -> None:
        super()._reset()
        self.url = self.prefix


class RuntimeAPIServer:
    """One loopback listener serving the Runtime API of every environment of this process."""

    def __init__(self) -> None:
        self.channels: dict[str, RuntimeChannel] = {}
        self.port = 0
        self._server: asyncio.base_events.Server | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), host, port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    def channel(self, on_ready: Callable[[], None], on_init_error: Callable[[bytes, str], None]) -> RuntimeChannel:
        ch = RuntimeChannel(self, on_ready, on_init_error)
        self.channels[ch.token] = ch
        return ch

    async def stop(self) -> None:
        for ch in list(self.channels.values()):
            ch.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


_ids = random.Random()  # seeded from the OS once: trace ids are unique, not secret


def new_trace_id() -> str:
    """An X-Ray trace header for an invocation that arrived without one (not sampled)."""
    return f"Root=1-{int(time.time()):08x}-{_ids.getrandbits(96):024x};Parent={_ids.getrandbits(64):016x};Sampled=0"


def next_headers(request_id: str, deadline_ms: int, function_arn: str, trace_id: str,
                 client_context: str, cognito_identity: str) -> bytes:
    """The Lambda-Runtime-* header lines of an invocation/next response (ValueError on CR/LF in a value)."""
    for value in (request_id, function_arn, trace_id, client_context, cognito_identity):
        if "\r" in value or "\n" in value:
            raise ValueError("header values cannot contain line breaks")
    lines = [b"Lambda-Runtime-Aws-Request-Id: %s\r\n" % request_id.encode(),
             b"Lambda-Runtime-Deadline-Ms: %d\r\n" % deadline_ms,
             b"Lambda-Runtime-Invoked-Function-Arn: %s\r\n" % function_arn.encode()]
    if trace_id:
        lines.append(b"Lambda-Runtime-Trace-Id: %s\r\n" % trace_id.encode())
    if client_context:
        lines.append(b"Lambda-Runtime-Client-Context: %s\r\n" % client_context.encode())
    if cognito_identity:
        lines.append(b"Lambda-Runtime-Cognito-Identity: %s\r\n" % cognito_identity.encode())
    return b"".join(lines)
