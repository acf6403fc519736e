"""A function URL request as a payload format 2.0 event, and a function's answer as the HTTP response.

The event follows Lambda's function URL request payload: headers lower-cased with repeated ones
comma-joined (the `cookie` header moves to `cookies`), `queryStringParameters` with repeated keys
comma-joined, a body as text for text content types (`text/*`, JSON, XML, JavaScript, YAML) and
base64 for anything else. The answer: a JSON object with `statusCode` is the response (`headers`,
`cookies` as Set-Cookie lines, `body`, `isBase64Encoded`; the framing headers Content-Length,
Transfer-Encoding, Connection, Keep-Alive and Date are the edge's own); any other JSON value is a 200
`application/json` body: a string's text, else the value as compact JSON (what Lambda's front end sends).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, unquote

import orjson

from cloudlet.aws.http import HttpRequest, HttpResponse

_TEXT_MARKERS = ("json", "xml", "javascript", "yaml")
_BREAKS = frozenset("\r\n\0")
HTTP_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FRAMING = frozenset(("content-length", "transfer-encoding", "connection", "keep-alive", "date"))


def is_text(content_type: str) -> bool:
    """Whether a body of this content type reaches the function as text (else base64)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith("text/") or any(marker in kind for marker in _TEXT_MARKERS)


_NOT_FORWARDED = frozenset(("cookie", "connection", "keep-alive"))  # cookies go to `cookies`; hop-by-hop


def request_event(req: HttpRequest, *, url_id: str, domain: str, account_id: str, raw_path: str,
                  request_id: str, authorizer: dict | None = None, port: int = 0, trace_root: str = "") -> dict:
    """The payload format 2.0 event of one request to a function URL (`trace_root`: the
    x-amzn-trace-id the front end adds when the caller sent none)."""
    headers = {k: v for k, v in req.headers.items() if k not in _NOT_FORWARDED}
    if trace_root:
        headers.setdefault("x-amzn-trace-id", trace_root)
    headers.setdefault("x-forwarded-for", req.client_ip)
    headers.setdefault("x-forwarded-proto", req.scheme)
    if port:
        headers.setdefault("x-forwarded-port", str(port))
    now = time.time()
    context = {
        "accountId": account_id,
        "apiId": url_id,
        "domainName": domain,
        "domainPrefix": url_id,
        "http": {"method": req.method, "path": unquote(raw_path), "protocol": "HTTP/1.1",
                 "sourceIp": req.client_ip, "userAgent": req.headers.get("user-agent", "")},
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    event: dict = {"version": "2.0", "routeKey": "$default", "rawPath": raw_path,
                   "rawQueryString": req.query_string, "headers": headers}
    cookie = req.headers.get("cookie")
    if cookie:
        event["cookies"] = [c.strip() for c in cookie.replace(",", ";").split(";") if c.strip()]
    if req.query_string:
        params: dict[str, str] = {}
        for key, value in parse_qsl(req.query_string, keep_blank_values=True):
            params[key] = f"{params[key]},{value}" if key in params else value
        event["queryStringParameters"] = params
    event["requestContext"] = context
    if req.body:
        if is_text(req.headers.get("content-type", "")):
            try:
                event["body"], event["isBase64Encoded"] = req.body.decode("utf-8"), False
            except UnicodeDecodeError:
                event["body"], event["isBase64Encoded"] = base64.b64encode(req.body).decode(), True
        else:
            event["body"], event["isBase64Encoded"] = base64.b64encode(req.body).decode(), True
    else:
        event["isBase64Encoded"] = False
    return event


class MalformedResponse(Exception):
    """The function answered something that cannot be an HTTP response."""


def http_response(payload: bytes) -> HttpResponse:
    """The HTTP response a function's (successful) answer maps to; MalformedResponse when it cannot."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise MalformedResponse("the function's answer is not JSON") from None
    if not (isinstance(value, dict) and "statusCode" in value):
        return HttpResponse(200, {"Content-Type": "application/json"}, _plain_body(value, payload))
    status = value["statusCode"]
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode {status!r}")
    given = value.get("headers") or {}
    if not isinstance(given, dict):
        raise MalformedResponse("headers is not an object")
    headers: dict[str, str] = {}
    for name, text in given.items():
        if HTTP_TOKEN.fullmatch(name) is None:
            raise MalformedResponse(f"header name {name!r}")
        if name.lower() not in _FRAMING:  # the edge frames the response itself
            headers[name] = text if isinstance(text, str) else orjson.dumps(text).decode()
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    body = value.get("body")
    if body is None:
        raw = b""
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = orjson.dumps(body)
    if value.get("isBase64Encoded") and raw:
        try:
            raw = base64.b64decode(raw, validate=True)
        except binascii.Error:
            raise MalformedResponse("body is not base64") from None
    cookies = value.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedResponse("cookies is not a list")
    more = [("Set-Cookie", str(c)) for c in cookies]
    if any(_BREAKS.intersection(text) for pair in [*headers.items(), *more] for text in pair):
        raise MalformedResponse("a header holds a line break")
    response = HttpResponse(status, headers, raw)
    response.more_headers = more
    return response


def _plain_body(value, payload: bytes) -> bytes:
    """The body of an answer without statusCode: a string's own text, any other value as compact JSON."""
    if isinstance(value, str):
        return value.encode()
    try:
        return orjson.dumps(value)
    except TypeError:  # e.g. an integer beyond 64 bits: the function's own text
        return payload
