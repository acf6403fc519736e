"""Function URL configurations: the five operations and table `lambda_function_urls`.

A function has at most one URL per target: the unqualified function ($LATEST) or an alias (a
version number is refused by the model's Qualifier pattern, as Lambda refuses it). A row is keyed
by its URL id (32 characters [a-z0-9]), so serving a request finds it in one lookup; the registry
deletes the rows with their function or alias. The URL handed back is rendered per request with
the port the client used: `http://<url-id>.lambda-url.<region>.localhost:<port>/`.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

import orjson

from cloudlet.services.lambda_ import errors, paging, url_cors
from cloudlet.services.lambda_.configuration import now_text
from cloudlet.services.lambda_.registry import LATEST, Ref, parse_ref
from cloudlet.services.lambda_.url_routing import ID_LENGTH
from cloudlet.services.lambda_.url_table import MIGRATIONS
from cloudlet.store import Store

_ALPHABET = string.ascii_lowercase + string.digits
_SETTINGS = ("AuthType", "Cors", "InvokeMode")


@dataclass(frozen=True)
class UrlTarget:
    """What a URL id names: the function (with its alias, if any) and the configuration."""

    url_id: str
    ref: Ref
    config: dict


class UrlStore:
    """The lambda_function_urls table."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate("lambda-urls", MIGRATIONS)

    def get(self, ref: Ref) -> tuple[str, dict] | None:
        with self.store.read() as conn:
            row = conn.one("SELECT url_id, doc FROM lambda_function_urls WHERE account_id = ? AND region = ? "
                           "AND function_name = ? AND qualifier = ?", _key(ref))
        return (row[0], orjson.loads(row[1])) if row else None

    def of_function(self, ref: Ref) -> list[tuple[str, str, dict]]:
        """(qualifier, url id, config) of every URL of a function."""
        with self.store.read() as conn:
            rows = conn.all("SELECT qualifier, url_id, doc FROM lambda_function_urls WHERE account_id = ? "
                            "AND region = ? AND function_name = ?", (ref.account_id, ref.region, ref.name))
        return [(q, u, orjson.loads(d)) for q, u, d in rows]

    def find(self, url_id: str) -> UrlTarget | None:
        with self.store.read() as conn:
            row = conn.one("SELECT account_id, region, function_name, qualifier, doc FROM lambda_function_urls "
                           "WHERE url_id = ?", (url_id,))
        if row is None:
            return None
        account, region, name, qualifier, doc = row
        return UrlTarget(url_id, Ref(account, region, name, qualifier or None), orjson.loads(doc))

    def insert(self, ref: Ref, config: dict, exists) -> str:
        """Store a new URL for `ref` (conflict when it has one); `exists(conn)` checks the target first."""
        url_id = "".join(secrets.choice(_ALPHABET) for _ in range(ID_LENGTH))
        with self.store.tx() as conn:
            exists(conn)
            if conn.one("SELECT 1 FROM lambda_function_urls WHERE account_id = ? AND region = ? "
                        "AND function_name = ? AND qualifier = ?", _key(ref)):
                raise errors.conflict(f"Failed to create function url config for [functionArn = {ref.qualified_arn()}]. "
                                      "Error message:  FunctionUrlConfig exists for this Lambda function")
            conn.execute("INSERT INTO lambda_function_urls (url_id, account_id, region, function_name, qualifier, doc) "
                         "VALUES (?, ?, ?, ?, ?, ?)", (url_id, *_key(ref), orjson.dumps(config).decode()))
        return url_id

    def update(self, ref: Ref, change) -> tuple[str, dict]:
        with self.store.tx() as conn:
            row = conn.one("SELECT url_id, doc FROM lambda_function_urls WHERE account_id = ? AND region = ? "
                           "AND function_name = ? AND qualifier = ?", _key(ref))
            if row is None:
                raise _no_config()
            config = change(orjson.loads(row[1]))
            conn.execute("UPDATE lambda_function_urls SET doc = ? WHERE url_id = ?",
                         (orjson.dumps(config).decode(), row[0]))
        return row[0], config

    def delete(self, ref: Ref) -> bool:
        with self.store.tx() as conn:
            found = conn.one("SELECT 1 FROM lambda_function_urls WHERE account_id = ? AND region = ? "
                             "AND function_name = ? AND qualifier = ?", _key(ref))
            conn.execute("DELETE FROM lambda_function_urls WHERE account_id = ? AND region = ? "
                         "AND function_name = ? AND qualifier = ?", _key(ref))
        return found is not None


