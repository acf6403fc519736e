"""Validating parsed input against the operation's input shape (required, type, length, range, enum)."""

from __future__ import annotations

import datetime as dt

from botocore.model import OperationModel, Shape

from cloudlet.aws.errors import AWSError


class InputValidationError(AWSError):
    """Input that breaks the model's constraints; `problems` lists (path, value, constraint)."""

    def __init__(self, problems: list[tuple[str, object, str]]) -> None:
        count = len(problems)
        details = "; ".join(
            f"Value {_show(value)} at '{path}' failed to satisfy constraint: {constraint}"
            for path, value, constraint in problems
        )
        noun = "error" if count == 1 else "errors"
        super().__init__("ValidationException", f"{count} validation {noun} detected: {details}", 400)
        self.problems = problems


def _show(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"'{value}'"
    return f"'{value}'" if not isinstance(value, list | dict) else "'[...]'"


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


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def validate_input(op: OperationModel, params: dict, *, check_enums: bool = False) -> None:
    """Raise InputValidationError listing every constraint the input breaks."""
    shape = op.input_shape
    if shape is None:
        return
    problems: list = []
    _check_struct(shape, params, "", problems, check_enums)
    if problems:
        raise InputValidationError(problems)


def _check_struct(shape: Shape, value: dict, path: str, problems: list, check_enums: bool) -> None:
    members = shape.members
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append((_join(path, name), None, "Member must not be null"))
    for name, item in value.items():
        member = members.get(name)
        if member is not None and item is not None:
            _check(member, item, _join(path, name), problems, check_enums)


def _join(path: str, name: str) -> str:
    name = _camel(name)
    return f"{path}.{name}" if path else name


def _check(shape: Shape, value, path: str, problems: list, check_enums: bool) -> None:
    kind = shape.type_name
    expected = _TYPES.get(kind)
    if expected and (not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool))):
        problems.append((path, value, f"Member must be of type {kind}"))
        return
    meta = shape.metadata
    if kind in ("string", "list", "map", "blob"):
        size = len(value)
        if "min" in meta and size < meta["min"]:
            what = "length" if kind in ("string", "blob") else "size"
            problems.append((path, value, f"Member must have {what} greater than or equal to {meta['min']}"))
        if "max" in meta and size > meta["max"]:
            what = "length" if kind in ("string", "blob") else "size"
            problems.append((path, value, f"Member must have {what} less than or equal to {meta['max']}"))
        if check_enums and kind == "string" and shape.enum and value not in shape.enum:
            problems.append((path, value, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"))
    elif kind in ("integer", "long", "float", "double"):
        if "min" in meta and value < meta["min"]:
            problems.append((path, value, f"Member must have value greater than or equal to {meta['min']}"))
        if "max" in meta and value > meta["max"]:
            problems.append((path, value, f"Member must have value less than or equal to {meta['max']}"))
    if kind == "structure":
        _check_struct(shape, value, path, problems, check_enums)
    elif kind == "list":
        for i, item in enumerate(value, 1):
            if item is not None:
                _check(shape.member, item, f"{path}.{i}.member", problems, check_enums)
    elif kind == "map":
        for key, item in value.items():
            _check(shape.key, key, f"{path}.{key}.key", problems, check_enums)
            if item is not None:
                _check(shape.value, item, f"{path}.{key}.value", problems, check_enums)
