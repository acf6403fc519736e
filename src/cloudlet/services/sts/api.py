"""STS operations: GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity, GetSessionToken,
GetFederationToken, GetAccessKeyInfo; role credentials for other services."""

from __future__ import annotations

import json
import math
import re
import zlib
from datetime import UTC, datetime

from botocore.model import OperationModel

from cloudlet.aws.auth import Caller
from cloudlet.aws.errors import AWSError
from cloudlet.aws.validate import InputValidationError
from cloudlet.services.base import Service
from cloudlet.services.sts import web_identity
from cloudlet.services.sts.credentials import CredentialStore, TemporaryCredential, role_id

ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/(?:[\x21-\x7e]+/)*([\w+=,.@-]{1,64})")
DEFAULT_ROLE_DURATION = 3600
CHAINED_ROLE_MAX = 3600  # role chaining caps sessions at one hour
ROOT_SESSION_MAX = 3600  # sessions of account owners are capped at one hour
DEFAULT_SESSION_DURATION = 43200
PACKED_POLICY_LIMIT = 2048  # bytes of packed session policies and tags counted as 100%


class STS(Service):
    name = "sts"

    def __init__(self, platform) -> None:
        super().__init__(platform)
        self.credentials = CredentialStore(self.store)
        self.credentials.migrate()

    def validate(self, op: OperationModel, params: dict) -> None:
        try:
            super().validate(op, params)
            _check_patterns(op, params)
        except InputValidationError as err:
            raise AWSError("ValidationError", err.message, 400) from None

    def reset(self) -> None:
        self.platform.auth.forget_temporary()

    # ---- operations -------------------------------------------------------------------------

    def get_caller_identity(self, ctx, params: dict) -> dict:
        caller = _caller(ctx)
        return {"UserId": caller.user_id, "Account": caller.account_id, "Arn": caller.arn}

    def assume_role(self, ctx, params: dict) -> dict:
        caller = _caller(ctx)
        role_arn = params["RoleArn"]
        duration = params.get("DurationSeconds", DEFAULT_ROLE_DURATION)
        if caller.kind == "federated-user":  # federated users may call no STS operation but GetCallerIdentity
            raise AWSError(
                "AccessDenied",
                f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {params['RoleArn']}",
                403,
            )
        if caller.kind == "assumed-role" and duration > CHAINED_ROLE_MAX:
            raise AWSError(
                "ValidationError",
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
                400,
            )
        match = ROLE_ARN.fullmatch(role_arn)
        if match is None:
            raise AWSError("ValidationError", f"{role_arn} is invalid", 400)
        _check_policy(params)
        account_id = match.group(1)
        if account_id != caller.account_id and self.platform.auth.mode == "strict":
            # Without IAM trust policies no role trusts another account. With auth off any
            # caller may claim any key anyway, so there is no boundary to keep.
            raise AWSError(
                "AccessDenied",
                f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                403,
            )
        credential = self.issue_role_credentials(account_id, role_arn, params["RoleSessionName"], duration)
        output = {
            "Credentials": _credentials_output(credential),
            "AssumedRoleUser": {"AssumedRoleId": credential.user_id, "Arn": credential.arn},
        }
        if params.get("SourceIdentity"):
            output["SourceIdentity"] = params["SourceIdentity"]
        return output | _packed_policy_size(params)

    def assume_role_with_web_identity(self, ctx, params: dict) -> dict:
        role_arn = params["RoleArn"]
        match = ROLE_ARN.fullmatch(role_arn)
        if match is None:
            raise AWSError("ValidationError", f"{role_arn} is invalid", 400)
        _check_policy(params)
        claims = web_identity.claims(params["WebIdentityToken"])
        credential = self.issue_role_credentials(
            match.group(1),
            role_arn,
            params["RoleSessionName"],
            params.get("DurationSeconds", DEFAULT_ROLE_DURATION),
        )
        output = {
            "Credentials": _credentials_output(credential),
            "SubjectFromWebIdentityToken": claims.subject,
            "AssumedRoleUser": {"AssumedRoleId": credential.user_id, "Arn": credential.arn},
            "Provider": params.get("ProviderId") or claims.issuer,
            "Audience": claims.audience,
        }
        return output | _packed_policy_size(params)

    def get_federation_token(self, ctx, params: dict) -> dict:
        caller = _caller(ctx)
        if caller.kind != "root":
            raise AWSError("AccessDenied", "Cannot call GetFederationToken with session credentials", 403)
        _check_policy(params)
        name = params["Name"]
        duration = min(params.get("DurationSeconds", DEFAULT_SESSION_DURATION), ROOT_SESSION_MAX)
        arn = f"arn:aws:sts::{caller.account_id}:federated-user/{name}"
        user_id = f"{caller.account_id}:{name}"
        credential = self._mint(caller.account_id, arn, user_id, "federated-user", duration)
        output = {
            "Credentials": _credentials_output(credential),
            "FederatedUser": {"FederatedUserId": user_id, "Arn": arn},
            "PackedPolicySize": 0,  # AWS answers 0 here when no session policy was passed
        }
        return output | _packed_policy_size(params)

    async def get_access_key_info(self, ctx, params: dict) -> dict:
        # with auth off any key is accepted and belongs to the caller's account
        owner = await self.platform.auth.caller_for(params["AccessKeyId"])
        return {"Account": owner.account_id if owner is not None else ctx.account_id}

    def get_session_token(self, ctx, params: dict) -> dict:
        caller = _caller(ctx)
        if caller.kind != "root":
            raise AWSError("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
        duration = min(params.get("DurationSeconds", DEFAULT_SESSION_DURATION), ROOT_SESSION_MAX)
        credential = self._mint(caller.account_id, caller.arn, caller.user_id, "session", duration)
        return {"Credentials": _credentials_output(credential)}

    # ---- for other services -----------------------------------------------------------------

    def issue_role_credentials(
        self, account_id: str, role_arn: str, session_name: str, duration: int = DEFAULT_ROLE_DURATION
    ) -> TemporaryCredential:
        """Mint credentials of a role session (for example for a function's execution role).

        Blocking (it writes the store): call it through Platform.run_sync from the event loop."""
        role_name = role_arn.rsplit("/", 1)[-1]
        arn = f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"
        return self._mint(account_id, arn, f"{role_id(role_arn)}:{session_name}", "assumed-role", duration)

    def _mint(self, account_id: str, arn: str, user_id: str, kind: str, duration: int) -> TemporaryCredential:
        credential = self.credentials.mint(account_id, arn, user_id, kind, duration)
        self.platform.auth.remember(credential)
        return credential


def _check_patterns(op: OperationModel, params: dict) -> None:
    """The model's string patterns for top-level members (names, ARNs, MFA codes)."""
    problems = []
    for name, shape in op.input_shape.members.items():
        pattern = shape.metadata.get("pattern")
        value = params.get(name)
        if pattern and isinstance(value, str) and not re.fullmatch(pattern, value):
            problems.append(
                (
                    name[:1].lower() + name[1:],
                    value,
                    f"Member must satisfy regular expression pattern: {pattern}",
                )
            )
    if problems:
        raise InputValidationError(problems)


def _check_policy(params: dict) -> None:
    """A session policy must at least be a JSON object (its statements are not evaluated)."""
    if "Policy" not in params:
        return
    try:
        document = json.loads(params["Policy"])
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise AWSError("MalformedPolicyDocument", "The policy is not in the valid JSON format.", 400)


def _packed_policy_size(params: dict) -> dict:
    """PackedPolicySize, returned when session policies or tags were passed: the compressed size of
    what was passed as a percentage of the allowed size (AWS's own packing is not public)."""
    if not any(params.get(k) for k in ("Policy", "PolicyArns", "Tags")):
        return {}
    packed = zlib.compress(
        json.dumps([params.get("Policy"), params.get("PolicyArns"), params.get("Tags")]).encode()
    )
    return {"PackedPolicySize": max(1, math.ceil(100 * len(packed) / PACKED_POLICY_LIMIT))}


def _caller(ctx) -> Caller:
    caller = ctx.extra.get("caller")
    if caller is None:  # not authenticated through the dispatcher (direct calls)
        caller = Caller(
            ctx.access_key, ctx.account_id, f"arn:aws:iam::{ctx.account_id}:root", ctx.account_id, "root"
        )
    return caller


def _credentials_output(credential: TemporaryCredential) -> dict:
    return {
        "AccessKeyId": credential.access_key,
        "SecretAccessKey": credential.secret_key,
        "SessionToken": credential.session_token,
        "Expiration": datetime.fromtimestamp(credential.expires_at, UTC),
    }
