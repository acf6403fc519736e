"""Stream records: what a change puts in a record for each view type, and AWS's record format."""

from __future__ import annotations

import datetime as dt

import orjson

from cloudlet.services.dynamodb import codec
from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb.size import item_size

# Sequence numbers are shown as 21-digit numeric strings (the API's minimum length is 21).
SEQ_BASE = 10**20
MAX_SEQ = 2**62  # record numbers are BIGINT columns
VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")


def seq_text(seq: int) -> str:
    return str(SEQ_BASE + seq)


def parse_seq(text: str) -> int | None:
    """The record number of a sequence number string, or None when it is not one of ours."""
    if not text.isdigit() or len(text) > 40:
        return None
    value = int(text) - SEQ_BASE
    return value if 0 <= value < MAX_SEQ else None


def unchanged(old: dict | None, new: dict | None) -> bool:
    """True when a write left the item as it was (DynamoDB writes no record then)."""
    return old is not None and new is not None and V.equal({"M": old}, {"M": new})


def event_name(old: dict | None, new: dict | None) -> str:
    if old is None:
        return "INSERT"
    return "REMOVE" if new is None else "MODIFY"


def images(view_type: str, old: dict | None, new: dict | None) -> tuple[dict | None, dict | None]:
    """(NewImage, OldImage) a record of this view type carries."""
    keep_new = view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    keep_old = view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    return (new if keep_new else None), (old if keep_old else None)


def size_bytes(keys: dict, new: dict | None, old: dict | None) -> int:
    """SizeBytes: the keys and images the record carries, sized as DynamoDB sizes items."""
    return max(1, item_size(keys) + (item_size(new) if new else 0) + (item_size(old) if old else 0))


def encode(item: dict | None) -> bytes | None:
    return None if item is None else codec.dumps(item)


def from_row(row: tuple, region: str) -> dict:
    """A stored record (storage.RECORD_COLUMNS) in the API's Record shape."""
    seq, created, event_id, name, view_type, identity, keys, new, old, size = row
    body: dict = {
        "ApproximateCreationDateTime": dt.datetime.fromtimestamp(int(created), dt.UTC),
        "Keys": codec.loads(keys),
    }
    if new is not None:
        body["NewImage"] = codec.loads(new)
    if old is not None:
        body["OldImage"] = codec.loads(old)
    body.update(SequenceNumber=seq_text(seq), SizeBytes=int(size), StreamViewType=view_type)
    record = {
        "eventID": event_id,
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": body,
    }
    if identity:
        record["userIdentity"] = orjson.loads(identity)
    return record


def lambda_event_record(record: dict, stream_arn: str) -> dict:
    """A record as Lambda hands it to a function in a DynamoDB stream event: epoch seconds as a
    JSON number with a fraction (a float) for ApproximateCreationDateTime, lower-case userIdentity keys and the eventSourceARN. Binary values
    stay bytes; the event's JSON encoder writes them in base64."""
    body = dict(record["dynamodb"])
    created = body["ApproximateCreationDateTime"]
    body["ApproximateCreationDateTime"] = float(created.timestamp() if isinstance(created, dt.datetime) else created)
    out = {k: v for k, v in record.items() if k not in ("dynamodb", "userIdentity")}
    out["dynamodb"] = body
    out["eventSourceARN"] = stream_arn
    identity = record.get("userIdentity")
    if identity:
        out["userIdentity"] = {"type": identity.get("Type"), "principalId": identity.get("PrincipalId")}
    return out
