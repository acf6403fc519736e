"""OnDemandThroughput of tables and global secondary indexes: the most request units per second an
on-demand table or index may use. Cloudlet does not throttle, so the limits are only checked with
DynamoDB's rules and messages, kept and described. On UpdateTable, -1 removes a limit."""

from __future__ import annotations

from cloudlet.services.dynamodb.errors import invalid_params

MEMBERS = ("MaxReadRequestUnits", "MaxWriteRequestUnits")


def check(billing: str, spec: dict, index: str | None = None, creating: bool = True) -> dict | None:
    """Check an OnDemandThroughput of a CreateTable or UpdateTable request; returns the limits given."""
    given = {m: int(spec[m]) for m in MEMBERS if isinstance(spec, dict) and spec.get(m) is not None}
    if not given:
        return None
    if billing == "PROVISIONED":
        member = next(iter(given))
        # CreateTable and UpdateTable word this differently.
        if creating:
            where = f"for index: {index} " if index else ""
            raise invalid_params(
                f"{member} for OnDemandThroughput {where}cannot be specified when table BillingMode is PROVISIONED."
            )
        where = f"for index : {index} " if index else ""
        raise invalid_params(
            f"{member} for OnDemandThroughput {where}cannot be specified when the table BillingMode is PROVISIONED"
        )
    for member, value in given.items():
        if value > 0 or (value == -1 and not creating):
            continue
        subject = f"index : {index}" if index else "table"
        raise invalid_params(f"Requested {member} for OnDemandThroughput for {subject} is outside of valid range")
    return given


def updated(current: dict | None, given: dict | None) -> dict | None:
    """The limits after an UpdateTable: given members replace the current ones, -1 removes one."""
    if not given:
        return current
    out = {**(current or {}), **given}
    return {m: v for m, v in out.items() if v != -1} or None
