"""The AST of DynamoDB expressions. Paths hold resolved names (str) and list indexes (int);
values hold resolved attribute values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Path:
    elements: tuple  # str names and int list indexes

    def __str__(self) -> str:
        out = ""
        for e in self.elements:
            out += f"[{e}]" if isinstance(e, int) else (f".{e}" if out else e)
        return out


@dataclass(frozen=True, slots=True)
class Value:
    value: dict


@dataclass(frozen=True, slots=True)
class Size:
    path: Path


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # = <> < <= > >=
    left: object
    right: object


@dataclass(frozen=True, slots=True)
class Between:
    operand: object
    low: object
    high: object


@dataclass(frozen=True, slots=True)
class In:
    operand: object
    options: tuple


@dataclass(frozen=True, slots=True)
class And:
    left: object
    right: object


@dataclass(frozen=True, slots=True)
class Or:
    left: object
    right: object


@dataclass(frozen=True, slots=True)
class Not:
    operand: object


@dataclass(frozen=True, slots=True)
class Function:
    name: str  # attribute_exists attribute_not_exists attribute_type begins_with contains
    args: tuple


# Update expressions


@dataclass(frozen=True, slots=True)
class Arithmetic:
    op: str  # + or -
    left: object
    right: object


@dataclass(frozen=True, slots=True)
class IfNotExists:
    path: Path
    default: object


@dataclass(frozen=True, slots=True)
class ListAppend:
    left: object
    right: object


@dataclass(frozen=True, slots=True)
class UpdateAction:
    action: str  # SET REMOVE ADD DELETE
    path: Path
    value: object = None


@dataclass(frozen=True, slots=True)
class Update:
    actions: tuple[UpdateAction, ...]
    legacy: bool = False  # from AttributeUpdates, whose type errors AWS words differently
