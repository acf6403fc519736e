"""Checking Logs request parameters: CloudWatch Logs answers every bad input with InvalidParameterException."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from botocore.model import OperationModel

from cloudlet.aws import arns
from cloudlet.aws.errors import AWSError
from cloudlet.aws.validate import InputValidationError, validate_input
from cloudlet.services.logs.engine import RETENTION_DAYS, not_found

MAX_TAGS = 50


def invalid(message: str) -> AWSError:
    return AWSError("InvalidParameterException", message, 400)


def _problems_message(problems: list[tuple[str, object, str]]) -> str:
    return InputValidationError(problems).message


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None  # a Java-only construct; such members get a dedicated check


MAX_NAME = 512
# members whose model pattern AWS does not apply: CloudWatch namespaces may hold ':' and '#'
_UNCHECKED_PATTERNS = frozenset({"metricNamespace"})


def check_input(op: OperationModel, params: dict) -> None:
    """The model's constraints (required, types, lengths, ranges, enums, patterns)."""
    members = op.input_shape.members
    for name in ("logGroupName", "logStreamName"):
        value = params.get(name)
        if name in members and isinstance(value, str) and len(value) > MAX_NAME:
            raise invalid(f"Invalid LogGroup or LogStream, both must have length less than or equal to {MAX_NAME}.")
    try:
        validate_input(op, params, check_enums=True)
    except InputValidationError as err:
        raise invalid(_problems_message([_java_value(p) for p in err.problems])) from None
    problems: list[tuple[str, object, str]] = []
    _check_patterns(op.input_shape, params, "", problems)
    if problems:
        raise invalid(_problems_message(problems))


_PATTERNED: dict[str, bool] = {}


def _has_patterns(shape) -> bool:
    """Whether a shape or anything inside it has a pattern (so PutLogEvents' events are not walked)."""
    known = _PATTERNED.get(shape.name)
    if known is None:
        _PATTERNED[shape.name] = False  # a recursive shape adds nothing the first visit finds
        if shape.type_name == "structure":
            known = any(_has_patterns(m) for m in shape.members.values())
        elif shape.type_name == "list":
            known = _has_patterns(shape.member)
        else:
            known = shape.type_name == "string" and bool(shape.metadata.get("pattern"))
        _PATTERNED[shape.name] = known
    return known


def _check_patterns(shape, value, path: str, problems: list) -> None:
    """The model's string patterns, in nested structures and lists too (paths as AWS names them:
    `metricTransformations.1.member.metricName`)."""
    if not _has_patterns(shape):
        return
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value and name not in _UNCHECKED_PATTERNS:
                _check_patterns(member, value[name], f"{path}.{name}" if path else name, problems)
    elif shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value, 1):
            _check_patterns(shape.member, item, f"{path}.{i}.member", problems)
    elif shape.type_name == "string" and isinstance(value, str):
        pattern = shape.metadata.get("pattern")
        regex = _regex(pattern) if pattern else None
        if regex is not None and regex.fullmatch(value) is None:
            problems.append((path, value, f"Member must satisfy regular expression pattern: {pattern}"))


class _JavaRecord:
    """A structure shown as AWS's messages show one: `Name(field=value, ...)` with every field."""

    def __init__(self, name: str, fields: tuple[str, ...], value: dict) -> None:
        self.text = f"{name}(" + ", ".join(f"{f}={_java_field(value.get(f))}" for f in fields) + ")"

    def __str__(self) -> str:
        return self.text


def _java_field(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(float(value))  # defaultValue is a Double
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}"
    return str(value)


_TRANSFORMATION_FIELDS = ("metricName", "metricNamespace", "metricValue", "defaultValue", "unit", "dimensions")


def _java_value(problem: tuple[str, object, str]) -> tuple[str, object, str]:
    """Metric transformations appear in messages as their Java records do."""
    path, value, constraint = problem
    if path == "metricTransformations" and isinstance(value, list):
        value = [
            _JavaRecord("MetricTransformation", _TRANSFORMATION_FIELDS, v) if isinstance(v, dict) else v
            for v in value
        ]
    return path, value, constraint


