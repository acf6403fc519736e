"""Layer versions in the store (table lambda_layers): publish, read, list, delete, policies."""

from __future__ import annotations

import re

import orjson

from cloudlet.services.lambda_ import errors
from cloudlet.store import Store

LAYER_VERSION_ARN = re.compile(r"arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9_-]+):(\d+)")
LAYER_ARN = re.compile(r"arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9_-]+)")


def layer_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:layer:{name}"


def layer_name(value: str) -> str:
    """A LayerName parameter may be a name or a layer ARN."""
    match = LAYER_ARN.fullmatch(value)
    return match.group(3) if match else value


class Layers:
    def __init__(self, store: Store) -> None:
        self.store = store

    def publish(self, account_id: str, region: str, name: str, make_doc) -> dict:
        """Insert the next version of a layer; `make_doc(version)` builds its document."""
        with self.store.tx() as conn:
            last = conn.scalar("SELECT MAX(version) FROM lambda_layers WHERE account_id = ? AND region = ? "
                               "AND name = ?", (account_id, region, name))
            # Numbers are never reused, even after deletion: the highest ever is kept in the settings.
            key = f"layer-seq:{account_id}:{region}:{name}"
            seq = conn.scalar("SELECT value FROM lambda_settings WHERE name = ?", (key,))
            version = max(int(seq or 0), int(last or 0)) + 1
            conn.execute("DELETE FROM lambda_settings WHERE name = ?", (key,))
            conn.execute("INSERT INTO lambda_settings (name, value) VALUES (?, ?)", (key, str(version)))
            doc = make_doc(version)
            conn.execute("INSERT INTO lambda_layers (account_id, region, name, version, doc) VALUES (?, ?, ?, ?, ?)",
                         (account_id, region, name, version, orjson.dumps(doc).decode()))
        return doc

    def get(self, account_id: str, region: str, name: str, version: int) -> dict | None:
        with self.store.read() as conn:
            row = conn.one("SELECT doc FROM lambda_layers WHERE account_id = ? AND region = ? AND name = ? "
                           "AND version = ?", (account_id, region, name, version))
        return orjson.loads(row[0]) if row else None

    def by_arn(self, arn: str) -> dict:
        match = LAYER_VERSION_ARN.fullmatch(arn)
        doc = self.get(match.group(2), match.group(1), match.group(3), int(match.group(4))) if match else None
        if doc is None:
            raise errors.invalid(f"Layer version {arn} does not exist.")
        return doc

    def versions(self, account_id: str, region: str, name: str) -> list[dict]:
        with self.store.read() as conn:
            rows = conn.all("SELECT doc FROM lambda_layers WHERE account_id = ? AND region = ? AND name = ? "
                            "ORDER BY version DESC", (account_id, region, name))
        return [orjson.loads(r[0]) for r in rows]

    def latest(self, account_id: str, region: str) -> list[dict]:
        """The newest version of every layer, by layer name."""
        with self.store.read() as conn:
            rows = conn.all("SELECT l.doc FROM lambda_layers l WHERE account_id = ? AND region = ? AND version = "
                            "(SELECT MAX(version) FROM lambda_layers m WHERE m.account_id = l.account_id "
                            "AND m.region = l.region AND m.name = l.name) ORDER BY name", (account_id, region))
        return [orjson.loads(r[0]) for r in rows]

    def delete(self, account_id: str, region: str, name: str, version: int) -> None:
        with self.store.tx() as conn:
            conn.execute("DELETE FROM lambda_layers WHERE account_id = ? AND region = ? AND name = ? AND version = ?",
                         (account_id, region, name, version))

    @staticmethod
    def packages(conn, account_id: str, region: str, name: str, version: int) -> set[str]:
        """The package of a layer version (an empty set when there is no such version)."""
        row = conn.one("SELECT doc FROM lambda_layers WHERE account_id = ? AND region = ? AND name = ? "
                       "AND version = ?", (account_id, region, name, version))
        return {orjson.loads(row[0])["_sha"]} if row else set()

    def update(self, account_id: str, region: str, name: str, version: int, change) -> object:
        """Apply `change(doc)` to a layer version atomically; returns its result."""
        with self.store.tx() as conn:
            row = conn.one("SELECT doc FROM lambda_layers WHERE account_id = ? AND region = ? AND name = ? "
                           "AND version = ?", (account_id, region, name, version))
            if row is None:
                raise errors.not_found("The resource you requested does not exist.")
            doc = orjson.loads(row[0])
            result = change(doc)
            conn.execute("UPDATE lambda_layers SET doc = ? WHERE account_id = ? AND region = ? AND name = ? "
                         "AND version = ?", (orjson.dumps(doc).decode(), account_id, region, name, version))
        return result
