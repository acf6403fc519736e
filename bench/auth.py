"""Authentication cost per request: auth off versus strict (SigV4 verified, signing key cached).

Run alone: `PYTHONPATH=src python bench/auth.py`. Prints microseconds per request beside a
floor measured in the same run: one SHA-256 HMAC of a string to sign (the least a verifier does).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from cloudlet.aws.context import RequestContext  # noqa: E402
from cloudlet.aws.http import HttpRequest  # noqa: E402
from cloudlet.config import Config  # noqa: E402
from cloudlet.platform import Platform  # noqa: E402

N = 20000
KEY, SECRET, ACCOUNT = "AKIABENCH00000000001", "bench-secret", "123456789012"
BODY = b'{"QueueUrl":"http://127.0.0.1:4566/123456789012/jobs","MessageBody":"' + b"x" * 256 + b'"}'


def signed_request() -> HttpRequest:
    request = AWSRequest(
        "POST",
        "http://127.0.0.1:4566/",
        data=BODY,
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage"},
    )
    SigV4Auth(Credentials(KEY, SECRET), "sqs", "us-east-1").add_auth(request)
    prepared = request.prepare()
    headers = {"host": urlsplit(prepared.url).netloc}
    headers.update({k.lower(): v for k, v in prepared.headers.items()})
    return HttpRequest("POST", "/", "", headers, BODY)


async def per_request(platform: Platform, req: HttpRequest) -> float:
    auth = platform.auth
    started = time.perf_counter()
    for _ in range(N):
        ctx = RequestContext(
            ACCOUNT, "us-east-1", "rid", service="sqs", operation="SendMessage", protocol="json"
        )
        await auth.authenticate(req, ctx)
    return (time.perf_counter() - started) / N


def floor() -> float:
    key = hashlib.sha256(b"k").digest()
    message = b"AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/sqs/aws4_request\n" + b"0" * 64
    started = time.perf_counter()
    for _ in range(N):
        hmac.new(key, message, hashlib.sha256).hexdigest()
    return (time.perf_counter() - started) / N


def main() -> None:
    req = signed_request()
    results = {}
    for mode in ("off", "strict"):
        config = Config(data_dir=tempfile.mkdtemp(), auth=mode, credentials=f"{KEY}:{SECRET}:{ACCOUNT}")
        platform = Platform(config)
        results[mode] = asyncio.run(per_request(platform, req))
        platform.store.close()
    base = floor()
    print(f"one HMAC-SHA256 (floor)         {base * 1e6:7.2f} us")
    for mode, value in results.items():
        print(f"authenticate, auth {mode:<6}      {value * 1e6:7.2f} us  {value / base:6.1f}x floor")
    print(f"requests: {N} each, a {len(BODY)}-byte JSON body; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
