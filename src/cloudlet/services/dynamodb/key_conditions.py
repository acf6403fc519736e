"""Query key conditions: the shape rules of a KeyConditionExpression (checked before the table is
looked up, as DynamoDB does), then the partition key value and sort key bounds for a key schema,
with DynamoDB's messages for each way a condition can miss the schema."""

from __future__ import annotations

from dataclasses import dataclass

from cloudlet.services.dynamodb import keys
from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb.errors import invalid_params, validation
from cloudlet.services.dynamodb.expressions import ast as A
from cloudlet.services.dynamodb.schema import KeyDef

_FLIPPED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_INDEXABLE = frozenset(("EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN"))
MAX_CONDITIONS = 8  # a multi-attribute GSI key has up to four HASH and four RANGE attributes
Bounds = tuple  # (low bytes | None, low inclusive, high bytes | None, high inclusive)


@dataclass(frozen=True)
class KeyCondition:
    """One condition on one key attribute: `name op values` (op: = < <= > >= BETWEEN begins_with)."""

    name: str
    op: str
    values: tuple


def parse(node) -> list[KeyCondition]:
    """The conditions of a key condition AST, or DynamoDB's error for a shape it does not accept."""
    conditions = [_condition(part) for part in _conjuncts(node)]
    seen: set[str] = set()
    for condition in conditions:
        if condition.name in seen:
            raise validation("KeyConditionExpressions must only contain one condition per key")
        seen.add(condition.name)
    if len(conditions) > MAX_CONDITIONS:
        raise validation("Conditions can be of length 1 or 2 only")
    return conditions


def check_indexable(legacy: dict) -> None:
    """KeyConditions (the legacy form) allow only the comparisons a key range supports."""
    for spec in legacy.values():
        if isinstance(spec, dict) and spec.get("ComparisonOperator") not in _INDEXABLE:
            raise validation("Attempted conditional constraint is not an indexable operation")
        if isinstance(spec, dict) and spec.get("ComparisonOperator") == "BETWEEN":
            low, high = (V.normalize(v) for v in spec.get("AttributeValueList") or [])
            if V.type_of(low) == V.type_of(high) and V.compare(low, high, ">"):
                raise validation(
                    "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
                )


def key_range(node, key: KeyDef) -> tuple[bytes, Bounds]:
    """The encoded partition key and the sort key bounds a key condition selects on `key`."""
    conditions = parse(node)
    if key.multi:
        return _multi_range(conditions, key)
    names = [c.name for c in conditions]
    if len(conditions) > 2:
        raise validation("Conditions can be of length 1 or 2 only")
    if len(conditions) > len(key.names):
        raise validation("Query key condition not supported")
    if key.pk not in names:
        raise validation(f"Query condition missed key schema element: {key.pk}")
    if any(name not in key.names for name in names):
        raise validation(f"Query condition missed key schema element: {key.sk}")
    pk_value, bounds = None, (None, False, None, False)
    for condition in conditions:
        if condition.name == key.pk:
            for value in condition.values:
                _check_type(value, key.pk_type)
            if condition.op != "=":
                raise validation("Query key condition not supported")
            pk_value = condition.values[0]
        else:
            bounds = _sort_bounds(condition, key.sk_type)
    return keys.encode(pk_value), bounds


def _multi_range(conditions: list[KeyCondition], key: KeyDef) -> tuple[bytes, Bounds]:
    """Equality on every HASH attribute and on a gap-free prefix of the RANGE attributes; only the
    last RANGE attribute named may carry a range condition. The bounds are a range of the
    composite sort key (see keys.encode_parts)."""
    by_name = {c.name: c for c in conditions}
    ranges = [name for name, _ in key.range_attrs]
    for condition in conditions:
        if condition.name not in key.names:
            missing = next((n for n in key.names if n not in by_name), ranges[-1] if ranges else key.pk)
            raise validation(f"Query condition missed key schema element: {missing}")
    hash_values = []
    for name, wanted in key.hash_attrs:
        condition = by_name.get(name)
        if condition is None:
            raise validation(f"Query condition missed key schema element: {name}")
        for value in condition.values:
            _check_type(value, wanted)
        if condition.op != "=":
            raise validation("Query key condition not supported")
        hash_values.append(condition.values[0])
    named = [i for i, name in enumerate(ranges) if name in by_name]
    if not named:
        return keys.encode_parts(hash_values), (None, False, None, False)
    last = named[-1]
    lacking = [n for n in ranges[:last] if n not in by_name or by_name[n].op != "="]
    if lacking:
        raise validation(
            f"RANGE key attributes {', '.join(lacking)} must have equality conditions specified in the query because "
            f"a condition is present on key attribute {ranges[last]}"
        )
    for name, wanted in key.range_attrs[:last]:
        _check_type(by_name[name].values[0], wanted)
    prefix = keys.encode_parts([by_name[n].values[0] for n in ranges[:last]])
    return keys.encode_parts(hash_values), _part_bounds(prefix, by_name[ranges[last]], key.range_attrs[last][1])


