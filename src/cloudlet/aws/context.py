"""The per-request context handed to service operations."""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudlet.aws.http import HttpRequest


@dataclass
class RequestContext:
    """Who is calling, where, and about what. Every resource is scoped to (account_id, region)."""

    account_id: str
    region: str
    request_id: str
    service: str = ""
    operation: str = ""
    protocol: str = ""
    access_key: str = ""
    principal_arn: str = ""
    http: HttpRequest | None = None
    extra: dict = field(default_factory=dict)

    @property
    def host(self) -> str:
        """The Host the client used, for URLs handed back to it (queue URLs and the like)."""
        return self.http.host if self.http else ""

    @property
    def base_url(self) -> str:
        scheme = self.http.scheme if self.http else "http"
        return f"{scheme}://{self.host}" if self.host else ""
