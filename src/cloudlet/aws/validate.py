"""Validating parsed input against the operation's input shape, with AWS's messages.

Values of the wrong type are a SerializationException (AWS fails to deserialize them before it
validates). Broken constraints (required, length, range and, opt-in, enum) are collected and
reported together: "2 validation errors detected: Value null at 'queueName' failed to satisfy
constraint: Member must not be null; Value '0' at ..." as ValidationException (ValidationError
for query services).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

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
    required, members = _members(shape)
    for name in required:
        if value.get(name) is None:
            problems.append(((path, members[name][0]), None, "Member must not be null"))
    for name, item in value.items():
        found = members.get(name)
        if found is not None and item is not None:
            _check(found[1], item, (path, found[0]), problems, check_enums)


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


def _check(shape: Shape, value, path, problems: list, check_enums: bool) -> None:
    kind = shape.type_name
    expected = _TYPES.get(kind)
    wrong = expected and (not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool)))
    if wrong:
        if kind == "structure" and getattr(shape, "is_document_type", False):
            return  # a document holds any JSON value
        if kind == "string" and shape.serialization.get("jsonvalue"):
            return  # a JSON value carried in a header
        raise _type_error(shape, value)
    meta = shape.metadata
    if kind in _SIZED:
        if meta:
            size = len(value)
            if "min" in meta and size < meta["min"]:
                problems.append(
                    (path, value, f"Member must have length greater than or equal to {meta['min']}")
                )
            if "max" in meta and size > meta["max"]:
                problems.append((path, value, f"Member must have length less than or equal to {meta['max']}"))
            if check_enums and kind == "string" and "enum" in meta and value not in meta["enum"]:
                problems.append(
                    (path, value, f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]")
                )
        if kind == "list":
            member = shape.member
            for i, item in enumerate(value, 1):
                if item is not None:
                    _check(member, item, ((path, str(i)), "member"), problems, check_enums)
        elif kind == "map":
            key_shape, value_shape = shape.key, shape.value
            for key, item in value.items():
                _check(key_shape, key, ((path, key), "key"), problems, check_enums)
                if item is not None:
                    _check(value_shape, item, ((path, key), "value"), problems, check_enums)
    elif kind in _NUMERIC:
        if meta:
            if "min" in meta and value < meta["min"]:
                problems.append(
                    (path, value, f"Member must have value greater than or equal to {meta['min']}")
                )
            if "max" in meta and value > meta["max"]:
                problems.append((path, value, f"Member must have value less than or equal to {meta['max']}"))
    elif kind == "structure" and not getattr(shape, "is_document_type", False):
        _check_struct(shape, value, path, problems, check_enums)
