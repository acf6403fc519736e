"""Lambda's tables. Each resource is one row holding its JSON document (the API's own shape)."""

from __future__ import annotations

from cloudlet.services.lambda_.blobs import MIGRATION as BLOBS_MIGRATION
from cloudlet.services.lambda_.esm_store import MIGRATION as ESM_MIGRATION

MIGRATIONS = [
    """
    CREATE TABLE lambda_functions (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        vnum BIGINT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (account_id, region, name, version)
    );
    CREATE TABLE lambda_function_meta (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (account_id, region, name)
    );
    CREATE TABLE lambda_aliases (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        function_name TEXT NOT NULL,
        name TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (account_id, region, function_name, name)
    );
    CREATE TABLE lambda_layers (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version BIGINT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (account_id, region, name, version)
    );
    CREATE TABLE lambda_async (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        function_name TEXT NOT NULL,
        qualifier TEXT NOT NULL,
        payload BLOB NOT NULL,
        attempts BIGINT NOT NULL,
        next_at DOUBLE PRECISION NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        lease_until DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX lambda_async_due ON lambda_async (next_at);
    CREATE TABLE lambda_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
    ESM_MIGRATION,
    BLOBS_MIGRATION,
]
