"""SQS's tables. Timestamps are integer milliseconds since the epoch."""

from __future__ import annotations

MIGRATIONS = [
    """
    CREATE TABLE sqs_queues (
        qid BIGINT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        attrs TEXT NOT NULL,
        tags TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        modified_ms BIGINT NOT NULL,
        version BIGINT NOT NULL,
        purged_ms BIGINT NOT NULL DEFAULT 0,
        UNIQUE (account, region, name)
    );
    CREATE TABLE sqs_messages (
        mid TEXT PRIMARY KEY,
        qid BIGINT NOT NULL,
        seq BIGINT NOT NULL,
        body TEXT NOT NULL,
        mattrs TEXT,
        sattrs TEXT,
        md5_body TEXT NOT NULL,
        md5_attrs TEXT,
        md5_sys TEXT,
        sent_ms BIGINT NOT NULL,
        visible_ms BIGINT NOT NULL,
        recv_count BIGINT NOT NULL DEFAULT 0,
        first_recv_ms BIGINT,
        token TEXT,
        grp TEXT,
        dedup TEXT,
        sender TEXT,
        dlq_source TEXT
    );
    CREATE INDEX sqs_messages_visible ON sqs_messages (qid, visible_ms);
    CREATE TABLE sqs_dedup (
        qid BIGINT NOT NULL,
        scope TEXT NOT NULL,
        dedup TEXT NOT NULL,
        mid TEXT NOT NULL,
        seq BIGINT NOT NULL,
        expires_ms BIGINT NOT NULL,
        PRIMARY KEY (qid, scope, dedup)
    );
    CREATE TABLE sqs_move_tasks (
        task_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        source_arn TEXT NOT NULL,
        dest_arn TEXT,
        rate BIGINT,
        status TEXT NOT NULL,
        moved BIGINT NOT NULL,
        to_move BIGINT NOT NULL,
        started_ms BIGINT NOT NULL,
        failure TEXT
    )
    """,
    """
    CREATE TABLE sqs_receive_attempts (
        qid BIGINT NOT NULL,
        attempt TEXT NOT NULL,
        taken TEXT NOT NULL,
        expires_ms BIGINT NOT NULL,
        PRIMARY KEY (qid, attempt)
    )
    """,
]
