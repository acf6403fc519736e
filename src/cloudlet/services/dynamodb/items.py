"""The item operations: PutItem, GetItem, UpdateItem, DeleteItem, the batch operations and transactions.

Every write reads the current item, checks the condition, writes the item and its index entries and
hands (old, new) to the change listeners, all in one store transaction: a stream record appended by
a listener commits or rolls back with the item. Writes of several items hand their changes over
once every item is written, in table order: a listener that locks per table (the stream writer)
then always locks after the item locks and in one order, so concurrent writers cannot deadlock.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import capacity, codec, requests, storage, vector_items
from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb.errors import condition_failed, too_many, validation
from cloudlet.services.dynamodb.expressions import ast as A
from cloudlet.services.dynamodb.expressions.evaluate import matches
from cloudlet.services.dynamodb.expressions.projection import project
from cloudlet.services.dynamodb.expressions.update import apply as apply_update
from cloudlet.services.dynamodb.expressions.update import check_index_keys, check_keys_untouched
from cloudlet.services.dynamodb.schema import TableDef, check_key_sizes
from cloudlet.services.dynamodb.size import MAX_ITEM_BYTES, item_size
from cloudlet.services.dynamodb.tables import get_table
from cloudlet.store import Conn, Store

ChangeListener = Callable[[Conn, TableDef, "dict | None", "dict | None", "dict | None"], None]
TOKEN_TTL = 600.0
MAX_TRANSACT_ITEMS = 100
MAX_TRANSACT_BYTES = 4 * 1024 * 1024
MAX_BATCH_GET_BYTES = 16 * 1024 * 1024
ENVELOPE = "1 validation error detected: "
_ITEM_KEY_FAULTS = ("One or more parameter values were invalid: Type mismatch for key ",
                    "One or more parameter values were invalid: Missing the key ")


@dataclass
class Write:
    """One planned write: the item key, the condition and what to do to the item."""

    table: TableDef
    pk: bytes
    sk: bytes
    key: dict
    kind: str  # Put | Update | Delete | ConditionCheck
    exprs: requests.Expressions
    item: dict | None = None  # for Put
    return_on_failure: str | None = None
    size: int | None = None  # of the item to put, once known
    invalid: str | None = None  # a transaction's action that cancels it with this ValidationError reason


class Items:
    """Item reads and writes of every table on one store, and the change listeners of writes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.listeners: list[ChangeListener] = []
        self._held = threading.local()

    # helpers

    def _emit(self, conn: Conn, table: TableDef, old: dict | None, new: dict | None, identity: dict | None = None) -> None:
        held = getattr(self._held, "changes", None)
        if held is not None:
            held.append((table, old, new, identity))
            return
        for listener in self.listeners:
            listener(conn, table, old, new, identity)

    @contextmanager
    def _changes_at_end(self, conn: Conn) -> Iterator[None]:
        """Hold changes back from the listeners until the block has written every item, then hand
        them over ordered by table (in write order within a table)."""
        self._held.changes = held = []
        try:
            yield
        finally:
            self._held.changes = None
        for table, old, new, identity in sorted(held, key=lambda change: change[0].id):
            for listener in self.listeners:
                listener(conn, table, old, new, identity)

    def _plan(self, conn: Conn, ctx, kind: str, params: dict, single: bool = False) -> Write:
        exprs, value, size = _read_action(kind, params, single)
        table = get_table(conn, ctx, params["TableName"])
        return plan(table, kind, value, exprs, params.get("ReturnValuesOnConditionCheckFailure"), checked=size)

    def _new_item(self, write: Write, old: dict | None) -> dict | None:
        """The item after the write (None: deleted or unchanged for a ConditionCheck)."""
        if write.kind == "Put":
            return write.item
        if write.kind == "Delete":
            return None
        if write.kind == "ConditionCheck":
            return old
        base = old if old is not None else dict(write.key)
        new = apply_update(base, write.exprs.update, write.table.key.names) if write.exprs.update else dict(base)
        try:
            write.table.check_item_keys(new, updating=True)
        except AWSError as err:
            if old is None or "Type mismatch for Index Key" not in err.message:
                raise
            # A stored item that an update turns into a wrong index key type gets AWS's own wording.
            raise validation(
                "The update expression attempted to update the secondary index key to unsupported type"
            ) from None
        if write.table.vector_indexes:
            vector_items.check_item(write.table, new)
        write.size = item_size(new)
        if write.size > MAX_ITEM_BYTES:
            raise validation("Item size to update has exceeded the maximum allowed size")
        return new

    def _store(self, conn: Conn, write: Write, old: dict | None, new: dict | None) -> None:
        if write.kind == "ConditionCheck":
            return
        if new is None:
            if old is not None:
                storage.delete_item(conn, write.table, write.pk, write.sk, old)
                self._emit(conn, write.table, old, None)
            return
        storage.put_item(conn, write.table, write.pk, write.sk, new, old, write.size)
        self._emit(conn, write.table, old, new)

    # single-item operations

    def apply_one(self, conn: Conn, write: Write, need_old: bool = True) -> tuple[dict | None, int, dict | None]:
        """Run one planned write inside a transaction: (old item, its size, new item).

        A Put that nothing asks the old item of (`need_old` false) overwrites it unread."""
        storage.lock_item(conn, write.table, write.pk, write.sk)
        table = write.table
        if (need_old or write.kind != "Put" or write.exprs.condition is not None or table.indexes or table.stream
                or table.pitr_since or table.vector_indexes):
            old, old_size = storage.get_item_sized(conn, table, write.pk, write.sk)
        else:
            old, old_size = None, 0
        if not matches(old, write.exprs.condition):
            item = old if write.return_on_failure == "ALL_OLD" and old is not None else None
            raise condition_failed(item)
        new = self._new_item(write, old)
        self._store(conn, write, old, new)
        return old, old_size, new

    def write_one(self, ctx, kind: str, params: dict) -> dict:
        allowed = {"Put": ("NONE", "ALL_OLD"), "Delete": ("NONE", "ALL_OLD"),
                   "Update": ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")}[kind]
        returns = params.get("ReturnValues") or "NONE"
        if returns not in allowed:
            if kind == "Update":
                raise validation("Return values set to invalid value")
            raise validation(ENVELOPE + "ReturnValues can only be ALL_OLD or NONE")
        mode = params.get("ReturnConsumedCapacity")
        need_old = returns != "NONE" or mode in ("TOTAL", "INDEXES")
        if kind == "Put" and not need_old and not self.store.blocking:
            # one process owns SQLite: the table cannot change between this plan and the write
            with self.store.read() as conn:
                write = self._plan(conn, ctx, kind, params, single=True)
            table = write.table
            if (write.exprs.condition is None and not table.indexes and not table.stream and not table.pitr_since
                    and not table.vector_indexes):
                # the item alone changes (the listeners ignore a table without a stream, recovery or vectors):
                # one statement, a transaction of its own
                row = storage.item_row(table, write.pk, write.sk, write.item, write.size)
                self.store.write_one(storage.PUT_ITEM, row)
                old, old_size, new = None, 0, write.item
            else:
                with self.store.tx() as conn:
                    old, old_size, new = self.apply_one(conn, write, need_old)
        else:
            with self.store.tx() as conn:
                write = self._plan(conn, ctx, kind, params, single=True)
                old, old_size, new = self.apply_one(conn, write, need_old)
        out: dict = {}
        attributes = return_values(returns, old, new, write.exprs.update)
        if attributes:
            out["Attributes"] = attributes
        if params.get("ReturnItemCollectionMetrics") == "SIZE" and any(i.kind == "LSI" for i in write.table.indexes):
            # An item collection (one partition key of a table with LSIs) is capped at 10 GB.
            out["ItemCollectionMetrics"] = {
                "ItemCollectionKey": {write.table.key.pk: write.key[write.table.key.pk]},
                "SizeEstimateRangeGB": [0.0, 1.0],
            }
        if mode in ("TOTAL", "INDEXES"):
            size = max(old_size, (write.size or 0) if new is not None else 0)
            out["ConsumedCapacity"] = capacity.write_report(mode, write.table, old, new, size)
        return out

    def get_item(self, ctx, params: dict) -> dict:
        exprs = requests.parse(params)
        key = V.normalize_item(params["Key"], "key")  # checked before the table is looked up, as in AWS
        with self.store.read() as conn:
            table = get_table(conn, ctx, params["TableName"])
            pk, sk = table.check_key(key)
            check_key_sizes(table, key)  # a key too long to store is refused on reads too
            item = storage.get_item(conn, table, pk, sk)
        out: dict = {}
        if item is not None:
            out["Item"] = project(item, exprs.projection) if exprs.projection else item
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            units = capacity.read_units(item_size(item) if item else 0, bool(params.get("ConsistentRead")))
            out["ConsumedCapacity"] = capacity.report(mode, table.name, units)
        return out

    # batches

    def batch_get_item(self, ctx, params: dict) -> dict:
        request = params["RequestItems"]
        total = sum(len(spec.get("Keys") or []) for spec in request.values())
        if total > 100:
            raise validation("Too many items requested for the BatchGetItem call")
        responses: dict = {}
        consumed: dict = {}
        unprocessed: dict = {}
        returned = 0
        # Expressions and key values are checked before any table is looked up, as in AWS.
        checked = {name: (requests.parse(spec), [V.normalize_item(raw, "key") for raw in spec["Keys"]])
                   for name, spec in request.items()}
        projections = [p for p in ("AttributesToGet", "ProjectionExpression")
                       if any(spec.get(p) is not None for spec in request.values())]
        if len(projections) == 2:
            raise validation(
                "Can not use both expression and non-expression parameters in the same request: "
                "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"
            )
        with self.store.read() as conn:
            for name, spec in request.items():
                exprs, keys = checked[name]
                table = get_table(conn, ctx, name)
                seen = set()
                found = responses.setdefault(name, [])
                units = 0.0
                for raw, key in zip(spec["Keys"], keys, strict=True):
                    pk, sk = table.check_key(key)
                    check_key_sizes(table, key)
                    if (pk, sk) in seen:
                        raise validation("Provided list of item keys contains duplicates")
                    seen.add((pk, sk))
                    if returned >= MAX_BATCH_GET_BYTES:
                        # Past 16 MB of items the rest is handed back for the caller to retry.
                        unprocessed.setdefault(name, {**{k: v for k, v in spec.items() if k != "Keys"}, "Keys": []})
                        unprocessed[name]["Keys"].append(raw)
                        continue
                    item, size = storage.get_item_sized(conn, table, pk, sk)
                    units += capacity.read_units(size, bool(spec.get("ConsistentRead")))
                    if item is not None:
                        returned += size
                        found.append(project(item, exprs.projection) if exprs.projection else item)
                consumed[name] = units
        out: dict = {"Responses": responses, "UnprocessedKeys": unprocessed}
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            out["ConsumedCapacity"] = [capacity.report(mode, n, u) for n, u in consumed.items()]
        return out

    def batch_write_item(self, ctx, params: dict) -> dict:
        request = params["RequestItems"]
        total = sum(len(v) for v in request.values())
        if total > 25:
            raise validation(
                "Too many items requested for the BatchWriteItem call"
            )
        mode = params.get("ReturnConsumedCapacity")
        consumed: dict = {}
        with self.store.tx() as conn:
            writes: list[Write] = []
            seen: set = set()
            for name, entries in request.items():
                for entry in entries:
                    if ("PutRequest" in entry) == ("DeleteRequest" in entry):
                        raise validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
                    if "PutRequest" in entry:
                        try:
                            write = self._plan(conn, ctx, "Put", {"TableName": name, **entry["PutRequest"]})
                        except AWSError as err:
                            # a batch words a missing or mistyped table key as a key lookup does
                            if not err.message.startswith(_ITEM_KEY_FAULTS):
                                raise
                            raise validation("The provided key element does not match the schema") from None
                    else:
                        write = self._plan(conn, ctx, "Delete", {"TableName": name, **entry["DeleteRequest"]})
                    if (write.table.id, write.pk, write.sk) in seen:
                        raise validation("Provided list of item keys contains duplicates")
                    seen.add((write.table.id, write.pk, write.sk))
                    writes.append(write)
            # Locks are taken in key order so that concurrent batches cannot deadlock.
            for write in sorted(writes, key=lambda w: (w.table.id, w.pk, w.sk)):
                storage.lock_item(conn, write.table, write.pk, write.sk)
            with self._changes_at_end(conn):
                for write in writes:
                    old = storage.get_item(conn, write.table, write.pk, write.sk)
                    new = self._new_item(write, old)
                    self._store(conn, write, old, new)
                    size = max(item_size(old) if old else 0, item_size(new) if new else 0)
                    report = capacity.write_report(mode, write.table, old, new, size)
                    if report is not None:
                        consumed[write.table.name] = capacity.combine(consumed.get(write.table.name), report)
        out: dict = {"UnprocessedItems": {}}
        if mode in ("TOTAL", "INDEXES"):
            out["ConsumedCapacity"] = list(consumed.values())
        return out

    # transactions

    def transact_write_items(self, ctx, params: dict) -> dict:
        entries = params["TransactItems"]
        if len(entries) > MAX_TRANSACT_ITEMS:
            raise too_many("transactItems", MAX_TRANSACT_ITEMS)
        token = params.get("ClientRequestToken")
        fingerprint = request_fingerprint(entries)
        if len(orjson.dumps(entries, default=codec.encode_bytes)) > MAX_TRANSACT_BYTES:
            raise validation("Transaction request cannot be larger than 4 MB")
        # Every action's expressions and values are read before any table is looked up.
        actions = []
        for entry in entries:
            kinds = [k for k in ("ConditionCheck", "Put", "Delete", "Update") if entry.get(k) is not None]
            if not kinds:
                raise validation("Invalid Request: TransactWriteRequest should contain Delete or Put or Update request")
            if len(kinds) != 1:
                raise validation("TransactItems can only contain one of Check, Put, Update or Delete")
            actions.append((kinds[0], entry[kinds[0]], *_read_action(kinds[0], entry[kinds[0]])))
        with self.store.tx() as conn:
            if token and self.replayed(conn, ctx, token, fingerprint):
                return {}
            writes: list[Write] = []
            for kind, spec, exprs, value, size in actions:
                table = get_table(conn, ctx, spec["TableName"])
                on_failure = spec.get("ReturnValuesOnConditionCheckFailure")
                try:
                    writes.append(plan(table, kind, value, exprs, on_failure, checked=size))
                except AWSError as err:
                    if not _cancels(err):
                        raise
                    writes.append(Write(table, b"", b"", {}, kind, exprs, invalid=err.message))
            olds, news = self.transact(conn, writes)
            if token:
                self.remember(conn, ctx, token, fingerprint)
        out: dict = {}
        consumed = capacity.transaction_report(params.get("ReturnConsumedCapacity"), writes, olds, news)
        if consumed:
            out["ConsumedCapacity"] = [_transactional(r, "WriteCapacityUnits") for r in consumed]
        return out

    def transact(self, conn: Conn, writes: list[Write]) -> tuple[list, list]:
        """Check every condition, then apply every write, all or nothing (inside `conn`'s transaction)."""
        seen: set = set()
        valid = [w for w in writes if w.invalid is None]
        for write in valid:
            ident = (write.table.id, write.pk, write.sk)
            if ident in seen:
                raise validation("Transaction request cannot include multiple operations on one item")
            seen.add(ident)
            if write.exprs.update is not None:
                check_keys_untouched(write.exprs.update, write.table.key.names)
        for write in sorted(valid, key=lambda w: (w.table.id, w.pk, w.sk)):
            storage.lock_item(conn, write.table, write.pk, write.sk)
        olds = [None if w.invalid else storage.get_item(conn, w.table, w.pk, w.sk) for w in writes]
        reasons, news, failed = [], [], False
        for write, old in zip(writes, olds, strict=True):
            if write.invalid is not None:
                failed = True
                reasons.append({"Code": "ValidationError", "Message": write.invalid})
                news.append(None)
                continue
            if not matches(old, write.exprs.condition):
                failed = True
                reason = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
                if write.return_on_failure == "ALL_OLD" and old is not None:
                    reason["Item"] = old
                reasons.append(reason)
                news.append(None)
                continue
            try:
                news.append(self._new_item(write, old))
            except AWSError as err:
                # What the write would make of the stored item is invalid: AWS cancels the transaction.
                if err.code != "ValidationException":
                    raise
                failed = True
                reasons.append({"Code": "ValidationError", "Message": err.message})
                news.append(None)
                continue
            reasons.append({"Code": "None"})
        if failed:
            raise cancelled(reasons)
        with self._changes_at_end(conn):
            for write, old, new in zip(writes, olds, news, strict=True):
                self._store(conn, write, old, new)
        return olds, news

    def remember(self, conn: Conn, ctx, token: str, fingerprint: str) -> None:
        """Record a committed transaction's ClientRequestToken (in its transaction)."""
        conn.execute(
            "INSERT INTO ddb_tx_tokens (account, region, token, fingerprint, created) VALUES (?, ?, ?, ?, ?)",
            (ctx.account_id, ctx.region, token, fingerprint, time.time()),
        )

    def replayed(self, conn: Conn, ctx, token: str, fingerprint: str) -> bool:
        conn.execute("DELETE FROM ddb_tx_tokens WHERE created < ?", (time.time() - TOKEN_TTL,))
        row = conn.one(
            "SELECT fingerprint FROM ddb_tx_tokens WHERE account = ? AND region = ? AND token = ?",
            (ctx.account_id, ctx.region, token),
        )
        if row is None:
            return False
        if row[0] != fingerprint:
            raise AWSError(
                "IdempotentParameterMismatchException",
                "The request uses the same client token as a previous, but non-identical request.",
                400,
            )
        return True

    def transact_get_items(self, ctx, params: dict) -> dict:
        entries = params["TransactItems"]
        if len(entries) > MAX_TRANSACT_ITEMS:
            raise too_many("transactItems", MAX_TRANSACT_ITEMS)
        responses = []
        totals: dict = {}
        # Every Get's expressions and key are read before any table is looked up.
        gets = [(entry["Get"], requests.parse(entry["Get"]), V.normalize_item(entry["Get"]["Key"], "key"))
                for entry in entries]
        with self.store.tx() as conn:
            seen = set()
            planned, reasons = [], []
            for spec, exprs, key in gets:
                table = get_table(conn, ctx, spec["TableName"])
                try:
                    pk, sk = table.check_key(key)
                except AWSError as err:
                    if not _cancels(err):
                        raise
                    reasons.append({"Code": "ValidationError", "Message": err.message})
                    continue
                reasons.append({"Code": "None"})
                if (table.id, pk, sk) in seen:
                    raise validation("Transaction request cannot include multiple operations on one item")
                seen.add((table.id, pk, sk))
                planned.append((table, exprs, pk, sk))
            if len(planned) < len(gets):
                raise cancelled(reasons)
            for table, exprs, pk, sk in planned:
                item = storage.get_item(conn, table, pk, sk)
                totals[table.name] = totals.get(table.name, 0.0) + 2 * capacity.read_units(
                    item_size(item) if item else 0, True
                )
                found = project(item, exprs.projection) if item is not None and exprs.projection else item
                # an item the projection leaves nothing of is answered like a missing one
                responses.append({"Item": found} if found else {})
        out: dict = {"Responses": responses}
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            out["ConsumedCapacity"] = [_transactional(capacity.report(mode, n, u), "ReadCapacityUnits")
                                       for n, u in totals.items()]
        return out

    # TTL

    def sweep_expired(self, now: float | None = None, limit: int = 500) -> int:
        """Delete items whose TTL attribute lies in the past; returns how many were deleted."""
        now = time.time() if now is None else now
        deleted = 0
        with self.store.tx() as conn, self._changes_at_end(conn):
            tables: dict[str, TableDef | None] = {}
            # Sorted like every multi-item lock, so the sweep cannot deadlock with a transaction.
            for table_id, pk, sk in sorted(storage.expired(conn, now, limit)):
                if table_id not in tables:
                    tables[table_id] = storage.table_by_id(conn, table_id)
                table = tables[table_id]
                if table is None:
                    continue
                storage.lock_item(conn, table, pk, sk)
                old = storage.get_item(conn, table, pk, sk)
                expiry = storage.ttl_value(table, old) if old else None
                if old is None or expiry is None or expiry >= now:
                    continue
                storage.delete_item(conn, table, pk, sk, old)
                self._emit(conn, table, old, None, {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"})
                deleted += 1
        return deleted


def request_fingerprint(entries: list) -> str:
    """A digest of a transaction's items, to tell a retry from a different request with the same token."""
    return hashlib.sha256(orjson.dumps(entries, default=codec.encode_bytes, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _transactional(report: dict, kind: str) -> dict:
    """A transaction's ConsumedCapacity for one table: its INDEXES breakdown also names the units
    read or written (`kind`), as DynamoDB's does for transactions."""
    if "Table" in report:
        report["Table"][kind] = report["Table"]["CapacityUnits"]
    return report


def cancelled(reasons: list[dict]) -> AWSError:
    """The TransactionCanceledException for a transaction's per-action reasons."""
    codes = ", ".join(r["Code"] for r in reasons)
    return AWSError(
        "TransactionCanceledException",
        f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        400,
        fields={"CancellationReasons": reasons},
    )


def _read_action(kind: str, params: dict, single: bool = False) -> tuple[requests.Expressions, dict, int]:
    """A write's expressions and its item (Put) or key with its size: what is checked before the
    table is looked up, as DynamoDB does. PutItem, UpdateItem and DeleteItem (`single`) report a
    problem of their expression parameters or values in the validation envelope."""
    try:
        exprs = requests.parse(params)
        if kind == "ConditionCheck" and exprs.condition is None:
            raise validation("The ConditionExpression parameter is required for a ConditionCheck")
        value, size = check_value(kind, params["Item"] if kind == "Put" else params["Key"])
    except AWSError as err:
        if not single or err.code != "ValidationException" or err.message.startswith(ENVELOPE) or (
            err.message == "Item size has exceeded the maximum allowed size"
        ):
            raise
        raise validation(ENVELOPE + err.message) from None
    return exprs, value, size


def _cancels(err: AWSError) -> bool:
    """Whether a transaction action's error cancels the transaction (a ValidationError reason)
    rather than refusing the request: a key or index key of the wrong type or shape does; an empty
    key value or a malformed expression is refused up front."""
    return err.code == "ValidationException" and (
        err.message.startswith("One or more parameter values were invalid:")
        or err.message == "The provided key element does not match the schema"
    )


def check_value(kind: str, value: dict) -> tuple[dict, int]:
    """A write's item (Put) or key, normalized, with its size; the checks that need no table."""
    if kind != "Put":
        return V.normalize_item(value, "key"), 0
    item = V.normalize_item(value)
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise validation("Item size has exceeded the maximum allowed size")
    return item, size


def plan(table: TableDef, kind: str, value: dict, exprs: requests.Expressions,
         return_on_failure: str | None = None, checked: int | None = None) -> Write:
    """Check the item (Put) or key (other kinds) of a write against the table and plan it
    (`checked`: the value already passed check_value, which found this size)."""
    if checked is None:
        value, checked = check_value(kind, value)
    if kind == "Put":
        item = value
        table.check_item_keys(item)
        if table.vector_indexes:
            vector_items.check_item(table, item)
        check_key_sizes(table, item)
        pk, sk = table.encode_key(item)
        return Write(table, pk, sk, table.item_key(item), kind, exprs, item, return_on_failure, checked)
    key = value
    pk, sk = table.check_key(key)
    if kind == "Update" and exprs.update is not None:
        check_index_keys(exprs.update, table.index_keys())
    check_key_sizes(table, key)
    return Write(table, pk, sk, key, kind, exprs, None, return_on_failure)


def return_values(mode: str, old: dict | None, new: dict | None, update: A.Update | None) -> dict | None:
    if mode == "ALL_OLD":
        return old
    if mode == "ALL_NEW":
        return new
    if mode in ("UPDATED_OLD", "UPDATED_NEW"):
        source = old if mode == "UPDATED_OLD" else new
        if not source or update is None:
            return None
        paths = [a.path for a in update.actions]
        return project(source, paths) or None
    return None

