"""Deployment packages (function and layer zips) in the store, so that every node can fetch them.

A package is one row of lambda_code_blobs keyed by its hex sha256. It is written in the same
transaction as the first document naming it, and deleted in the transaction that removes the
last document naming it (a function version's `_sha` or `_layers`, a layer version's `_sha`).
Such transactions run under `Blobs.changing()`, which serialises them across nodes on
PostgreSQL (SQLite's write transactions are serial already), so a package is never deleted
while another transaction is about to name it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cloudlet.store import Conn, Store

log = logging.getLogger("cloudlet.lambda")

MIGRATION = """
CREATE TABLE lambda_code_blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    unzipped_size BIGINT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    data BLOB NOT NULL
)
"""

_LOCK_KEY = 0x6C616D62  # "lamb": the advisory lock of package-naming writes on PostgreSQL
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Package:
    """A deployment package as uploaded: hex sha256, the zip, its unzipped size."""

    sha256: str
    data: bytes
    unzipped_size: int


class Blobs:
    """The lambda_code_blobs table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @contextmanager
    def changing(self, package: Package | None = None) -> Iterator[Conn]:
        """A write transaction that may name packages or stop naming them; `package` is stored first."""
        with self.store.tx() as conn:
            if conn.dialect == "postgresql":
                conn.execute("SELECT pg_advisory_xact_lock(?)", (_LOCK_KEY,))
            if package is not None:
                self.put(conn, package)
            yield conn

    @staticmethod
    def put(conn: Conn, package: Package) -> None:
        if conn.one("SELECT 1 FROM lambda_code_blobs WHERE sha256 = ?", (package.sha256,)) is None:
            conn.execute("INSERT INTO lambda_code_blobs (sha256, size, unzipped_size, created_at, data) "
                         "VALUES (?, ?, ?, ?, ?)", (package.sha256, len(package.data), package.unzipped_size,
                                                    time.time(), package.data))

    @staticmethod
    def missing(conn: Conn, hashes: Iterable[str]) -> list[str]:
        """The packages among `hashes` the store does not hold."""
        return [sha for sha in hashes
                if conn.one("SELECT 1 FROM lambda_code_blobs WHERE sha256 = ?", (sha,)) is None]

    def get(self, sha256: str) -> bytes | None:
        """The zip of a package, or None when the store has none by that hash."""
        with self.store.read() as conn:
            row = conn.one("SELECT data FROM lambda_code_blobs WHERE sha256 = ?", (sha256,))
        return bytes(row[0]) if row else None

    def hashes(self) -> set[str]:
        """The hashes of every package the store keeps."""
        with self.store.read() as conn:
            return {row[0] for row in conn.all("SELECT sha256 FROM lambda_code_blobs")}

    @staticmethod
    def named(conn: Conn, sha256: str) -> bool:
        """Whether any function version or layer version names the package.

        The documents are searched as text: a hex sha256 appears in no other field by accident, and
        if it did the package would merely be kept."""
        pattern = f"%{sha256}%"
        return any(conn.one(f"SELECT 1 FROM {table} WHERE doc LIKE ? LIMIT 1", (pattern,)) is not None
                   for table in ("lambda_functions", "lambda_layers"))

    def release(self, conn: Conn, hashes: Iterable[str]) -> None:
        """Delete the packages among `hashes` that no document names any more (inside `changing()`)."""
        for sha in sorted(set(hashes)):
            if not self.named(conn, sha):
                conn.execute("DELETE FROM lambda_code_blobs WHERE sha256 = ?", (sha,))

    def adopt(self, directory: Path, unzipped_size: Callable[[str], int]) -> int:
        """Move the packages an older cloudlet kept in `directory` (<sha256>.zip) into the store.

        Only packages some document names are kept; the files are removed. Returns how many moved."""
        moved = 0
        for path in sorted(directory.glob("*.zip")):
            sha = path.stem
            if not _HEX64.fullmatch(sha):
                continue
            with self.changing() as conn:
                if self.named(conn, sha):
                    self.put(conn, Package(sha, path.read_bytes(), unzipped_size(sha)))
                    moved += 1
            path.unlink(missing_ok=True)
        if moved:
            log.info("moved %d deployment packages from %s into the store", moved, directory)
        return moved
