"""DynamoDB operations (json 1.0, X-Amz-Target DynamoDB_20120810.*): thin wrappers over the
control plane (tables.py), item operations (items.py) and reads (reads.py)."""

from __future__ import annotations

import asyncio
import logging
import os

from botocore.model import OperationModel

from cloudlet.aws.errors import AWSError
from cloudlet.aws.validate import InputValidationError, validate_input
from cloudlet.services.base import Service
from cloudlet.services.dynamodb import backups, constraints, reads, storage, tables, tags, wording
from cloudlet.services.dynamodb.items import Items
from cloudlet.services.dynamodb.statements import Statements

log = logging.getLogger("cloudlet.dynamodb")
_ATTRIBUTE_MAPS = frozenset(("Item", "Key", "ExpressionAttributeValues", "ExclusiveStartKey"))


class DynamoDB(Service):
    name = "dynamodb"

    def __init__(self, platform) -> None:
        super().__init__(platform)
        self.store.migrate("dynamodb", storage.MIGRATIONS)
        self.items = Items(self.store)
        self.statements = Statements(self.items)
        extra = getattr(platform.config, "extra", {}) or {}
        self.ttl_interval = float(extra.get("dynamodb_ttl_interval") or os.environ.get("CLOUDLET_DYNAMODB_TTL_INTERVAL") or 5)
        self._sweeper: asyncio.Task | None = None
        self.stream_log = None  # DynamoDB Streams' writer, attached in start()

    def validate(self, op: OperationModel, params: dict) -> None:
        """The model's constraints (with enums, as DynamoDB checks them), plus table-name rules."""
        if op.name == "CreateTable" and params.get("TableName") is None:
            raise AWSError("ValidationException",
                           "The parameter 'TableName' is required but was not present in the request", 400)
        if op.name == "Query" and params.get("ConditionalOperator") not in (None, "AND", "OR"):
            # DynamoDB's own answer, alone and with this enum listing
            raise AWSError("ValidationException",
                           "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]", 400)
        if op.name == "UpdateTimeToLive":
            spec = params.get("TimeToLiveSpecification")
            if isinstance(spec, dict) and spec.get("AttributeName") == "":
                raise AWSError("ValidationException", "TimeToLiveSpecification.AttributeName must be non empty", 400)
        if params.get("TableClass") not in (None, "STANDARD", "STANDARD_INFREQUENT_ACCESS"):
            raise AWSError("ValidationException", "Invalid table-class parameter provided. Please try again with a "
                           "valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS].", 400)
        problems = []
        try:
            # Attribute values are checked (with DynamoDB's own messages) when they are read.
            shallow = {k: ({} if k in _ATTRIBUTE_MAPS and isinstance(v, dict) else v) for k, v in params.items()}
            validate_input(op, shallow, check_enums=True)
        except InputValidationError as err:
            problems = list(err.problems)
        problems.extend(constraints.problems(params, problems))
        problems = constraints.in_dynamodb_order(op.name, constraints.with_table_names(params, problems))
        if op.name in ("BatchGetItem", "BatchWriteItem"):
            self._check_request_items(op.name, params, problems)
        if problems:
            raise constraints.refusal(constraints.details(op.name, problems))

    @staticmethod
    def _check_request_items(operation: str, params: dict, problems: list) -> None:
        """A batch's RequestItems problem: reported ahead of the other members' problems by
        BatchGetItem, and only when there are none by BatchWriteItem."""
        requested = params.get("RequestItems")
        detail = constraints.request_items_problem(operation, requested)
        if detail is None:
            if operation == "BatchGetItem" and isinstance(requested, dict) and sum(
                len(spec.get("Keys") or []) for spec in requested.values() if isinstance(spec, dict)
            ) > 100:
                raise AWSError("ValidationException", "Too many items requested for the BatchGetItem call", 400)
            return
        others = [p for p in problems if not p[0].startswith("requestItems")]
        if others and operation == "BatchWriteItem":
            raise constraints.refusal(constraints.details(operation, others))
        raise constraints.refusal([detail, *constraints.details(operation, others)])

    async def start(self) -> None:
        # Stream records are written by DynamoDB Streams in each item write's transaction.
        streams = await self.platform.service("dynamodbstreams")
        self.stream_log = streams.log
        self.items.listeners.append(streams.log.record)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_loop())

    def _table_changed(self, conn, ctx, name: str) -> None:
        """Let DynamoDB Streams follow a table's stream settings (in the control-plane transaction)."""
        if self.stream_log is not None:
            table = storage.load_table(conn, ctx.account_id, ctx.region, name)
            self.stream_log.table_changed(conn, ctx.account_id, ctx.region, name, table)

    def set_ttl_interval(self, seconds: float) -> None:
        """Change how often expired items are swept (thread-safe; restarts the sweeper)."""
        self.ttl_interval = seconds
        self.replace_task_soon("_sweeper", self._sweep_loop)

    async def stop(self) -> None:
        if self._sweeper:
            self._sweeper.cancel()

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self.ttl_interval)
            try:
                while await self.platform.run_sync(self.items.sweep_expired) >= 500:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("TTL sweep failed")

    # control plane
    def create_table(self, ctx, params: dict) -> dict:
        with self.store.tx() as conn:
            out = tables.create_table(self.store, ctx, params)
            self._table_changed(conn, ctx, out["TableDescription"]["TableName"])
        return out

    def describe_table(self, ctx, params: dict) -> dict:
        return tables.describe_table(self.store, ctx, params)

    def delete_table(self, ctx, params: dict) -> dict:
        with self.store.tx() as conn:
            out = tables.delete_table(self.store, ctx, params)
            self._table_changed(conn, ctx, out["TableDescription"]["TableName"])
        return out

    def list_tables(self, ctx, params: dict) -> dict:
        return tables.list_tables(self.store, ctx, params)

    def update_table(self, ctx, params: dict) -> dict:
        with self.store.tx() as conn:
            out = tables.update_table(self.store, ctx, params)
            self._table_changed(conn, ctx, out["TableDescription"]["TableName"])
        return out

    def update_time_to_live(self, ctx, params: dict) -> dict:
        return tables.update_time_to_live(self.store, ctx, params)

    def describe_time_to_live(self, ctx, params: dict) -> dict:
        return tables.describe_time_to_live(self.store, ctx, params)

    def tag_resource(self, ctx, params: dict) -> dict:
        return tags.tag_resource(self.store, ctx, params)

    def untag_resource(self, ctx, params: dict) -> dict:
        return tags.untag_resource(self.store, ctx, params)

    def list_tags_of_resource(self, ctx, params: dict) -> dict:
        return tags.list_tags_of_resource(self.store, ctx, params)

    def describe_limits(self, ctx, params: dict) -> dict:
        return {
            "AccountMaxReadCapacityUnits": 80000,
            "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000,
            "TableMaxWriteCapacityUnits": 40000,
        }

    def describe_endpoints(self, ctx, params: dict) -> dict:
        return {"Endpoints": [{"Address": ctx.host or f"dynamodb.{ctx.region}.amazonaws.com", "CachePeriodInMinutes": 1440}]}

    def describe_continuous_backups(self, ctx, params: dict) -> dict:
        return backups.describe_continuous_backups(self.store, ctx, params)

    def update_continuous_backups(self, ctx, params: dict) -> dict:
        return backups.update_continuous_backups(self.store, ctx, params)

    # items
    def put_item(self, ctx, params: dict) -> dict:
        return self.items.write_one(ctx, "Put", params)

    def update_item(self, ctx, params: dict) -> dict:
        return self.items.write_one(ctx, "Update", params)

    def delete_item(self, ctx, params: dict) -> dict:
        return self.items.write_one(ctx, "Delete", params)

    def get_item(self, ctx, params: dict) -> dict:
        return self.items.get_item(ctx, params)

    def batch_get_item(self, ctx, params: dict) -> dict:
        return self.items.batch_get_item(ctx, params)

    def batch_write_item(self, ctx, params: dict) -> dict:
        with wording.older():
            return self.items.batch_write_item(ctx, params)

    def transact_write_items(self, ctx, params: dict) -> dict:
        with wording.older():
            return self.items.transact_write_items(ctx, params)

    def transact_get_items(self, ctx, params: dict) -> dict:
        with wording.older():
            return self.items.transact_get_items(ctx, params)

    def query(self, ctx, params: dict) -> dict:
        return reads.query(self.store, ctx, params)

    def scan(self, ctx, params: dict) -> dict:
        with wording.older():
            return reads.scan(self.store, ctx, params)

    # PartiQL
    def execute_statement(self, ctx, params: dict) -> dict:
        return self.statements.execute_statement(ctx, params)

    def batch_execute_statement(self, ctx, params: dict) -> dict:
        return self.statements.batch_execute_statement(ctx, params)

    def execute_transaction(self, ctx, params: dict) -> dict:
        return self.statements.execute_transaction(ctx, params)
