"""Who is calling: an access key mapped to an account and principal, verified by SigV4 in strict mode.

Modes: "off" accepts any signature (no hashing at all) and maps unknown keys to the default
account; "strict" verifies every request against the configured keys and the temporary
credentials STS minted, and answers refusals with the error codes AWS uses for the protocol
family of the service called (query, JSON or S3's REST-XML).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cloudlet.aws import models, sigv4
from cloudlet.aws.context import RequestContext
from cloudlet.aws.errors import AWSError
from cloudlet.aws.http import HttpRequest
from cloudlet.config import Credential

if TYPE_CHECKING:
    from cloudlet.platform import Platform
    from cloudlet.services.sts.credentials import TemporaryCredential

TEMPORARY_PREFIX = "ASIA"
_CACHE_SIZE = 4096
_NEGATIVE_TTL = 2.0  # seconds an unknown temporary key is remembered as unknown


@dataclass(frozen=True)
class Caller:
    """The principal behind a request's access key."""

    access_key: str
    account_id: str
    arn: str
    user_id: str
    # "root" (a configured key), "assumed-role", "session" (GetSessionToken), "federated-user"
    # (GetFederationToken) or "anonymous" (an unsigned request to a noAuth operation)
    kind: str


# Refusals by kind: (query code, JSON code, S3 code, status for query/JSON, S3 status, S3 message).
_REFUSALS: dict[str, tuple[str, str, str, int, int, str]] = {
    "missing": (
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "AccessDenied",
        403,
        403,
        "Access Denied",
    ),
    "unknown-key": (
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        403,
        403,
        "The AWS Access Key Id you provided does not exist in our records.",
    ),
    "bad-token": (
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidToken",
        403,
        400,
        "The provided token is malformed or otherwise invalid.",
    ),
    "expired-token": (
        "ExpiredToken",
        "ExpiredTokenException",
        "ExpiredToken",
        403,
        400,
        "The provided token has expired.",
    ),
    "incomplete": (
        "IncompleteSignature",
        "IncompleteSignatureException",
        "AuthorizationHeaderMalformed",
        400,
        400,
        "",
    ),
    "mismatch": ("SignatureDoesNotMatch", "InvalidSignatureException", "SignatureDoesNotMatch", 403, 403, ""),
    "scope": (
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "AuthorizationHeaderMalformed",
        403,
        400,
        "",
    ),
    "expired": (
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "RequestTimeTooSkewed",
        403,
        403,
        "The difference between the request time and the current time is too large.",
    ),
    "presign-expired": (
        "RequestExpired",
        "InvalidSignatureException",
        "AccessDenied",
        400,
        403,
        "Request has expired",
    ),
    "payload": (
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "XAmzContentSHA256Mismatch",
        403,
        400,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    ),
}
_REFUSALS["not-yet-current"] = _REFUSALS["expired"]
_MESSAGES = {
    "missing": ("Request is missing Authentication Token", "Missing Authentication Token"),
    "unknown-key": ("The security token included in the request is invalid.",) * 2,
    "bad-token": ("The security token included in the request is invalid.",) * 2,
    "expired-token": ("The security token included in the request is expired",) * 2,
}


def refusal(kind: str, protocol: str, message: str = "") -> AWSError:
    """The AWS error for a refused request, in the codes of the caller's protocol family."""
    query_code, json_code, s3_code, status, s3_status, s3_message = _REFUSALS[kind]
    if protocol == "rest-xml":
        return AWSError(s3_code, s3_message or message, s3_status)
    family = 0 if protocol == "query" else 1
    message = message or _MESSAGES[kind][family]
    if family == 0:
        return AWSError(query_code, message, status)
    return AWSError(json_code, message, status, query_code=query_code)


