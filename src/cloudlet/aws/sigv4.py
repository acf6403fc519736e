"""AWS Signature Version 4: reading the credential scope and verifying signatures.

The canonical request follows AWS's definition: the method; the URI path (normalized and
percent-encoded a second time for every service but S3, taken as sent for S3); the canonical
query (each name and value decoded, re-encoded with RFC 3986 unreserved characters left as they
are, sorted by name then value); the signed headers (lower-case names, values trimmed with inner
runs of spaces collapsed); the signed-header list; the payload hash (`x-amz-content-sha256`
when S3 names it, `UNSIGNED-PAYLOAD` for S3 presigned URLs, otherwise SHA-256 of the body).
Only hmac and hashlib do the cryptography.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote_to_bytes

from cloudlet.aws.http import HttpRequest

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = 15 * 60  # seconds either side of the server's clock
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_AMZ_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class CredentialScope:
    access_key: str
    date: str
    region: str
    service: str


@dataclass(frozen=True)
class Signature:
    """What a request carries to be verified: from the Authorization header or a presigned query."""

    scope: CredentialScope
    amz_date: str  # the request time, in the ISO 8601 basic form used in the string to sign
    signed_headers: tuple[str, ...]
    signature: str
    presigned: bool
    expires: int | None  # X-Amz-Expires of a presigned URL
    security_token: str | None


class SignatureError(Exception):
    """A signature that cannot be accepted. `kind` says why, so callers can answer per service:

    incomplete (malformed), mismatch, expired / not-yet-current (outside the skew),
    presign-expired, scope (credential scope wrong), payload (body does not match its hash).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def credential_scope(req: HttpRequest) -> CredentialScope | None:
    """The credential scope from an Authorization header or a presigned query, if any (no checks)."""
    auth = req.headers.get("authorization", "")
    credential = ""
    if auth.startswith("AWS4-"):
        _, _, rest = auth.partition(" ")
        if rest.startswith("Credential=") and rest.count("Credential=") == 1:
            # the SDKs' layout, read without splitting the whole header (this runs per request)
            end = rest.find(",")
            credential = (rest[11:] if end < 0 else rest[11:end]).strip()
        else:
            credential = _auth_params(auth).get("Credential", "")
    elif "X-Amz-Credential" in req.query_string:
        credential = req.query_dict.get("X-Amz-Credential", "")
    return _parse_scope(credential)


@lru_cache(maxsize=1024)
def _parse_scope(credential: str) -> CredentialScope | None:
    parts = credential.split("/")
    if len(parts) != 5 or not parts[0]:
        return None
    return CredentialScope(*parts[:4])


def _auth_params(auth: str) -> dict[str, str]:
    _, _, rest = auth.partition(" ")
    params = {}
    for item in rest.split(","):
        key, eq, value = item.strip().partition("=")
        if eq:
            params[key.strip()] = value.strip()
    return params


def is_signed(req: HttpRequest) -> bool:
    """Does the request carry a SigV4 signature at all (header or presigned)?"""
    return req.headers.get("authorization", "").startswith("AWS4-") or "X-Amz-Signature" in req.query_string


def parse(req: HttpRequest) -> Signature | None:
    """Read the SigV4 signature of a request; None when it carries none.

    Raises SignatureError('incomplete') for a malformed header or presigned query."""
    auth = req.headers.get("authorization", "")
    if auth.startswith("AWS4-"):
        return _parse_header(req, auth)
    if "X-Amz-Signature" in req.query_string or "X-Amz-Credential" in req.query_string:
        return _parse_query(req)
    return None


def _parse_header(req: HttpRequest, auth: str) -> Signature:
    algorithm = auth.split(" ", 1)[0]
    if algorithm != ALGORITHM:
        raise SignatureError("incomplete", f"Unsupported AWS 'algorithm': '{algorithm}'")
    params = _auth_params(auth)
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    amz_date = req.headers.get("x-amz-date", "")
    if not amz_date and req.headers.get("date"):
        amz_date = _http_date_to_amz(req.headers["date"])
    if not amz_date:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        raise SignatureError("incomplete", " ".join(missing) + f" Authorization={auth}")
    scope = _checked_scope(params["Credential"])
    return Signature(
        scope,
        amz_date,
        tuple(params["SignedHeaders"].split(";")),
        params["Signature"],
        presigned=False,
        expires=None,
        security_token=req.headers.get("x-amz-security-token"),
    )


