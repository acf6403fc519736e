"""Validating parsed input against the operation's input shape, with AWS's messages.

Values of the wrong type are a SerializationException (AWS fails to deserialize them before it
validates). Broken constraints (required, length, range and, opt-in, enum) are collected and
reported together: "2 validation errors detected: Value null at 'queueName' failed to satisfy
constraint: Member must not be null; Value '0' at ..." as ValidationException (ValidationError
for query services).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache, lru_cache

from botocore.model import OperationModel, Shape

from cloudlet.aws.errors import AWSError

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "float": (int, float),
    "double": (int, float),
    "list": (list, tuple),
    "map": (dict,),
    "structure": (dict,),
    "blob": (bytes, bytearray),
    "timestamp": (dt.datetime,),
}
_SIZED = frozenset(("string", "list", "map", "blob"))
_NUMERIC = frozenset(("integer", "long", "float", "double"))
_JAVA_TYPES = {
    "string": "String",
    "integer": "Integer",
    "long": "Long",
    "boolean": "Boolean",
    "float": "Float",
    "double": "Double",
    "blob": "ByteBuffer",
    "timestamp": "Date",
}


class InputValidationError(AWSError):
    """Input that breaks the model's constraints; `problems` lists (path, value, constraint)."""

    def __init__(self, problems: list[tuple[str, object, str]], code: str = "ValidationException") -> None:
        count = len(problems)
        details = "; ".join(
            f"Value {render(value)} at '{path}' failed to satisfy constraint: {constraint}"
            for path, value, constraint in problems
        )
        noun = "error" if count == 1 else "errors"
        super().__init__(code, f"{count} validation {noun} detected: {details}", 400)
        self.problems = problems


def render(value) -> str:
    """A value as AWS's messages show it: null, or quoted text (lists and maps Java-style)."""
    if value is None:
        return "null"
    return f"'{_text(value)}'"


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes | bytearray):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    return str(value)


@lru_cache(maxsize=8192)
def _members(shape: Shape) -> tuple[tuple[str, ...], dict[str, tuple[str, Shape]]]:
    """A structure's required member names and its members with their camelCase message names."""
    members = {name: (name[:1].lower() + name[1:], member) for name, member in shape.members.items()}
    return tuple(shape.required_members), members


def validate_input(op: OperationModel, params: dict, *, check_enums: bool = False) -> None:
    """Raise SerializationException for wrongly typed values, else InputValidationError listing
    every constraint the input breaks."""
    shape = op.input_shape
    if shape is None:
        return
    problems: list = []
    if not isinstance(params, dict):
        raise AWSError("SerializationException", "Start of list found where not expected", 400)
    try:
        _check_struct(shape, params, None, problems, check_enums)
    except RecursionError:
        raise AWSError("SerializationException", "The request nests values too deeply.", 400) from None
    if problems:
        code = "ValidationError" if op.service_model.protocol == "query" else "ValidationException"
        raise InputValidationError([(_path(p), v, c) for p, v, c in problems], code)


def _check_struct(shape: Shape, value: dict, path, problems: list, check_enums: bool) -> None:
    _checker(shape, check_enums)(value, path, problems)


def _path(path) -> str:
    """Render a path kept as nested (parent, name) pairs, built only when a problem is reported."""
    names = []
    while path:
        path, name = path
        names.append(name)
    return ".".join(reversed(names))


def _type_error(shape: Shape, value) -> AWSError:
    if isinstance(value, dict):
        message = "Start of structure or map found where not expected."
    elif isinstance(value, list | tuple):
        message = "Start of list found where not expected"
    else:
        if isinstance(value, bool):
            source = "TRUE_VALUE" if value else "FALSE_VALUE"
        elif isinstance(value, int | float):
            source = "NUMBER_VALUE"
        else:
            source = "STRING_VALUE"
        target = _JAVA_TYPES.get(shape.type_name, shape.name)
        if shape.type_name in ("structure", "map", "list"):
            target = shape.name
        message = f"{source} can not be converted to {'an' if target[0] in 'AEIOU' else 'a'} {target}"
    return AWSError("SerializationException", message, 400)


