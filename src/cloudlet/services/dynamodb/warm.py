"""Warm throughput (WarmThroughput) of tables and global secondary indexes: the read and write units
per second a table can take at once. Cloudlet does not throttle, so the values are only checked
with DynamoDB's rules and messages, kept and described: an on-demand table starts at 12,000 reads
and 4,000 writes, a provisioned one at its capacity, and warm throughput never decreases."""

from __future__ import annotations

from cloudlet.services.dynamodb.errors import invalid_params

ON_DEMAND = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000}
_CAPACITY = {"ReadUnitsPerSecond": "ReadCapacityUnits", "WriteUnitsPerSecond": "WriteCapacityUnits"}
_INITIAL_DOC = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html"
    "#on-demand-capacity-mode-initial"
)


def _subject(index: str | None) -> str:
    return f"index {index}" if index else "table"


def _given(spec: dict | None) -> dict:
    return {m: int(spec[m]) for m in _CAPACITY if isinstance(spec, dict) and spec.get(m) is not None}


def baseline(billing: str, throughput: dict | None) -> dict:
    """The warm throughput a table or index has before any was asked for."""
    if billing == "PAY_PER_REQUEST":
        return dict(ON_DEMAND)
    throughput = throughput or {}
    return {m: int(throughput.get(c, 0)) for m, c in _CAPACITY.items()}


def on_create(billing: str, throughput: dict | None, spec: dict | None, index: str | None = None) -> dict | None:
    """Check a CreateTable (or index creation) WarmThroughput; returns what to keep."""
    given = _given(spec)
    if not given:
        return None
    floor = baseline(billing, throughput)
    for member, value in given.items():
        if value >= floor[member]:
            continue
        if billing == "PAY_PER_REQUEST":
            raise invalid_params(
                f"Requested {member} for WarmThroughput for {_subject(index)} is lower than initial throughput "
                f"for OnDemand. See: {_INITIAL_DOC}"
            )
        raise invalid_params(
            f"Requested {member} for WarmThroughput for {_subject(index)} is lower than {_CAPACITY[member]} "
            "of ProvisionedThroughput"
        )
    return given


def on_update(current: dict, spec: dict | None, index: str | None = None) -> dict | None:
    """Check an UpdateTable WarmThroughput against the current value; returns the new value to keep."""
    given = _given(spec)
    if not given:
        return None
    for member, value in given.items():
        if value < current[member]:
            raise invalid_params(
                f"Requested {member} for WarmThroughput for {_subject(index)} is lower than current "
                "WarmThroughput, decreasing WarmThroughput is not supported"
            )
    return {**current, **given}


def description(billing: str, throughput: dict | None, kept: dict | None, applying: bool = False) -> dict:
    """The WarmThroughput member of a table or index description (`applying`: being set, UPDATING)."""
    return {**current(billing, throughput, kept), "Status": "UPDATING" if applying else "ACTIVE"}


def current(billing: str, throughput: dict | None, kept: dict | None) -> dict:
    floor = baseline(billing, throughput)
    kept = kept or {}
    return {m: max(floor[m], kept.get(m, 0)) for m in _CAPACITY}
