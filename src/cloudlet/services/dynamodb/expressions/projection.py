"""Applying a ProjectionExpression (document paths with nested names and list indexes) to an item."""

from __future__ import annotations

from cloudlet.services.dynamodb.expressions import ast as A


def project(item: dict, paths: list[A.Path]) -> dict:
    """The parts of `item` the paths name, nested as in the item; list elements keep their order."""
    result: dict = {}
    for path in paths:
        _copy(item, result, path.elements)
    return _finish(result)


def _copy(source: dict, target: dict, elements: tuple) -> None:
    name = elements[0]
    if name not in source:
        return
    value = source[name]
    if len(elements) == 1:
        target[name] = value
        return
    _copy_into(value, target, name, elements[1:])


def _copy_into(value: dict, target: dict, slot, rest: tuple) -> None:
    step = rest[0]
    if isinstance(step, int):
        items = value.get("L")
        if items is None or step >= len(items):
            return
        node = target.setdefault(slot, {"L*": {}})
        if "L*" not in node:
            return
        child = items[step]
        if len(rest) == 1:
            node["L*"][step] = child
        else:
            _copy_into(child, node["L*"], step, rest[1:])
    else:
        members = value.get("M")
        if members is None or step not in members:
            return
        node = target.setdefault(slot, {"M*": {}})
        if "M*" not in node:
            return
        child = members[step]
        if len(rest) == 1:
            node["M*"][step] = child
        else:
            _copy_into(child, node["M*"], step, rest[1:])


def _finish(tree: dict) -> dict:
    return {name: _finish_value(value) for name, value in tree.items()}


def _finish_value(value: dict) -> dict:
    if "M*" in value:
        return {"M": {k: _finish_value(v) for k, v in value["M*"].items()}}
    if "L*" in value:
        return {"L": [_finish_value(value["L*"][i]) for i in sorted(value["L*"])]}
    return value
