"""DynamoDB Streams operations (json 1.0, X-Amz-Target DynamoDBStreams_20120810.*, signed as
"dynamodb"): ListStreams, DescribeStream, GetShardIterator, GetRecords.

The DynamoDB service writes the records (log.py, attached as its item-change listener when it
loads); this service reads them (reader.py) and runs the background sweep that rolls shards and
trims records past retention.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

from botocore.model import OperationModel

from cloudlet.aws.errors import AWSError
from cloudlet.aws.validate import InputValidationError, validate_input
from cloudlet.services.base import Service
from cloudlet.services.dynamodb.storage import load_table
from cloudlet.services.dynamodbstreams import iterators, storage
from cloudlet.services.dynamodbstreams.log import StreamLog
from cloudlet.services.dynamodbstreams.reader import (
    MAX_RECORDS,
    Position,
    StreamReader,
    shard_description,
    stream_not_found,
    validation,
)
from cloudlet.services.dynamodbstreams.settings import Settings

log = logging.getLogger("cloudlet.dynamodbstreams")
# The largest page of ListStreams and DescribeStream.
MAX_PAGE = 100


class DynamoDBStreams(Service):
    name = "dynamodbstreams"

    def __init__(self, platform) -> None:
        super().__init__(platform)
        self.store.migrate("dynamodbstreams", storage.MIGRATIONS)
        self.settings = Settings.from_extra(getattr(platform.config, "extra", None))
        self.log = StreamLog(self.store, self.settings)
        self.reader = StreamReader(self.store)
        self._sweeper: asyncio.Task | None = None

    def validate(self, op: OperationModel, params: dict) -> None:
        """The model's constraints with enums, and the page limits the model does not state."""
        problems: list = []
        try:
            validate_input(op, params, check_enums=True)
        except InputValidationError as err:
            problems = list(err.problems)
        limit = params.get("Limit")
        most = MAX_RECORDS if op.name == "GetRecords" else MAX_PAGE
        if isinstance(limit, int) and limit > most and not any(p[0] == "limit" for p in problems):
            problems.append(("limit", limit, f"Member must have value less than or equal to {most}"))
        if problems:
            raise InputValidationError(problems)

    # background sweep

    async def start(self) -> None:
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_loop())

    async def stop(self) -> None:
        if self._sweeper:
            self._sweeper.cancel()

    def configure(self, **durations: float) -> None:
        """Change retention, shard_roll, iterator_ttl or sweep_interval (seconds) of a running
        service; the sweeper restarts with the new interval. Thread-safe."""
        for name, value in durations.items():
            if not hasattr(self.settings, name):
                raise TypeError(f"unknown setting {name}")
            setattr(self.settings, name, float(value))
        self.replace_task_soon("_sweeper", self._sweep_loop)

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.sweep_interval)
            try:
                await self.platform.run_sync(self.log.sweep)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("stream sweep failed")

    # operations

    async def list_streams(self, ctx, params: dict) -> dict:
        # A TableName is checked against DynamoDB's tables: DynamoDB must be loaded (and migrated).
        await self.platform.service("dynamodb")
        return await self.platform.run_sync(self._list_streams, ctx, params)

    def _list_streams(self, ctx, params: dict) -> dict:
        limit = params.get("Limit") or MAX_PAGE
        table_name = params.get("TableName")
        with self.store.read() as conn:
            rows = storage.list_streams(conn, ctx.account_id, ctx.region, table_name,
                                        params.get("ExclusiveStartStreamArn"), limit + 1)
            if (table_name is not None and not rows and not params.get("ExclusiveStartStreamArn")
                    and load_table(conn, ctx.account_id, ctx.region, table_name) is None):
                raise AWSError("ResourceNotFoundException",
                               f"Requested resource not found: Table: {table_name} not found", 400)
        out: dict = {"Streams": [{"StreamArn": a, "TableName": t, "StreamLabel": label}
                                 for a, t, label in rows[:limit]]}
        if len(rows) > limit:
            out["LastEvaluatedStreamArn"] = rows[limit - 1][0]
        return out

    def describe_stream(self, ctx, params: dict) -> dict:
        limit = params.get("Limit") or MAX_PAGE
        shard_filter = params.get("ShardFilter")
        parent = None
        if shard_filter is not None:
            if shard_filter.get("Type") != "CHILD_SHARDS" or not shard_filter.get("ShardId"):
                raise validation("ShardFilter requires Type CHILD_SHARDS and a ShardId")
            parent = shard_filter["ShardId"]
        with self.store.read() as conn:
            stream = self._stream(conn, ctx, params["StreamArn"])
            shards = storage.shards(conn, stream.id, params.get("ExclusiveStartShardId"), parent, limit + 1)
        description: dict = {
            "StreamArn": stream.arn,
            "StreamLabel": stream.label,
            "StreamStatus": stream.status,
            "StreamViewType": stream.view_type,
            "CreationRequestDateTime": _timestamp(stream.created),
            "TableName": stream.table_name,
            "KeySchema": stream.key_schema,
            "Shards": [shard_description(s) for s in shards[:limit]],
        }
        if len(shards) > limit:
            description["LastEvaluatedShardId"] = shards[limit - 1].shard_id
        return {"StreamDescription": description}

    def get_shard_iterator(self, ctx, params: dict) -> dict:
        with self.store.read() as conn:
            stream = self._stream(conn, ctx, params["StreamArn"])
            position = self.reader.position(conn, stream, params["ShardId"], params["ShardIteratorType"],
                                            params.get("SequenceNumber"), params.get("Timestamp"))
        it = iterators.Iterator(stream.arn, stream.account, stream.id, position.shard_id, position.after,
                                position.horizon, int(time.time() * 1000))
        return {"ShardIterator": iterators.encode(it)}

    def get_records(self, ctx, params: dict) -> dict:
        it = iterators.decode(params["ShardIterator"])
        if it.account != ctx.account_id:
            raise iterators.invalid()
        age = time.time() - it.issued_ms / 1000
        if age > self.settings.iterator_ttl:
            raise AWSError(
                "ExpiredIteratorException",
                f"Iterator expired. The iterator was issued {int(age)} seconds ago; an iterator is valid for "
                f"{int(self.settings.iterator_ttl)} seconds.",
                400,
            )
        limit = params.get("Limit") or MAX_RECORDS
        with self.store.read() as conn:
            stream = storage.stream_by_id(conn, it.stream_id)
            if stream is None or stream.arn != it.stream_arn or stream.region != ctx.region:
                raise stream_not_found(it.stream_arn)
            position = Position(it.stream_id, it.shard_id, it.position, it.horizon)
            batch = self.reader.read_batch(conn, stream, position, limit)
        out: dict = {"Records": batch.records}
        if not batch.finished:
            nxt = iterators.Iterator(stream.arn, stream.account, stream.id, it.shard_id, batch.position.after,
                                     batch.position.horizon, int(time.time() * 1000))
            out["NextShardIterator"] = iterators.encode(nxt)
        return out

    # helpers

    def _stream(self, conn, ctx, arn: str) -> storage.StreamRow:
        if "/stream/" not in arn or not arn.startswith("arn:"):
            raise validation(f"Invalid StreamArn: {arn}")
        stream = storage.stream_by_arn(conn, arn)
        if stream is None or stream.account != ctx.account_id or stream.region != ctx.region:
            raise stream_not_found(arn)
        return stream


def _timestamp(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)