def _part_bounds(prefix: bytes, condition: KeyCondition, wanted: str) -> Bounds:
    """The bounds of a condition on the RANGE attribute that follows `prefix` (equal earlier parts)."""
    _check_operand_types(condition, wanted)
    parts = [keys.encode_part(v) for v in condition.values]
    end = keys.prefix_upper_bound(prefix) if prefix else None
    after = [keys.prefix_upper_bound(prefix + p) for p in parts]  # past every key whose part is this value
    if condition.op == "BETWEEN":
        return (prefix + parts[0], True, after[1], False)
    if condition.op == "begins_with":
        start = prefix + keys.escape(keys.encode(condition.values[0]))
        return (start, True, keys.prefix_upper_bound(start), False)
    return {
        "=": (prefix + parts[0], True, after[0], False),
        "<": (prefix or None, True, prefix + parts[0], False),
        "<=": (prefix or None, True, after[0], False),
        ">": (after[0], True, end, False),
        ">=": (prefix + parts[0], True, end, False),
    }[condition.op]


def sort_bounds(node, sk_type: str) -> Bounds:
    """The bounds one sort-key condition (`sk op value`, BETWEEN, begins_with) selects."""
    return _sort_bounds(_condition(node), sk_type)


def overlap(a: Bounds, b: Bounds) -> bool:
    """Whether two sort-key ranges share a value."""
    return not _before(a, b) and not _before(b, a)


def _before(a: Bounds, b: Bounds) -> bool:
    if a[2] is None or b[0] is None:
        return False
    return a[2] < b[0] or (a[2] == b[0] and not (a[3] and b[1]))


def intersect(a: Bounds, b: Bounds) -> Bounds:
    """The range both select."""
    low, low_inc = a[0], a[1]
    if b[0] is not None and (low is None or b[0] > low or (b[0] == low and not b[1])):
        low, low_inc = b[0], b[1]
    high, high_inc = a[2], a[3]
    if b[2] is not None and (high is None or b[2] < high or (b[2] == high and not b[3])):
        high, high_inc = b[2], b[3]
    return (low, low_inc, high, high_inc)


def within(bounds: Bounds, encoded: bytes) -> bool:
    """Whether an encoded sort key value satisfies the sort key bounds."""
    low, low_inclusive, high, high_inclusive = bounds
    if low is not None and (encoded < low or (encoded == low and not low_inclusive)):
        return False
    return high is None or encoded < high or (encoded == high and high_inclusive)


def _conjuncts(node) -> list:
    if isinstance(node, A.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    if isinstance(node, A.Or):
        raise validation("Invalid operator used in KeyConditionExpression: OR")
    if isinstance(node, A.Not):
        raise validation("Invalid operator used in KeyConditionExpression: NOT")
    if isinstance(node, A.In):
        raise validation("Invalid operator used in KeyConditionExpression: IN")
    if isinstance(node, A.Function) and node.name != "begins_with":
        raise validation(f"Invalid operator used in KeyConditionExpression: {node.name}")
    if isinstance(node, A.Compare) and node.op == "<>":
        raise validation("Invalid operator used in KeyConditionExpression: <>")
    return [node]


def _condition(part) -> KeyCondition:
    """One conjunct as a KeyCondition; its operands are read left to right, as DynamoDB reports."""
    if isinstance(part, A.Compare):
        operands, op = [part.left, part.right], part.op
    elif isinstance(part, A.Between):
        operands, op = [part.operand, part.low, part.high], "BETWEEN"
    else:
        operands, op = list(part.args), "begins_with"
    if op in ("BETWEEN", "begins_with") and not isinstance(operands[0], A.Path):
        raise validation(
            f"Invalid condition in KeyConditionExpression: {op} operator must have the key attribute as its first operand"
        )
    path, values = None, []
    for position, operand in enumerate(operands):
        if isinstance(operand, A.Value):
            values.append(operand.value)
            continue
        if not isinstance(operand, A.Path):
            raise validation("KeyConditionExpressions cannot contain nested operations")
        if path is not None:
            raise validation("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
        if len(operand.elements) != 1:
            raise validation("KeyConditionExpressions cannot have conditions on nested attributes")
        path = operand
        if op in _FLIPPED and position == 1:
            op = _FLIPPED[op]  # ":v < k" is "k > :v"
    if path is None:
        raise validation("Invalid condition in KeyConditionExpression: No key attribute specified")
    return KeyCondition(path.elements[0], op, tuple(values))


def _check_type(value: dict, wanted: str) -> None:
    if V.type_of(value) != wanted:
        raise invalid_params("Condition parameter type does not match schema type")


def _check_operand_types(condition: KeyCondition, sk_type: str) -> None:
    if condition.op == "begins_with" and sk_type not in ("S", "B"):
        raise validation(
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or "
            f"function: begins_with, operand type: {sk_type}"
        )
    for value in condition.values:
        _check_type(value, sk_type)


def _sort_bounds(condition: KeyCondition, sk_type: str) -> Bounds:
    _check_operand_types(condition, sk_type)
    raw = [keys.encode(v) for v in condition.values]
    if condition.op == "BETWEEN":
        return (raw[0], True, raw[1], True)
    if condition.op == "begins_with":
        return (raw[0], True, keys.prefix_upper_bound(raw[0]), False)
    return {
        "=": (raw[0], True, raw[0], True),
        "<": (None, False, raw[0], False),
        "<=": (None, False, raw[0], True),
        ">": (raw[0], False, None, False),
        ">=": (raw[0], True, None, False),
    }[condition.op]