class Authenticator:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        config = platform.config
        self.mode = config.auth_mode
        self.default_account = config.account_id
        self.keys: dict[str, Credential] = {c.access_key: c for c in config.parsed_credentials()}
        self._temporary: dict[str, TemporaryCredential] = {}
        self._unknown: dict[str, float] = {}

    # ---- the request path ---------------------------------------------------------------------

    async def authenticate(self, req: HttpRequest, ctx: RequestContext) -> None:
        """Fill in the caller on ctx; raise the AWS error when strict mode refuses the request."""
        if self.mode == "strict":
            caller = await self._verify(req, ctx)
        else:
            caller = await self._assume(req, ctx)
        ctx.access_key = caller.access_key
        ctx.account_id = caller.account_id
        ctx.principal_arn = caller.arn
        ctx.extra["caller"] = caller

    async def _assume(self, req: HttpRequest, ctx: RequestContext) -> Caller:
        """Off mode: believe the credential scope without any hashing."""
        scope = sigv4.credential_scope(req)
        if scope is None:
            return self._root("", self.default_account)
        if scope.region:
            ctx.region = scope.region
        caller = await self.caller_for(scope.access_key)
        return caller or self._root(scope.access_key, self.default_account)

    async def _verify(self, req: HttpRequest, ctx: RequestContext) -> Caller:
        protocol = ctx.protocol
        try:
            sig = sigv4.parse(req)
        except sigv4.SignatureError as err:
            raise refusal(err.kind, protocol, err.message) from None
        if sig is None:
            if _unsigned_operation(ctx):  # e.g. AssumeRoleWithWebIdentity: the token is the credential
                return Caller("", self.default_account, "", "", "anonymous")
            raise refusal("missing", protocol)
        access_key = sig.scope.access_key
        configured = self.keys.get(access_key)
        temporary = None
        if configured is not None:
            secret = configured.secret_key
            if sig.security_token:
                raise refusal("bad-token", protocol)
        else:
            temporary = await self._temporary_credential(access_key)
            if temporary is None:
                raise refusal("unknown-key", protocol)
            if not sig.security_token or not _same(sig.security_token, temporary.session_token):
                raise refusal("bad-token", protocol)
            secret = temporary.secret_key
        try:
            sigv4.check_time(sig)
            if ctx.service:
                sigv4.check_scope(sig, _signing_name(ctx.service))
            sigv4.verify(req, sig, secret, s3=protocol == "rest-xml")
        except sigv4.SignatureError as err:
            raise refusal(err.kind, protocol, err.message) from None
        if temporary is not None and temporary.expired():
            raise refusal("expired-token", protocol)
        ctx.region = sig.scope.region
        if temporary is not None:
            return _caller_of(temporary)
        return self._root(access_key, configured.account_id)

    # ---- identities -----------------------------------------------------------------------------

    def _root(self, access_key: str, account_id: str) -> Caller:
        return Caller(access_key, account_id, f"arn:aws:iam::{account_id}:root", account_id, "root")

    async def caller_for(self, access_key: str) -> Caller | None:
        """The principal of a configured or unexpired temporary key; None when unknown."""
        configured = self.keys.get(access_key)
        if configured is not None:
            return self._root(access_key, configured.account_id)
        temporary = await self._temporary_credential(access_key)
        if temporary is None or temporary.expired():
            return None
        return _caller_of(temporary)

    async def _temporary_credential(self, access_key: str) -> TemporaryCredential | None:
        if not access_key.startswith(TEMPORARY_PREFIX):
            return None
        cached = self._temporary.get(access_key)
        if cached is not None:
            return cached
        unknown_since = self._unknown.get(access_key)
        now = time.monotonic()
        if unknown_since is not None and now - unknown_since < _NEGATIVE_TTL:
            return None
        sts = await self.platform.service("sts")
        found = await self.platform.run_sync(sts.credentials.find, access_key)
        if len(self._temporary) >= _CACHE_SIZE:
            self._temporary.clear()
            self._unknown.clear()
        if found is None:
            self._unknown[access_key] = now
        else:
            self._temporary[access_key] = found
        return found

    def remember(self, credential: TemporaryCredential) -> None:
        """Cache credentials this node just minted (they are immutable until they expire)."""
        self._temporary[credential.access_key] = credential
        self._unknown.pop(credential.access_key, None)

    def forget_temporary(self) -> None:
        """Drop cached temporary credentials (after a reset wiped the store)."""
        self._temporary.clear()
        self._unknown.clear()

    # ---- the platform endpoints -----------------------------------------------------------------

    def is_admin(self, req: HttpRequest) -> bool:
        """May this request use the platform's own endpoints (reset)? Off mode: yes. Strict mode:
        only when SigV4-signed (verified, any service scope) by a configured admin key."""
        if self.mode == "off":
            return True
        try:
            sig = sigv4.parse(req)
            if sig is None:
                return False
            credential = self.keys.get(sig.scope.access_key)
            if credential is None or not credential.admin or sig.security_token:
                return False
            sigv4.check_time(sig)
            sigv4.verify(req, sig, credential.secret_key)
        except sigv4.SignatureError:
            return False
        return True


def _caller_of(credential: TemporaryCredential) -> Caller:
    return Caller(
        credential.access_key, credential.account_id, credential.arn, credential.user_id, credential.kind
    )


def _unsigned_operation(ctx: RequestContext) -> bool:
    """Whether AWS serves this operation without a signature (its model says noAuth)."""
    op = models.operation_model(ctx.service, ctx.operation) if ctx.service and ctx.operation else None
    return op is not None and op.auth_type == "none"


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _signing_name(service: str) -> str:
    return models.service_model(service).signing_name
