"""Item (de)serialization for storage: JSON of the wire form, with B and BS values in base64."""

from __future__ import annotations

import base64

import orjson


def encode_bytes(value):
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError


def dumps(item: dict) -> bytes:
    return orjson.dumps(item, default=encode_bytes)


def loads(data: bytes) -> dict:
    return restore(orjson.loads(data))


def restore(item: dict) -> dict:
    """An item decoded from JSON with its B and BS values turned back into bytes (in place)."""
    for value in item.values():
        _restore(value)
    return item


def _restore(value: dict) -> None:
    if "B" in value:
        value["B"] = base64.b64decode(value["B"])
    elif "BS" in value:
        value["BS"] = [base64.b64decode(b) for b in value["BS"]]
    elif "M" in value:
        for inner in value["M"].values():
            _restore(inner)
    elif "L" in value:
        for inner in value["L"]:
            _restore(inner)
