"""Evaluating condition ASTs (and operands) against an item in wire form."""

from __future__ import annotations

from decimal import Decimal

from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb.expressions import ast as A


def resolve(item: dict | None, path: A.Path) -> dict | None:
    """The value at a document path, or None when any step is missing or of the wrong type."""
    if item is None:
        return None
    elements = path.elements
    current = item.get(elements[0])
    for element in elements[1:]:
        if current is None:
            return None
        if isinstance(element, int):
            inner = current.get("L")
            if inner is None or element >= len(inner):
                return None
            current = inner[element]
        else:
            inner = current.get("M")
            if inner is None:
                return None
            current = inner.get(element)
    return current


def operand(item: dict | None, node) -> dict | None:
    """The attribute value an operand denotes (None when it does not exist)."""
    if isinstance(node, A.Value):
        return node.value
    if isinstance(node, A.Path):
        return resolve(item, node)
    if isinstance(node, A.Size):
        return size_of(resolve(item, node.path))
    raise TypeError(node)


def size_of(value: dict | None) -> dict | None:
    if value is None:
        return None
    tag = V.type_of(value)
    inner = value[tag]
    if tag == "S":
        n = len(inner.encode("utf-16-le")) // 2  # DynamoDB counts UTF-16 code units
    elif tag in ("B", "SS", "NS", "BS", "L", "M"):
        n = len(inner)
    else:
        return None
    return {"N": str(n)}


def matches(item: dict | None, node) -> bool:
    """True when the condition holds for the item (None: the item does not exist)."""
    if node is None:
        return True
    kind = type(node)
    if kind is A.And:
        return matches(item, node.left) and matches(item, node.right)
    if kind is A.Or:
        return matches(item, node.left) or matches(item, node.right)
    if kind is A.Not:
        return not matches(item, node.operand)
    if kind is A.Compare:
        left, right = operand(item, node.left), operand(item, node.right)
        if node.op == "=":
            return V.equal(left, right)
        if node.op == "<>":
            return not V.equal(left, right)
        return V.compare(left, right, node.op)
    if kind is A.Between:
        value = operand(item, node.operand)
        low, high = operand(item, node.low), operand(item, node.high)
        return V.compare(value, low, ">=") and V.compare(value, high, "<=")
    if kind is A.In:
        value = operand(item, node.operand)
        return any(V.equal(value, operand(item, option)) for option in node.options)
    if kind is A.Function:
        return _function(item, node)
    raise TypeError(node)


def _function(item: dict | None, node: A.Function) -> bool:
    name, args = node.name, node.args
    if name == "attribute_exists":
        return resolve(item, args[0]) is not None
    if name == "attribute_not_exists":
        return resolve(item, args[0]) is None
    value = operand(item, args[0])
    if value is None:
        return False
    other = operand(item, args[1])
    if other is None:
        return False
    if name == "attribute_type":
        return other.get("S") == V.type_of(value)
    tag, other_tag = V.type_of(value), V.type_of(other)
    if name == "begins_with":
        if tag != other_tag or tag not in ("S", "B"):
            return False
        return value[tag].startswith(other[tag])
    # contains
    if tag == "S":
        return other_tag == "S" and other["S"] in value["S"]
    if tag == "B":
        return other_tag == "B" and other["B"] in value["B"]
    if tag in ("SS", "NS", "BS"):
        if other_tag != tag[0]:
            return False
        if tag == "NS":
            return Decimal(other["N"]) in V.set_elements(value)
        return other[other_tag] in value[tag]
    if tag == "L":
        return any(V.equal(element, other) for element in value["L"])
    return False
