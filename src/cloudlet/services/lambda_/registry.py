"""Functions, versions, aliases and per-function settings in the store, and name resolution.

A version row holds the FunctionConfiguration document as the API returns it, plus private
keys starting with "_" (the code's hex sha256 or hot-reload directory, layer hashes). A meta
row per function holds what belongs to the function rather than a version: tags, the next
version number, the resource policy, reserved concurrency, event invoke and provisioned
concurrency settings per qualifier.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.services.lambda_ import errors, url_table
from cloudlet.store import Store
from cloudlet.store.base import Conn
from cloudlet.store.cache import ReadCache

LATEST = "$LATEST"
_NAME_ARN = re.compile(
    r"(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):)?(?:(?P<account>\d{12}):)?(?:function:)?"
    r"(?P<name>[a-zA-Z0-9_-]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?"
)


@dataclass(frozen=True)
class Ref:
    """A function as a request names it: account, region, name and an optional qualifier."""

    account_id: str
    region: str
    name: str
    qualifier: str | None = None

    @property
    def arn(self) -> str:
        return function_arn(self.region, self.account_id, self.name)

    def qualified_arn(self, qualifier: str | None = None) -> str:
        q = qualifier or self.qualifier
        return f"{self.arn}:{q}" if q else self.arn


def function_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}"


def parse_ref(ctx, function_name: str, qualifier: str | None = None) -> Ref:
    """Resolve a FunctionName (name, ARN or partial ARN, maybe with a qualifier) and a Qualifier."""
    match = _NAME_ARN.fullmatch(function_name)
    if match is None:
        raise errors.not_found(f"Function not found: {function_name}")
    if len(match["name"]) > 64:  # Lambda's own check: its code, the validation wording
        raise errors.invalid(f"1 validation error detected: Value '{function_name}' at 'functionName' failed to "
                             "satisfy constraint: Member must have length less than or equal to 64")
    account = match["account"] or ctx.account_id
    region = match["region"] or ctx.region
    if region != ctx.region:
        raise errors.not_found(f"Functions from '{region}' are not reachable in this region ('{ctx.region}')")
    if account != ctx.account_id:  # Lambda's answer for another account's function (no cross-account policies)
        raise AWSError("AccessDeniedException", f"User: arn:aws:iam::{ctx.account_id}:root is not authorized to "
                       f"access {function_arn(region, account, match['name'])}", 403)
    derived = match["qualifier"]
    if derived and qualifier and derived != qualifier:
        raise errors.invalid("The derived qualifier from the function name does not match the specified qualifier.")
    return Ref(account, region, match["name"], derived or qualifier or None)


def _dump(doc: dict) -> str:
    return orjson.dumps(doc).decode()


def public(doc: dict) -> dict:
    """The document without its private keys."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


