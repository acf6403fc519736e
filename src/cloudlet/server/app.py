"""The edge's request router: platform endpoints under /_cloudlet, everything else to the AWS dispatcher.

`App.handle(HttpRequest) -> HttpResponse` is the core, served by cloudlet's own HTTP server
(server/http.py). `App` is also a plain ASGI 3 application, so cloudlet can be mounted under
any ASGI server.
"""

from __future__ import annotations

import logging

import orjson

from cloudlet.aws.dispatch import Dispatcher
from cloudlet.aws.http import HttpRequest, HttpResponse
from cloudlet.platform import Platform
from cloudlet.services.lambda_.url_routing import PATH_PREFIX as URL_PATH_PREFIX
from cloudlet.services.lambda_.url_routing import is_url_host

log = logging.getLogger("cloudlet.server")


class App:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.dispatcher = Dispatcher(platform)

    async def handle(self, req: HttpRequest) -> HttpResponse:
        """Answer one HTTP request."""
        if req.path.startswith("/_cloudlet/"):
            if req.path.startswith(URL_PATH_PREFIX):
                return await self._function_url(req)
            return await self._platform_endpoint(req)
        if is_url_host(req.headers.get("host", "")):
            return await self._function_url(req)
        return await self.dispatcher.handle(req)

    async def _function_url(self, req: HttpRequest) -> HttpResponse:
        return await (await self.platform.service("lambda")).serve_function_url(req)

    async def _platform_endpoint(self, req: HttpRequest) -> HttpResponse:
        path = req.path
        if path == "/_cloudlet/health" and req.method in ("GET", "HEAD"):
            return _json(200, self.platform.health())
        if path == "/_cloudlet/reset" and req.method == "POST":
            if not self.platform.auth.is_admin(req):
                return _json(403, {"error": "AccessDenied", "message": "reset needs an admin key"})
            await self.platform.reset()
            return _json(200, {"reset": True})
        owner = path.split("/")[2]
        if owner in self.platform.service_names:  # /_cloudlet/<service>/...: the service's own endpoints
            service = await self.platform.service(owner)
            endpoint = getattr(service, "platform_endpoint", None)
            if endpoint is not None:
                return await endpoint(req)
        return _json(404, {"error": "NotFound", "message": f"no platform endpoint {path}"})

    # ---- ASGI adapter ----------------------------------------------------------------------
    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._asgi_http(scope, receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.platform.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.platform.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _asgi_http(self, scope, receive, send) -> None:
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        client = scope.get("client")
        req = HttpRequest(
            method=scope["method"],
            path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?", 1)[0],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=b"".join(chunks),
            client_ip=client[0] if client else "",
            scheme=scope.get("scheme", "http"),
        )
        response = await self.handle(req)
        raw_headers = [(k.encode("latin-1"), str(v).encode("latin-1"))
                       for k, v in [*response.headers.items(), *(response.more_headers or ())]]
        has_length = any(k.lower() == "content-length" for k in response.headers)  # HEAD answers carry their own
        if response.stream is None and not has_length:
            raw_headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
        if response.stream is None:
            await send({"type": "http.response.body", "body": response.body})
            return
        async for chunk in response.stream:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def _json(status: int, value) -> HttpResponse:
    return HttpResponse(status, {"Content-Type": "application/json"}, orjson.dumps(value))
