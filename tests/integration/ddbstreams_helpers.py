"""Shared helpers of the DynamoDB Streams tests: tables with streams, reading a shard, the service's
short test durations."""

from __future__ import annotations

from contextlib import contextmanager

from botocore.config import Config

from cloudlet.services.dynamodbstreams.settings import Settings

HASH = [{"AttributeName": "pk", "KeyType": "HASH"}]
HASH_S = [{"AttributeName": "pk", "AttributeType": "S"}]




def raw_client(cloudlet):
    """A dynamodbstreams client that sends what it is given (no client-side parameter checks)."""
    return cloudlet.client("dynamodbstreams", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


def make_table(ddb, name: str = "tbl", view: str | None = "NEW_AND_OLD_IMAGES", **kwargs) -> dict:
    """A pay-per-request table with a string partition key `pk` (and a stream of `view`)."""
    kwargs.setdefault("KeySchema", HASH)
    kwargs.setdefault("AttributeDefinitions", HASH_S)
    if view:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    return ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **kwargs)["TableDescription"]


def shard_ids(streams, arn: str) -> list[str]:
    return [s["ShardId"] for s in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]]


def read_shard(streams, arn: str, shard_id: str, kind: str = "TRIM_HORIZON", **kwargs) -> list[dict]:
    """Every record from an iterator of `kind` until a page comes back empty (or the shard ends)."""
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType=kind,
                                          **kwargs)["ShardIterator"]
    out: list[dict] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator)
        out += page["Records"]
        iterator = page.get("NextShardIterator")
        if not page["Records"]:
            break
    return out


def read_stream(streams, arn: str) -> list[dict]:
    """Every record of every shard, shards in order."""
    return [r for shard in shard_ids(streams, arn) for r in read_shard(streams, arn, shard)]


def streams_service(cloudlet):
    """The running DynamoDB Streams service (loaded with DynamoDB)."""
    cloudlet.client("dynamodb").list_tables()
    return cloudlet.platform.loaded_service("dynamodbstreams")


@contextmanager
def stream_durations(cloudlet, **durations: float):
    """Run with short DynamoDB Streams durations (seconds); the configured ones come back after."""
    service = streams_service(cloudlet)
    service.configure(**durations)
    try:
        yield service
    finally:
        defaults = Settings.from_extra(cloudlet.platform.config.extra)
        service.configure(**{k: getattr(defaults, k) for k in durations})
