"""Which requests are function URL calls, and the URL id and path they carry.

Kept apart from the rest of the Lambda service so the edge can tell without loading it.
"""

from __future__ import annotations

from cloudlet.aws.http import HttpRequest

PATH_PREFIX = "/_cloudlet/lambda-url/"
HOST_MARK = ".lambda-url."


def host_name(host: str) -> str:
    """A Host header without its port."""
    return host if host.endswith("]") else host.rsplit(":", 1)[0]


def is_function_url(req: HttpRequest) -> bool:
    """Whether the edge should hand this request to the function URL server."""
    return HOST_MARK in req.host or req.path.startswith(PATH_PREFIX)


def locate(req: HttpRequest) -> tuple[str, str, bool]:
    """(url id, raw path for the function, host form?) of a function URL request."""
    host = host_name(req.host)
    if HOST_MARK in host:
        return host.split(".", 1)[0], req.path or "/", True
    url_id, _, tail = req.path[len(PATH_PREFIX):].partition("/")
    return url_id, "/" + tail, False
