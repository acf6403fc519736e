"""Request constraints DynamoDB enforces beyond what the shared validator checks from the model:
key schemas of at most two elements, eight for a GSI (the published model dropped those limits), the
pattern of table, index and backup names (the validator checks lengths only) and the 3..255 length of
table names given as names rather than ARNs, a transaction's actions' included. Problems are (path,
value, constraint) triples, turned into DynamoDB's ValidationException by `refusal`."""

from __future__ import annotations

import re
from collections.abc import Iterator

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.aws.validate import render
from cloudlet.services.dynamodb import codec

NAME_PATTERN = re.compile(r"[a-zA-Z0-9_.-]+")
Problem = tuple[str, object, str]


def problems(params: dict, known: list[Problem]) -> list[Problem]:
    """The broken constraints of a request, skipping paths `known` already reports."""
    reported = {p[0] for p in known}
    out: list[Problem] = []
    for member, path in (("IndexName", "indexName"), ("BackupName", "backupName")):
        name = params.get(member)
        if isinstance(name, str) and path not in reported and not NAME_PATTERN.fullmatch(name):
            out.append((path, name, f"Member must satisfy regular expression pattern: {NAME_PATTERN.pattern}"))
    for path, spec in _index_specs(params):
        schema = spec.get("KeySchema")
        most = 2 if path.startswith("local") else 8  # a GSI key may have four HASH and four RANGE attributes
        if isinstance(schema, list) and len(schema) > most:
            out.append((f"{path}.keySchema", _java_key_schema(schema), f"Member must have length less than or equal to {most}"))
        name = spec.get("IndexName")
        if isinstance(name, str) and f"{path}.indexName" not in reported and not NAME_PATTERN.fullmatch(name):
            out.append((f"{path}.indexName", name,
                        f"Member must satisfy regular expression pattern: {NAME_PATTERN.pattern}"))
    schema = params.get("KeySchema")
    if isinstance(schema, list) and len(schema) > 2:
        out.insert(0, ("keySchema", _java_key_schema(schema), "Member must have length less than or equal to 2"))
    return out


def _java_key_schema(schema: list) -> str:
    """A KeySchema as DynamoDB echoes it (Java's toString of its elements)."""
    return "[" + ", ".join(
        f"KeySchemaElement(attributeName={e.get('AttributeName')}, keyType={e.get('KeyType')})"
        if isinstance(e, dict) else "null" for e in schema
    ) + "]"


def in_dynamodb_order(operation: str, problems: list[Problem]) -> list[Problem]:
    """`problems` as DynamoDB reports them: enums listed in its own order, a GSI's problems ahead of
    an LSI's, a bad table name alone (unless a required member is missing too, CreateTable aside),
    and for UpdateItem its members in DynamoDB's order, only the first unless one is missing."""
    if not problems:
        return problems
    out = [(path, value, _enum_order(path, c)) for path, value, c in problems]
    missing = any(p[2] == "Member must not be null" for p in out)
    if (operation == "CreateTable" or not missing) and any(p[0] == "tableName" for p in out):
        return [p for p in out if p[0] == "tableName"]
    if operation == "UpdateItem" and out:
        out.sort(key=lambda p: _UPDATE_ITEM_ORDER.get(p[0].split(".")[0], len(_UPDATE_ITEM_ORDER)))
        if not missing:
            out = [p for p in out if p[0] == out[0][0]]
    local = [p for p in out if p[0].startswith("localSecondaryIndexes.")]
    if local and any(p[0].startswith("globalSecondaryIndexes.") for p in out):
        rest = [p for p in out if not p[0].startswith("localSecondaryIndexes.")]
        last_global = max(i for i, p in enumerate(rest) if p[0].startswith("globalSecondaryIndexes."))
        out = rest[:last_global + 1] + local + rest[last_global + 1:]
    return out


# DynamoDB lists these enums in an order of its own, not the published model's.
_ENUM_ORDERS = {
    "attributeType": "[B, N, S]",
    "returnValues": "[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
    "conditionalOperator": "[OR, AND]",
    "select": "[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
}
_UPDATE_ITEM_ORDER = {name: i for i, name in enumerate(
    ("returnConsumedCapacity", "tableName", "returnValues", "conditionalOperator", "key"))}


def _enum_order(path: str, constraint: str) -> str:
    order = _ENUM_ORDERS.get(path.rsplit(".", 1)[-1])
    if order and constraint.startswith("Member must satisfy enum value set: "):
        return f"Member must satisfy enum value set: {order}"
    return constraint


def _index_specs(params: dict) -> Iterator[tuple[str, dict]]:
    """(message path, spec) of every index a CreateTable or UpdateTable request describes."""
    for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        for i, spec in enumerate(params.get(member) or [], 1):
            if isinstance(spec, dict):
                yield f"{member[0].lower()}{member[1:]}.{i}.member", spec
    for i, update in enumerate(params.get("GlobalSecondaryIndexUpdates") or [], 1):
        for action in ("Create", "Update", "Delete"):
            spec = update.get(action) if isinstance(update, dict) else None
            if isinstance(spec, dict):
                yield f"globalSecondaryIndexUpdates.{i}.member.{action.lower()}", spec


