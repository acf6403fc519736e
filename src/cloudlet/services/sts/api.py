"""STS operations."""

from __future__ import annotations

from cloudlet.services.base import Service


class STS(Service):
    name = "sts"

    def get_caller_identity(self, ctx, params: dict) -> dict:
        return {"UserId": ctx.account_id, "Account": ctx.account_id, "Arn": ctx.principal_arn}
