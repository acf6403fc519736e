"""Table tags: TagResource, UntagResource, ListTagsOfResource and the tags of CreateTable, with
DynamoDB's rules (at most 50, AWS's character set, no aws: prefix) and messages."""

from __future__ import annotations

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import storage
from cloudlet.services.dynamodb.errors import invalid_params, validation
from cloudlet.services.dynamodb.schema import TableDef
from cloudlet.store import Conn, Store

MAX_TAGS = 50
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def add(tags: dict, new: list[dict]) -> dict:
    """Tags with `new` set on them, or DynamoDB's ValidationException."""
    seen: set[str] = set()
    for tag in new:
        key, value = tag["Key"], tag["Value"]
        if key in seen:
            raise validation(f"Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}")
        seen.add(key)
        if not _allowed(key):
            raise validation(f"The Tag Key provided is invalid, Key: {key}")
        if not _allowed(value):
            raise validation(f"The Tag Value provided is invalid, Value: {value}")
        if key.lower().startswith("aws:"):
            raise validation(f"Tag Key cannot be prefixed with aws:, Key: {key}")
    merged = {**tags, **{t["Key"]: t["Value"] for t in new}}
    if len(merged) > MAX_TAGS:
        raise validation("Number of Tags exceed the current limit for the provided ResourceArn")
    tags.clear()
    tags.update(merged)
    return tags


def _allowed(text: str) -> bool:
    """Letters, digits, white space and _ . : / = + - @, as AWS allows in tags."""
    return all(c.isalnum() or c.isspace() or c in _TAG_PUNCTUATION for c in text)


def tag_resource(store: Store, ctx, params: dict) -> dict:
    if not params["Tags"]:
        raise validation("Atleast one Tag needs to be provided as Input.")
    with store.tx() as conn:
        table = _table_by_arn(conn, ctx, params["ResourceArn"], "TagResource")
        add(table.tags, params["Tags"])
        storage.save_table(conn, table)
    return {}


def untag_resource(store: Store, ctx, params: dict) -> dict:
    if not params["TagKeys"]:
        raise validation("Atleast one Tag Key needs to be provided as Input.")
    with store.tx() as conn:
        table = _table_by_arn(conn, ctx, params["ResourceArn"], "UntagResource")
        for key in params["TagKeys"]:
            table.tags.pop(key, None)
        storage.save_table(conn, table)
    return {}


def list_tags_of_resource(store: Store, ctx, params: dict) -> dict:
    """Every tag in one answer: a table has at most 50, and DynamoDB does not page them."""
    with store.read() as conn:
        table = _table_by_arn(conn, ctx, params["ResourceArn"], "ListTagsOfResource")
    return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(table.tags.items())]}


def _table_by_arn(conn: Conn, ctx, arn: str, action: str) -> TableDef:
    if not arn.startswith("arn:"):
        raise invalid_params(f"ARNs must start with 'arn:': {arn}")
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "dynamodb":
        raise invalid_params(f"Provided Arn is not a DynamoDB resource arn: {arn}")
    if not parts[5].startswith("table/"):
        raise validation(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
    if "/index/" in parts[5]:
        raise invalid_params(f"Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}")
    if parts[3] != ctx.region:
        raise validation(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
    if parts[4] != ctx.account_id:
        # another account's table: no resource-based policy lets this caller in
        caller = ctx.principal_arn or f"arn:aws:iam::{ctx.account_id}:root"
        raise AWSError(
            "AccessDeniedException",
            f"User: {caller} is not authorized to perform: dynamodb:{action} on resource: {arn} because no "
            f"resource-based policy allows the dynamodb:{action} action",
            400,
        )
    table = storage.load_table(conn, ctx.account_id, ctx.region, parts[5][len("table/"):], for_update=True)
    if table is None:
        raise AWSError("ResourceNotFoundException", f"Requested resource not found: ResourceArn: {arn} not found", 400)
    return table
