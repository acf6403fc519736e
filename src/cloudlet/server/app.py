"""The ASGI application: platform endpoints under /_cloudlet, everything else to the AWS dispatcher."""

from __future__ import annotations

import logging

import orjson

from cloudlet.aws.dispatch import Dispatcher
from cloudlet.aws.http import HttpRequest, HttpResponse
from cloudlet.platform import Platform

log = logging.getLogger("cloudlet.server")

MAX_BODY = 64 * 1024 * 1024


class App:
    """A plain ASGI 3 app (no framework: the hot path is a handful of dict lookups)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.dispatcher = Dispatcher(platform)

    async def __call__(self, scope, receive, send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.platform.startup()
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.platform.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope, receive, send) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        client = scope.get("client")
        req = HttpRequest(
            method=scope["method"],
            path=scope.get("raw_path", b"").decode("latin-1") or scope["path"],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            client_ip=client[0] if client else "",
            scheme=scope.get("scheme", "http"),
        )
        if req.path.startswith("/_cloudlet/"):
            response = await self._platform_endpoint(req)
        else:
            response = await self.dispatcher.handle(req)
        await _send(send, response)

    async def _platform_endpoint(self, req: HttpRequest) -> HttpResponse:
        path = req.path.split("?", 1)[0]
        if path == "/_cloudlet/health" and req.method in ("GET", "HEAD"):
            return _json(200, self.platform.health())
        if path == "/_cloudlet/reset" and req.method == "POST":
            if not self.platform.auth.is_admin(req):
                return _json(403, {"error": "AccessDenied", "message": "reset needs an admin key"})
            await self.platform.reset()
            return _json(200, {"reset": True})
        return _json(404, {"error": "NotFound", "message": f"no platform endpoint {path}"})


def _json(status: int, value) -> HttpResponse:
    return HttpResponse(status, {"Content-Type": "application/json"}, orjson.dumps(value))


async def _send(send, response: HttpResponse) -> None:
    headers = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in response.headers.items()]
    if not any(k.lower() == "content-length" for k in response.headers):  # HEAD answers carry their own
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
