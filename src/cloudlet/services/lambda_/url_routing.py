"""Which requests are function URL calls, and the URL id and path they carry.

Kept apart from the rest of the Lambda service so the edge can tell without loading it.
"""

from __future__ import annotations

from cloudlet.aws.http import HttpRequest

PATH_PREFIX = "/_cloudlet/lambda-url/"
HOST_MARK = ".lambda-url."
ID_LENGTH = 32


def host_name(host: str) -> str:
    """A Host header without its port."""
    return host if host.endswith("]") else host.rsplit(":", 1)[0]


def is_url_host(host: str) -> bool:
    """Whether a Host header names a function URL."""
    # a URL id is 32 characters, so the mark sits at a fixed place (an S3 bucket name holding
    # ".lambda-url." elsewhere stays S3's)
    return host[ID_LENGTH:ID_LENGTH + len(HOST_MARK)] == HOST_MARK


def is_function_url(req: HttpRequest) -> bool:
    """Whether the edge should hand this request to the function URL server."""
    return is_url_host(req.host) or req.path.startswith(PATH_PREFIX)


def locate(req: HttpRequest) -> tuple[str, str, str | None]:
    """(url id, raw path for the function, the host's region or None for the path form)."""
    host = req.host
    if is_url_host(host):
        region = host[ID_LENGTH + len(HOST_MARK):].split(".", 1)[0]
        return host[:ID_LENGTH], req.path or "/", region
    url_id, _, tail = req.path[len(PATH_PREFIX):].partition("/")
    return url_id, "/" + tail, None