def check_retention(days: int) -> None:
    if days not in RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in RETENTION_DAYS)
        raise invalid(
            _problems_message([("retentionInDays", days, f"Member must satisfy enum value set: [{allowed}]")])
        )


def check_new_group_name(name: str) -> None:
    if name.lower().startswith("aws/"):
        raise invalid("Log groups starting with AWS/ are reserved for AWS.")


def _tag_chars_ok(text: str) -> bool:
    # the model's pattern [\p{L}\p{Z}\p{N}_.:/=+\-@]; Python's re has no \p classes
    return all(ch in "_.:/=+-@" or unicodedata.category(ch)[0] in "LZN" for ch in text)


def check_tags(tags: dict[str, str]) -> None:
    problems = []
    for key, value in tags.items():
        if not _tag_chars_ok(key):
            problems.append((f"tags.{key}.key", key, "Member must satisfy regular expression pattern"))
        if not _tag_chars_ok(value):
            problems.append((f"tags.{key}.value", value, "Member must satisfy regular expression pattern"))
    if problems:
        raise invalid(_problems_message(problems))
    reserved = [k for k in tags if k.lower().startswith("aws:")]
    if reserved:
        raise invalid(f"Tag keys starting with 'aws:' are reserved: {reserved[0]}")


def group_name(ctx, params: dict) -> str:
    """The log group named by logGroupName or logGroupIdentifier (a name or an ARN); one is required."""
    name = params.get("logGroupName")
    identifier = params.get("logGroupIdentifier")
    if name and identifier:
        raise AWSError("ValidationException", "LogGroup name and LogGroup ARN are mutually exclusive parameters.", 400)
    if identifier:
        return name_from_identifier(ctx, identifier)
    if not name:
        raise invalid("Either logGroupName or logGroupIdentifier must be specified.")
    return name


def name_from_identifier(ctx, identifier: str) -> str:
    if not identifier.startswith("arn:"):
        return identifier
    return group_from_arn(ctx, identifier)


def group_from_arn(ctx, arn: str) -> str:
    """The log group name of a log-group ARN (with or without the ':*' suffix) in the caller's scope."""
    try:
        parsed = arns.parse(arn)
    except ValueError:
        raise invalid(f"Invalid ARN: {arn}") from None
    if parsed.service != "logs":
        raise invalid(f"Invalid ARN: {arn}")
    if not parsed.resource.startswith("log-group:"):
        raise AWSError("ResourceNotFoundException", "The specified resource does not exist.", 400)
    if parsed.account != ctx.account_id or parsed.region != ctx.region:
        raise not_found("log group")
    name = parsed.resource[len("log-group:") :]
    return name[:-2] if name.endswith(":*") else name


MAX_QUERY_GROUPS = 50


def cwli_only(params: dict) -> None:
    """Only the Logs Insights query language is implemented (not OpenSearch SQL or PPL)."""
    language = params.get("queryLanguage")
    if language not in (None, "CWLI"):
        raise invalid(f"Query language {language} is not supported; use CWLI.")


def query_groups(ctx, params: dict) -> list[str]:
    """The log group names a StartQuery names: by logGroupName, logGroupNames or logGroupIdentifiers,
    exactly one of them."""
    cwli_only(params)
    given = [k for k in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if params.get(k)]
    if len(given) != 1:
        raise invalid("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.")
    key = given[0]
    if key == "logGroupName":
        return [params[key]]
    names = params[key] if key == "logGroupNames" else [name_from_identifier(ctx, i) for i in params[key]]
    if len(names) > MAX_QUERY_GROUPS:
        raise invalid(f"A query can name at most {MAX_QUERY_GROUPS} log groups.")
    return list(dict.fromkeys(names))
