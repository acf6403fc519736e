"""ConsumedCapacity figures as DynamoDB computes them: reads per 4 KB, writes per 1 KB."""

from __future__ import annotations

import math

from cloudlet.services.dynamodb import storage, vector_items
from cloudlet.services.dynamodb.schema import IndexDef, TableDef
from cloudlet.services.dynamodb.size import item_size


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


def transaction_report(mode: str | None, writes: list, olds: list, news: list) -> list | None:
    """ConsumedCapacity of a write transaction: two write units per KB per item, summed per table."""
    if mode not in ("TOTAL", "INDEXES"):
        return None
    totals: dict = {}
    for write, old, new in zip(writes, olds, news, strict=True):
        size = max(item_size(old) if old else 0, item_size(new) if new else 0)
        totals[write.table.name] = totals.get(write.table.name, 0.0) + 2 * write_units(size)
    return [report(mode, n, u) for n, u in totals.items()]


def write_report(mode: str | None, table: TableDef, old: dict | None, new: dict | None, size: int,
                 factor: float = 1.0) -> dict | None:
    """ConsumedCapacity of one item write: the table's units plus the index writes (INDEXES
    itemizes them)."""
    if mode not in ("TOTAL", "INDEXES"):
        return None
    if table.vector_indexes:
        size = max(vector_items.billed_size(table, old), vector_items.billed_size(table, new))
    table_units = write_units(size) * factor
    per_index: dict[str, tuple[float, bool]] = {}
    for index in table.indexes:
        units = _index_write_units(table, index, old, new) * factor
        if units:
            per_index[index.name] = (units, index.kind == "GSI")
    out: dict = {"TableName": table.name, "CapacityUnits": table_units + sum(u for u, _ in per_index.values())}
    if mode == "INDEXES":
        out["Table"] = {"CapacityUnits": table_units}
        for name, (units, gsi) in per_index.items():
            out.setdefault("GlobalSecondaryIndexes" if gsi else "LocalSecondaryIndexes", {})[name] = {"CapacityUnits": units}
        vector_writes = vector_items.write_capacity(table, old, new) if table.vector_indexes else None
        if vector_writes:
            out["VectorIndexes"] = vector_writes
    return out


def combine(first: dict | None, second: dict) -> dict:
    """The sum of two ConsumedCapacity members of one table (a batch's per-table entry)."""
    if first is None:
        return second
    out = dict(first, CapacityUnits=first["CapacityUnits"] + second["CapacityUnits"])
    if "Table" in second:
        out["Table"] = {"CapacityUnits": first["Table"]["CapacityUnits"] + second["Table"]["CapacityUnits"]}
    for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        for name, units in second.get(member, {}).items():
            arm = out.setdefault(member, {})
            previous = arm.get(name, {}).get("CapacityUnits", 0.0)
            arm[name] = {"CapacityUnits": previous + units["CapacityUnits"]}
    return out


def _index_write_units(table: TableDef, index: IndexDef, old: dict | None, new: dict | None) -> float:
    """Index writes as AWS prices them, by the size of the index entry: one to put or delete an entry,
    two when its key changes, none when neither its key nor a projected attribute changes."""
    before = _entry(table, index, old)
    after = _entry(table, index, new)
    if before is None and after is None:
        return 0.0
    if before is None or after is None:
        return write_units(item_size(after if before is None else before))
    if storage.index_key(index, old) != storage.index_key(index, new):
        return write_units(item_size(before)) + write_units(item_size(after))
    return 0.0 if before == after else write_units(item_size(after))


def _entry(table: TableDef, index: IndexDef, item: dict | None) -> dict | None:
    """The index entry of an item (None: the item is not in the index)."""
    if item is None or storage.index_key(index, item) is None:
        return None
    names = index.projects(table.key)
    return item if names is None else {k: v for k, v in item.items() if k in names}
