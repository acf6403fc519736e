"""Mapping a request's access key to an account and, in strict mode, verifying its signature."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudlet.aws.context import RequestContext
from cloudlet.aws.errors import AWSError
from cloudlet.aws.http import HttpRequest
from cloudlet.aws.sigv4 import credential_scope

if TYPE_CHECKING:
    from cloudlet.platform import Platform


class Authenticator:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        config = platform.config
        self.mode = config.auth_mode
        self.default_account = config.account_id
        self.keys = {c.access_key: c for c in config.parsed_credentials()}

    def authenticate(self, req: HttpRequest, ctx: RequestContext) -> None:
        """Fill in the caller on ctx; raise the AWS error when strict mode refuses the request."""
        scope = credential_scope(req)
        if scope is not None:
            ctx.access_key = scope.access_key
            if scope.region:
                ctx.region = scope.region
        account = self.account_for(ctx.access_key)
        if self.mode == "strict":
            if scope is None:
                raise AWSError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
            if account is None:
                raise AWSError(
                    "InvalidClientTokenId", "The security token included in the request is invalid.", 403
                )
        ctx.account_id = account or self.default_account
        ctx.principal_arn = f"arn:aws:iam::{ctx.account_id}:root"

    def account_for(self, access_key: str) -> str | None:
        credential = self.keys.get(access_key)
        return credential.account_id if credential else None

    def is_admin(self, req: HttpRequest) -> bool:
        """May this request use the platform's own endpoints (reset)?"""
        if self.mode == "off":
            return True
        scope = credential_scope(req)
        credential = self.keys.get(scope.access_key) if scope else None
        return bool(credential and credential.admin)
