"""Temporary credentials: minting, storing (table sts_credentials) and looking them up.

Rows are immutable once written, so every node sharing a store, and every restart, sees the
same credentials until they expire; expired rows are purged as new ones are minted.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import time
from dataclasses import dataclass

from cloudlet.store import Store

MIGRATIONS = [
    """
    CREATE TABLE sts_credentials (
        access_key TEXT PRIMARY KEY,
        secret_key TEXT NOT NULL,
        session_token TEXT NOT NULL,
        account_id TEXT NOT NULL,
        arn TEXT NOT NULL,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        created_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX sts_credentials_expiry ON sts_credentials (expires_at)
    """
]

_KEY_ALPHABET = string.ascii_uppercase + "234567"
_COLUMNS = "access_key, secret_key, session_token, account_id, arn, user_id, kind, expires_at"


@dataclass(frozen=True)
class TemporaryCredential:
    """A set of temporary credentials and whom they stand for.

    kind is "assumed-role" (AssumeRole, or minted for a function's role), "session"
    (GetSessionToken: the caller itself) or "federated-user" (GetFederationToken)."""

    access_key: str
    secret_key: str
    session_token: str
    account_id: str
    arn: str
    user_id: str
    kind: str
    expires_at: float

    def expired(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) >= self.expires_at


def new_access_key() -> str:
    return "ASIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def new_secret_key() -> str:
    return base64.b64encode(secrets.token_bytes(30)).decode()


def new_session_token() -> str:
    return base64.b64encode(b"cloudlet-sts\x00" + secrets.token_bytes(160)).decode()


def role_id(role_arn: str) -> str:
    """A stable unique id for a role (AROA + 17 characters), derived from its ARN."""
    digest = base64.b32encode(hashlib.sha256(role_arn.encode()).digest()).decode()
    return "AROA" + digest[:17]


class CredentialStore:
    """The sts_credentials table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def migrate(self) -> None:
        self.store.migrate("sts", MIGRATIONS)

    def mint(self, account_id: str, arn: str, user_id: str, kind: str, duration: int) -> TemporaryCredential:
        now = time.time()
        # AWS expirations are whole seconds; so are ours, so the wire value and the store agree.
        credential = TemporaryCredential(
            new_access_key(),
            new_secret_key(),
            new_session_token(),
            account_id,
            arn,
            user_id,
            kind,
            float(int(now) + duration),
        )
        with self.store.tx() as conn:
            conn.execute("DELETE FROM sts_credentials WHERE expires_at < ?", (now,))
            conn.execute(
                f"INSERT INTO sts_credentials ({_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*_values(credential), now),
            )
        return credential

    def find(self, access_key: str) -> TemporaryCredential | None:
        with self.store.read() as conn:
            row = conn.one(f"SELECT {_COLUMNS} FROM sts_credentials WHERE access_key = ?", (access_key,))
        return TemporaryCredential(*row[:7], float(row[7])) if row else None


def _values(c: TemporaryCredential) -> tuple:
    return (c.access_key, c.secret_key, c.session_token, c.account_id, c.arn, c.user_id, c.kind, c.expires_at)
