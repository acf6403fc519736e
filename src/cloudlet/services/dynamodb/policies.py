"""Resource-based policies of tables and streams: PutResourcePolicy, GetResourcePolicy,
DeleteResourcePolicy and CreateTable's ResourcePolicy.

Policies are checked (JSON objects of at most 20 KB), stored with a revision id and returned; they
are not enforced. Putting the same document again keeps its revision id, as DynamoDB does. A
table's policy goes with the table; a stream's stays as long as the stream is listed.
"""

from __future__ import annotations

import time

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import storage
from cloudlet.services.dynamodb.errors import invalid_params, validation
from cloudlet.services.dynamodbstreams.storage import stream_by_arn
from cloudlet.store import Conn, Store

MAX_BYTES = 20 * 1024
NO_POLICY = "NO_POLICY"


def check(policy: str) -> None:
    """A policy document must be a JSON object of at most 20 KB (white space counted)."""
    if len(policy.encode()) > MAX_BYTES:
        raise validation(f"Resource-based policy document size exceeds the limit of {MAX_BYTES} bytes")
    try:
        document = orjson.loads(policy)
    except orjson.JSONDecodeError:
        raise validation("Resource-based policy document is not valid JSON") from None
    if not isinstance(document, dict):
        raise validation("Resource-based policy document must be a JSON object")


def put(conn: Conn, account: str, region: str, arn: str, policy: str) -> str:
    """Store a checked policy; returns its revision id (unchanged when the document is)."""
    current = _current(conn, account, region, arn)
    if current is not None and current[0] == policy:
        return current[1]
    revision = str(max(int(time.time() * 1000), int(current[1]) + 1 if current else 0))
    conn.execute("DELETE FROM ddb_policies WHERE account = ? AND region = ? AND arn = ?", (account, region, arn))
    conn.execute("INSERT INTO ddb_policies (account, region, arn, policy, revision) VALUES (?, ?, ?, ?, ?)",
                 (account, region, arn, policy, revision))
    return revision


def drop(conn: Conn, account: str, region: str, arn: str) -> None:
    conn.execute("DELETE FROM ddb_policies WHERE account = ? AND region = ? AND arn = ?", (account, region, arn))


def _current(conn: Conn, account: str, region: str, arn: str) -> tuple[str, str] | None:
    row = conn.one("SELECT policy, revision FROM ddb_policies WHERE account = ? AND region = ? AND arn = ?",
                   (account, region, arn))
    return (row[0], row[1]) if row else None


# the operations


def _current_of(conn, ctx, arn: str) -> tuple[str, str] | None:
    """The (policy, revision) of an existing table or stream, None when it has none."""
    _resource(conn, ctx, arn)
    return _current(conn, ctx.account_id, ctx.region, arn)


def put_resource_policy(store: Store, ctx, params: dict) -> dict:
    arn, policy = params["ResourceArn"], params["Policy"]
    check(policy)
    with store.tx() as conn:
        current = _current_of(conn, ctx, arn)
        _expect(arn, current, params.get("ExpectedRevisionId"))
        revision = put(conn, ctx.account_id, ctx.region, arn, policy)
    return {"RevisionId": revision}


def get_resource_policy(store: Store, ctx, params: dict) -> dict:
    arn = params["ResourceArn"]
    with store.read() as conn:
        current = _current_of(conn, ctx, arn)
    if current is None:
        raise _no_policy(arn)
    return {"Policy": current[0], "RevisionId": current[1]}


def delete_resource_policy(store: Store, ctx, params: dict) -> dict:
    arn = params["ResourceArn"]
    with store.tx() as conn:
        current = _current_of(conn, ctx, arn)
        if current is None:
            raise _no_policy(arn)
        expected = params.get("ExpectedRevisionId")
        if expected is not None:
            _expect(arn, current, expected)
        drop(conn, ctx.account_id, ctx.region, arn)
    return {"RevisionId": current[1]}


def _expect(arn: str, current: tuple[str, str] | None, expected: str | None) -> None:
    """ExpectedRevisionId: the current policy's revision, or NO_POLICY for none."""
    if expected is None:
        return
    if expected == NO_POLICY:
        if current is not None:
            raise AWSError("PolicyNotFoundException",
                           f"A resource-based policy already exists for the provided ResourceArn: {arn}", 400)
        return
    if current is None:
        raise _no_policy(arn)
    if current[1] != expected:
        raise AWSError("PolicyNotFoundException",
                       f"The expected revision id {expected} does not match the revision id of the resource-based "
                       f"policy for the provided ResourceArn: {arn}", 400)


def _no_policy(arn: str) -> AWSError:
    return AWSError("PolicyNotFoundException", f"Resource-based policy not found for the provided ResourceArn: {arn}", 400)


def _resource(conn: Conn, ctx, arn: str) -> None:
    """Check that an ARN names a table or a stream of this account and region that exists."""
    if not arn.startswith("arn:"):
        raise invalid_params(f"ARNs must start with 'arn:': {arn}")
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "dynamodb" or not parts[5].startswith("table/"):
        raise invalid_params(f"Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}")
    path = parts[5][len("table/"):].split("/")
    if len(path) not in (1, 3) or (len(path) == 3 and path[1] != "stream"):
        raise invalid_params(f"Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}")
    found = parts[3] == ctx.region and parts[4] == ctx.account_id
    if found and len(path) == 1:
        found = storage.load_table(conn, ctx.account_id, ctx.region, path[0]) is not None
    elif found:
        found = stream_by_arn(conn, arn) is not None
    if not found:
        raise AWSError("ResourceNotFoundException", f"Requested resource not found: ResourceArn: {arn} not found", 400)