def _parse_query(req: HttpRequest) -> Signature:
    q = req.query_dict
    missing = [
        name
        for name in (
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-SignedHeaders",
            "X-Amz-Signature",
        )
        if not q.get(name)
    ]
    if missing:
        raise SignatureError(
            "incomplete",
            "AWS query-string parameters must include "
            + ", ".join(f"'{name}'" for name in missing)
            + ". Re-examine the query-string parameters.",
        )
    if q["X-Amz-Algorithm"] != ALGORITHM:
        raise SignatureError("incomplete", f"Unsupported AWS 'algorithm': '{q['X-Amz-Algorithm']}'")
    expires = None
    if "X-Amz-Expires" in q:
        try:
            expires = int(q["X-Amz-Expires"])
        except ValueError:
            raise SignatureError("incomplete", "X-Amz-Expires should be a number") from None
        if expires < 1:
            raise SignatureError("incomplete", "X-Amz-Expires must be non-negative")
        if expires > MAX_PRESIGN_EXPIRES:
            raise SignatureError(
                "incomplete", "X-Amz-Expires must be less than a week (in seconds) that is 604800"
            )
    return Signature(
        _checked_scope(q["X-Amz-Credential"]),
        q["X-Amz-Date"],
        tuple(q["X-Amz-SignedHeaders"].split(";")),
        q["X-Amz-Signature"],
        presigned=True,
        expires=expires,
        security_token=q.get("X-Amz-Security-Token"),
    )


def _checked_scope(credential: str) -> CredentialScope:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SignatureError(
            "incomplete",
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{parts[-1]}'.",
        )
    if not all(parts):
        raise SignatureError(
            "incomplete", f"Credential should be scoped to a valid region, not '{parts[2]}'. "
        )
    return CredentialScope(*parts[:4])


def _http_date_to_amz(value: str) -> str:
    try:
        return parsedate_to_datetime(value).astimezone(UTC).strftime(_AMZ_FORMAT)
    except (TypeError, ValueError):
        return ""


