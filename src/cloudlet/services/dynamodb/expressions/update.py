"""Applying an UpdateExpression AST to an item: every right-hand side reads the original item."""

from __future__ import annotations

from decimal import Decimal

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import numbers
from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb.errors import empty_index_key_update, validation
from cloudlet.services.dynamodb.expressions import ast as A
from cloudlet.services.dynamodb.expressions.evaluate import operand, resolve

INVALID_PATH = "The document path provided in the update expression is invalid for update"
WRONG_TYPE = "An operand in the update expression has an incorrect data type"


def check_keys_untouched(update: A.Update, key_names: tuple[str, ...]) -> None:
    """Refuse an update that would change a key attribute (a fault of the request, whatever the item)."""
    for action in update.actions:
        if action.path.elements[0] in key_names:
            raise validation(
                "One or more parameter values were invalid: Cannot update attribute "
                f"{action.path.elements[0]}. This attribute is part of the key"
            )


def check_index_keys(update: A.Update, index_keys: dict[str, tuple[str, str]]) -> None:
    """Refuse what an update says about secondary-index key attributes, whatever the item holds:
    nested paths into them, and values of another type. `index_keys`: name -> (type, index name)."""
    for action in update.actions:
        for path in [action.path, *_paths(action.value)]:
            if path.elements[0] in index_keys and len(path.elements) > 1:
                raise validation(
                    "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: "
                    f"IndexKey: {path.elements[0]}"
                )
    for action in update.actions:
        name = action.path.elements[0]
        if name not in index_keys or action.action not in ("SET", "ADD"):
            continue
        # The type is known before reading the item for a value, or a sum or difference (a number).
        if isinstance(action.value, A.Value):
            actual = V.type_of(action.value.value)
        elif isinstance(action.value, A.Arithmetic):
            actual = "N"
        else:
            continue
        wanted, index = index_keys[name]
        if actual != wanted:
            raise validation(
                "One or more parameter values were invalid: Type mismatch for Index Key "
                f"{name} Expected: {wanted} Actual: {actual} IndexName: {index}"
            )
        if actual in ("S", "B") and len(action.value.value[actual]) == 0:
            raise empty_index_key_update(actual)


def _paths(node) -> list[A.Path]:
    """The document paths an update value reads."""
    if isinstance(node, A.Path):
        return [node]
    if isinstance(node, A.Arithmetic | A.ListAppend):
        return _paths(node.left) + _paths(node.right)
    if isinstance(node, A.IfNotExists):
        return [node.path, *_paths(node.default)]
    return []


def apply(item: dict | None, update: A.Update, key_names: tuple[str, ...]) -> dict:
    """The item after the update (a new dict; `item` is left unchanged)."""
    original = item or {}
    check_keys_untouched(update, key_names)
    # Compute every new value from the original item first.
    planned = []
    for action in update.actions:
        if action.action == "SET":
            planned.append((action, _value(original, action.value)))
        elif action.action in ("ADD", "DELETE"):
            try:
                planned.append((action, _add_delete(action, resolve(original, action.path))))
            except AWSError as err:
                if update.legacy and err.message == WRONG_TYPE:
                    raise validation("Type mismatch for attribute to update") from None
                raise
        else:
            planned.append((action, None))
    result = {name: _copy(value) for name, value in original.items()}
    # List-index removals apply highest index first, so that indexes refer to the original list.
    removals = [p for p in planned if p[0].action == "REMOVE" or p[1] is _DELETED]
    others = [p for p in planned if p not in removals]
    for action, value in others:
        _assign(result, action.path, value)
    removals.sort(key=lambda p: tuple(-e if isinstance(e, int) else 0 for e in p[0].path.elements), reverse=False)
    for action, _ in removals:
        _remove(result, action.path)
    return result


_DELETED = object()


def _copy(value: dict) -> dict:
    """A copy of a value's maps and lists (the containers updates change); scalars are shared."""
    if "M" in value:
        return {"M": {k: _copy(v) for k, v in value["M"].items()}}
    if "L" in value:
        return {"L": [_copy(v) for v in value["L"]]}
    return value


def _value(item: dict, node) -> dict:
    if isinstance(node, A.Arithmetic):
        left, right = _value(item, node.left), _value(item, node.right)
        if V.type_of(left) != "N" or V.type_of(right) != "N":
            raise validation(WRONG_TYPE)
        a, b = Decimal(left["N"]), Decimal(right["N"])
        result = numbers.add(a, b) if node.op == "+" else numbers.subtract(a, b)
        return {"N": numbers.canonical(result)}
    if isinstance(node, A.IfNotExists):
        existing = resolve(item, node.path)
        return existing if existing is not None else _value(item, node.default)
    if isinstance(node, A.ListAppend):
        left, right = _value(item, node.left), _value(item, node.right)
        if V.type_of(left) != "L" or V.type_of(right) != "L":
            raise validation(WRONG_TYPE)
        return {"L": left["L"] + right["L"]}
    value = operand(item, node)
    if value is None:
        raise validation("The provided expression refers to an attribute that does not exist in the item")
    return value


def _add_delete(action: A.UpdateAction, current: dict | None):
    value = action.value.value
    tag = V.type_of(value)
    if action.action == "ADD":
        if current is None:
            return value
        if V.type_of(current) != tag:
            raise validation(WRONG_TYPE)
        if tag == "N":
            total = numbers.add(Decimal(current["N"]), Decimal(value["N"]))
            return {"N": numbers.canonical(total)}
        return {tag: V.sorted_set(tag, _union(tag, current[tag], value[tag]))}
    if current is None:
        return _DELETED
    if V.type_of(current) != tag:
        raise validation(WRONG_TYPE)
    remaining = _difference(tag, current[tag], value[tag])
    return {tag: remaining} if remaining else _DELETED


def _union(tag: str, a: list, b: list) -> list:
    if tag == "NS":
        seen = {Decimal(x) for x in a}
        return a + [x for x in b if Decimal(x) not in seen]
    seen = set(a)
    return a + [x for x in b if x not in seen]


def _difference(tag: str, a: list, b: list) -> list:
    if tag == "NS":
        drop = {Decimal(x) for x in b}
        return [x for x in a if Decimal(x) not in drop]
    drop = set(b)
    return [x for x in a if x not in drop]


def _parent(item: dict, path: A.Path):
    """The container (a dict of attributes, a map's dict or a list) holding the path's last element."""
    container = item
    for element in path.elements[:-1]:
        if isinstance(element, int):
            if not isinstance(container, list) or element >= len(container):
                return None
            value = container[element]
        else:
            if not isinstance(container, dict) or element not in container:
                return None
            value = container[element]
        if "M" in value:
            container = value["M"]
        elif "L" in value:
            container = value["L"]
        else:
            return None
    return container


def _assign(item: dict, path: A.Path, value) -> None:
    if value is _DELETED:
        return
    container = _parent(item, path)
    last = path.elements[-1]
    if isinstance(last, int):
        if not isinstance(container, list):
            raise validation(INVALID_PATH)
        if last >= len(container):
            container.append(value)
        else:
            container[last] = value
    else:
        if not isinstance(container, dict):
            raise validation(INVALID_PATH)
        container[last] = value


def _remove(item: dict, path: A.Path) -> None:
    container = _parent(item, path)
    last = path.elements[-1]
    if isinstance(last, int):
        if isinstance(container, list) and last < len(container):
            del container[last]
    elif isinstance(container, dict):
        container.pop(last, None)
