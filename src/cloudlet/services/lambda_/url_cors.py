"""A function URL's CORS settings: checking a Cors configuration and the headers it yields.

The model bounds the lists and lengths (ValidationException); this module refuses what it cannot
say: a method that is not an HTTP method Lambda takes, an origin that is not `*` or
`scheme://host[:port]`, a header name that is not an HTTP token.
"""

from __future__ import annotations

import re

from cloudlet.services.lambda_ import errors
from cloudlet.services.lambda_.url_events import HTTP_TOKEN

METHODS = ("GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*")
_ORIGIN = re.compile(r"(\*|[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s?#]+)")
_TOKEN = re.compile(r"\*|" + HTTP_TOKEN.pattern)


def check(cors: dict | None) -> None:
    """Refuse a Cors configuration Lambda would refuse (InvalidParameterValueException)."""
    if not cors:
        return
    for method in cors.get("AllowMethods") or ():
        if method.upper() not in METHODS:
            raise errors.invalid(f"Invalid Cors.AllowMethods value '{method}': allowed values are "
                                 f"{', '.join(METHODS)}.")
    for origin in cors.get("AllowOrigins") or ():
        if _ORIGIN.fullmatch(origin) is None:
            raise errors.invalid(f"Invalid Cors.AllowOrigins value '{origin}': an origin is '*' or "
                                 "scheme://host[:port].")
    for member in ("AllowHeaders", "ExposeHeaders"):
        for header in cors.get(member) or ():
            if _TOKEN.fullmatch(header) is None:
                raise errors.invalid(f"Invalid Cors.{member} value '{header}': a header name is an HTTP token.")


def allowed_origin(cors: dict, origin: str) -> str | None:
    """The Access-Control-Allow-Origin value for a request's Origin, or None when it is not allowed."""
    if not origin:
        return None
    origins = cors.get("AllowOrigins") or ()
    if "*" in origins:
        return origin if cors.get("AllowCredentials") else "*"
    wanted = origin.lower()
    return origin if any(o.lower() == wanted for o in origins) else None


def is_preflight(method: str, headers: dict[str, str]) -> bool:
    return method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers


def preflight_headers(cors: dict, origin: str) -> dict[str, str]:
    """The answer to a preflight from an allowed origin (no headers for one that is not allowed)."""
    allow = allowed_origin(cors, origin)
    if allow is None:
        return {}
    headers = {"Access-Control-Allow-Origin": allow}
    if cors.get("AllowMethods"):
        headers["Access-Control-Allow-Methods"] = ",".join(m.upper() for m in cors["AllowMethods"])
    if cors.get("AllowHeaders"):
        headers["Access-Control-Allow-Headers"] = ",".join(cors["AllowHeaders"])
    if cors.get("AllowCredentials"):
        headers["Access-Control-Allow-Credentials"] = "true"
    if cors.get("MaxAge") is not None:
        headers["Access-Control-Max-Age"] = str(cors["MaxAge"])
    if allow != "*":
        headers["Vary"] = "Origin"
    return headers


def response_headers(cors: dict, origin: str) -> dict[str, str]:
    """The CORS headers added to a function's answer (they win over the function's own)."""
    allow = allowed_origin(cors, origin)
    if allow is None:
        return {}
    headers = {"Access-Control-Allow-Origin": allow}
    if cors.get("ExposeHeaders"):
        headers["Access-Control-Expose-Headers"] = ",".join(cors["ExposeHeaders"])
    if cors.get("AllowCredentials"):
        headers["Access-Control-Allow-Credentials"] = "true"
    if allow != "*":
        headers["Vary"] = "Origin"
    return headers
