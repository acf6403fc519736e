"""Encryption at rest as DynamoDB describes it: the SSESpecification of CreateTable / UpdateTable
turned into the SSEDescription of DescribeTable. Items are not encrypted by cloudlet."""

from __future__ import annotations

import uuid

from cloudlet.services.dynamodb.errors import invalid_params

_MANAGED_KEY = uuid.UUID("6d2a3b64-1e0c-4d8e-9a35-7c0e8f1b2d40")  # namespace of the aws/dynamodb keys


def settings(spec: dict | None, account: str, region: str) -> dict | None:
    """The stored encryption settings of an SSESpecification (None: the AWS owned key, the default)."""
    if not spec:
        return None
    enabled = spec.get("Enabled")
    if enabled is None:
        enabled = spec.get("SSEType") == "KMS"  # as in AWS, an SSEType of KMS alone turns encryption on
    if not enabled:
        for member in ("SSEType", "KMSMasterKeyId"):
            if spec.get(member):
                raise invalid_params(f"{member} can not be specified if Enabled is false")
        return None
    if spec.get("SSEType") == "AES256":
        raise invalid_params("SSEType AES256 is not supported")
    if spec.get("KMSMasterKeyId") and spec.get("SSEType") != "KMS":
        raise invalid_params("SSEType KMS is required if KMSMasterKeyId is specified")
    return {"SSEType": "KMS", "KMSMasterKeyArn": _key_arn(spec.get("KMSMasterKeyId"), account, region)}


def updated(current: dict | None, spec: dict, account: str, region: str) -> dict | None:
    """The settings an UpdateTable SSESpecification leads to; re-sending the current ones is refused."""
    new = settings(spec, account, region)
    # Only an exact re-send is refused: the default again, or the key's own ARN. Another way to name the
    # current key (alias, key id, or none for the managed key) re-encrypts the table, as in AWS.
    named_arn = str(spec.get("KMSMasterKeyId") or "").startswith("arn:")
    if new == current and (current is None or named_arn):
        if current is None:
            raise invalid_params("Table is already encrypted by default")
        raise invalid_params(
            "Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you want to "
            "change Master Key"
        )
    return new


def updating(before: dict | None) -> dict:
    """The SSEDescription of an UpdateTable answer that changes the encryption: AWS reports the change
    as in progress, still naming the key in use before it (none when the table had the default)."""
    return {"Status": "UPDATING", **(before or {})}


def description(sse: dict | None) -> dict | None:
    """The SSEDescription of a table, or None when it uses the AWS owned key (AWS then omits it)."""
    if not sse:
        return None
    return {"Status": "ENABLED", **sse}


def _key_arn(key_id: str | None, account: str, region: str) -> str:
    if key_id and key_id.startswith("arn:"):
        return key_id
    if key_id == "alias/aws/dynamodb" or (key_id or "").endswith(":alias/aws/dynamodb"):
        key_id = None  # the managed key's alias names the managed key, described by its key ARN
    if key_id and key_id.startswith("alias/"):
        return f"arn:aws:kms:{region}:{account}:{key_id}"
    # Without a key, DynamoDB uses the account's AWS managed key (alias/aws/dynamodb).
    key = key_id or str(uuid.uuid5(_MANAGED_KEY, f"{account}:{region}"))
    return f"arn:aws:kms:{region}:{account}:key/{key}"
