"""The read side of DynamoDB Streams: shard positions and record reads.

Besides serving the API, `StreamReader` is the plain Python interface for in-process consumers
(event source mappings). Its methods block on the store; from the event loop call them through
`platform.run_sync`:

    shards = await platform.run_sync(reader.shards, stream_arn)
    records, position = await platform.run_sync(reader.read, stream_arn, shard_id, position, 100)

`position` is the sequence number after which to continue (None: from the trim horizon); the next
position comes back with the records, None once a closed shard has been read to its end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodbstreams import records as R
from cloudlet.services.dynamodbstreams import storage
from cloudlet.store import Conn, Store

MAX_RECORDS = 1000
MAX_BYTES = 1024 * 1024


def stream_not_found(arn: str) -> AWSError:
    return AWSError("ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found", 400)


def shard_not_found() -> AWSError:
    return AWSError("ResourceNotFoundException", "Requested resource not found: Shard does not exist", 400)


def trimmed() -> AWSError:
    return AWSError("TrimmedDataAccessException", "The data you are trying to access has been trimmed", 400)


def validation(message: str) -> AWSError:
    return AWSError("ValidationException", message, 400)


@dataclass
class Position:
    """Where reading a shard resumes: after record number `after`; `horizon`: at the trim horizon."""

    stream_id: str
    shard_id: str
    after: int
    horizon: bool = False


@dataclass
class Batch:
    records: list[dict]
    position: Position
    finished: bool  # the shard is closed and every record of it has been read


def shard_description(shard: storage.ShardRow) -> dict:
    """A shard in the API's Shard shape."""
    numbers = {"StartingSequenceNumber": R.seq_text(shard.first_seq)}
    if shard.last_seq is not None:
        numbers["EndingSequenceNumber"] = R.seq_text(shard.last_seq)
    out: dict = {"ShardId": shard.shard_id, "SequenceNumberRange": numbers}
    if shard.parent_id:
        out["ParentShardId"] = shard.parent_id
    return out


class StreamReader:
    """Reads the streams of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # plain interface for in-process consumers

    def shards(self, stream_arn: str) -> list[dict]:
        """Every shard of a stream (API Shard shape), oldest first."""
        with self.store.read() as conn:
            stream = self.stream(conn, stream_arn)
            return [shard_description(s) for s in storage.shards(conn, stream.id)]

    def read(self, stream_arn: str, shard_id: str, after_sequence: str | None,
             limit: int = 100) -> tuple[list[dict], str | None]:
        """Up to `limit` records after a sequence number (None: from the trim horizon) and the
        position to continue from (None once a closed shard is read to its end). Raises
        TrimmedDataAccessException when records after `after_sequence` were trimmed."""
        with self.store.read() as conn:
            stream = self.stream(conn, stream_arn)
            shard = self.shard(conn, stream.id, shard_id)
            if after_sequence is None:
                position = Position(stream.id, shard_id, max(shard.trimmed, shard.first_seq - 1), horizon=True)
            else:
                after = R.parse_seq(after_sequence)
                if after is None:
                    raise validation(f"Invalid SequenceNumber: {after_sequence}")
                position = Position(stream.id, shard_id, after)
            batch = self.read_batch(conn, stream, position, min(limit, MAX_RECORDS))
        return batch.records, None if batch.finished else R.seq_text(batch.position.after)

    # building blocks of the API

    def stream(self, conn: Conn, arn: str) -> storage.StreamRow:
        stream = storage.stream_by_arn(conn, arn)
        if stream is None:
            raise stream_not_found(arn)
        return stream

    @staticmethod
    def shard(conn: Conn, stream_id: str, shard_id: str) -> storage.ShardRow:
        shard = storage.shard(conn, stream_id, shard_id)
        if shard is None:
            raise shard_not_found()
        return shard

    def position(self, conn: Conn, stream: storage.StreamRow, shard_id: str, kind: str,
                 sequence: str | None = None, timestamp: dt.datetime | None = None) -> Position:
        """The position a GetShardIterator of this type names."""
        shard = self.shard(conn, stream.id, shard_id)
        end = shard.last_seq if shard.last_seq is not None else stream.next_seq - 1
        horizon = max(shard.trimmed, shard.first_seq - 1)
        if kind == "TRIM_HORIZON":
            return Position(stream.id, shard_id, horizon, horizon=True)
        if kind == "LATEST":
            return Position(stream.id, shard_id, max(end, shard.first_seq - 1))
        if kind == "AT_TIMESTAMP":
            if timestamp is None:
                raise validation("Timestamp is required for ShardIteratorType AT_TIMESTAMP")
            last = storage.last_record_before(conn, stream.id, shard_id, timestamp.timestamp())
            if last is None:
                return Position(stream.id, shard_id, horizon, horizon=True)
            return Position(stream.id, shard_id, max(last, horizon))
        if kind not in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            raise validation(f"Invalid ShardIteratorType: {kind}")
        if sequence is None:
            raise validation(f"SequenceNumber is required for ShardIteratorType {kind}")
        number = R.parse_seq(sequence)
        if number is None or number < shard.first_seq or number > max(end, shard.first_seq):
            raise validation(f"Invalid SequenceNumber {sequence} for shard {shard_id}")
        after = number - 1 if kind == "AT_SEQUENCE_NUMBER" else number
        if after < shard.trimmed:
            raise trimmed()
        return Position(stream.id, shard_id, after)

    def read_batch(self, conn: Conn, stream: storage.StreamRow, position: Position, limit: int,
                   max_bytes: int = MAX_BYTES) -> Batch:
        """Records after a position, at most `limit` of them and about `max_bytes` (at least one)."""
        shard = self.shard(conn, stream.id, position.shard_id)
        after = position.after
        if position.horizon:
            after = max(after, shard.trimmed)
        elif after < shard.trimmed:
            raise trimmed()
        sizes = storage.record_sizes_after(conn, stream.id, shard.shard_id, after, limit)
        taken, total = 0, 0
        for _, size in sizes:
            if taken and total + size > max_bytes:
                break
            total += size
            taken += 1
        out: list[dict] = []
        if taken:
            rows = storage.records_between(conn, stream.id, shard.shard_id, after, sizes[taken - 1][0])
            out = [R.from_row(row, stream.region) for row in rows]
            after = sizes[taken - 1][0]
        next_position = Position(stream.id, shard.shard_id, after, horizon=position.horizon and not out)
        exhausted = taken == len(sizes) < limit
        finished = shard.last_seq is not None and (after >= shard.last_seq or exhausted)
        return Batch(out, next_position, finished)
