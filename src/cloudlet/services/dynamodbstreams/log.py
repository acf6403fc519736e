"""The write side of DynamoDB Streams: records appended in the item write's own transaction, streams
that follow their table's StreamSpecification, shards that roll, and the retention sweep.

`StreamLog.record` is a change listener of the DynamoDB item writes (dynamodb/items.py): it runs
inside the write's store transaction, so a record commits or rolls back with its item.
"""

from __future__ import annotations

import logging
import time

import orjson

from cloudlet.aws import ids
from cloudlet.services.dynamodb.schema import TableDef
from cloudlet.services.dynamodbstreams import records as R
from cloudlet.services.dynamodbstreams import storage
from cloudlet.services.dynamodbstreams.settings import Settings
from cloudlet.store import Conn, Store

log = logging.getLogger("cloudlet.dynamodbstreams")


def stream_arn(table: TableDef, label: str) -> str:
    return f"{table.arn}/stream/{label}"


def new_shard_id(first_seq: int) -> str:
    # The leading number is the shard's first record number, so shard ids sort in creation order.
    return f"shardId-{first_seq:020d}-{ids.hex_id(4)}"


class StreamLog:
    """Appends stream records and keeps streams and shards in step with their tables."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    # the change listener

    def record(self, conn: Conn, table: TableDef, old: dict | None, new: dict | None,
               identity: dict | None = None) -> None:
        """Append the stream record of one item change (nothing when the table has no stream or the
        write changed nothing)."""
        if not table.stream or not table.stream_label or (old is None and new is None) or R.unchanged(old, new):
            return
        now = time.time()
        claimed = storage.claim_sequence(conn, table.id, table.stream_label)
        if claimed is None:
            self._create_stream(conn, table, now)
            claimed = storage.claim_sequence(conn, table.id, table.stream_label)
            if claimed is None:  # the stream of this label was disabled: the table says otherwise
                log.warning("no enabled stream %s for a change of table %s", table.stream_label, table.name)
                return
        stream_id, seq, shard_id, shard_first, opened = claimed
        if opened is not None and now - opened >= self.settings.shard_roll:
            # The open shard is due to roll: close it before this record, which opens its child.
            seq, shard_id = self._roll(conn, stream_id, shard_id, shard_first, seq, now)
            storage.set_open_shard(conn, stream_id, shard_id, seq, now, seq + 1)
        view_type = table.stream["StreamViewType"]
        keys = table.item_key(new if new is not None else old)
        new_image, old_image = R.images(view_type, old, new)
        storage.insert_record(
            conn, stream_id, seq, shard_id, now, ids.hex_id(16), R.event_name(old, new), view_type,
            orjson.dumps(identity).decode() if identity else None,
            R.encode(keys), R.encode(new_image), R.encode(old_image), R.size_bytes(keys, new_image, old_image),
        )

    def _roll(self, conn: Conn, stream_id: str, shard_id: str, shard_first: int, next_seq: int,
              now: float) -> tuple[int, str]:
        """Close a shard whose records end before `next_seq` and open its child: (the child's first
        number, its id). The caller records the child as the stream's open shard."""
        first = self._close(conn, stream_id, shard_id, shard_first, next_seq, now) + 1
        child = new_shard_id(first)
        storage.insert_shard(conn, stream_id, storage.ShardRow(child, shard_id, first, None, now, None, 0))
        return first, child

    @staticmethod
    def _close(conn: Conn, stream_id: str, shard_id: str, shard_first: int, next_seq: int, now: float) -> int:
        """Close a shard; its EndingSequenceNumber is its last record's (its first number when empty)."""
        last = max(next_seq - 1, shard_first)
        storage.close_shard(conn, stream_id, shard_id, last, now)
        return last

    # streams following their tables

    def _create_stream(self, conn: Conn, table: TableDef, now: float) -> None:
        label = table.stream_label
        stream_id = ids.new_uuid()
        first_shard = new_shard_id(1)
        row = storage.StreamRow(
            id=stream_id, arn=stream_arn(table, label), account=table.account, region=table.region,
            table_name=table.name, table_id=table.id, label=label, view_type=table.stream["StreamViewType"],
            key_schema=table.key.schema(), created=now, status="ENABLED", disabled=None, next_seq=1,
            open_shard=first_shard, shard_first=1, shard_opened=now,
        )
        if storage.insert_stream(conn, row):
            storage.insert_shard(conn, stream_id, storage.ShardRow(first_shard, None, 1, None, now, None, 0))

    def table_changed(self, conn: Conn, account: str, region: str, name: str, table: TableDef | None) -> None:
        """Bring a table's streams in step with its definition, inside the control-plane transaction:
        a stream that is no longer the table's current one is disabled (its shard closed), a newly
        enabled stream is created with its first shard."""
        now = time.time()
        for stream in storage.enabled_streams_of_table(conn, account, region, name):
            current = (table is not None and table.id == stream.table_id and table.stream is not None
                       and table.stream_label == stream.label)
            if not current:
                self.disable(conn, stream.id, now)
        if (table is not None and table.stream and table.stream_label
                and storage.stream_by_arn(conn, stream_arn(table, table.stream_label)) is None):
            self._create_stream(conn, table, now)

    def disable(self, conn: Conn, stream_id: str, now: float) -> None:
        stream = storage.lock_stream(conn, stream_id)
        if stream is None or stream.status != "ENABLED":
            return
        if stream.open_shard:
            self._close(conn, stream_id, stream.open_shard, stream.shard_first, stream.next_seq, now)
        storage.set_open_shard(conn, stream_id, None, None, None, stream.next_seq)
        storage.disable_stream(conn, stream_id, now)

    # background duties

    def sweep(self, now: float | None = None) -> int:
        """Roll shards open longer than the roll interval, trim records past retention, forget empty
        closed shards and disabled streams past retention. Returns how many records were trimmed."""
        now = time.time() if now is None else now
        with self.store.read() as conn:
            due = storage.streams_due_to_roll(conn, now - self.settings.shard_roll)
        for stream_id in due:  # one short transaction per stream: writers wait on its row meanwhile
            with self.store.tx() as conn:
                stream = storage.lock_stream(conn, stream_id)
                if stream is None or stream.status != "ENABLED" or stream.open_shard is None:
                    continue
                if stream.shard_opened is not None and now - stream.shard_opened < self.settings.shard_roll:
                    continue  # rolled meanwhile by a write
                first, child = self._roll(conn, stream_id, stream.open_shard, stream.shard_first, stream.next_seq, now)
                storage.set_open_shard(conn, stream_id, child, first, now, first)
        cutoff = now - self.settings.retention
        with self.store.tx() as conn:
            removed = storage.trim(conn, cutoff)
            storage.drop_dead_shards(conn, cutoff)
            storage.drop_expired_streams(conn, cutoff)
        return removed
