"""The EventBridge event-pattern language, shared by Lambda filter criteria, EventBridge and SNS.

    pattern = compile_pattern('{"detail": {"state": [{"anything-but": "ok"}]}}')
    pattern.matches({"detail": {"state": "failed"}})  # True

A pattern is a JSON object whose leaves are arrays of matchers: literal strings, numbers, booleans
and null (exact match), or one-key objects: prefix, suffix, anything-but, numeric, exists,
equals-ignore-case, wildcard, cidr. Nested objects match nested fields, "$or" takes a list of
sub-patterns, and an array in the event matches when any of its elements matches. A malformed
pattern raises PatternError.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import orjson

NUMERIC_LIMIT = 5e9  # EventBridge compares numbers within -5.0e9 .. 5.0e9
_RANGE_OPS = {"<": (False, False), "<=": (False, True), ">": (True, False), ">=": (True, True)}
_MISSING = object()


class PatternError(ValueError):
    """A malformed event pattern (the message says what is wrong)."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool) or _is_number(value)


def _same(a: Any, b: Any) -> bool:
    """Exact match of two leaf values: numbers by value, everything else by type and value."""
    if _is_number(a) and _is_number(b):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def _wildcard_regex(text: str) -> re.Pattern:
    if "**" in text:
        raise PatternError("Consecutive wildcard characters are not allowed in wildcard patterns")
    parts, literal, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "*\\":
            literal.append(text[i + 1])
            i += 2
            continue
        if ch == "*":
            parts.append(re.escape("".join(literal)))
            parts.append(".*")
            literal = []
        else:
            literal.append(ch)
        i += 1
    parts.append(re.escape("".join(literal)))
    return re.compile("".join(parts), re.DOTALL)


def _string_test(kind: str, operand: Any):
    """A test on strings for prefix / suffix / equals-ignore-case / wildcard (value or nested form)."""
    ignore_case = False
    if kind in ("prefix", "suffix") and isinstance(operand, dict):
        if set(operand) != {"equals-ignore-case"} or not isinstance(operand["equals-ignore-case"], str):
            raise PatternError(f"{kind} match pattern must be a string or an equals-ignore-case object")
        operand, ignore_case = operand["equals-ignore-case"], True
    if not isinstance(operand, str):
        raise PatternError(f"{kind} match pattern must be a string")
    if kind == "prefix":
        if ignore_case:
            low = operand.casefold()
            return lambda v: v.casefold().startswith(low)
        return lambda v: v.startswith(operand)
    if kind == "suffix":
        if ignore_case:
            low = operand.casefold()
            return lambda v: v.casefold().endswith(low)
        return lambda v: v.endswith(operand)
    if kind == "equals-ignore-case":
        low = operand.casefold()
        return lambda v: v.casefold() == low
    regex = _wildcard_regex(operand)
    return lambda v: regex.fullmatch(v) is not None


def _numeric(spec: Any):
    if not isinstance(spec, list) or not spec or len(spec) % 2:
        raise PatternError("Value of numeric must be an array of operator, number pairs")
    if len(spec) == 2 and spec[0] == "=":
        if not _is_number(spec[1]):
            raise PatternError("Value of numeric = must be a number")
        target = float(spec[1])
        return lambda v: float(v) == target
    bounds: dict[str, tuple[float, bool]] = {}
    for op, number in zip(spec[::2], spec[1::2], strict=True):
        if op not in _RANGE_OPS:
            raise PatternError(f"Unrecognized numeric range operator: {op!r}")
        if not _is_number(number):
            raise PatternError(f"Value of {op} must be a number")
        if abs(number) > NUMERIC_LIMIT:
            raise PatternError(f"Numeric values must be between -{NUMERIC_LIMIT:.1e} and {NUMERIC_LIMIT:.1e}")
        lower, inclusive = _RANGE_OPS[op]
        side = "lower" if lower else "upper"
        if side in bounds:
            raise PatternError(f"Numeric range has more than one {side} bound")
        bounds[side] = (float(number), inclusive)
    low, high = bounds.get("lower"), bounds.get("upper")
    if low and high and (low[0] > high[0] or (low[0] == high[0] and not (low[1] and high[1]))):
        raise PatternError("Numeric range bottom must be less than the top")

    def test(v: float) -> bool:
        v = float(v)
        if low and not (v > low[0] or (low[1] and v == low[0])):
            return False
        return not (high and not (v < high[0] or (high[1] and v == high[0])))
    return test


def _cidr(spec: Any):
    if not isinstance(spec, str):
        raise PatternError("Value of cidr must be a string")
    try:
        network = ipaddress.ip_network(spec, strict=False)
    except ValueError:
        raise PatternError(f"Invalid CIDR/IP notation: {spec}") from None

    def test(v: str) -> bool:
        try:
            return ipaddress.ip_address(v) in network
        except ValueError:
            return False
    return test


