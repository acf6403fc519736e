"""Deployment packages: zips checked and unpacked by the compute code store (the bytes go into
the store, blobs.py), hot-reload directories, download URLs.

Hot reload is a cloudlet convention: Code {S3Bucket: "hot-reload", S3Key: "/abs/dir"} runs the
function straight from that host directory; a change to the directory's files starts fresh
environments on the next invocation. The directory is on the node's own host: with several
nodes, each needs it at the same path.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import time
from collections.abc import Callable

from cloudlet.compute.codestore import CodeStore
from cloudlet.compute.errors import InvalidCode
from cloudlet.services.lambda_ import errors
from cloudlet.services.lambda_.blobs import Package

HOT_RELOAD_BUCKET = "hot-reload"
URL_LIFETIME_S = 600  # Lambda's presigned code URLs are valid for 10 minutes
ZIPPED_LIMIT = 52_428_800  # a ZipFile uploaded in the request; Lambda words it as the base64 request size
REQUEST_LIMIT = 69_905_067


def b64_sha256(hex_digest: str) -> str:
    """Lambda's CodeSha256: the base64 of the package's sha256 digest."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


async def store_code(code_store: CodeStore, code: dict, operation: str) -> tuple[dict, Package | None]:
    """Check and unpack a FunctionCode / LayerVersionContentInput; returns the document's code keys
    and the package to store with the document (None for hot reload).

    Raises InvalidParameterValueException for refused packages (nothing is kept then) and
    RequestEntityTooLargeException for a ZipFile over the upload limit of `operation`."""
    if code.get("ZipFile") is not None:
        data = bytes(code["ZipFile"])
        if len(data) > ZIPPED_LIMIT:
            raise errors.too_large(f"Request must be smaller than {REQUEST_LIMIT} bytes for the {operation} operation")
        try:
            ref = await asyncio.to_thread(code_store.put, data)
        except InvalidCode as exc:
            raise errors.invalid(str(exc)) from None
        keys = {"CodeSha256": b64_sha256(ref.sha256), "CodeSize": ref.size, "_sha": ref.sha256}
        return keys, Package(ref.sha256, data, ref.unzipped_size)
    if code.get("S3Bucket") == HOT_RELOAD_BUCKET:
        directory = code.get("S3Key") or ""
        if not os.path.isabs(directory) or not os.path.isdir(directory):
            raise errors.invalid(f"Hot-reload code must name an existing absolute directory, not {directory!r}.")
        digest = hashlib.sha256(directory.encode()).hexdigest()
        return {"CodeSha256": b64_sha256(digest), "CodeSize": 0, "_dir": os.path.realpath(directory)}, None
    if code.get("S3Bucket") or code.get("ImageUri"):
        raise errors.invalid("Code from S3 or container images is not supported by cloudlet yet: use ZipFile "
                             f"or the {HOT_RELOAD_BUCKET!r} bucket convention.")
    raise errors.invalid("Please provide a source for function code.")


def fingerprint(directory: str) -> str:
    """Changes whenever a file under `directory` is added, removed or modified."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            try:
                st = os.stat(os.path.join(root, name))
            except OSError:
                continue
            digest.update(f"{root}/{name}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())
    return digest.hexdigest()[:16]


class CodeUrls:
    """Signed, expiring download URLs for stored packages (GetFunction's Code.Location)."""

    PREFIX = "/_cloudlet/lambda/code/"

    def __init__(self, secret: Callable[[], bytes], fetch: Callable[[str], bytes | None]) -> None:
        self.secret = secret  # read from the store each time: shared by the nodes, replaced by a reset
        self.fetch = fetch  # blocking (a store read)

    def _signature(self, sha: str, expires: int) -> str:
        return hmac.new(self.secret(), f"{sha}:{expires}".encode(), hashlib.sha256).hexdigest()

    def url(self, base_url: str, sha: str) -> str:
        """A download URL (blocking: reads the signing secret)."""
        expires = int(time.time()) + URL_LIFETIME_S
        return f"{base_url}{self.PREFIX}{sha}.zip?Expires={expires}&Signature={self._signature(sha, expires)}"

    def read(self, path: str, query: dict[str, str]) -> bytes | None:
        """The package a URL names, or None when the URL is unknown, forged or expired (blocking)."""
        sha = path[len(self.PREFIX):].removesuffix(".zip")
        try:
            expires = int(query.get("Expires", "0"))
        except ValueError:
            return None
        if len(sha) != 64 or expires < time.time():
            return None
        if not hmac.compare_digest(self._signature(sha, expires), query.get("Signature", "")):
            return None
        return self.fetch(sha)
