"""DynamoDB operations (json 1.0, X-Amz-Target DynamoDB_20120810.*): thin wrappers over the
control plane (tables.py), item operations (items.py), reads (reads.py), backups and restores
(backups.py, pitr.py, restore.py), resource policies (policies.py) and contributor insights
(insights.py)."""

from __future__ import annotations

import asyncio
import logging
import os

from botocore.model import OperationModel

from cloudlet.aws.errors import AWSError
from cloudlet.aws.validate import InputValidationError, validate_input
from cloudlet.services.base import Service
from cloudlet.services.dynamodb import (
    backups,
    constraints,
    insights,
    pitr,
    policies,
    reads,
    restore,
    storage,
    tables,
    tags,
    wording,
)
from cloudlet.services.dynamodb.items import Items
from cloudlet.services.dynamodb.statements import Statements
from cloudlet.services.dynamodb.vector_search import check_request_shape, search_vectors
from cloudlet.services.dynamodb.vector_storage import MIGRATIONS as VECTOR_MIGRATIONS
from cloudlet.services.dynamodb.vector_storage import on_change as follow_vectors
from cloudlet.services.dynamodb.vectors import delay_builds

log = logging.getLogger("cloudlet.dynamodb")
_ATTRIBUTE_MAPS = frozenset(("Item", "Key", "ExpressionAttributeValues", "ExclusiveStartKey"))


