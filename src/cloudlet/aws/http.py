"""Plain HTTP request and response values passed between the server and the wire layer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qsl, unquote


@dataclass
class HttpRequest:
    """One HTTP request. `headers` has lower-case names; repeated headers are joined with ','."""

    method: str
    path: str  # raw, still percent-encoded
    query_string: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    client_ip: str = ""
    scheme: str = "http"

    @cached_property
    def query(self) -> list[tuple[str, str]]:
        if not self.query_string:  # most requests: parse_qsl's own set-up costs more than the rest
            return []
        return parse_qsl(self.query_string, keep_blank_values=True)

    @cached_property
    def query_dict(self) -> dict[str, str]:
        return dict(self.query)

    @cached_property
    def form(self) -> dict[str, str]:
        """The url-encoded form of a POST body merged over the query string (query protocol)."""
        params = dict(self.query)
        ctype = self.headers.get("content-type", "")
        if self.body and (not ctype or "x-www-form-urlencoded" in ctype):
            params.update(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return params

    @property
    def host(self) -> str:
        return self.headers.get("host", "")

    @cached_property
    def decoded_path(self) -> str:
        return unquote(self.path)


@dataclass
class HttpResponse:
    """A response; `stream`, when set, is sent chunked instead of `body`. `more_headers` are sent after
    `headers`, for a name that repeats (Set-Cookie)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None
    more_headers: list[tuple[str, str]] | None = None