def with_table_names(params: dict, problems: list[Problem]) -> list[Problem]:
    """`problems` with the table-name rules applied, in AWS's order for a name: pattern, then length."""
    out = list(problems)
    for path, name in _table_names(params):
        if not isinstance(name, str) or (name.startswith("arn:") and path != "exclusiveStartTableName"):
            continue  # a table ARN stands for its name, except as ListTables' cursor
        if 3 <= len(name) <= 255 and NAME_PATTERN.fullmatch(name):
            continue  # a good name: the model's own rules (1..1024 characters) cannot have refused it
        if name == "" and any(p[0] == path and p[2].endswith("greater than or equal to 1") for p in out):
            continue  # a member that also takes an ARN: the model's own minimum length is all DynamoDB reports
        out = [p for p in out if p[0] != path]
        if not NAME_PATTERN.fullmatch(name):
            out.append((path, name, f"Member must satisfy regular expression pattern: {NAME_PATTERN.pattern}"))
        if len(name) < 3:
            out.append((path, name, "Member must have length greater than or equal to 3"))
        if len(name) > 255:
            out.append((path, name, "Member must have length less than or equal to 255"))
    return out


_TABLE_NAME_MEMBERS = tuple((member, member[0].lower() + member[1:]) for member in (
    "TableName", "ExclusiveStartTableName", "SourceTableName", "TargetTableName"))


def _table_names(params: dict) -> Iterator[tuple[str, object]]:
    """(message path, value) of every table name a request gives, a transaction's actions' included."""
    for member, path in _TABLE_NAME_MEMBERS:
        if member in params:
            yield path, params[member]
    items = params.get("TransactItems")
    for i, entry in enumerate(items if isinstance(items, list) else [], 1):
        for action in ("Put", "Update", "Delete", "ConditionCheck", "Get"):
            spec = entry.get(action) if isinstance(entry, dict) else None
            if isinstance(spec, dict):
                yield f"transactItems.{i}.member.{action[0].lower()}{action[1:]}.tableName", spec.get("TableName")


_MAP_KEYS = ("Map keys must satisfy constraint: [Member must have length less than or equal to 255, "
             "Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: "
             f"{NAME_PATTERN.pattern}]")
_WRITES_PER_TABLE = ("Map value must satisfy constraint: [Member must have length less than or equal to 25, "
                     "Member must have length greater than or equal to 1]")


def request_items_problem(operation: str, request) -> str | None:
    """How DynamoDB words what is wrong with a BatchGetItem or BatchWriteItem RequestItems map (empty,
    a malformed table name, too few or too many keys or writes for a table), without the envelope;
    None when the map keeps its constraints."""
    if not isinstance(request, dict):
        return None
    if not request:
        return "Value at 'RequestItems' failed to satisfy constraint: Member must have length greater than or equal to 1"
    if any(not (3 <= len(name) <= 255 and NAME_PATTERN.fullmatch(name)) for name in request):
        return f"Value '{_echo(operation, request)}' at 'requestItems' failed to satisfy constraint: {_MAP_KEYS}"
    for name, spec in request.items():
        if operation == "BatchGetItem" and isinstance(spec, dict) and isinstance(spec.get("Keys"), list):
            count = len(spec["Keys"])
            if count < 1 or count > 100:
                bound = "greater than or equal to 1" if count < 1 else "less than or equal to 100"
                return f"Value at 'RequestItems.{name}.member.Keys' failed to satisfy constraint: Member must have length {bound}"
        if operation == "BatchWriteItem" and isinstance(spec, list):
            if not spec:
                return f"Value '{_echo(operation, request)}' at 'requestItems' failed to satisfy constraint: {_WRITES_PER_TABLE}"
            if len(spec) > 25:
                return (f"Value at 'RequestItems.{name}.member' failed to satisfy constraint: "
                              "Member must have length less than or equal to 25")
    return None


def _echo(operation: str, request: dict) -> str:
    """RequestItems as DynamoDB echoes it: JSON for BatchGetItem, Java's toString for BatchWriteItem."""
    if operation == "BatchGetItem":
        return orjson.dumps(request, default=codec.encode_bytes).decode()
    return "{" + ", ".join(f"{name}=[{', '.join(_java_write(w) for w in writes)}]" for name, writes in request.items()) + "}"


def _java_write(write) -> str:
    if not isinstance(write, dict):
        return "null"
    put, delete = write.get("PutRequest"), write.get("DeleteRequest")
    put_text = f"PutRequest(item={_java_map((put or {}).get('Item'))})" if isinstance(put, dict) else "null"
    delete_text = f"DeleteRequest(key={_java_map((delete or {}).get('Key'))})" if isinstance(delete, dict) else "null"
    return f"WriteRequest(putRequest={put_text}, deleteRequest={delete_text})"


def _java_map(values) -> str:
    if not isinstance(values, dict):
        return "null"
    return "{" + ", ".join(f"{k}={_java_value(v)}" for k, v in values.items()) + "}"


def _java_value(value) -> str:
    if not isinstance(value, dict):
        return str(value)
    parts = []
    for tag, inner in value.items():
        if tag == "M":
            inner = _java_map(inner)
        elif tag == "L" and isinstance(inner, list):
            inner = "[" + ", ".join(_java_value(v) for v in inner) + "]"
        elif isinstance(inner, list):
            inner = "[" + ", ".join(str(v) for v in inner) + "]"
        parts.append(f"{tag}={inner}")
    return f"AttributeValue({', '.join(parts)})"


def details(operation: str, problems: list[Problem]) -> list[str]:
    """Each problem as its sentence of a ValidationException. Query words its Limit in the newer
    form, which names the member and not the value."""
    out = []
    for path, value, constraint in problems:
        if operation == "Query" and path == "limit":
            out.append(f"Value at 'Limit' failed to satisfy constraint: {constraint}")
        else:
            out.append(f"Value {render(value)} at '{path}' failed to satisfy constraint: {constraint}")
    return out


def refusal(details: list[str]) -> AWSError:
    """The ValidationException listing `details` (one sentence each)."""
    count = len(details)
    return AWSError("ValidationException",
                    f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(details), 400)
