"""Items of tables with vector indexes: the checks of their vector and SearchSchema attributes, the
view each vector index holds of an item (its vector as 32-bit numbers) and what writing it costs."""

from __future__ import annotations

import math
import struct
from decimal import Decimal

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.schema import TableDef, check_index_key_value
from cloudlet.services.dynamodb.size import item_size, value_size
from cloudlet.services.dynamodb.vectors import VectorIndex, indexes

_F32 = struct.Struct("<f")


def to_f32(text: str) -> float | None:
    """A number as the 32-bit float an index stores (None: out of the 32-bit range)."""
    try:
        value = _F32.unpack(_F32.pack(float(text)))[0]
    except (OverflowError, ValueError):
        return None
    return None if math.isinf(value) else value


def vector_of(index: VectorIndex, value: dict | None) -> list[float] | None:
    """The 32-bit vector of an item's vector attribute value, or ValidationException when the value
    cannot be one (None: the item carries no vector)."""
    if value is None:
        return None
    prefix = "One or more parameter values were invalid."
    if "L" not in value:
        raise validation(f"{prefix} Invalid type for parameter {index.attribute}, Expected: 32-bit floating point "
                         f"number list IndexName: {index.name}")
    elements = value["L"]
    if len(elements) != index.dimensions:
        raise validation(f"{prefix} Invalid size for parameter {index.attribute}, Expected: {index.dimensions}, "
                         f"Actual: {len(elements)} IndexName: {index.name}")
    out = []
    for position, element in enumerate(elements):
        number = to_f32(element["N"]) if "N" in element else None
        if number is None:
            raise validation(f"{prefix} Invalid type for parameter {index.attribute}[{position}], Expected: 32-bit "
                             f"floating point number, Actual: {V.type_of(element)}. IndexName: {index.name}")
        out.append(number)
    return out


def check_item(table: TableDef, item: dict) -> None:
    """Refuse an item whose vector or SearchSchema attributes no vector index of the table can hold."""
    for index in indexes(table):
        vector_of(index, item.get(index.attribute))
        for name, _kind in index.schema:
            check_index_key_value(index.name, name, item.get(name), index.types[name])


def in_index(index: VectorIndex, item: dict | None) -> bool:
    """Whether the index holds the item: it has the vector and, when the index has one, its HASH value."""
    if item is None or item.get(index.attribute) is None:
        return False
    return index.hash_key is None or item.get(index.hash_key) is not None


def entry(table: TableDef, index: VectorIndex, item: dict | None) -> dict | None:
    """The index's own view of an item (None: the index does not hold it), its vector as 32-bit numbers."""
    if not in_index(index, item):
        return None
    names = index.projected(table)
    view = dict(item) if names is None else {k: v for k, v in item.items() if k in names}
    view[index.attribute] = {"L": [{"N": format_f32(x)} for x in vector_of(index, item[index.attribute])]}
    return view


def format_f32(value: float) -> str:
    """The shortest decimal that names a 32-bit float, written with a fraction ('1' is '1.0')."""
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if _F32.unpack(_F32.pack(float(text)))[0] == value:
            break
    plain = format(Decimal(text), "f")
    return plain if "." in plain else plain + ".0"


def write_bytes(table: TableDef, index: VectorIndex, view: dict) -> int:
    """VectorWriteRequestBytes of writing one index entry: its size with the vector counted as its
    name plus four bytes per dimension, at least 1024."""
    rest = {k: v for k, v in view.items() if k != index.attribute}
    size = item_size(rest) + len(index.attribute.encode()) + 4 * index.dimensions
    return max(1024, size)


def billed_size(table: TableDef, item: dict | None) -> int:
    """An item's size as a write is billed: a vector a vector index reads counts four bytes per
    dimension instead of the numbers it holds (reads and the item size limit count the numbers)."""
    if item is None:
        return 0
    size = item_size(item)
    counted: set[str] = set()
    for index in indexes(table):
        value = item.get(index.attribute)
        if index.attribute in counted or value is None or len(value.get("L") or ()) != index.dimensions:
            continue
        counted.add(index.attribute)
        size += 4 * index.dimensions - value_size(value)
    return size


def write_capacity(table: TableDef, old: dict | None, new: dict | None) -> dict:
    """The VectorIndexes member of a write's ConsumedCapacity (INDEXES): each index whose stored
    view of the item changed, with its VectorWriteRequestBytes."""
    out = {}
    for index in indexes(table):
        try:
            before, after = entry(table, index, old), entry(table, index, new)
        except AWSError:
            continue
        if before == after:
            continue
        out[index.name] = {"VectorWriteRequestBytes": float(write_bytes(table, index, after or before))}
    return out
