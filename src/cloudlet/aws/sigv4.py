"""AWS Signature Version 4: reading the credential scope and verifying signatures."""

from __future__ import annotations

from dataclasses import dataclass

from cloudlet.aws.http import HttpRequest


@dataclass(frozen=True)
class CredentialScope:
    access_key: str
    date: str
    region: str
    service: str


def credential_scope(req: HttpRequest) -> CredentialScope | None:
    """The credential scope from an Authorization header or a presigned query, if any."""
    auth = req.headers.get("authorization", "")
    credential = ""
    if auth.startswith("AWS4-"):
        start = auth.find("Credential=")
        if start >= 0:
            credential = auth[start + 11 :].split(",", 1)[0].strip()
    elif "X-Amz-Credential" in req.query_string:
        credential = req.query_dict.get("X-Amz-Credential", "")
    if not credential:
        return None
    parts = credential.split("/")
    if len(parts) != 5:
        return None
    return CredentialScope(*parts[:4])
