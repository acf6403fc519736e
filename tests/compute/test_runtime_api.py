"""The Runtime API server on the wire: tokens, routes, headers, error bodies, limits."""

from __future__ import annotations

import asyncio
import http.client
import json

import pytest

from cloudlet.compute.runtime_api import MAX_RESPONSE, Invocation, RuntimeAPIServer, next_headers


@pytest.fixture
def api(harness):
    server = RuntimeAPIServer()
    harness.run(server.start())
    events = []
    channel = harness.call(server.channel, lambda: events.append("ready"),
                           lambda body, kind: events.append((body, kind)))
    yield harness, server, channel, events
    harness.run(server.stop())


def conn(server):
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)


def deliver(harness, channel, request_id="req-1", payload=b'{"a": 1}'):
    async def make():
        loop = __import__("asyncio").get_running_loop()
        headers = next_headers(request_id, 1234, "arn:aws:lambda:us-east-1:000000000000:function:f", "Root=1-a-b",
                               '{"custom": {"k": "v"}}', '{"cognitoIdentityId": "i"}')
        inv = Invocation(request_id, payload, headers, loop.create_future())
        channel.deliver(inv)
        return inv
    return harness.run(make())


def test_next_headers_and_response(api):
    harness, server, channel, events = api
    inv = deliver(harness, channel)
    c = conn(server)
    c.request("GET", f"/{channel.token}/2018-06-01/runtime/invocation/next")
    r = c.getresponse()
    assert r.status == 200 and json.loads(r.read()) == {"a": 1}
    assert r.headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
    assert r.headers["Lambda-Runtime-Deadline-Ms"] == "1234"
    assert r.headers["Lambda-Runtime-Invoked-Function-Arn"] == "arn:aws:lambda:us-east-1:000000000000:function:f"
    assert r.headers["Lambda-Runtime-Trace-Id"] == "Root=1-a-b"
    assert json.loads(r.headers["Lambda-Runtime-Client-Context"]) == {"custom": {"k": "v"}}
    assert json.loads(r.headers["Lambda-Runtime-Cognito-Identity"]) == {"cognitoIdentityId": "i"}
    assert events == ["ready"]
    c.request("POST", f"/{channel.token}/2018-06-01/runtime/invocation/other/response", b"1")
    r = c.getresponse()
    assert r.status == 400 and json.loads(r.read())["errorType"] == "InvalidRequestID"
    c.request("POST", f"/{channel.token}/2018-06-01/runtime/invocation/req-1/response", b'"done"')
    r = c.getresponse()
    assert r.status == 202 and json.loads(r.read()) == {"status": "OK"}
    assert inv.future.result() == (b'"done"', None)
    # answered once only
    c.request("POST", f"/{channel.token}/2018-06-01/runtime/invocation/req-1/response", b'"again"')
    assert c.getresponse().status == 400


def test_error_route_carries_error_type(api):
    harness, server, channel, _ = api
    inv = deliver(harness, channel, "req-2")
    c = conn(server)
    c.request("GET", f"/{channel.token}/2018-06-01/runtime/invocation/next")
    c.getresponse().read()
    doc = {"errorMessage": "bad", "errorType": "ValueError", "stackTrace": []}
    c.request("POST", f"/{channel.token}/2018-06-01/runtime/invocation/req-2/error", json.dumps(doc),
              {"Lambda-Runtime-Function-Error-Type": "ValueError"})
    assert c.getresponse().status == 202
    body, kind = inv.future.result()
    assert json.loads(body) == doc and kind == "ValueError"


def test_init_error(api):
    harness, server, channel, events = api
    c = conn(server)
    c.request("POST", f"/{channel.token}/2018-06-01/runtime/init/error", b'{"errorType": "X", "errorMessage": "m"}',
              {"Lambda-Runtime-Function-Error-Type": "Runtime.X"})
    assert c.getresponse().status == 202
    assert events == [(b'{"errorType": "X", "errorMessage": "m"}', "Runtime.X")]


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/not-a-token/2018-06-01/runtime/invocation/next", 403),
    ("GET", "/2018-06-01/runtime/invocation/next", 403),
    ("POST", "/{token}/2018-06-01/runtime/invocation/next", 405),
    ("GET", "/{token}/2018-06-01/runtime/init/error", 405),
    ("POST", "/{token}/2018-06-01/runtime/nothing", 404),
    ("POST", "/{token}/2018-06-01/runtime/invocation/x/other", 404),
])
def test_bad_requests(api, method, path, status):
    _, server, channel, _ = api
    c = conn(server)
    c.request(method, path.format(token=channel.token), b"" if method == "POST" else None)
    r = c.getresponse()
    assert r.status == status
    assert "errorType" in json.loads(r.read())


def test_response_too_large(api):
    harness, server, channel, _ = api
    inv = deliver(harness, channel, "req-3")
    c = conn(server)
    c.request("GET", f"/{channel.token}/2018-06-01/runtime/invocation/next")
    c.getresponse().read()
    c.request("POST", f"/{channel.token}/2018-06-01/runtime/invocation/req-3/response", b"x" * (MAX_RESPONSE + 1))
    r = c.getresponse()
    assert r.status == 413
    body, kind = inv.future.result()
    assert kind == "Function.ResponseSizeTooLarge"
    assert json.loads(body)["errorMessage"] == (
        f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE} bytes).")


