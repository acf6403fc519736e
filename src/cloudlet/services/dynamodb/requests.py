"""Reading the expression parameters of a request (or their legacy forms) into ASTs, checking the
rules that tie them together (no mixing, no unused names or values)."""

from __future__ import annotations

from dataclasses import dataclass

from cloudlet.services.dynamodb import legacy
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.expressions import parser as P

_EXPRESSION_PARAMS = (
    "ConditionExpression", "FilterExpression", "KeyConditionExpression", "UpdateExpression", "ProjectionExpression",
)
_LEGACY_PARAMS = ("Expected", "QueryFilter", "ScanFilter", "KeyConditions", "AttributeUpdates", "AttributesToGet")
_EXPRESSION_RELATED = frozenset(_EXPRESSION_PARAMS + _LEGACY_PARAMS + (
    "ExpressionAttributeNames", "ExpressionAttributeValues", "ConditionalOperator"))


@dataclass
class Expressions:
    condition: object = None
    filter: object = None
    key_condition: object = None
    update: object = None
    projection: list | None = None
    filter_on_index: bool = False  # the filter sees only an LSI's projected attributes (PartiQL index scans)


def parse(params: dict) -> Expressions:
    """Parse whichever expressions (or legacy parameters) a request carries."""
    if _EXPRESSION_RELATED.isdisjoint(params):  # most reads and writes: nothing to parse
        return Expressions()
    used_expr = [p for p in _EXPRESSION_PARAMS if params.get(p) is not None]
    used_legacy = [p for p in _LEGACY_PARAMS if params.get(p) is not None]
    if used_expr and used_legacy:
        raise validation(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(used_legacy)}}} Expression parameters: {{{', '.join(used_expr)}}}"
        )
    names, values = params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues")
    if names is not None and not names:
        raise validation("ExpressionAttributeNames must not be empty")
    if values is not None and not values:
        raise validation("ExpressionAttributeValues must not be empty")
    if not used_expr:
        if names:
            raise validation("ExpressionAttributeNames can only be specified when using expressions")
        if values:
            raise validation("ExpressionAttributeValues can only be specified when using expressions")
        operator = params.get("ConditionalOperator")
        if operator is not None and not (
            len(params.get("Expected") or params.get("QueryFilter") or params.get("ScanFilter") or {}) > 0
        ):
            raise validation("ConditionalOperator can only be used when Filter or Expected conditions are present")
        return Expressions(
            condition=legacy.conditions(params.get("Expected"), operator, expected=True),
            filter=legacy.conditions(params.get("QueryFilter") or params.get("ScanFilter"), operator),
            key_condition=legacy.conditions(params.get("KeyConditions"), "AND"),
            update=legacy.updates(params.get("AttributeUpdates")),
            projection=legacy.projection(params.get("AttributesToGet")),
        )
    if params.get("ConditionalOperator") is not None:
        raise validation(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{ConditionalOperator}} Expression parameters: {{{', '.join(used_expr)}}}"
        )
    if values is not None and not isinstance(values, dict):
        raise validation("ExpressionAttributeValues must be a map")
    attrs = P.Attributes(names, values)
    out = Expressions(
        key_condition=P.parse_condition(params.get("KeyConditionExpression"), attrs, "KeyCondition"),
        condition=P.parse_condition(params.get("ConditionExpression"), attrs, "Condition"),
        filter=P.parse_condition(params.get("FilterExpression"), attrs, "Filter"),
        update=P.parse_update(params.get("UpdateExpression"), attrs),
        projection=P.parse_projection(params.get("ProjectionExpression"), attrs),
    )
    attrs.check_unused()
    return out
