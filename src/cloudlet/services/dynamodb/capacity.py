"""ConsumedCapacity figures as DynamoDB computes them: reads per 4 KB, writes per 1 KB."""

from __future__ import annotations

import math

from cloudlet.services.dynamodb import storage
from cloudlet.services.dynamodb.schema import TableDef


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


def report(mode: str | None, table: str, units: float, index: str | None = None,
           gsi: bool = True) -> dict | None:
    """The ConsumedCapacity member for ReturnConsumedCapacity TOTAL or INDEXES (None for NONE)."""
    if mode not in ("TOTAL", "INDEXES"):
        return None
    out: dict = {"TableName": table, "CapacityUnits": units}
    if mode == "INDEXES":
        if index is None:
            out["Table"] = {"CapacityUnits": units}
        else:
            member = "GlobalSecondaryIndexes" if gsi else "LocalSecondaryIndexes"
            out["Table"] = {"CapacityUnits": 0.0}
            out[member] = {index: {"CapacityUnits": units}}
    return out


def write_report(mode: str | None, table: TableDef, old: dict | None, new: dict | None, size: int,
                 factor: float = 1.0) -> dict | None:
    """ConsumedCapacity of one item write: the table's units plus one write per index entry
    written or deleted (INDEXES itemizes them)."""
    if mode not in ("TOTAL", "INDEXES"):
        return None
    table_units = write_units(size) * factor
    per_index: dict[str, tuple[float, bool]] = {}
    for index in table.indexes:
        before = storage.index_key(index, old) if old else None
        after = storage.index_key(index, new) if new else None
        writes = 0 if before is None and after is None else (2 if before and after and before != after else 1)
        if writes:
            per_index[index.name] = (writes * write_units(size) * factor, index.kind == "GSI")
    out: dict = {"TableName": table.name, "CapacityUnits": table_units + sum(u for u, _ in per_index.values())}
    if mode == "INDEXES":
        out["Table"] = {"CapacityUnits": table_units}
        for name, (units, gsi) in per_index.items():
            out.setdefault("GlobalSecondaryIndexes" if gsi else "LocalSecondaryIndexes", {})[name] = {"CapacityUnits": units}
    return out
