"""cloudlet's own HTTP/1.1 server, driven over raw sockets."""

from __future__ import annotations

import asyncio
import contextvars
import socket
import threading

import pytest

from cloudlet.aws.http import HttpRequest, HttpResponse
from cloudlet.server.http import HttpServer
from cloudlet.server.runner import new_event_loop


class Harness:
    def __init__(self, handler, **kwargs):
        self.loop = new_event_loop()
        self.server = HttpServer(handler, "127.0.0.1", 0, **kwargs)
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.server.start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(5)

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        _readers.pop(sock.fileno(), None)
        return sock

    def close(self):
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


_readers: dict[int, object] = {}


def read_response(sock: socket.socket) -> tuple[int, dict, bytes]:
    """Read exactly one response (keeping any bytes of the next one buffered on the socket object)."""
    reader = _readers.get(sock.fileno())
    if reader is None:
        reader = _readers[sock.fileno()] = sock.makefile("rb")
    status_line = reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    headers = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while (size := int(reader.readline().strip(), 16)) != 0:
            body += reader.read(size)
            reader.readline()
        reader.readline()
        return status, headers, body
    return status, headers, reader.read(int(headers.get("content-length", 0)))


async def echo(req: HttpRequest) -> HttpResponse:
    body = f"{req.method} {req.path} {req.query_string} {len(req.body)}".encode() + b"\n" + req.body
    return HttpResponse(200, {"Content-Type": "text/plain", "X-Test": req.headers.get("x-test", "")}, body)


@pytest.fixture
def echo_server():
    harness = Harness(echo, max_body=1024)
    yield harness
    harness.close()


def test_keep_alive_serves_several_requests_on_one_connection(echo_server):
    sock = echo_server.connect()
    for i in range(3):
        sock.sendall(f"GET /a/{i}?x=1 HTTP/1.1\r\nHost: h\r\nX-Test: v{i}\r\n\r\n".encode())
        status, headers, body = read_response(sock)
        assert status == 200
        assert headers["x-test"] == f"v{i}"
        assert body.startswith(f"GET /a/{i} x=1 0".encode())
    sock.close()


def test_header_names_are_case_insensitive_and_repeats_are_joined(echo_server):
    sock = echo_server.connect()
    for spelling in ("X-Test", "x-test", "X-TEST", "x-TeSt"):
        sock.sendall(f"GET / HTTP/1.1\r\nHost: h\r\n{spelling}: {spelling}\r\n\r\n".encode())
        assert read_response(sock)[1]["x-test"] == spelling
    sock.sendall(b"GET / HTTP/1.1\r\nHost: h\r\nX-Test: a\r\nx-test: b\r\nX-TEST: c\r\n\r\n")
    assert read_response(sock)[1]["x-test"] == "a,b,c"
    sock.close()


def test_pipelined_requests_are_answered_in_order(echo_server):
    sock = echo_server.connect()
    sock.sendall(b"".join(f"GET /{i} HTTP/1.1\r\nHost: h\r\n\r\n".encode() for i in range(5)))
    for i in range(5):
        assert read_response(sock)[2].startswith(f"GET /{i} ".encode())


