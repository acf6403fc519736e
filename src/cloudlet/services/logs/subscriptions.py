"""Subscription filters of log groups (table logs_subscription_filters) and which ones apply.

A group has at most two filters. `active(account, region, group)` answers, from a cache, the
compiled filters of a group (usually none), so writing events to a group without subscriptions
costs one dictionary lookup. The cache lives until this process changes the filters on SQLite,
one second on PostgreSQL (where other nodes change them too).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.services.logs.engine import LogsEngine, prefix_bounds, put_group_filter
from cloudlet.services.logs.filter_pattern import Predicate, compile_pattern
from cloudlet.store.cache import ReadCache

MAX_PER_GROUP = 2
SHARED_TTL_S = 1.0


def not_found() -> AWSError:
    return AWSError("ResourceNotFoundException", "The specified subscription filter does not exist.", 400)


@dataclass(frozen=True)
class Active:
    """A filter as delivery needs it."""

    name: str
    destination: str
    matches: Predicate


class SubscriptionFilters:
    def __init__(self, engine: LogsEngine) -> None:
        self.engine = engine
        self.store = engine.store
        self.cache: ReadCache[tuple[Active, ...]] = ReadCache(self.store, shared_ttl=SHARED_TTL_S)

    def put(self, account: str, region: str, group_name: str, name: str, body: dict) -> None:
        """Create or replace a filter; `body` holds its output fields but the names and creationTime.

        A new name on a group that already has MAX_PER_GROUP filters is LimitExceededException."""
        try:
            with self.store.tx() as conn:
                group = self.engine.find_group(conn, account, region, group_name)
                # the group's row lock serializes puts to one group (other nodes' too)
                conn.execute("UPDATE logs_groups SET id = id WHERE id = ?", (group.id,))
                put_group_filter(conn, "logs_subscription_filters", group.id, name, body, MAX_PER_GROUP)
        finally:
            self.forget(account, region, group_name)

    def delete(self, account: str, region: str, group_name: str, name: str) -> None:
        try:
            with self.store.tx() as conn:
                group = self.engine.find_group(conn, account, region, group_name)
                if not conn.all(
                    "DELETE FROM logs_subscription_filters WHERE group_id = ? AND name = ? RETURNING name",
                    (group.id, name),
                ):
                    raise not_found()
        finally:
            self.forget(account, region, group_name)

    def describe(
        self, account: str, region: str, group_name: str, prefix: str | None, after: str | None, limit: int
    ) -> tuple[list[dict], bool]:
        """A group's filters in name order after `after`, as SubscriptionFilter output; the flag says
        whether more follow."""
        with self.store.read() as conn:
            group = self.engine.find_group(conn, account, region, group_name)
            sql = "SELECT name, created, body FROM logs_subscription_filters WHERE group_id = ?"
            args: list = [group.id]
            if prefix:
                sql += " AND name >= ? AND name < ?"
                args += prefix_bounds(prefix)
            if after is not None:
                sql += " AND name > ?"
                args.append(after)
            rows = conn.all(sql + " ORDER BY name LIMIT ?", [*args, limit + 1])
        filters = [
            {"filterName": name, "logGroupName": group_name, **orjson.loads(body), "creationTime": created}
            for name, created, body in rows[:limit]
        ]
        return filters, len(rows) > limit

    def active(self, account: str, region: str, group_name: str) -> tuple[Active, ...]:
        """The group's filters, compiled (cached; a group without filters has an empty tuple)."""
        return self.cache.get((account, region, group_name), lambda: self._load(account, region, group_name))

    def _load(self, account: str, region: str, group_name: str) -> tuple[Active, ...]:
        with self.store.read() as conn:
            rows = conn.all(
                "SELECT f.name, f.body FROM logs_subscription_filters f JOIN logs_groups g ON g.id = f.group_id"
                " WHERE g.account = ? AND g.region = ? AND g.name = ? ORDER BY f.name",
                (account, region, group_name),
            )
        found = []
        for name, body in rows:
            doc = orjson.loads(body)
            found.append(Active(name, doc["destinationArn"], compile_pattern(doc["filterPattern"])))
        return tuple(found)

    def forget(self, account: str, region: str, group_name: str) -> None:
        """Drop the cached filters of a group (after its filters changed or it was deleted)."""
        self.cache.invalidate((account, region, group_name))