def _parse_amz_date(value: str) -> datetime:
    # By hand: strptime alone would be a fifth of a strict-mode verification.
    try:
        digits = value[:8] + value[9:15]
        if (
            len(value) != 16
            or value[8] != "T"
            or value[15] != "Z"
            or not (digits.isascii() and digits.isdigit())
        ):
            raise ValueError(value)
        return datetime(
            int(value[:4]), int(value[4:6]), int(value[6:8]),
            int(value[9:11]), int(value[11:13]), int(value[13:15]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        raise SignatureError(
            "incomplete",
            f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601",
        ) from None


# ---- the canonical request -------------------------------------------------------------------


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4, and empty segments dropped, as AWS normalizes paths (not for S3)."""
    if not path:
        return "/"
    out: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if out:
                out.pop()
        elif segment and segment != ".":
            out.append(segment)
    lead = "/" if path.startswith("/") else ""
    trail = "/" if path.endswith("/") and out else ""
    return lead + "/".join(out) + trail


def canonical_path(raw_path: str, s3: bool) -> str:
    """The canonical URI: S3 signs the path as sent; every other service its double-encoding."""
    if s3:
        return raw_path or "/"
    return quote(_remove_dot_segments(raw_path), safe="/~")


def canonical_query(query_string: str, drop_signature: bool = False) -> str:
    pairs = []
    for item in query_string.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if drop_signature and key == "X-Amz-Signature":
            continue
        pairs.append((_requote(key), _requote(value)))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def _requote(text: str) -> str:
    # '+' is a space in a query, as the query parsers read it; then RFC 3986 encoding.
    return quote(unquote_to_bytes(text.replace("+", " ")), safe="-_.~")


def canonical_headers(req: HttpRequest, names: tuple[str, ...]) -> str:
    lines = []
    for name in names:
        value = req.headers.get(name)
        if value is None:
            raise SignatureError("mismatch", f"The request does not carry the signed header '{name}'.")
        lines.append(f"{name}:{' '.join(value.split())}\n")
    return "".join(lines)


def payload_hash(req: HttpRequest, sig: Signature, s3: bool) -> str:
    """The payload hash the client signed: S3 may declare it (or UNSIGNED-PAYLOAD); others sign the body."""
    declared = req.headers.get("x-amz-content-sha256")
    if s3:
        if sig.presigned and declared is None:
            return UNSIGNED_PAYLOAD
        if declared is None:
            raise SignatureError(
                "incomplete", "Missing required header for this request: x-amz-content-sha256"
            )
        if len(declared) == 64 and declared != hashlib.sha256(req.body).hexdigest():
            raise SignatureError(
                "payload", "The provided 'x-amz-content-sha256' header does not match what was computed."
            )
        return declared
    return hashlib.sha256(req.body).hexdigest() if req.body else EMPTY_SHA256


def canonical_request(req: HttpRequest, sig: Signature, s3: bool) -> str:
    names = tuple(sorted(sig.signed_headers))
    return "\n".join(
        [
            req.method.upper(),
            canonical_path(req.path.split("?", 1)[0], s3),
            canonical_query(req.query_string, drop_signature=sig.presigned),
            canonical_headers(req, names),
            ";".join(names),
            payload_hash(req, sig, s3),
        ]
    )


def string_to_sign(sig: Signature, canonical: str) -> str:
    scope = sig.scope
    return "\n".join(
        [
            ALGORITHM,
            sig.amz_date,
            f"{scope.date}/{scope.region}/{scope.service}/aws4_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )


@lru_cache(maxsize=512)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived key for (secret, date, region, service); cached, since it changes once a day."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


# ---- verification ----------------------------------------------------------------------------


def check_time(sig: Signature, now: datetime | None = None) -> None:
    """Refuse a request outside the clock skew, a scope date that is not the request's date,
    and an expired presigned URL."""
    signed_at = _parse_amz_date(sig.amz_date)
    if sig.scope.date != sig.amz_date[:8]:
        raise SignatureError(
            "scope",
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{sig.scope.date}' != '{sig.amz_date[:8]}', from '{sig.amz_date}'.",
        )
    now = now or datetime.now(UTC)
    delta = (now - signed_at).total_seconds()
    if sig.presigned and sig.expires is not None:
        if delta > sig.expires:
            raise SignatureError("presign-expired", "Request has expired")
    elif delta > MAX_SKEW:
        raise SignatureError(
            "expired",
            f"Signature expired: {sig.amz_date} is now earlier than "
            f"{_fmt(now.timestamp() - MAX_SKEW)} ({_fmt(now.timestamp())} - 15 min.)",
        )
    if -delta > MAX_SKEW:
        raise SignatureError(
            "not-yet-current",
            f"Signature not yet current: {sig.amz_date} is still later than "
            f"{_fmt(now.timestamp() + MAX_SKEW)} ({_fmt(now.timestamp())} + 15 min.)",
        )


def _fmt(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime(_AMZ_FORMAT)


def check_scope(sig: Signature, service: str) -> None:
    """The scope must name the signing name of the service called and a region."""
    if sig.scope.service != service:
        raise SignatureError("scope", f"Credential should be scoped to correct service: '{service}'. ")
    region = sig.scope.region
    if not region.replace("-", "").isalnum() or region != region.lower():
        raise SignatureError("scope", f"Credential should be scoped to a valid region, not '{region}'. ")


MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


def verify(req: HttpRequest, sig: Signature, secret: str, s3: bool = False) -> None:
    """Check the signature against the secret; raises SignatureError('mismatch') when it differs."""
    if "host" not in sig.signed_headers:
        raise SignatureError("mismatch", "'Host' must be a 'SignedHeader' in the AWS Authorization.")
    canonical = canonical_request(req, sig, s3)
    scope = sig.scope
    key = signing_key(secret, scope.date, scope.region, scope.service)
    expected = hmac.new(key, string_to_sign(sig, canonical).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig.signature):
        raise SignatureError("mismatch", MISMATCH_MESSAGE)


__all__ = [
    "CredentialScope",
    "Signature",
    "SignatureError",
    "canonical_request",
    "check_scope",
    "check_time",
    "credential_scope",
    "is_signed",
    "parse",
    "signing_key",
    "verify",
]