class DynamoDB(Service):
    name = "dynamodb"

    def __init__(self, platform) -> None:
        super().__init__(platform)
        self.store.migrate("dynamodb", storage.MIGRATIONS)
        self.store.migrate("dynamodb_vectors", VECTOR_MIGRATIONS)
        self.items = Items(self.store)
        self.items.listeners.append(follow_vectors)  # vector index membership follows item writes
        self.statements = Statements(self.items)
        extra = getattr(platform.config, "extra", {}) or {}
        self.ttl_interval = float(extra.get("dynamodb_ttl_interval") or os.environ.get("CLOUDLET_DYNAMODB_TTL_INTERVAL") or 5)
        self.backup_interval = float(extra.get("dynamodb_backup_interval")
                                     or os.environ.get("CLOUDLET_DYNAMODB_BACKUP_INTERVAL") or 300)
        self.items.listeners.append(pitr.record)
        self._sweeper: asyncio.Task | None = None
        self._backup_sweeper: asyncio.Task | None = None
        # How long a vector index added by UpdateTable takes to build (seconds; half of it allocating).
        self.vector_build_seconds = float(extra.get("dynamodb_vector_build_seconds")
                                          or os.environ.get("CLOUDLET_DYNAMODB_VECTOR_BUILD_SECONDS") or 0)
        self.stream_log = None  # DynamoDB Streams' writer, attached in start()

    def validate(self, op: OperationModel, params: dict) -> None:
        """The model's constraints (with enums, as DynamoDB checks them), plus table-name rules."""
        if op.name == "SearchVectors":
            check_request_shape(params)
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
        self._backup_sweeper = asyncio.get_running_loop().create_task(self._backup_sweep_loop())

    def _table_changed(self, conn, ctx, name: str) -> None:
        """Let DynamoDB Streams follow a table's stream settings (in the control-plane transaction)."""
        if self.stream_log is not None:
            table = storage.load_table(conn, ctx.account_id, ctx.region, name)
            self.stream_log.table_changed(conn, ctx.account_id, ctx.region, name, table)

    def _delay_vector_builds(self, conn, ctx, description: dict) -> None:
        """Give the vector indexes an UpdateTable added the configured build time (0: built at once)."""
        added = [v["IndexName"] for v in description.get("VectorIndexes", []) if v.get("Backfilling") is False]
        if added and self.vector_build_seconds > 0:
            table = storage.load_table(conn, ctx.account_id, ctx.region, description["TableName"], for_update=True)
            delay_builds(table, added, self.vector_build_seconds)
            storage.save_table(conn, table)

    def set_ttl_interval(self, seconds: float) -> None:
        """Change how often expired items are swept (thread-safe; restarts the sweeper)."""
        self.ttl_interval = seconds
        self.replace_task_soon("_sweeper", self._sweep_loop)

    def set_backup_interval(self, seconds: float) -> None:
        """Change how often recovery history and expired backups are swept (thread-safe)."""
        self.backup_interval = seconds
        self.replace_task_soon("_backup_sweeper", self._backup_sweep_loop)

    async def stop(self) -> None:
        for task in (self._sweeper, self._backup_sweeper):
            if task:
                task.cancel()

    async def _backup_sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self.backup_interval)
            try:
                await self.platform.run_sync(self.sweep_backups)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("backup sweep failed")

    def sweep_backups(self, now: float | None = None) -> int:
        """Prune recovery history past each table's recovery period and delete expired SYSTEM
        backups; returns how many history entries and backups went."""
        return pitr.prune(self.store, now) + backups.expire(self.store, now)

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
        policy = params.get("ResourcePolicy")
        if policy is not None:
            policies.check(policy)
        with self.store.tx() as conn:
            out = tables.create_table(self.store, ctx, params)
            self._table_changed(conn, ctx, out["TableDescription"]["TableName"])
            if policy is not None:
                policies.put(conn, ctx.account_id, ctx.region, out["TableDescription"]["TableArn"], policy)
        return out

    def describe_table(self, ctx, params: dict) -> dict:
        return tables.describe_table(self.store, ctx, params)

    def delete_table(self, ctx, params: dict) -> dict:
        with self.store.tx() as conn:
            out = tables.delete_table(self.store, ctx, params, before_drop=self._before_drop)
            self._table_changed(conn, ctx, out["TableDescription"]["TableName"])
        return out

    @staticmethod
    def _before_drop(conn, table) -> None:
        """What goes, or is kept, with a deleted table: its SYSTEM backup, history and policy."""
        backups.take_before_delete(conn, table)
        pitr.drop_history(conn, table)
        policies.drop(conn, table.account, table.region, table.arn)

    def list_tables(self, ctx, params: dict) -> dict:
        return tables.list_tables(self.store, ctx, params)

    def update_table(self, ctx, params: dict) -> dict:
        with self.store.tx() as conn:
            out = tables.update_table(self.store, ctx, params)
            self._delay_vector_builds(conn, ctx, out["TableDescription"])
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

    # backups and restores
    def describe_continuous_backups(self, ctx, params: dict) -> dict:
        return pitr.describe_continuous_backups(self.store, ctx, params)

    def update_continuous_backups(self, ctx, params: dict) -> dict:
        return pitr.update_continuous_backups(self.store, ctx, params)

    def create_backup(self, ctx, params: dict) -> dict:
        return backups.create_backup(self.store, ctx, params)

    def describe_backup(self, ctx, params: dict) -> dict:
        return backups.describe_backup(self.store, ctx, params)

    def list_backups(self, ctx, params: dict) -> dict:
        return backups.list_backups(self.store, ctx, params)

    def delete_backup(self, ctx, params: dict) -> dict:
        return backups.delete_backup(self.store, ctx, params)

    def restore_table_from_backup(self, ctx, params: dict) -> dict:
        return self._restored(ctx, restore.restore_table_from_backup, params)

    def restore_table_to_point_in_time(self, ctx, params: dict) -> dict:
        return self._restored(ctx, restore.restore_table_to_point_in_time, params)

    def _restored(self, ctx, how, params: dict) -> dict:
        with self.store.tx() as conn:
            out = how(self.store, ctx, params)
            self._table_changed(conn, ctx, out["TableDescription"]["TableName"])
        return out

    # resource policies
    def put_resource_policy(self, ctx, params: dict) -> dict:
        return policies.put_resource_policy(self.store, ctx, params)

    def get_resource_policy(self, ctx, params: dict) -> dict:
        return policies.get_resource_policy(self.store, ctx, params)

    def delete_resource_policy(self, ctx, params: dict) -> dict:
        return policies.delete_resource_policy(self.store, ctx, params)

    # contributor insights
    def update_contributor_insights(self, ctx, params: dict) -> dict:
        return insights.update_contributor_insights(self.store, ctx, params)

    def describe_contributor_insights(self, ctx, params: dict) -> dict:
        return insights.describe_contributor_insights(self.store, ctx, params)

    def list_contributor_insights(self, ctx, params: dict) -> dict:
        return insights.list_contributor_insights(self.store, ctx, params)

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

    def search_vectors(self, ctx, params: dict) -> dict:
        return search_vectors(self.store, ctx, params)

    # PartiQL
    def execute_statement(self, ctx, params: dict) -> dict:
        with wording.older():  # PartiQL words set errors as the older layer does
            return self.statements.execute_statement(ctx, params)

    def batch_execute_statement(self, ctx, params: dict) -> dict:
        with wording.older():  # PartiQL words set errors as the older layer does
            return self.statements.batch_execute_statement(ctx, params)

    def execute_transaction(self, ctx, params: dict) -> dict:
        with wording.older():  # PartiQL words set errors as the older layer does
            return self.statements.execute_transaction(ctx, params)
