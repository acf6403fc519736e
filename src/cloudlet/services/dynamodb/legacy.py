"""The legacy (pre-expression) parameters, converted to expression ASTs: Expected, KeyConditions,
QueryFilter, ScanFilter, AttributesToGet and AttributeUpdates."""

from __future__ import annotations

from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.expressions import ast as A

_ARITY = {
    "EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "NOT_NULL": 0, "NULL": 0,
    "CONTAINS": 1, "NOT_CONTAINS": 1, "BEGINS_WITH": 1, "BETWEEN": 2,
}
_COMPARE = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
_SCALARS = frozenset(("S", "N", "B"))
# The value types each comparison takes (EQ and NE take any).
_OPERAND_TYPES = {
    "LT": _SCALARS, "LE": _SCALARS, "GT": _SCALARS, "GE": _SCALARS, "IN": _SCALARS, "BETWEEN": _SCALARS,
    "CONTAINS": _SCALARS | {"BOOL", "NULL"}, "NOT_CONTAINS": _SCALARS | {"BOOL", "NULL"},
    "BEGINS_WITH": frozenset(("S", "B")),
}


def conditions(spec: dict | None, operator: str | None, *, expected: bool = False):
    """A condition AST for Expected / QueryFilter / ScanFilter / KeyConditions (None when empty)."""
    if not spec:
        return None
    nodes = [
        (_expected(name, cond) if expected else _comparison(name, cond))
        for name, cond in spec.items()
    ]
    node = nodes[0]
    for other in nodes[1:]:
        node = A.Or(node, other) if operator == "OR" else A.And(node, other)
    return node


def _expected(name: str, cond: dict):
    """One Expected entry: Exists / Value, or a ComparisonOperator whose argument may be the Value."""
    value, values = cond.get("Value"), cond.get("AttributeValueList")
    exists = cond.get("Exists")
    op = cond.get("ComparisonOperator")
    if op is not None:
        if exists is not None:
            raise _invalid(f"Exists and ComparisonOperator cannot be used together for Attribute: {name}")
        if value is not None and values is not None:
            raise _invalid(f"Value and AttributeValueList cannot be used together for Attribute: {name}")
        if value is None and values is None and op not in ("NULL", "NOT_NULL"):
            raise _invalid(f"Value or AttributeValueList must be used with ComparisonOperator: {op} for Attribute: {name}")
        return _comparison(name, {"ComparisonOperator": op, "AttributeValueList": [value] if value is not None else values})
    if values is not None:
        raise _invalid(f"AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}")
    path = A.Path((name,))
    if value is not None:
        if exists is False:
            raise _invalid(f"Value cannot be used when Exists is false for Attribute: {name}")
        return A.Compare("=", path, A.Value(V.normalize(value)))
    if exists is not False:
        raise _invalid(f"Value must be provided when Exists is {'null' if exists is None else 'true'} for Attribute: {name}")
    return A.Function("attribute_not_exists", (path,))


def _invalid(detail: str):
    return validation(f"One or more parameter values were invalid: {detail}")


def _comparison(name: str, cond: dict):
    op = cond.get("ComparisonOperator")
    args = [A.Value(V.normalize(v)) for v in cond.get("AttributeValueList") or []]
    if op in ("IN", "BETWEEN") and len({V.type_of(a.value) for a in args}) > 1:
        raise _invalid("AttributeValues inside AttributeValueList must be of same type")
    allowed = _OPERAND_TYPES.get(op)
    for arg in args:
        if allowed is not None and V.type_of(arg.value) not in allowed:
            raise _invalid(f"ComparisonOperator {op} is not valid for {V.type_of(arg.value)} AttributeValue type")
    path = A.Path((name,))
    if op == "IN":
        if not args:
            raise _bad_count(op)
        return A.In(path, tuple(args))
    if op not in _ARITY:
        raise validation(f"Unsupported ComparisonOperator: {op}")
    if len(args) != _ARITY[op]:
        raise _bad_count(op)
    if op in _COMPARE:
        return A.Compare(_COMPARE[op], path, args[0])
    if op == "NOT_NULL":
        return A.Function("attribute_exists", (path,))
    if op == "NULL":
        return A.Function("attribute_not_exists", (path,))
    if op == "CONTAINS":
        return A.Function("contains", (path, args[0]))
    if op == "NOT_CONTAINS":
        return A.Not(A.Function("contains", (path, args[0])))
    if op == "BEGINS_WITH":
        return A.Function("begins_with", (path, args[0]))
    return A.Between(path, args[0], args[1])


def _bad_count(op: str):
    return _invalid(f"Invalid number of argument(s) for the {op} ComparisonOperator")


def projection(names: list[str] | None) -> list[A.Path] | None:
    if names is None:
        return None
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise _invalid(f"Duplicate value in attribute name: {name}")
        seen.add(name)
    return [A.Path((name,)) for name in names]


def updates(spec: dict | None) -> A.Update | None:
    """An Update AST for AttributeUpdates (PUT / ADD / DELETE per attribute)."""
    if spec is None:
        return None
    actions = []
    for name, update in spec.items():
        action = update.get("Action", "PUT")
        path = A.Path((name,))
        value = V.normalize(update["Value"]) if update.get("Value") is not None else None
        if action == "PUT":
            if value is None:
                raise validation("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
            actions.append(A.UpdateAction("SET", path, A.Value(value)))
        elif action == "DELETE":
            if value is None:
                actions.append(A.UpdateAction("REMOVE", path))
            else:
                if V.type_of(value) not in V.SET_TYPES:
                    raise validation("One or more parameter values were invalid: DELETE action with value is not supported for the type " + _legacy_type(value))
                actions.append(A.UpdateAction("DELETE", path, A.Value(value)))
        elif action == "ADD":
            if value is None or V.type_of(value) not in ("N", "SS", "NS", "BS", "L"):
                raise validation("One or more parameter values were invalid: ADD action is not supported for the type " + (_legacy_type(value) if value else "null"))
            if V.type_of(value) == "L":
                actions.append(A.UpdateAction("SET", path, A.ListAppend(A.IfNotExists(path, A.Value({"L": []})), A.Value(value))))
            else:
                actions.append(A.UpdateAction("ADD", path, A.Value(value)))
        else:
            raise validation(f"Unsupported Action: {action}")
    return A.Update(tuple(actions), legacy=True)


def _legacy_type(value: dict) -> str:
    return {"S": "STRING", "N": "NUMBER", "B": "BINARY", "M": "MAP", "L": "LIST", "BOOL": "BOOLEAN", "NULL": "NULL"}.get(
        V.type_of(value), V.type_of(value)
    )