class Registry:
    """The lambda_functions, lambda_function_meta and lambda_aliases tables."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # versions and aliases as invocations resolve them (kept on SQLite, off on PostgreSQL)
        self.cache: ReadCache[dict] = ReadCache(store)

    @contextmanager
    def _writing(self, ref: Ref) -> Iterator[Conn]:
        """A transaction that changes a function: its cached versions and aliases are dropped after it."""
        try:
            with self.store.tx() as conn:
                yield conn
        finally:
            function = (ref.account_id, ref.region, ref.name)
            self.cache.invalidate_where(lambda key: key[:3] == function)

    def resolved_version(self, ref: Ref, version: str) -> dict | None:
        """A version's document for invocations (cached: callers must not change it)."""
        return self.cache.get((ref.account_id, ref.region, ref.name, "v", version),
                              lambda: self.get_version(ref, version))

    def resolved_alias(self, ref: Ref, name: str) -> dict | None:
        """An alias's document for invocations (cached: callers must not change it)."""
        return self.cache.get((ref.account_id, ref.region, ref.name, "a", name), lambda: self.get_alias(ref, name))

    # -- versions ----------------------------------------------------------------------------------
    def get_version(self, ref: Ref, version: str = LATEST) -> dict | None:
        with self.store.read() as conn:
            return self._version(conn, ref, version)

    @staticmethod
    def _version(conn, ref: Ref, version: str) -> dict | None:
        row = conn.one("SELECT doc FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ? "
                       "AND version = ?", (ref.account_id, ref.region, ref.name, version))
        return orjson.loads(row[0]) if row else None

    def versions(self, ref: Ref) -> list[dict]:
        with self.store.read() as conn:
            rows = conn.all("SELECT doc FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ? "
                            "ORDER BY vnum", (ref.account_id, ref.region, ref.name))
        return [orjson.loads(r[0]) for r in rows]

    def list_latest(self, account_id: str, region: str, after: str, limit: int, all_versions: bool,
                    after_vnum: int = -1) -> list[dict]:
        """Functions ordered by name (then version) after (`after`, `after_vnum`)."""
        where = "" if all_versions else " AND version = '$LATEST'"
        with self.store.read() as conn:
            rows = conn.all(
                f"SELECT doc FROM lambda_functions WHERE account_id = ? AND region = ? "
                f"AND (name > ? OR (name = ? AND vnum > ?)){where} ORDER BY name, vnum LIMIT ?",
                (account_id, region, after, after, after_vnum, limit))
        return [orjson.loads(r[0]) for r in rows]

    def count_functions(self, account_id: str, region: str) -> int:
        with self.store.read() as conn:
            return conn.scalar("SELECT COUNT(*) FROM lambda_function_meta WHERE account_id = ? AND region = ?",
                               (account_id, region), 0)

    def create(self, ref: Ref, latest: dict, meta: dict, published: dict | None) -> None:
        """Insert a new function ($LATEST, its meta row and maybe version 1); conflict if it exists."""
        with self._writing(ref) as conn:
            if conn.one("SELECT 1 FROM lambda_function_meta WHERE account_id = ? AND region = ? AND name = ?",
                        (ref.account_id, ref.region, ref.name)):
                raise errors.conflict(f"Function already exist: {ref.name}")
            conn.execute("INSERT INTO lambda_function_meta (account_id, region, name, doc) VALUES (?, ?, ?, ?)",
                         (ref.account_id, ref.region, ref.name, _dump(meta)))
            for doc in filter(None, (latest, published)):
                self._insert_version(conn, ref, doc)

    @staticmethod
    def _insert_version(conn, ref: Ref, doc: dict) -> None:
        version = doc["Version"]
        conn.execute("INSERT INTO lambda_functions (account_id, region, name, version, vnum, doc) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (ref.account_id, ref.region, ref.name, version,
                                                   0 if version == LATEST else int(version), _dump(doc)))

    def update_latest(self, ref: Ref, change, revision_id: str | None = None) -> dict:
        """Apply `change(doc) -> doc` to $LATEST atomically, checking RevisionId; returns the new doc."""
        with self._writing(ref) as conn:
            row = conn.one("SELECT doc FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ? "
                           "AND version = '$LATEST'", (ref.account_id, ref.region, ref.name))
            if row is None:
                raise errors.function_not_found(ref.arn)
            doc = orjson.loads(row[0])
            if revision_id and revision_id != doc["RevisionId"]:
                raise errors.precondition_failed()
            doc = change(doc)
            conn.execute("UPDATE lambda_functions SET doc = ? WHERE account_id = ? AND region = ? AND name = ? "
                         "AND version = '$LATEST'", (_dump(doc), ref.account_id, ref.region, ref.name))
        return doc

    def update_version(self, ref: Ref, version: str, change) -> dict:
        """Apply `change(doc) -> doc` to one version's document ($LATEST or a number) atomically."""
        with self._writing(ref) as conn:
            doc = self._version(conn, ref, version)
            if doc is None:
                raise errors.function_not_found(ref.qualified_arn(version) if version != LATEST else ref.arn)
            doc = change(doc)
            conn.execute("UPDATE lambda_functions SET doc = ? WHERE account_id = ? AND region = ? AND name = ? "
                         "AND version = ?", (_dump(doc), ref.account_id, ref.region, ref.name, version))
        return doc

    def publish(self, ref: Ref, make_version, code_sha: str | None, revision_id: str | None,
                published_state) -> dict:
        """Publish $LATEST as the next version (or return the last one when `published_state($LATEST)`
        is what it was published from)."""
        with self._writing(ref) as conn:
            latest = self._version(conn, ref, LATEST)
            if latest is None:
                raise errors.function_not_found(ref.arn)
            if code_sha and code_sha != latest["CodeSha256"]:
                raise errors.invalid(
                    f"CodeSHA256 ({code_sha}) is different from current CodeSHA256 in $LATEST "
                    f"({latest['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST.")
            if revision_id and revision_id != latest["RevisionId"]:
                raise errors.precondition_failed()
            meta = self._meta(conn, ref)
            last = conn.one("SELECT doc FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ? "
                            "AND vnum > 0 ORDER BY vnum DESC LIMIT 1", (ref.account_id, ref.region, ref.name))
            if last is not None:
                last_doc = orjson.loads(last[0])
                if last_doc.get("_published_from") in (published_state(latest), latest["RevisionId"]):
                    return last_doc
            number = meta.get("next_version", 1)
            meta["next_version"] = number + 1
            doc = make_version(latest, str(number))
            self._insert_version(conn, ref, doc)
            self._put_meta(conn, ref, meta)
            # Lambda renews $LATEST's RevisionId (and so its policy's) when it publishes a version
            latest["RevisionId"] = str(uuid.uuid4())
            conn.execute("UPDATE lambda_functions SET doc = ? WHERE account_id = ? AND region = ? AND name = ? "
                         "AND version = '$LATEST'", (_dump(latest), ref.account_id, ref.region, ref.name))
        return doc

    def delete_version(self, ref: Ref, version: str) -> None:
        with self._writing(ref) as conn:
            if self._meta_row(conn, ref) is None:
                raise errors.function_not_found(ref.arn)
            if self._version(conn, ref, version) is not None:
                for alias in self._aliases(conn, ref):
                    weights = alias.get("RoutingConfig", {}).get("AdditionalVersionWeights", {})
                    if alias["FunctionVersion"] == version or version in weights:
                        raise errors.conflict(f"Unable to delete version because the following aliases reference "
                                              f"it: [{alias['Name']}]")
            conn.execute("DELETE FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ? "
                         "AND version = ?", (ref.account_id, ref.region, ref.name, version))
            self._forget_qualifier(conn, ref, version)

    def delete_function(self, ref: Ref) -> dict:
        """Delete a function with its versions and aliases; returns its meta document."""
        with self._writing(ref) as conn:
            meta = self._meta(conn, ref)
            args = (ref.account_id, ref.region, ref.name)
            conn.execute("DELETE FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?", args)
            conn.execute("DELETE FROM lambda_aliases WHERE account_id = ? AND region = ? AND function_name = ?", args)
            conn.execute("DELETE FROM lambda_function_meta WHERE account_id = ? AND region = ? AND name = ?", args)
            conn.execute("DELETE FROM lambda_async WHERE account_id = ? AND region = ? AND function_name = ?", args)
            url_table.forget(conn, ref)
        return meta

    @staticmethod
    def packages(conn, ref: Ref) -> set[str]:
        """The hex sha256 of every package (code and layers) the function's versions name."""
        rows = conn.all("SELECT doc FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?",
                        (ref.account_id, ref.region, ref.name))
        found: set[str] = set()
        for (doc,) in rows:
            doc = orjson.loads(doc)
            found.update(filter(None, [doc.get("_sha"), *doc.get("_layers", ())]))
        return found

    # -- resource policies -------------------------------------------------------------------------
    def _policy_owner(self, conn, ref: Ref, qualifier: str) -> tuple[dict | None, str]:
        """The document whose RevisionId a qualifier's policy shares: a version's or an alias's."""
        if qualifier == LATEST or qualifier.isdigit():
            return self._version(conn, ref, qualifier), "version"
        row = conn.one("SELECT doc FROM lambda_aliases WHERE account_id = ? AND region = ? AND function_name = ? "
                       "AND name = ?", (ref.account_id, ref.region, ref.name, qualifier))
        return (orjson.loads(row[0]) if row else None), "alias"

    def change_policy(self, ref: Ref, qualifier: str, change, revision_id: str | None) -> str:
        """Apply `change(holder)` to a qualifier's policy, checking and renewing the owner's RevisionId."""
        with self._writing(ref) as conn:
            meta = self._meta(conn, ref)
            doc, kind = self._policy_owner(conn, ref, qualifier)
            if doc is None:
                raise errors.function_not_found(ref.qualified_arn(qualifier))
            if revision_id and revision_id != doc["RevisionId"]:
                raise errors.precondition_failed()
            change(meta.setdefault("policy", {}).setdefault(qualifier, {}))
            doc["RevisionId"] = str(uuid.uuid4())
            key = (_dump(doc), ref.account_id, ref.region, ref.name, qualifier)
            if kind == "version":
                conn.execute("UPDATE lambda_functions SET doc = ? WHERE account_id = ? AND region = ? AND name = ? "
                             "AND version = ?", key)
            else:
                conn.execute("UPDATE lambda_aliases SET doc = ? WHERE account_id = ? AND region = ? "
                             "AND function_name = ? AND name = ?", key)
            self._put_meta(conn, ref, meta)
        return doc["RevisionId"]

    def policy(self, ref: Ref, qualifier: str) -> tuple[dict, str]:
        """A qualifier's policy holder and the RevisionId it shares with its owner."""
        with self.store.read() as conn:
            meta = self._meta(conn, ref)
            doc, _kind = self._policy_owner(conn, ref, qualifier)
        if doc is None:
            raise errors.function_not_found(ref.qualified_arn(qualifier))
        return meta.get("policy", {}).get(qualifier, {}), doc["RevisionId"]

    # -- meta --------------------------------------------------------------------------------------
    @staticmethod
    def _meta_row(conn, ref: Ref):
        return conn.one("SELECT doc FROM lambda_function_meta WHERE account_id = ? AND region = ? AND name = ?",
                        (ref.account_id, ref.region, ref.name))

    def _meta(self, conn, ref: Ref) -> dict:
        row = self._meta_row(conn, ref)
        if row is None:
            raise errors.function_not_found(ref.arn)
        return orjson.loads(row[0])

    def _forget_qualifier(self, conn, ref: Ref, qualifier: str) -> None:
        """Drop a deleted version's or alias's settings from the function's meta document."""
        meta = self._meta(conn, ref)
        for key in ("event_invoke", "provisioned", "policy"):
            meta.get(key, {}).pop(qualifier, None)
        self._put_meta(conn, ref, meta)

    @staticmethod
    def _put_meta(conn, ref: Ref, meta: dict) -> None:
        conn.execute("UPDATE lambda_function_meta SET doc = ? WHERE account_id = ? AND region = ? AND name = ?",
                     (_dump(meta), ref.account_id, ref.region, ref.name))

    def meta(self, ref: Ref) -> dict:
        with self.store.read() as conn:
            return self._meta(conn, ref)

    def update_meta(self, ref: Ref, change) -> dict:
        """Apply `change(meta, conn)` to the function's meta document atomically; returns its result."""
        with self.store.tx() as conn:
            meta = self._meta(conn, ref)
            result = change(meta)
            self._put_meta(conn, ref, meta)
        return result

    def all_meta(self) -> list[tuple[str, str, str, dict]]:
        with self.store.read() as conn:
            rows = conn.all("SELECT account_id, region, name, doc FROM lambda_function_meta")
        return [(a, r, n, orjson.loads(d)) for a, r, n, d in rows]

    # -- aliases -----------------------------------------------------------------------------------
    @staticmethod
    def _aliases(conn, ref: Ref) -> list[dict]:
        rows = conn.all("SELECT doc FROM lambda_aliases WHERE account_id = ? AND region = ? AND function_name = ? "
                        "ORDER BY name", (ref.account_id, ref.region, ref.name))
        return [orjson.loads(r[0]) for r in rows]

    def aliases(self, ref: Ref) -> list[dict]:
        with self.store.read() as conn:
            self._meta(conn, ref)
            return self._aliases(conn, ref)

    def get_alias(self, ref: Ref, name: str) -> dict | None:
        with self.store.read() as conn:
            row = conn.one("SELECT doc FROM lambda_aliases WHERE account_id = ? AND region = ? AND function_name = ? "
                           "AND name = ?", (ref.account_id, ref.region, ref.name, name))
        return orjson.loads(row[0]) if row else None

    def put_alias(self, ref: Ref, doc: dict, create: bool, revision_id: str | None = None) -> None:
        with self._writing(ref) as conn:
            self._meta(conn, ref)
            key = (ref.account_id, ref.region, ref.name, doc["Name"])
            row = conn.one("SELECT doc FROM lambda_aliases WHERE account_id = ? AND region = ? "
                           "AND function_name = ? AND name = ?", key)
            if create and row is not None:
                raise errors.conflict(f"Alias already exists: {doc['AliasArn']}")
            if not create:
                if row is None:
                    raise errors.not_found(f"Cannot find alias arn: {doc['AliasArn']}")
                if revision_id and orjson.loads(row[0])["RevisionId"] != revision_id:
                    raise errors.precondition_failed()
                conn.execute("DELETE FROM lambda_aliases WHERE account_id = ? AND region = ? "
                             "AND function_name = ? AND name = ?", key)
            conn.execute("INSERT INTO lambda_aliases (account_id, region, function_name, name, doc) "
                         "VALUES (?, ?, ?, ?, ?)", (*key, _dump(doc)))

    def delete_alias(self, ref: Ref, name: str) -> None:
        with self._writing(ref) as conn:
            self._meta(conn, ref)
            conn.execute("DELETE FROM lambda_aliases WHERE account_id = ? AND region = ? AND function_name = ? "
                         "AND name = ?", (ref.account_id, ref.region, ref.name, name))
            self._forget_qualifier(conn, ref, name)
            url_table.forget(conn, ref, name)

    # -- settings ----------------------------------------------------------------------------------
    def setting(self, name: str, default) -> str:
        """A platform-wide value, created once with default() (shared by every node on the store)."""
        with self.store.read() as conn:
            row = conn.one("SELECT value FROM lambda_settings WHERE name = ?", (name,))
        if row:
            return row[0]
        with self.store.tx() as conn:
            row = conn.one("SELECT value FROM lambda_settings WHERE name = ?", (name,))
            if row:
                return row[0]
            value = default()
            conn.execute("INSERT INTO lambda_settings (name, value) VALUES (?, ?)", (name, value))
        return value
