"""The logs_* tables.

Events are keyed by (stream_id, ts, seq): reading a stream or a time range of it is a range scan of
the primary key; `seq` orders events with equal timestamps in the order they were put. Sizes are
kept in the group and stream rows so Describe* never sums events. Names compare bytewise on both
stores (the C collation on PostgreSQL) because AWS sorts them by ASCII code.
"""

from __future__ import annotations

from cloudlet.store.base import Conn


def _v1(conn: Conn) -> None:
    c = ' COLLATE "C"' if conn.dialect == "postgresql" else ""
    for statement in (
        f"""CREATE TABLE logs_groups (
            id BIGINT PRIMARY KEY,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            name TEXT{c} NOT NULL,
            created BIGINT NOT NULL,
            retention_days INTEGER,
            kms_key_id TEXT,
            group_class TEXT NOT NULL,
            deletion_protection INTEGER NOT NULL DEFAULT 0,
            stored_bytes BIGINT NOT NULL DEFAULT 0,
            UNIQUE (account, region, name))""",
        "CREATE INDEX logs_groups_retention ON logs_groups (retention_days)",
        f"""CREATE TABLE logs_streams (
            id BIGINT PRIMARY KEY,
            group_id BIGINT NOT NULL,
            name TEXT{c} NOT NULL,
            created BIGINT NOT NULL,
            first_ts BIGINT,
            last_ts BIGINT,
            last_ingest BIGINT,
            stored_bytes BIGINT NOT NULL DEFAULT 0,
            next_seq BIGINT NOT NULL DEFAULT 0,
            UNIQUE (group_id, name))""",
        "CREATE INDEX logs_streams_last_event ON logs_streams (group_id, last_ts)",
        """CREATE TABLE logs_events (
            stream_id BIGINT NOT NULL,
            ts BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            ingest BIGINT NOT NULL,
            size BIGINT NOT NULL,
            message BLOB NOT NULL,
            PRIMARY KEY (stream_id, ts, seq))""",
        """CREATE TABLE logs_tags (
            group_id BIGINT NOT NULL,
            tag_key TEXT NOT NULL,
            tag_value TEXT NOT NULL,
            PRIMARY KEY (group_id, tag_key))""",
    ):
        conn.execute(statement.replace(" BLOB ", " BYTEA ") if conn.dialect == "postgresql" else statement)


def _filter_table(conn: Conn, table: str) -> None:
    """A table of named filters of log groups (metric or subscription), one JSON body each."""
    c = ' COLLATE "C"' if conn.dialect == "postgresql" else ""
    conn.execute(
        f"""CREATE TABLE {table} (
            group_id BIGINT NOT NULL,
            name TEXT{c} NOT NULL,
            created BIGINT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (group_id, name))"""
    )


def _v2(conn: Conn) -> None:
    _filter_table(conn, "logs_metric_filters")


def _v3(conn: Conn) -> None:
    _filter_table(conn, "logs_subscription_filters")


def _v4(conn: Conn) -> None:
    """Logs Insights: queries (their results once complete) and saved query definitions."""
    c = ' COLLATE "C"' if conn.dialect == "postgresql" else ""
    for statement in (
        """CREATE TABLE logs_queries (
            id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            created BIGINT NOT NULL,
            status TEXT NOT NULL,
            query_string TEXT NOT NULL,
            group_names TEXT NOT NULL,
            statistics TEXT,
            results TEXT)""",
        "CREATE INDEX logs_queries_created ON logs_queries (account, region, created)",
        f"""CREATE TABLE logs_query_definitions (
            id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            name TEXT{c} NOT NULL,
            modified BIGINT NOT NULL,
            body TEXT NOT NULL)""",
        "CREATE INDEX logs_query_definitions_name ON logs_query_definitions (account, region, name)",
    ):
        conn.execute(statement)


MIGRATIONS = [_v1, _v2, _v3, _v4]
