"""Attribute values in their wire form ({"S": "x"}, {"N": "1"}, {"M": {...}} ...): checks, normalizing,
comparison and equality.

Items stay in wire form everywhere (N as canonical text, B as bytes); numbers are parsed to Decimal
only where they are compared or computed.
"""

from __future__ import annotations

import base64
from decimal import Decimal

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import numbers, wording
from cloudlet.services.dynamodb.errors import invalid_params, validation

TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
SET_TYPES = ("SS", "NS", "BS")
MAX_DEPTH = 32
_SET_NAMES = {"SS": "string set", "NS": "number set", "BS": "binary set"}


def type_of(value: dict) -> str:
    """The single type tag of a checked attribute value."""
    return next(iter(value))


def normalize_item(item: dict, what: str = "item") -> dict:
    """Check every attribute of an item and return it with numbers in canonical form."""
    if not isinstance(item, dict):
        raise validation(f"Invalid {what}")
    if what == "item" and "" in item:
        raise validation("Empty attribute name")  # checked before any value, however deep
    return {name: normalize(value, 1) for name, value in item.items()}


def normalize(value, depth: int = 1) -> dict:
    """Check one attribute value (exactly one type, valid sets, numbers, depth) and normalize it."""
    if depth > MAX_DEPTH:
        raise validation(
            "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond "
            "supported limit"
        )
    if not isinstance(value, dict) or not value:
        raise validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    present = [k for k, v in value.items() if v is not None]
    if len(present) != 1:
        if not present:
            raise validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
            )
        raise validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
            "supported datatypes"
        )
    tag = present[0]
    inner = value[tag]
    if tag == "S":
        if not isinstance(inner, str):
            raise validation("Invalid attribute value type")
        return {"S": inner}
    if tag == "N":
        return {"N": numbers.normalize_text(inner)}
    if tag == "B":
        return {"B": _blob(inner)}
    if tag in SET_TYPES:
        return {tag: _normalize_set(tag, inner)}
    if tag == "M":
        if not isinstance(inner, dict):
            raise validation("Invalid attribute value type")
        return {"M": {k: normalize(v, depth + 1) for k, v in inner.items()}}
    if tag == "L":
        if not isinstance(inner, list):
            raise validation("Invalid attribute value type")
        return {"L": [normalize(v, depth + 1) for v in inner]}
    if tag == "NULL":
        if inner is not True:
            raise invalid_params("Null attribute value types must have the value of true")
        return {"NULL": True}
    if tag == "BOOL":
        if not isinstance(inner, bool):
            raise validation("Invalid attribute value type")
        return {"BOOL": inner}
    raise validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")


def _blob(inner) -> bytes:
    if isinstance(inner, bytes | bytearray):
        return bytes(inner)
    if isinstance(inner, str):
        return inner.encode()
    raise validation("Invalid attribute value type")


def _normalize_set(tag: str, inner) -> list:
    if not isinstance(inner, list):
        raise validation("Invalid attribute value type")
    if not inner:
        if tag == "BS":
            raise invalid_params("Binary sets should not be empty")
        raise invalid_params(f"An {_SET_NAMES[tag]}  may not be empty")
    if tag == "SS":
        if not all(isinstance(v, str) for v in inner):
            raise validation("Invalid attribute value type")
        out, keys = list(inner), list(inner)
    elif tag == "NS":
        parsed = [numbers.parse(v) for v in inner]
        out, keys = [numbers.canonical(v) for v in parsed], parsed
    else:
        out = [_blob(v) for v in inner]
        keys = out
    if len(set(keys)) != len(keys):
        raise _duplicates(tag, inner, out)
    return sorted_set(tag, out)


def sorted_set(tag: str, members: list) -> list:
    """A set's members in the order DynamoDB returns them: strings and binaries bytewise, numbers
    by value."""
    if tag == "NS":
        return sorted(members, key=Decimal)
    if tag == "SS":
        return sorted(members, key=lambda v: v.encode("utf-8"))
    return sorted(members)


def _duplicates(tag: str, sent: list, members: list) -> AWSError:
    """DynamoDB's error for a set with a repeated member, worded by the layer answering."""
    if wording.is_older():
        if tag == "NS":
            return validation("Input collection contains duplicates")
        shown = ", ".join(base64.b64encode(v).decode() if tag == "BS" else v for v in members)
        return invalid_params(f"Input collection [{shown}]{'of type BS' if tag == 'BS' else ''} contains duplicates.")
    if tag == "NS":
        return invalid_params("Input collection contains duplicates.")
    # The members seen before the first repeat in byte order, the repeat, then the rest as sent.
    seen: list = []
    for i, member in enumerate(members):
        if member in seen:
            order = sorted(seen, key=lambda m: m.encode() if isinstance(m, str) else m) + members[i:]
            break
        seen.append(member)
    if tag == "BS":
        shown = ",".join(f'"{base64.b64encode(m).decode()}"' for m in order)
        return invalid_params(f"Input collection [{shown}]of type BS contains duplicates.")
    shown = ", ".join(f'"{m}"' for m in order)
    return invalid_params(f"Input collection [{shown}] contains duplicates.")


def equal(a: dict | None, b: dict | None) -> bool:
    """DynamoDB equality: same type and value; numbers by value; sets regardless of order."""
    if a is None or b is None:
        return False
    ta, tb = type_of(a), type_of(b)
    if ta != tb:
        return False
    va, vb = a[ta], b[tb]
    if ta == "N":
        return Decimal(va) == Decimal(vb)
    if ta == "NS":
        return {Decimal(x) for x in va} == {Decimal(x) for x in vb}
    if ta in ("SS", "BS"):
        return set(va) == set(vb)
    if ta == "M":
        return va.keys() == vb.keys() and all(equal(va[k], vb[k]) for k in va)
    if ta == "L":
        return len(va) == len(vb) and all(equal(x, y) for x, y in zip(va, vb, strict=True))
    return va == vb


def sort_key(value: dict):
    """A Python value that orders like DynamoDB orders scalars of one type (N, S by UTF-8 bytes, B)."""
    tag = type_of(value)
    if tag == "N":
        return Decimal(value["N"])
    if tag == "S":
        return value["S"].encode("utf-8")
    return value[tag]


def compare(a: dict | None, b: dict | None, op: str) -> bool:
    """<, <=, >, >= between two values: false unless both are the same scalar type N, S or B."""
    if a is None or b is None:
        return False
    ta, tb = type_of(a), type_of(b)
    if ta != tb or ta not in ("N", "S", "B"):
        return False
    x, y = sort_key(a), sort_key(b)
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def set_elements(value: dict) -> list:
    """Elements of a set value as comparable Python values (Decimal for NS)."""
    tag = type_of(value)
    if tag == "NS":
        return [Decimal(x) for x in value["NS"]]
    return list(value[tag])
