"""Reading the OpenID Connect token of AssumeRoleWithWebIdentity.

There is no IAM, so no identity provider is registered whose keys could verify the token's
signature or whose client ids could restrict its audience: a token is accepted when it is a
well-formed, unexpired JWT, and its claims are reported back as AWS does.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from cloudlet.aws.errors import AWSError


@dataclass(frozen=True)
class Claims:
    subject: str
    audience: str
    issuer: str


def _invalid() -> AWSError:
    return AWSError(
        "InvalidIdentityToken",
        "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
        400,
    )


def _segment(text: str) -> dict:
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        raise _invalid() from None
    if not isinstance(value, dict):
        raise _invalid()
    return value


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def claims(token: str, now: float | None = None) -> Claims:
    """The token's subject, audience and issuer; InvalidIdentityToken or ExpiredTokenException."""
    parts = token.split(".")
    if len(parts) != 3:
        raise _invalid()
    _segment(parts[0])
    payload = _segment(parts[1])
    now = time.time() if now is None else now
    expires = payload.get("exp")
    if isinstance(expires, int | float) and not isinstance(expires, bool) and expires <= now:
        raise AWSError(
            "ExpiredTokenException",
            f"Token expired: current date/time {_when(now)} must be before the expiration date/time"
            f" {_when(expires)}",
            400,
        )
    audience = payload.get("aud", "")
    if isinstance(audience, list):
        audience = audience[0] if audience else ""
    return Claims(str(payload.get("sub", "")), str(audience), str(payload.get("iss", "")))
