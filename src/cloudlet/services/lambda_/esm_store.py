"""Event source mappings in the store: tables lambda_esm_mappings (the API document per mapping,
plus which node polls it) and lambda_esm_checkpoints (per mapping and shard, the last sequence
number handed to the function or discarded)."""

from __future__ import annotations

import time

import orjson

from cloudlet.store import Store

MIGRATION = """
    CREATE TABLE lambda_esm_mappings (
        uuid TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        source_arn TEXT NOT NULL,
        function_arn TEXT NOT NULL,
        doc TEXT NOT NULL,
        lease_owner TEXT NOT NULL,
        lease_until DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX lambda_esm_by_account ON lambda_esm_mappings (account_id, region, uuid);
    CREATE TABLE lambda_esm_checkpoints (
        uuid TEXT NOT NULL,
        shard_id TEXT NOT NULL,
        sequence TEXT,
        finished BIGINT NOT NULL,
        PRIMARY KEY (uuid, shard_id)
    )
"""


class MappingStore:
    """Blocking access to the mapping tables (call through platform.run_sync from the loop)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def insert(self, doc: dict, checkpoints: dict[str, str]) -> None:
        with self.store.tx() as conn:
            conn.execute("INSERT INTO lambda_esm_mappings (uuid, account_id, region, source_arn, function_arn, doc, "
                         "lease_owner, lease_until) VALUES (?, ?, ?, ?, ?, ?, '', 0)",
                         (doc["UUID"], doc["_account"], doc["_region"], doc["EventSourceArn"], doc["FunctionArn"],
                          orjson.dumps(doc).decode()))
            for shard_id, sequence in checkpoints.items():
                conn.execute("INSERT INTO lambda_esm_checkpoints (uuid, shard_id, sequence, finished) "
                             "VALUES (?, ?, ?, 0)", (doc["UUID"], shard_id, sequence))

    def get(self, uuid: str) -> dict | None:
        with self.store.read() as conn:
            row = conn.one("SELECT doc FROM lambda_esm_mappings WHERE uuid = ?", (uuid,))
        return orjson.loads(row[0]) if row else None

    def listing(self, account_id: str, region: str) -> list[dict]:
        with self.store.read() as conn:
            rows = conn.all("SELECT doc FROM lambda_esm_mappings WHERE account_id = ? AND region = ? ORDER BY uuid",
                            (account_id, region))
        return [orjson.loads(r[0]) for r in rows]

    def update(self, uuid: str, change) -> dict | None:
        """Apply change(doc) (which may raise) in one transaction; the new document, None if gone."""
        with self.store.tx() as conn:
            row = conn.one("SELECT doc FROM lambda_esm_mappings WHERE uuid = ?", (uuid,))
            if row is None:
                return None
            doc = orjson.loads(row[0])
            change(doc)
            conn.execute("UPDATE lambda_esm_mappings SET doc = ?, function_arn = ? WHERE uuid = ?",
                         (orjson.dumps(doc).decode(), doc["FunctionArn"], uuid))
            return doc

    def delete(self, uuid: str) -> None:
        with self.store.tx() as conn:
            conn.execute("DELETE FROM lambda_esm_mappings WHERE uuid = ?", (uuid,))
            conn.execute("DELETE FROM lambda_esm_checkpoints WHERE uuid = ?", (uuid,))

    def claim(self, owner: str, lease_s: float) -> list[dict]:
        """The documents of the mappings this node polls: leases it holds (renewed once half of
        the lease has run) and leases nobody holds any more. Writes only when a lease changes."""
        now = time.time()
        with self.store.read() as conn:
            rows = conn.all("SELECT uuid, lease_owner, lease_until, doc FROM lambda_esm_mappings")
        mine = [orjson.loads(doc) for _, holder, until, doc in rows if holder == owner and until - now > lease_s / 2]
        wanted = [uuid for uuid, holder, until, _ in rows
                  if (holder == owner and until - now <= lease_s / 2) or (holder != owner and until < now)]
        if wanted:
            with self.store.tx() as conn:
                for uuid in wanted:
                    # a conditional update: of several nodes, only one takes an expired lease
                    if conn.execute("UPDATE lambda_esm_mappings SET lease_owner = ?, lease_until = ? "
                                    "WHERE uuid = ? AND (lease_owner = ? OR lease_until < ?)",
                                    (owner, now + lease_s, uuid, owner, now)).rowcount == 1:
                        row = conn.one("SELECT doc FROM lambda_esm_mappings WHERE uuid = ?", (uuid,))
                        mine.append(orjson.loads(row[0]))
        return mine

    def release(self, owner: str) -> None:
        with self.store.tx() as conn:
            conn.execute("UPDATE lambda_esm_mappings SET lease_until = 0 WHERE lease_owner = ?", (owner,))

    def checkpoints(self, uuid: str) -> dict[str, tuple[str | None, bool]]:
        with self.store.read() as conn:
            rows = conn.all("SELECT shard_id, sequence, finished FROM lambda_esm_checkpoints WHERE uuid = ?", (uuid,))
        return {shard: (seq, bool(done)) for shard, seq, done in rows}

    def commit(self, uuid: str, shard_id: str, sequence: str | None, finished: bool = False) -> bool:
        """Record progress on a shard; False when the mapping is gone (deleted meanwhile)."""
        with self.store.tx() as conn:
            if conn.one("SELECT 1 FROM lambda_esm_mappings WHERE uuid = ?", (uuid,)) is None:
                return False
            conn.execute("INSERT INTO lambda_esm_checkpoints (uuid, shard_id, sequence, finished) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (uuid, shard_id) DO UPDATE SET sequence = excluded.sequence, "
                         "finished = excluded.finished", (uuid, shard_id, sequence, int(finished)))
            return True