def _anything_but(spec: Any):
    """The test of an anything-but matcher: true for values that are NOT what `spec` names."""
    if isinstance(spec, dict):
        if len(spec) != 1:
            raise PatternError("anything-but accepts exactly one of prefix, suffix, equals-ignore-case, wildcard")
        (kind, operand), = spec.items()
        if kind not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
            raise PatternError(f"Unsupported anything-but pattern: {kind}")
        operands = operand if isinstance(operand, list) and kind in ("equals-ignore-case", "wildcard") else [operand]
        if not operands or not all(isinstance(o, str) for o in operands):
            raise PatternError(f"Value of anything-but {kind} must be a string or an array of strings")
        tests = [_string_test(kind, o) for o in operands]
        return lambda v: isinstance(v, str) and not any(t(v) for t in tests)
    values = spec if isinstance(spec, list) else [spec]
    if not values or not all(isinstance(v, str) or _is_number(v) for v in values):
        raise PatternError("Value of anything-but must be a string, a number, or an array of them")
    return lambda v: (isinstance(v, str) or _is_number(v)) and not any(_same(v, x) for x in values)


class _Leaf:
    """The matchers of one field: any of them may match a value (or the field's absence)."""

    def __init__(self, path: str, spec: list) -> None:
        self.tests: list = []  # callables on one present leaf value
        self.if_present = False  # {"exists": true} is among the matchers
        self.if_absent = False  # {"exists": false} is among the matchers
        for item in spec:
            if _is_scalar(item):
                self.tests.append(lambda v, item=item: _same(v, item))
            elif isinstance(item, dict):
                self._operator(path, item)
            else:
                raise PatternError(f"Match value must be a string, number, true, false, null or an object: {path}")

    def _operator(self, path: str, item: dict) -> None:
        if len(item) != 1:
            raise PatternError(f"Only one key allowed in match expression: {path}")
        (kind, operand), = item.items()
        if kind in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
            test = _string_test(kind, operand)
            self.tests.append(lambda v: isinstance(v, str) and test(v))
        elif kind == "anything-but":
            self.tests.append(_anything_but(operand))
        elif kind == "numeric":
            test = _numeric(operand)
            self.tests.append(lambda v: _is_number(v) and test(v))
        elif kind == "cidr":
            test = _cidr(operand)
            self.tests.append(lambda v: isinstance(v, str) and test(v))
        elif kind == "exists":
            if not isinstance(operand, bool):
                raise PatternError(f"exists match pattern must be either true or false: {path}")
            if operand:
                self.if_present = True
            else:
                self.if_absent = True
        else:
            raise PatternError(f"Unrecognized match type {kind}: {path}")

    def matches(self, value: Any) -> bool:
        if value is _MISSING:
            return self.if_absent
        leaves = value if isinstance(value, list) else [value]
        leaves = [v for v in leaves if not isinstance(v, dict | list)]  # exists and values only match leaves
        if isinstance(value, dict):
            return self.if_absent  # an object is no leaf: for exists it is as if the field were missing
        if self.if_present and leaves:
            return True
        return any(test(v) for v in leaves for test in self.tests)


class _Node:
    """An object pattern: every field must match, and one branch of each "$or"."""

    def __init__(self, spec: dict, path: str = "") -> None:
        if not spec:
            raise PatternError(f"Empty objects are not allowed in a pattern{': ' + path if path else ''}")
        self.fields: list[tuple[str, _Leaf | _Node]] = []
        self.alternatives: list[list[_Node]] = []
        for key, value in spec.items():
            where = f"{path}.{key}" if path else key
            if key == "$or":
                if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, dict) for v in value):
                    raise PatternError("$or must be an array of at least two objects")
                self.alternatives.append([_Node(v, path) for v in value])
            elif isinstance(value, dict):
                self.fields.append((key, _Node(value, where)))
            elif isinstance(value, list):
                self.fields.append((key, _Leaf(where, value)))
            else:
                raise PatternError(f"Match value must be an array or an object: {where}")

    def matches(self, event: Any) -> bool:
        if isinstance(event, list):  # arrays of objects: any element, fields from the same element
            return any(self.matches(e) for e in event if isinstance(e, dict))
        if not isinstance(event, dict):
            return False
        for key, sub in self.fields:
            value = event.get(key, _MISSING)
            if isinstance(sub, _Node):
                if value is _MISSING:
                    if not sub.matches_absent():
                        return False
                elif not sub.matches(value):
                    return False
            elif not sub.matches(value):
                return False
        return all(any(alt.matches(event) for alt in branch) for branch in self.alternatives)

    def matches_absent(self) -> bool:
        """Whether the pattern holds for a missing object (only when every leaf says exists: false)."""
        return all((s.matches_absent() if isinstance(s, _Node) else s.matches(_MISSING)) for _, s in self.fields) \
            and all(any(a.matches_absent() for a in branch) for branch in self.alternatives)


class Pattern:
    """A compiled event pattern."""

    def __init__(self, spec: dict) -> None:
        if not isinstance(spec, dict):
            raise PatternError("Event pattern must be a JSON object")
        self.spec = spec
        self._root = _Node(spec)

    def matches(self, event: Any) -> bool:
        """Whether a decoded JSON event matches."""
        return self._root.matches(event)


def compile_pattern(text: str | dict) -> Pattern:
    """Parse (when given JSON text) and check a pattern; raises PatternError when it is malformed."""
    if isinstance(text, str):
        try:
            spec = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise PatternError(f"Event pattern is not valid JSON: {exc}") from None
    else:
        spec = text
    return Pattern(spec)