def test_closed_channel_is_forbidden(api):
    harness, server, channel, _ = api
    harness.call(channel.close)
    c = conn(server)
    c.request("GET", f"/{channel.token}/2018-06-01/runtime/invocation/next")
    assert c.getresponse().status == 403


def test_header_values_cannot_inject_lines():
    with pytest.raises(ValueError):
        next_headers("id", 1, "arn", "Root=1\r\nX-Evil: 1", "", "")


def test_own_port_takes_paths_without_token(api):
    harness, server, channel, events = api
    assert channel.address == f"127.0.0.1:{server.port}/{channel.token}"
    harness.run(channel.listen())
    host, port = channel.address.split(":")
    assert host == "127.0.0.1" and port.isdigit() and int(port) != server.port
    inv = deliver(harness, channel, "req-4")
    c = http.client.HTTPConnection(host, int(port), timeout=5)
    c.request("GET", "/2018-06-01/runtime/invocation/next")
    r = c.getresponse()
    assert r.status == 200 and r.headers["Lambda-Runtime-Aws-Request-Id"] == "req-4" and r.read() == b'{"a": 1}'
    c.request("POST", "/2018-06-01/runtime/invocation/req-4/response", b'"own"')
    r = c.getresponse()
    assert (r.status, r.read()) == (202, b'{"status":"OK"}') and inv.future.result() == (b'"own"', None)
    c.request("POST", "/2018-06-01/runtime/init/error", b"{}", {"Lambda-Runtime-Function-Error-Type": "Runtime.Y"})
    r = c.getresponse()
    assert (r.status, r.read()) == (202, b'{"status":"OK"}') and events == ["ready", (b"{}", "Runtime.Y")]
    # a token path is not a route on the channel's own port
    c.request("GET", f"/{channel.token}/2018-06-01/runtime/invocation/next")
    r = c.getresponse()
    assert r.status == 403 and json.loads(r.read())["errorType"] == "Forbidden"
    harness.call(channel.close)
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection(host, int(port), timeout=5).request("GET", "/2018-06-01/runtime/invocation/next")


def test_own_port_refuses_connections_from_outside_the_environment(api):
    import os
    import subprocess
    import sys

    harness, server, channel, _ = api
    outsider = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    owners = [outsider.pid]  # the "environment" is another process: this test process is outside it
    try:
        harness.run(channel.listen(lambda: owners))
        host, port = channel.address.split(":")
        c = http.client.HTTPConnection(host, int(port), timeout=5)
        c.request("GET", "/2018-06-01/runtime/invocation/next")
        with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
            c.getresponse()
        owners[:] = [os.getpid()]  # now this process is the environment: it is served
        deliver(harness, channel, "req-5")
        c = http.client.HTTPConnection(host, int(port), timeout=5)
        c.request("GET", "/2018-06-01/runtime/invocation/next")
        r = c.getresponse()
        assert r.status == 200 and r.headers["Lambda-Runtime-Aws-Request-Id"] == "req-5"
    finally:
        outsider.kill()
        outsider.wait()


def test_peer_lookup_finds_the_process_holding_a_loopback_connection():
    import os
    import socket

    from cloudlet.compute import peers

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        client_port, server_port = client.getsockname()[1], listener.getsockname()[1]
        inode = peers.client_socket_inode(client_port, server_port)
        assert inode == os.fstat(client.fileno()).st_ino
        assert peers.held_by(inode, [os.getpid()]) is True
        assert peers.held_by(inode, [os.getppid()]) is False
        assert os.getpid() in peers.process_tree(os.getppid())
        assert peers.connected_from(client_port, server_port, [os.getpid()])
        assert not peers.connected_from(client_port, server_port, [os.getppid()])
    finally:
        for s in (client, accepted, listener):
            s.close()


def test_a_pipelined_answer_and_next_share_one_write_with_the_next_invocation(api):
    import socket

    harness, server, channel, _ = api
    token = channel.token
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        first = deliver(harness, channel, "req-a")
        sock.sendall(f"GET /{token}/2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert b"Lambda-Runtime-Aws-Request-Id: req-a" in sock.recv(65536)
        answer = f"POST /{token}/2018-06-01/runtime/invocation/req-a/response HTTP/1.1\r\nHost: x\r\n" \
                 "Content-Length: 4\r\n\r\n\"ok\""
        following = f"GET /{token}/2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall((answer + following).encode())
        harness.run(asyncio.wait_for(asyncio.shield(first.future), 5))
        assert first.future.result() == (b'"ok"', None)
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):  # the 202 waits for the next invocation
            sock.recv(65536)
        sock.settimeout(5)
        deliver(harness, channel, "req-b", b'{"b": 2}')
        data = b""
        while b'{"b": 2}' not in data:
            data += sock.recv(65536)
        accepted, _, rest = data.partition(b'{"status":"OK"}')
        assert accepted.startswith(b"HTTP/1.1 202 Accepted") and b"Lambda-Runtime-Aws-Request-Id: req-b" in rest
        # an answer sent alone (no /next behind it) is acknowledged at once, as clients that wait expect
        sock.sendall(f"POST /{token}/2018-06-01/runtime/invocation/req-b/response HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: 2\r\n\r\n{}".encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 202 Accepted")
    finally:
        sock.close()
