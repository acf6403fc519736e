"""ConsumedCapacity figures as DynamoDB computes them: reads per 4 KB, writes per 1 KB."""

from __future__ import annotations

import math


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


def report(mode: str | None, table: str, units: float, index: str | None = None,
           gsi: bool = True, kind: str = "") -> dict | None:
    """The ConsumedCapacity member for ReturnConsumedCapacity TOTAL or INDEXES (None for NONE)."""
    if mode not in ("TOTAL", "INDEXES"):
        return None
    out: dict = {"TableName": table, "CapacityUnits": units}
    if kind == "read":
        out["ReadCapacityUnits"] = units
    elif kind == "write":
        out["WriteCapacityUnits"] = units
    if mode == "INDEXES":
        if index is None:
            out["Table"] = {"CapacityUnits": units}
        else:
            member = "GlobalSecondaryIndexes" if gsi else "LocalSecondaryIndexes"
            out["Table"] = {"CapacityUnits": 0.0}
            out[member] = {index: {"CapacityUnits": units}}
    return out