def test_chunked_request_body_is_reassembled(echo_server):
    sock = echo_server.connect()
    sock.sendall(
        b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    status, _, body = read_response(sock)
    assert status == 200 and body.endswith(b" 5\nabcde")


def test_expect_100_continue_gets_an_interim_response(echo_server):
    sock = echo_server.connect()
    sock.sendall(b"PUT /e HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
    interim = sock.recv(1024)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    sock.sendall(b"data")
    status, _, body = read_response(sock)
    assert status == 200 and body.endswith(b"data")


def test_oversized_body_is_refused_with_413_and_server_keeps_serving(echo_server):
    sock = echo_server.connect()
    sock.sendall(b"POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n" + b"x" * 2000)
    assert read_response(sock)[0] == 413
    other = echo_server.connect()
    other.sendall(b"GET /ok HTTP/1.1\r\nHost: h\r\n\r\n")
    assert read_response(other)[0] == 200


def test_malformed_request_gets_400_and_close(echo_server):
    sock = echo_server.connect()
    sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
    status, headers, _ = read_response(sock)
    assert status == 400 and headers.get("connection") == "close"


def test_connection_close_is_honoured(echo_server):
    sock = echo_server.connect()
    sock.sendall(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    assert read_response(sock)[0] == 200
    assert sock.recv(10) == b""


def test_streamed_response_is_sent_chunked():
    async def stream():
        for part in (b"one ", b"two ", b"three"):
            await asyncio.sleep(0)
            yield part

    async def handler(req):
        return HttpResponse(200, {"Content-Type": "text/plain"}, stream=stream())

    harness = Harness(handler)
    try:
        sock = harness.connect()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        status, headers, body = read_response(sock)
        assert status == 200 and headers["transfer-encoding"] == "chunked" and body == b"one two three"
    finally:
        harness.close()


def test_client_going_away_cancels_its_handler():
    started, cancelled = threading.Event(), threading.Event()

    async def slow(req):
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return HttpResponse(200)

    harness = Harness(slow)
    try:
        sock = harness.connect()
        sock.sendall(b"GET /wait HTTP/1.1\r\nHost: h\r\n\r\n")
        assert started.wait(30)
        sock.close()
        assert cancelled.wait(30)
    finally:
        harness.close()


def test_handler_exception_is_a_500_without_traceback():
    async def broken(req):
        raise RuntimeError("secret detail")

    harness = Harness(broken)
    try:
        sock = harness.connect()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        status, _, body = read_response(sock)
        assert status == 500 and b"secret" not in body
    finally:
        harness.close()


def test_idle_connections_are_closed():
    harness = Harness(echo, idle_timeout=0.2)
    try:
        sock = harness.connect()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        assert read_response(sock)[0] == 200
        sock.settimeout(3)
        assert sock.recv(10) == b""
    finally:
        harness.close()


_seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="")


async def mixed(req: HttpRequest) -> HttpResponse:
    """Answers at once or after suspending (by path), raising on /boom after it suspended."""
    before = _seen.get()
    _seen.set(req.path)
    if req.path.startswith("/wait") or req.path == "/boom":
        await asyncio.sleep(0.01)
        if req.path == "/boom":
            raise RuntimeError("late failure")
    return HttpResponse(200, {"Content-Type": "text/plain"}, f"{req.path} saw {before or '-'}".encode())


def test_pipelined_mix_of_immediate_and_suspending_handlers_keeps_order():
    harness = Harness(mixed)
    try:
        sock = harness.connect()
        paths = ["/a", "/wait1", "/b", "/boom", "/wait2", "/c"]
        sock.sendall(b"".join(f"GET {p} HTTP/1.1\r\nHost: h\r\n\r\n".encode() for p in paths))
        answers = [read_response(sock) for _ in paths]
        assert [status for status, _, _ in answers] == [200, 200, 200, 500, 200, 200]
        assert [body.split()[0] for _, _, body in answers if body.startswith(b"/")] == [
            p.encode() for p in paths if p != "/boom"
        ]
        for path in ("/d", "/e"):  # the connection still serves; nothing set by an earlier handler leaks
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: h\r\n\r\n".encode())
            assert read_response(sock)[2] == f"{path} saw -".encode()
    finally:
        harness.close()


def test_requests_behind_connection_close_are_not_served():
    served = []

    async def record(req):
        served.append(req.path)
        return HttpResponse(200, {}, b"ok")

    harness = Harness(record)
    try:
        sock = harness.connect()
        sock.sendall(
            b"GET /1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
        )
        assert read_response(sock)[0] == 200
        assert sock.recv(100) == b""
        assert served == ["/1"]
    finally:
        harness.close()
