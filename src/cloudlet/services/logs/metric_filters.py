"""Metric filters of log groups (table logs_metric_filters): stored, listed and deleted.

There is no CloudWatch metrics service, so no metric is emitted; the definitions are kept as
given (one JSON body per filter) for DescribeMetricFilters and the group's metricFilterCount.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.services.logs.engine import LogsEngine, prefix_bounds, put_group_filter

MAX_PER_GROUP = 100


def not_found() -> AWSError:
    return AWSError("ResourceNotFoundException", "The specified metric filter does not exist.", 400)


class MetricFilters:
    def __init__(self, engine: LogsEngine) -> None:
        self.engine = engine
        self.store = engine.store

    def put(self, account: str, region: str, group_name: str, name: str, body: dict) -> None:
        """Create or replace a filter; `body` holds its request fields but the names."""
        with self.store.tx() as conn:
            group = self.engine.find_group(conn, account, region, group_name)
            put_group_filter(conn, "logs_metric_filters", group.id, name, body, MAX_PER_GROUP)

    def delete(self, account: str, region: str, group_name: str, name: str) -> None:
        with self.store.tx() as conn:
            group = self.engine.find_group(conn, account, region, group_name)
            if not conn.all(
                "DELETE FROM logs_metric_filters WHERE group_id = ? AND name = ? RETURNING name",
                (group.id, name),
            ):
                raise not_found()

    def describe(
        self,
        account: str,
        region: str,
        *,
        group_name: str | None,
        prefix: str | None,
        after: tuple[str, str] | None,
        limit: int,
    ) -> tuple[list[dict], bool]:
        """Filters ordered by (group name, filter name) after `after`, each as MetricFilter output
        fields; the flag says whether more follow."""
        sql = (
            "SELECT g.name, f.name, f.created, f.body FROM logs_metric_filters f"
            " JOIN logs_groups g ON g.id = f.group_id WHERE g.account = ? AND g.region = ?"
        )
        args: list = [account, region]
        with self.store.read() as conn:
            if group_name is not None:
                group = self.engine.find_group(conn, account, region, group_name)
                sql += " AND f.group_id = ?"
                args.append(group.id)
                if prefix:
                    sql += " AND f.name >= ? AND f.name < ?"
                    args += prefix_bounds(prefix)
            if after is not None:
                sql += " AND (g.name > ? OR (g.name = ? AND f.name > ?))"
                args += [after[0], after[0], after[1]]
            rows = conn.all(sql + " ORDER BY g.name, f.name LIMIT ?", [*args, limit + 1])
        filters = [
            {"filterName": name, **orjson.loads(body), "creationTime": created, "logGroupName": group}
            for group, name, created, body in rows[:limit]
        ]
        return filters, len(rows) > limit

    def counts(self, group_ids: Sequence[int]) -> dict[int, int]:
        """Number of metric filters per group id."""
        if not group_ids:
            return {}
        with self.store.read() as conn:
            rows = conn.all(
                "SELECT group_id, COUNT(*) FROM logs_metric_filters"
                f" WHERE group_id IN ({', '.join('?' * len(group_ids))}) GROUP BY group_id",
                list(group_ids),
            )
        return dict(rows)
