"""Which changes an UpdateTable request may combine, checked before the table is looked up, with
DynamoDB's messages: some changes must travel alone, index creations and deletions cannot share a
request with capacity or stream changes, and GlobalSecondaryIndexUpdates entries hold one action
each, one per index."""

from __future__ import annotations

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import vectors
from cloudlet.services.dynamodb.errors import invalid_params, validation

NOTHING_TO_DO = (
    "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, "
    "SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, "
    "DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required"
)
_ALONE = (
    ("SSESpecification", "Server-Side Encryption modification"),
    ("TableClass", "TableClass modification"),
    ("DeletionProtectionEnabled", "DeletionProtection modification"),
)


def check(params: dict) -> None:
    """Refuse an UpdateTable request whose changes cannot go together (or that changes nothing)."""
    updates = params.get("GlobalSecondaryIndexUpdates")
    present = {m for m in ("ProvisionedThroughput", "BillingMode", "StreamSpecification", "SSESpecification",
                           "TableClass", "DeletionProtectionEnabled", "OnDemandThroughput", "WarmThroughput")
               if params.get(m) is not None}
    if updates:
        present.add("GlobalSecondaryIndexUpdates")
    if params.get("VectorIndexUpdates"):
        present.add("VectorIndexUpdates")
    if not present:
        raise validation(NOTHING_TO_DO)
    if updates is not None and not updates:
        raise invalid_params("List of GlobalSecondaryIndexUpdates is empty")
    for member, what in _ALONE:
        if member in present and len(present) > 1:
            raise invalid_params(f"{what} must be the only operation in the request")
    if "WarmThroughput" in present:
        if any("Create" in u for u in updates or [] if isinstance(u, dict)):
            raise invalid_params("Create global secondary index cannot be specified when updating WarmThroughput")
        if present - {"WarmThroughput", "GlobalSecondaryIndexUpdates"}:
            raise invalid_params("WarmThroughput must be the only operation in the request")
    if "OnDemandThroughput" in present and present - {"OnDemandThroughput", "BillingMode"}:
        raise invalid_params("OnDemandThroughput can only be combined with BillingMode in an UpdateTable request")
    creates_or_deletes = _check_index_updates(updates or []) + vectors.count_index_actions(params)
    if "StreamSpecification" in present and "ProvisionedThroughput" in present:
        raise invalid_params("You cannot modify stream status while updating table IOPS")
    if creates_or_deletes and "ProvisionedThroughput" in present:
        raise invalid_params("You cannot create or delete index while updating table IOPS")
    if creates_or_deletes and "StreamSpecification" in present:
        raise invalid_params("You cannot create or delete index while changing stream status")
    if creates_or_deletes > 1:
        raise AWSError(
            "LimitExceededException",
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
            400,
        )


def _check_index_updates(updates: list[dict]) -> int:
    """Check each GlobalSecondaryIndexUpdates entry; returns how many create or delete an index."""
    seen: set[str] = set()
    creates_or_deletes = 0
    for update in updates:
        kinds = [k for k in ("Update", "Create", "Delete") if isinstance(update, dict) and update.get(k) is not None]
        if not kinds:
            raise invalid_params(
                "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
                "GlobalSecondaryIndexUpdate.Delete must not be null"
            )
        if len(kinds) > 1:
            raise invalid_params("Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object")
        name = update[kinds[0]].get("IndexName")
        if name in seen:
            raise invalid_params(
                f"Only one global secondary index update per index is allowed simultaneously. Index: {name}"
            )
        seen.add(name)
        creates_or_deletes += kinds[0] in ("Create", "Delete")
    return creates_or_deletes