def _key(ref: Ref) -> tuple[str, str, str, str]:
    return ref.account_id, ref.region, ref.name, ref.qualifier or ""


def _no_config() -> Exception:
    return errors.not_found("The resource you requested does not exist.")


def _no_function() -> Exception:
    return errors.not_found("Function does not exist")


def url_of(ctx, url_id: str, region: str, default_port: int) -> str:
    """The URL a client reaches a function URL at, on the port it used to reach this server."""
    host = ctx.host
    port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else str(default_port or "")
    suffix = f":{port}" if port and port != "80" else ""
    return f"http://{url_id}.lambda-url.{region}.localhost{suffix}/"


class FunctionUrlOps:
    """The Create/Get/Update/Delete/ListFunctionUrlConfig(s) operations, mixed into the Lambda service."""

    def _url_ref(self, ctx, params: dict, missing=_no_config) -> Ref:
        """The function or alias a URL operation names (Get and Delete find no configuration of a missing one)."""
        ref = parse_ref(ctx, params["FunctionName"], params.get("Qualifier"))
        self._target_exists(ref, missing)
        return ref

    def _target_exists(self, ref: Ref, missing=_no_function) -> None:
        if self.registry.get_version(ref, LATEST) is None:
            raise missing()
        if ref.qualifier and self.registry.get_alias(ref, ref.qualifier) is None:
            raise missing()

    def _url_out(self, ctx, ref: Ref, url_id: str, config: dict, modified: bool = True) -> dict:
        out = {"FunctionUrl": url_of(ctx, url_id, ref.region, self.platform.config.port),
               "FunctionArn": ref.qualified_arn(), "AuthType": config["AuthType"],
               "CreationTime": config["CreationTime"], "InvokeMode": config.get("InvokeMode", "BUFFERED")}
        if config.get("Cors") is not None:
            out["Cors"] = config["Cors"]
        if modified:
            out["LastModifiedTime"] = config["LastModifiedTime"]
        return out

    def create_function_url_config(self, ctx, params: dict) -> dict:
        ref = parse_ref(ctx, params["FunctionName"], params.get("Qualifier"))
        url_cors.check(params.get("Cors"))
        now = now_text()
        config = {k: params[k] for k in _SETTINGS if k in params}
        config.setdefault("InvokeMode", "BUFFERED")
        config.update(CreationTime=now, LastModifiedTime=now)
        url_id = self.urls.insert(ref, config, lambda _conn: self._target_exists(ref))
        return self._url_out(ctx, ref, url_id, config, modified=False)

    def get_function_url_config(self, ctx, params: dict) -> dict:
        ref = self._url_ref(ctx, params)
        found = self.urls.get(ref)
        if found is None:
            raise _no_config()
        return self._url_out(ctx, ref, *found)

    def update_function_url_config(self, ctx, params: dict) -> dict:
        ref = self._url_ref(ctx, params, _no_function)
        url_cors.check(params.get("Cors"))

        def change(config: dict) -> dict:
            config.update({k: params[k] for k in _SETTINGS if k in params})
            config["LastModifiedTime"] = now_text()
            return config
        return self._url_out(ctx, ref, *self.urls.update(ref, change))

    def delete_function_url_config(self, ctx, params: dict) -> dict:
        ref = self._url_ref(ctx, params)
        if not self.urls.delete(ref):
            raise _no_config()
        return {}

    def list_function_url_configs(self, ctx, params: dict) -> dict:
        ref = parse_ref(ctx, params["FunctionName"])
        self._target_exists(Ref(ref.account_id, ref.region, ref.name))
        items = [(Ref(ref.account_id, ref.region, ref.name, q or None), u, c) for q, u, c in self.urls.of_function(ref)]
        # unqualified first, then aliases by name ("0" / "1<alias>": a position is never empty)
        return paging.page(items, params, "FunctionUrlConfigs", lambda i: "1" + i[0].qualifier if i[0].qualifier else "0",
                           lambda i: self._url_out(ctx, *i))