Check = Callable[[object, object, list], None]


@cache
def _checker(shape: Shape, check_enums: bool) -> Check:
    """The check of one shape, built once: only the tests its type and constraints call for.

    A check takes (value, path, problems): it raises SerializationException for a value of the
    wrong type and appends (path, value, constraint) for each broken constraint. Checks of member
    shapes are looked up on first use, so recursive shapes (DynamoDB's AttributeValue) build."""
    kind = shape.type_name
    expected = _TYPES.get(kind)
    if expected is None:
        return _accept
    meta = shape.metadata
    sized = kind in _SIZED
    lowest, highest = meta.get("min"), meta.get("max")
    enum = meta.get("enum") if check_enums and kind == "string" else None
    allowed = frozenset(enum) if enum else None
    exempt = (kind == "structure" and getattr(shape, "is_document_type", False)) or (
        kind == "string" and bool(shape.serialization.get("jsonvalue"))
    )
    exclude_bool = kind != "boolean"
    parts: list = []  # the member checks, filled on first use

    def constraints(value, path, problems: list) -> None:
        measure = len(value) if sized else value
        if lowest is not None and measure < lowest:
            problems.append((path, value, f"Member must {_LOWER[sized]} greater than or equal to {lowest}"))
        if highest is not None and measure > highest:
            problems.append((path, value, f"Member must {_LOWER[sized]} less than or equal to {highest}"))
        if allowed is not None and value not in allowed:
            problems.append((path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]"))

    limited = lowest is not None or highest is not None or allowed is not None

    def typed(value) -> bool:
        """False for a wrong type (raises unless this shape takes any value)."""
        if isinstance(value, expected) and not (exclude_bool and isinstance(value, bool)):
            return True
        if exempt:
            return False
        raise _type_error(shape, value)

    def own_checks(value, path, problems: list) -> bool:
        """Type and own constraints; False when the value takes no further checks."""
        if not typed(value):
            return False
        if limited:
            constraints(value, path, problems)
        return True

    if kind == "list":
        def check(value, path, problems: list) -> None:
            if not own_checks(value, path, problems):
                return
            if not parts:
                parts.append(_checker(shape.member, check_enums))
            member = parts[0]
            for i, item in enumerate(value, 1):
                if item is not None:
                    member(item, ((path, str(i)), "member"), problems)
    elif kind == "map":
        def check(value, path, problems: list) -> None:
            if not own_checks(value, path, problems):
                return
            if not parts:
                parts.extend((_checker(shape.key, check_enums), _checker(shape.value, check_enums)))
            key_check, value_check = parts
            for key, item in value.items():
                key_check(key, ((path, key), "key"), problems)
                if item is not None:
                    value_check(item, ((path, key), "value"), problems)
    elif kind == "structure":
        required, members = _members(shape)

        def check(value, path, problems: list) -> None:
            if not typed(value) or exempt:
                return  # a document holds any JSON value
            if not parts:
                parts.append({name: (camel, _checker(m, check_enums)) for name, (camel, m) in members.items()})
            for name in required:
                if value.get(name) is None:
                    problems.append(((path, members[name][0]), None, "Member must not be null"))
            checks = parts[0]
            for name, item in value.items():
                found = checks.get(name)
                if found is not None and item is not None:
                    found[1](item, (path, found[0]), problems)
    elif limited and (sized or kind in _NUMERIC):
        def check(value, path, problems: list) -> None:
            if typed(value):
                constraints(value, path, problems)
    else:
        def check(value, path, problems: list) -> None:
            typed(value)
    return check


_LOWER = {True: "have length", False: "have value"}


def _accept(value, path, problems: list) -> None:
    return None
