"""Shard iterators: opaque strings that carry a shard position and when they were issued.

An iterator reads `<stream ARN>|1|<token>`, the token a base64url JSON list
[account, stream id, shard id, position, from trim horizon, issued ms]. Nothing is stored, so any
node can serve the next GetRecords. A position is the record number after which reading resumes.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodbstreams.records import MAX_SEQ


@dataclass
class Iterator:
    stream_arn: str
    account: str
    stream_id: str
    shard_id: str
    position: int  # read records numbered above this
    horizon: bool  # made at the trim horizon: reading starts at whatever is oldest then
    issued_ms: int


def encode(it: Iterator) -> str:
    token = orjson.dumps([it.account, it.stream_id, it.shard_id, it.position, int(it.horizon), it.issued_ms])
    return f"{it.stream_arn}|1|{base64.urlsafe_b64encode(token).decode().rstrip('=')}"


def invalid() -> AWSError:
    return AWSError("ValidationException", "Invalid ShardIterator", 400)


def decode(text: str) -> Iterator:
    """Parse an iterator; a malformed one is a ValidationException."""
    arn, sep, token = text.rpartition("|1|")
    if not sep or not arn.startswith("arn:"):
        raise invalid()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        account, stream_id, shard_id, position, horizon, issued = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise invalid() from None
    if not (isinstance(account, str) and isinstance(stream_id, str) and isinstance(shard_id, str)
            and type(position) is int and type(issued) is int and 0 <= position < MAX_SEQ):
        raise invalid()
    return Iterator(arn, account, stream_id, shard_id, position, bool(horizon), issued)
