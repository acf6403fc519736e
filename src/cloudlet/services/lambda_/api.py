"""Lambda operations (rest-json): functions, versions, aliases, invoke, concurrency, async, layers.

The documents live in the store (registry.py, layers.py); functions run in compute/'s Pool
(runner.py); Event invocations go through the durable queue (asyncq.py).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import re
import secrets
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.aws.http import HttpRequest, HttpResponse
from cloudlet.aws.validate import validate_input
from cloudlet.compute.codestore import UNZIPPED_LIMIT
from cloudlet.compute.errors import InvalidCode, Throttled
from cloudlet.compute.model import InvocationMeta
from cloudlet.services.base import Service
from cloudlet.services.lambda_ import configuration as conf
from cloudlet.services.lambda_ import errors, input_rules, paging
from cloudlet.services.lambda_.asyncq import AsyncQueue
from cloudlet.services.lambda_.blobs import Blobs, Package
from cloudlet.services.lambda_.code import HOT_RELOAD_BUCKET, ZIPPED_LIMIT, CodeUrls, store_code
from cloudlet.services.lambda_.code_signing import MIGRATIONS as CODE_SIGNING_MIGRATIONS
from cloudlet.services.lambda_.code_signing import CodeSigningOps
from cloudlet.services.lambda_.esm import EventSourceMappingOps, mapping_not_found
from cloudlet.services.lambda_.esm_pollers import Pollers
from cloudlet.services.lambda_.esm_store import MappingStore
from cloudlet.services.lambda_.function_urls import FunctionUrlOps, UrlStore
from cloudlet.services.lambda_.invoke_stream import InvokeStreamOps
from cloudlet.services.lambda_.layers import LAYER_VERSION_ARN, Layers, layer_arn, layer_name
from cloudlet.services.lambda_.policy import PolicyDoc, function_statement, layer_statement
from cloudlet.services.lambda_.registry import LATEST, Ref, Registry, parse_ref, public
from cloudlet.services.lambda_.runner import Runner
from cloudlet.services.lambda_.runtime_management import RuntimeManagementOps
from cloudlet.services.lambda_.schema import MIGRATIONS
from cloudlet.services.lambda_.url_serving import UrlServer

log = logging.getLogger("cloudlet.lambda")

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
MIN_UNRESERVED = 100
TOTAL_CODE_LIMIT = 80_530_636_800
_ALIAS_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_ESM_ARN = re.compile(r"arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:event-source-mapping:([0-9a-f-]{36})")


class Lambda(EventSourceMappingOps, FunctionUrlOps, InvokeStreamOps, RuntimeManagementOps, CodeSigningOps, Service):
    name = "lambda"

    def __init__(self, platform) -> None:
        super().__init__(platform)
        self.store.migrate("lambda", MIGRATIONS)
        self.store.migrate("lambda_code_signing", CODE_SIGNING_MIGRATIONS)
        self.registry = Registry(self.store)
        self.layers = Layers(self.store)
        self.blobs = Blobs(self.store)
        self.runner = Runner(platform, fetch_code=self.blobs.get, stored_code=self.blobs.hashes)
        code = self.runner.pool.code
        self.blobs.adopt(code.root / "blobs", code.unzipped_size)
        self.queue = AsyncQueue(self)
        self.esm_store = MappingStore(self.store)
        self.pollers = Pollers(self)
        self.code_urls = CodeUrls(self._code_url_secret, self.blobs.get)
        self.urls = UrlStore(self.store)
        self.url_server = UrlServer(self)
        self._provisioning: set[asyncio.Task] = set()

    def _code_url_secret(self) -> bytes:
        return bytes.fromhex(self.registry.setting("code-url-secret", lambda: secrets.token_hex(32)))

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.runner.start()
        for account, region, name, meta in self.registry.all_meta():
            if meta.get("reserved") is not None:
                self.runner.pool.set_reserved_concurrency(account, name, meta["reserved"])
            for qualifier, pc in meta.get("provisioned", {}).items():
                self._provision_soon(Ref(account, region, name, qualifier), pc["Requested"])
        await self.queue.start()
        await self.pollers.start()

    async def stop(self) -> None:
        await self.pollers.stop()
        await self.queue.stop()
        for task in self._provisioning:
            task.cancel()
        await self.runner.stop()

    def reset(self) -> None:
        self.registry.cache.clear()
        self.pollers.reset()
        self.runner.forget()

    def validate(self, op, params: dict) -> None:
        input_rules.check(op, params)
        validate_input(op, params, check_enums=True)
        conf.check_patterns(op, params)

    # -- platform endpoints (/_cloudlet/lambda/...) ------------------------------------------------
    async def platform_endpoint(self, req: HttpRequest) -> HttpResponse:
        """Code downloads (GetFunction's Code.Location) and the metering totals."""
        if req.method == "GET" and req.path.startswith(CodeUrls.PREFIX):
            data = await self.platform.run_sync(self.code_urls.read, req.path, dict(parse_qsl(req.query_string)))
            if data is None:
                return HttpResponse(403, {"Content-Type": "text/plain"}, b"Access denied or URL expired")
            return HttpResponse(200, {"Content-Type": "application/zip"}, data)
        if req.method == "GET" and req.path == "/_cloudlet/lambda/metering":
            if not self.platform.auth.is_admin(req):  # every account's figures: admins only in strict mode
                return HttpResponse(403, {"Content-Type": "text/plain"}, b"metering needs an admin key")
            totals = {arn: usage.as_dict() for arn, usage in sorted(self.runner.metering.usage.items())}
            return HttpResponse(200, {"Content-Type": "application/json"}, orjson.dumps({"Functions": totals}))
        return HttpResponse(404, {"Content-Type": "text/plain"}, b"not found")

    async def serve_function_url(self, req: HttpRequest) -> HttpResponse:
        """A request to a function URL (host or path form, see url_serving.py)."""
        return await self.url_server.serve(req)

    # -- helpers -----------------------------------------------------------------------------------
    def parse(self, ctx, function_name: str, qualifier: str | None = None) -> Ref:
        return parse_ref(ctx, function_name, qualifier)

    def _ref(self, ctx, params: dict, qualified: bool = False) -> Ref:
        return parse_ref(ctx, params["FunctionName"], params.get("Qualifier") if qualified else None)

    def _version_doc(self, ref: Ref) -> dict:
        """The document a (function, qualifier) names: $LATEST, a version, or an alias's version."""
        qualifier = ref.qualifier or LATEST
        if qualifier == LATEST or qualifier.isdigit():
            doc = self.registry.get_version(ref, qualifier)
        else:
            alias = self.registry.get_alias(ref, qualifier)
            doc = self.registry.get_version(ref, alias["FunctionVersion"]) if alias else None
        if doc is None:
            raise errors.function_not_found(ref.qualified_arn() if ref.qualifier else ref.arn)
        return doc

    async def resolve(self, ref: Ref) -> tuple[dict, str]:
        """The version an invocation runs (alias weights drawn per call) and the version's name."""
        qualifier = ref.qualifier or LATEST
        version = qualifier
        if not (qualifier == LATEST or qualifier.isdigit()):
            alias = await self.platform.run_sync(self.registry.resolved_alias, ref, qualifier)
            if alias is None:
                raise errors.function_not_found(ref.qualified_arn())
            version = alias["FunctionVersion"]
            draw = random.random()
            for extra, weight in (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights", {}).items():
                if draw < weight:
                    version = extra
                    break
                draw -= weight
        doc = await self.platform.run_sync(self.registry.resolved_version, ref, version)
        if doc is None:  # an invocation names the version it looked for, $LATEST when none was given
            raise errors.function_not_found(ref.qualified_arn(qualifier))
        return doc, version

    async def _layers(self, arns: list[str] | None, region: str) -> list[dict] | None:
        if arns is None:
            return None
        if any(arn.split(":")[3] != region for arn in arns):
            raise errors.invalid(f"Layers are not in the same region as the function. Layers are expected to be in "
                                 f"region {region}.")
        docs = [await self.platform.run_sync(self.layers.by_arn, arn) for arn in arns]
        try:
            await asyncio.to_thread(self.runner.pool.code.merged_layers, [d["_sha"] for d in docs])
        except InvalidCode as exc:
            raise errors.invalid(str(exc)) from None
        return docs

    def _code_write(self, package: Package | None, released, needs: list[str], fn, *args):
        """Run `fn(*args)`, a write of documents naming packages, in one transaction with the package
        stored first; the packages `released(conn)` listed before the write go if nothing names them
        after it. `needs` are packages (layers) that must still exist."""
        with self.blobs.changing(package) as conn:
            before = released(conn) if released else ()
            if self.blobs.missing(conn, needs):
                raise errors.invalid("A layer version of the function does not exist any more.")
            result = fn(*args)
            self.blobs.release(conn, before)
        return result

    def _function_packages(self, ref: Ref):
        return lambda conn: self.registry.packages(conn, ref)

    def _code_location(self, ctx, doc: dict) -> dict:
        if doc.get("_dir"):
            return {"RepositoryType": "S3", "Location": doc["_dir"]}
        return {"RepositoryType": "S3", "Location": self.code_urls.url(ctx.base_url or self.runner.settings.endpoint_url,
                                                                        doc["_sha"])}

    def _retire(self, ref: Ref) -> None:
        self.runner.retire(ref.account_id, ref.name)

    def _prepare_soon(self, ref: Ref, doc: dict) -> None:
        """Warm the template of the new $LATEST configuration in the background."""
        async def prepare() -> None:
            try:
                await self.runner.prepare(Ref(ref.account_id, ref.region, ref.name), doc)
                current = await self.platform.run_sync(self.registry.get_version, ref)
                if current is None or conf.config_revision(current) != conf.config_revision(doc):  # changed meanwhile
                    self.runner.retire_prepared(ref.account_id, ref.name)
            except Exception:
                log.exception("preparing %s", ref.name)
        task = self.platform.loop.create_task(prepare())
        self._provisioning.add(task)
        task.add_done_callback(self._provisioning.discard)

    # -- functions ---------------------------------------------------------------------------------
    async def create_function(self, ctx, params: dict) -> dict:
        conf.check_settings(params)
        ref = parse_ref(ctx, params["FunctionName"])
        if ref.qualifier:
            raise errors.invalid("Unqualified function name expected.")
        conf.check_package(params)
        if self.registry.get_version(ref) is not None:
            raise errors.conflict(f"Function already exist: {ref.name}")
        layers = await self._layers(params.get("Layers"), ref.region) or []
        code, package = await store_code(self.runner.pool.code, params.get("Code") or {}, "CreateFunction")
        latest = conf.new_function(ref, params, code, layers)
        meta = {"tags": params.get("Tags") or {}, "next_version": 1}
        if params.get("CodeSigningConfigArn"):
            meta["code_signing"] = self.checked_code_signing_arn(ctx, params["CodeSigningConfigArn"])
        published = None
        if params.get("Publish"):
            meta["next_version"] = 2
            published = conf.version_of(latest, "1", ref, None)
        await self.platform.run_sync(self._code_write, package, None, latest.get("_layers", []),
                                     self.registry.create, ref, latest, meta, published)
        self._prepare_soon(ref, latest)
        out = conf.in_progress(published or latest, create=True)
        out["FunctionArn"] = ref.arn  # with Publish too: Lambda answers version "1" under the unqualified ARN
        return out

    def _configuration(self, ref: Ref, doc: dict) -> dict:
        """The configuration a qualified read returns: an alias or an explicit $LATEST keeps its own ARN."""
        out = public(doc)
        if ref.qualifier and not ref.qualifier.isdigit():
            out["FunctionArn"] = ref.qualified_arn()
        return out

    def get_function(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params, qualified=True)
        doc = self._version_doc(ref)
        meta = self.registry.meta(ref)
        out = {"Configuration": self._configuration(ref, doc), "Code": self._code_location(ctx, doc)}
        if ref.qualifier:  # a qualified read answers what belongs to that version only
            return out
        if meta.get("tags"):
            out["Tags"] = meta["tags"]
        if meta.get("reserved") is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": meta["reserved"]}
        return out

    def get_function_configuration(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params, qualified=True)
        return self._configuration(ref, self._version_doc(ref))

    def list_functions(self, ctx, params: dict) -> dict:
        limit = min(params.get("MaxItems", paging.MAX_ITEMS), paging.MAX_ITEMS)  # 50 at most, whatever is asked
        all_versions = params.get("FunctionVersion") == "ALL"
        after, _, vnum = paging.decode_marker(params.get("Marker")).partition("\0")  # "name" or "name\0vnum" (ALL)
        # without a version in the marker, continue past every version of the marker's function
        after_vnum = int(vnum) if all_versions and vnum.isdigit() else 1 << 62
        docs = self.registry.list_latest(ctx.account_id, ctx.region, after, limit + 1, all_versions, after_vnum)
        page, rest = docs[:limit], docs[limit:]
        out = {"Functions": [_listed_version(d) if all_versions else _listed(d) for d in page]}
        if rest:
            out["NextMarker"] = paging.encode_marker(
                _position(page[-1]) if all_versions else page[-1]["FunctionName"])
        return out

    async def delete_function(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params, qualified=True)
        if ref.qualifier and ref.qualifier != LATEST:
            if not ref.qualifier.isdigit():
                raise errors.invalid("Deletion of aliases is not currently supported.")
            if self.registry.get_version(ref, ref.qualifier) is None:
                self.registry.meta(ref)  # a missing function is not found; a missing version is nothing to do
                return {"StatusCode": 204}
            await self.platform.run_sync(self._code_write, None, self._function_packages(ref), [],
                                         self.registry.delete_version, ref, ref.qualifier)
        else:
            if ref.qualifier == LATEST:
                raise errors.invalid("$LATEST version cannot be deleted without deleting the function.")
            await self.platform.run_sync(self._code_write, None, self._function_packages(ref), [],
                                         self.registry.delete_function, ref)
            self.runner.pool.set_reserved_concurrency(ref.account_id, ref.name, None)
        self._retire(ref)
        return {"StatusCode": 204}

    def _latest_ref(self, ctx, params: dict) -> Ref:
        """The function an operation that changes $LATEST alone names (a version suffix is refused)."""
        ref = self._ref(ctx, params)
        if ref.qualifier and ref.qualifier != LATEST:
            raise errors.invalid("Current operation does not support versions other than $LATEST")
        return Ref(ref.account_id, ref.region, ref.name)

    async def update_function_code(self, ctx, params: dict) -> dict:
        ref = self._latest_ref(ctx, params)
        if self.registry.get_version(ref) is None:
            raise errors.function_not_found(ref.arn)
        if params.get("ImageUri"):
            raise errors.invalid("Please don't provide ImageUri when updating a function with packageType Zip.")
        source = {k: params[k] for k in ("ZipFile", "S3Bucket", "S3Key", "S3ObjectVersion") if k in params}
        code, package = await store_code(self.runner.pool.code, source, "UpdateFunctionCode")
        if params.get("Architectures"):  # the package is built for them, so they change with it
            code["Architectures"] = list(params["Architectures"])
        if params.get("DryRun"):
            doc = dict(self.registry.get_version(ref))
            doc.update(code)
            return public(doc)

        def change(doc: dict) -> dict:
            doc.pop("_sha", None)
            doc.pop("_dir", None)
            doc.update(code)
            return conf.touched(doc)

        doc = await self.platform.run_sync(self._code_write, package, self._function_packages(ref), [],
                                           self.registry.update_latest, ref, change, params.get("RevisionId"))
        self._retire(ref)
        self._prepare_soon(ref, doc)
        if params.get("Publish"):  # the answer is the new version, still being created
            doc = await self._publish(ref, None, None, None)
        return conf.in_progress(doc, create=bool(params.get("Publish")))

    async def update_function_configuration(self, ctx, params: dict) -> dict:
        conf.check_settings(params)
        ref = self._latest_ref(ctx, params)
        if self.registry.get_version(ref) is None:
            raise errors.function_not_found(ref.arn)
        layers = await self._layers(params.get("Layers"), ref.region)
        doc = await self.platform.run_sync(
            self._code_write, None, self._function_packages(ref), [d["_sha"] for d in layers or ()],
            self.registry.update_latest, ref, lambda d: conf.apply_update(d, params, layers), params.get("RevisionId"))
        self._retire(ref)
        self._prepare_soon(ref, doc)
        return conf.in_progress(doc, create=False)

    # -- versions ----------------------------------------------------------------------------------
    async def _publish(self, ref: Ref, code_sha, revision_id, description) -> dict:
        make = lambda latest, n: conf.version_of(latest, n, ref, description)  # noqa: E731
        return await self.platform.run_sync(self._code_write, None, None, [], self.registry.publish, ref, make,
                                            code_sha, revision_id, conf.published_state)

    async def publish_version(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params)
        doc = await self._publish(ref, params.get("CodeSha256"), params.get("RevisionId"), params.get("Description"))
        return public(doc)

    def list_versions_by_function(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params)
        docs = self.registry.versions(ref)
        if not docs:
            raise errors.function_not_found(ref.arn)
        capped = dict(params, MaxItems=min(params.get("MaxItems", paging.MAX_ITEMS), paging.MAX_ITEMS))
        return paging.page(docs, capped, "Versions", _version_position, _listed_version)

    # -- aliases -----------------------------------------------------------------------------------
    def _alias_doc(self, ref: Ref, name: str, version: str, description: str, routing: dict | None) -> dict:
        if self.registry.get_version(ref, version) is None:  # a missing function names the version too
            raise errors.function_not_found(ref.qualified_arn(version))
        doc = {"AliasArn": ref.qualified_arn(name), "Name": name, "FunctionVersion": version,
               "Description": description, "RevisionId": str(uuid.uuid4())}
        weights = (routing or {}).get("AdditionalVersionWeights") or {}
        if weights:
            if len(weights) > 1:
                raise errors.invalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
            for extra, weight in weights.items():
                if extra == version:
                    raise errors.invalid(f"Invalid function version {extra}. Function version {extra} is already "
                                         "included in routing configuration.")
                if version == LATEST or extra == LATEST:
                    raise AWSError("InvalidParameterValueException",
                                   "$LATEST is not supported for an alias pointing to more than 1 version", 400)
                if self.registry.get_version(ref, extra) is None:
                    raise errors.function_not_found(ref.qualified_arn(extra))
                if not 0.0 <= weight <= 1.0:
                    raise errors.invalid("Weights must be between 0.0 and 1.0")
            doc["RoutingConfig"] = {"AdditionalVersionWeights": dict(weights)}
        return doc

    def create_alias(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params)
        doc = self._alias_doc(ref, params["Name"], params["FunctionVersion"], params.get("Description", ""),
                              params.get("RoutingConfig"))
        self.registry.put_alias(ref, doc, create=True)
        return doc

    def get_alias(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params)
        self.registry.meta(ref)
        doc = self.registry.get_alias(ref, params["Name"])
        if doc is None:
            raise errors.not_found(f"Cannot find alias arn: {ref.qualified_arn(params['Name'])}")
        return doc

    def update_alias(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params)
        self.registry.meta(ref)
        current = self.registry.get_alias(ref, params["Name"])
        if current is None:
            raise errors.not_found(f"Alias not found: {ref.qualified_arn(params['Name'])}")
        routing = params["RoutingConfig"] if "RoutingConfig" in params else current.get("RoutingConfig")
        doc = self._alias_doc(ref, current["Name"], params.get("FunctionVersion", current["FunctionVersion"]),
                              params.get("Description", current["Description"]), routing)
        self.registry.put_alias(ref, doc, create=False, revision_id=params.get("RevisionId"))
        return doc

    def delete_alias(self, ctx, params: dict) -> dict:
        self.registry.delete_alias(self._ref(ctx, params), params["Name"])
        return {}

    def list_aliases(self, ctx, params: dict) -> dict:
        docs = self.registry.aliases(self._ref(ctx, params))
        if params.get("FunctionVersion"):
            docs = [d for d in docs if d["FunctionVersion"] == params["FunctionVersion"]]
        return paging.page(docs, params, "Aliases", lambda d: d["Name"], dict)

    # -- invoke ------------------------------------------------------------------------------------
    @staticmethod
    def checked_payload(payload: bytes, kind: str = "RequestResponse") -> bytes:
        """An Invoke payload within Lambda's limits and valid JSON (`{}` for an empty one)."""
        if kind == "Event":
            if len(payload) > ASYNC_PAYLOAD_LIMIT:
                raise errors.too_large(f"{len(payload)} byte payload is too large for the Event invocation type "
                                       f"(limit {ASYNC_PAYLOAD_LIMIT} bytes)")
        elif len(payload) > SYNC_PAYLOAD_LIMIT:
            raise errors.too_large(f"Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction "
                                   "operation")
        if not payload:
            return b"{}"
        try:
            orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise AWSError("InvalidRequestContentException", "Could not parse request body into json: "
                           "Could not parse payload into json", 400, fields={"Type": "User"}) from None
        return payload

    @staticmethod
    def invocation_meta(ctx, ref: Ref, params: dict) -> InvocationMeta:
        """The InvocationMeta of an Invoke-style request: its request id, client context, log tail and trace."""
        return InvocationMeta(request_id=ctx.request_id, client_context=params.get("ClientContext") or "",
                              invoked_function_arn=ref.qualified_arn(), log_tail=params.get("LogType") == "Tail",
                              trace_id=(ctx.http.headers.get("x-amzn-trace-id", "") if ctx.http else ""))

    async def run_sync_invocation(self, ref: Ref, doc: dict, payload: bytes, meta: InvocationMeta):
        """Run a resolved version synchronously (the path Invoke, function URLs and streams share)."""
        config = await self.runner.config_for(ref, doc)
        try:
            return await self.runner.invoke(config, payload, meta)
        except Throttled as exc:
            raise errors.throttled(exc.reason) from None

    async def invoke(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params, qualified=True)
        kind = params.get("InvocationType", "RequestResponse")
        payload = self.checked_payload(bytes(params.get("Payload") or b""), kind)
        doc, version = await self.resolve(ref)
        if kind == "DryRun":
            return {"StatusCode": 204}
        if kind == "Event":
            await self.platform.run_sync(self.queue.enqueue, ref, ref.qualifier or LATEST, payload, ctx.request_id)
            self.queue.wake()
            return {"StatusCode": 202}
        meta = self.invocation_meta(ctx, ref, params)
        result = await self.run_sync_invocation(ref, doc, payload, meta)
        out = {"StatusCode": 200, "Payload": result.payload, "ExecutedVersion": version}
        if result.function_error:
            out["FunctionError"] = result.function_error
        if meta.log_tail:
            out["LogResult"] = base64.b64encode(result.log_tail.encode()).decode()
        return out

    # -- concurrency -------------------------------------------------------------------------------
    def _reserved_total(self, account_id: str, region: str, excluding: str | None = None) -> int:
        return sum(m.get("reserved") or 0 for a, r, n, m in self.registry.all_meta()
                   if a == account_id and r == region and n != excluding)

    def put_function_concurrency(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params)
        value = params["ReservedConcurrentExecutions"]
        if ref.qualifier:
            raise errors.invalid("This operation is permitted on Lambda functions only. Aliases and versions do not "
                                 "support this operation. Please specify either a function name or an unqualified "
                                 "function ARN.")
        if self.registry.get_version(ref) is None:
            raise errors.function_not_found(ref.qualified_arn(LATEST))
        provisioned = _provisioned_total(self.registry.meta(ref))
        if value < provisioned:  # worded (and without Type) as Lambda answers it
            raise AWSError("InvalidParameterValueException", f" ReservedConcurrentExecutions  {value} should not be "
                           f"lower than function's total provisioned concurrency [{provisioned}].", 400)
        limit = self.runner.settings.account_concurrency
        if limit - self._reserved_total(ref.account_id, ref.region, ref.name) - value < min(MIN_UNRESERVED, limit):
            raise errors.invalid("Specified ReservedConcurrentExecutions for function decreases account's "
                                 f"UnreservedConcurrentExecution below its minimum value of [{min(MIN_UNRESERVED, limit)}].")
        self.registry.update_meta(ref, lambda m: m.__setitem__("reserved", value))
        self.runner.pool.set_reserved_concurrency(ref.account_id, ref.name, value)
        return {"ReservedConcurrentExecutions": value}

    def get_function_concurrency(self, ctx, params: dict) -> dict:
        meta = self.registry.meta(self._ref(ctx, params))
        return {} if meta.get("reserved") is None else {"ReservedConcurrentExecutions": meta["reserved"]}

    def delete_function_concurrency(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params)
        self.registry.update_meta(ref, lambda m: m.pop("reserved", None))
        self.runner.pool.set_reserved_concurrency(ref.account_id, ref.name, None)
        return {}

    def get_account_settings(self, ctx, params: dict) -> dict:
        limit = self.runner.settings.account_concurrency
        metas = [m for a, r, _n, m in self.registry.all_meta() if a == ctx.account_id and r == ctx.region]
        reserved = sum(m.get("reserved") or 0 for m in metas)
        with self.store.read() as conn:
            docs = [orjson.loads(d) for (d,) in conn.all(
                "SELECT doc FROM lambda_functions WHERE account_id = ? AND region = ?", (ctx.account_id, ctx.region))]
            layers = [orjson.loads(d) for (d,) in conn.all(
                "SELECT doc FROM lambda_layers WHERE account_id = ? AND region = ?", (ctx.account_id, ctx.region))]
        code_size = sum(d.get("CodeSize", 0) for d in docs) + sum(d["Content"]["CodeSize"] for d in layers)
        return {
            "AccountLimit": {"TotalCodeSize": TOTAL_CODE_LIMIT, "CodeSizeUnzipped": UNZIPPED_LIMIT,
                             "CodeSizeZipped": ZIPPED_LIMIT, "ConcurrentExecutions": limit,
                             "UnreservedConcurrentExecutions": limit - reserved},
            "AccountUsage": {"TotalCodeSize": code_size, "FunctionCount": len(metas)},  # layer versions count too
        }

    # provisioned concurrency
    def _pc_ref(self, ctx, params: dict, putting: bool = False) -> Ref:
        ref = self._ref(ctx, params, qualified=True)
        if not ref.qualifier or ref.qualifier == LATEST:
            raise errors.invalid("Provisioned Concurrency Configs cannot be applied to unpublished function versions."
                                 if putting else "The function resource provided must be an alias or a published "
                                 "version.")
        if ref.qualifier.isdigit():
            self._version_doc(ref)
        elif self.registry.get_alias(ref, ref.qualifier) is None:
            raise errors.not_found(f"Cannot find alias arn: {ref.qualified_arn()}")
        return ref

    def _check_provisioning(self, ref: Ref, count: int) -> None:
        """Account limits, and one configuration per version whether set on it or on an alias of it."""
        limit = self.runner.settings.account_concurrency
        if count > limit:
            raise errors.invalid(f"Specified ConcurrentExecutions for function is greater than account's unreserved "
                                 f"concurrency [{limit}].")
        if limit - self._reserved_total(ref.account_id, ref.region) - count < min(MIN_UNRESERVED, limit):
            raise errors.invalid("Specified ConcurrentExecutions for function decreases account's "
                                 f"UnreservedConcurrentExecution below its minimum value of [{min(MIN_UNRESERVED, limit)}].")
        provisioned = self.registry.meta(ref).get("provisioned", {})
        if ref.qualifier.isdigit():
            if any(a["FunctionVersion"] == ref.qualifier and a["Name"] in provisioned
                   for a in self.registry.aliases(ref)):
                raise errors.conflict("Version is pointed by a Provisioned Concurrency alias")
        elif self.registry.get_alias(ref, ref.qualifier)["FunctionVersion"] in provisioned:
            raise errors.conflict("Alias can't be used for Provisioned Concurrency configuration on an already "
                                  "Provisioned version")

    def _provision_soon(self, ref: Ref, count: int) -> None:
        """Start provisioning in the background (callable from the loop or a worker thread)."""
        def begin() -> None:
            task = self.platform.loop.create_task(self._provision(ref, count))
            self._provisioning.add(task)
            task.add_done_callback(self._provisioning.discard)
        self.platform.loop.call_soon_threadsafe(begin)

    async def _provision(self, ref: Ref, count: int) -> None:
        try:
            doc = await self.platform.run_sync(self._version_doc, ref)
            config = await self.runner.config_for(ref, doc)
            ready = await self.runner.pool.provision(config, count)
            status, reason = ("READY", None) if ready >= count else ("FAILED", "Environments failed to start")
        except Exception as exc:
            log.exception("provisioning %s", ref.qualified_arn())
            ready, status, reason = 0, "FAILED", str(exc)

        def change(meta: dict) -> None:
            pc = meta.get("provisioned", {}).get(ref.qualifier)
            if pc is not None and pc["Requested"] == count:
                pc.update({"Available": ready, "Allocated": ready, "Status": status})
                if reason:
                    pc["StatusReason"] = reason
        if count:
            try:
                await self.platform.run_sync(self.registry.update_meta, ref, change)
            except AWSError:
                pass  # deleted meanwhile

    def put_provisioned_concurrency_config(self, ctx, params: dict) -> dict:
        ref = self._pc_ref(ctx, params, putting=True)
        count = params["ProvisionedConcurrentExecutions"]
        self._check_provisioning(ref, count)
        meta = self.registry.meta(ref)
        reserved = meta.get("reserved")
        if reserved is not None and count + _provisioned_total(meta, excluding=ref.qualifier) > reserved:
            raise errors.invalid("Requested Provisioned Concurrency should not be greater than the "
                                 "reservedConcurrentExecution for function")
        pc = {"Requested": count, "Available": 0, "Allocated": 0, "Status": "IN_PROGRESS",
              "LastModified": conf.now_text()}
        self.registry.update_meta(ref, lambda m: m.setdefault("provisioned", {}).__setitem__(ref.qualifier, pc))
        self._provision_soon(ref, count)
        return _pc_out(ref, pc)

    def get_provisioned_concurrency_config(self, ctx, params: dict) -> dict:
        ref = self._pc_ref(ctx, params)
        pc = self.registry.meta(ref).get("provisioned", {}).get(ref.qualifier)
        if pc is None:
            raise AWSError("ProvisionedConcurrencyConfigNotFoundException",
                           "No Provisioned Concurrency Config found for this function", 404, fields={"Type": "User"})
        return _pc_out(ref, pc)

    def delete_provisioned_concurrency_config(self, ctx, params: dict) -> dict:
        ref = self._pc_ref(ctx, params)
        self.registry.update_meta(ref, lambda m: m.get("provisioned", {}).pop(ref.qualifier, None))
        self._provision_soon(ref, 0)
        return {}

    def list_provisioned_concurrency_configs(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params)
        items = sorted(self.registry.meta(ref).get("provisioned", {}).items())
        configs = [dict(_pc_out(Ref(ref.account_id, ref.region, ref.name, q), pc),
                        FunctionArn=ref.qualified_arn(q)) for q, pc in items]
        return paging.page(configs, params, "ProvisionedConcurrencyConfigs", lambda d: d["FunctionArn"], dict)

    # -- event invoke configs ----------------------------------------------------------------------
    def _eic_ref(self, ctx, params: dict, must_exist: bool = True) -> Ref:
        ref = self._ref(ctx, params, qualified=True)
        ref = Ref(ref.account_id, ref.region, ref.name, ref.qualifier or LATEST)
        if must_exist:
            try:
                self._version_doc(ref)
            except AWSError:
                raise _no_function() from None
        return ref

    def _eic_config(self, ref: Ref) -> dict:
        """The event invoke config of a qualifier (the same not-found answer when the function is missing)."""
        try:
            config = self.registry.meta(ref).get("event_invoke", {}).get(ref.qualifier)
        except AWSError:
            config = None
        if config is None:
            raise errors.not_found(f"The function {ref.qualified_arn()} doesn't have an EventInvokeConfig")
        return config

    def _check_destinations(self, ctx, ref: Ref, destinations: dict | None) -> None:
        for which in ("OnSuccess", "OnFailure"):
            target = ((destinations or {}).get(which) or {}).get("Destination")
            kinds = ("arn:aws:sqs:", "arn:aws:sns:", "arn:aws:lambda:", "arn:aws:events:")
            if which == "OnFailure":
                kinds += ("arn:aws:s3:",)  # a bucket only keeps failures
            if target and not target.startswith(kinds):
                raise errors.invalid(f"The provided destination config {_destination_text(destinations)} is invalid.")
            if target and target.startswith("arn:aws:lambda:"):
                try:
                    other = parse_ref(ctx, target)
                    self._version_doc(other)
                except AWSError:
                    raise errors.invalid(f"The destination ARN {target} is invalid.") from None
                if other.name == ref.name:
                    raise errors.invalid("You can't specify the function as a destination for itself.")

    def _put_eic(self, ctx, params: dict, merge: bool) -> dict:
        ref = self._eic_ref(ctx, params)
        self._check_destinations(ctx, ref, params.get("DestinationConfig"))

        def change(meta: dict) -> dict:
            configs = meta.setdefault("event_invoke", {})
            current = configs.get(ref.qualifier, {}) if merge else {}
            for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"):
                if key in params:
                    current[key] = params[key]
            current["LastModified"] = datetime.now(UTC).timestamp()
            configs[ref.qualifier] = current
            return current
        return _eic_out(ref, self.registry.update_meta(ref, change))

    def put_function_event_invoke_config(self, ctx, params: dict) -> dict:
        return self._put_eic(ctx, params, merge=False)

    def update_function_event_invoke_config(self, ctx, params: dict) -> dict:
        self._eic_config(self._eic_ref(ctx, params))
        return self._put_eic(ctx, params, merge=True)

    def get_function_event_invoke_config(self, ctx, params: dict) -> dict:
        ref = self._eic_ref(ctx, params, must_exist=False)
        return _eic_out(ref, self._eic_config(ref))

    def delete_function_event_invoke_config(self, ctx, params: dict) -> dict:
        ref = self._eic_ref(ctx, params, must_exist=False)
        self._eic_config(ref)
        self.registry.update_meta(ref, lambda m: m.get("event_invoke", {}).pop(ref.qualifier, None))
        return {}

    def list_function_event_invoke_configs(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params)
        try:
            items = sorted(self.registry.meta(ref).get("event_invoke", {}).items())
        except AWSError:
            raise _no_function() from None
        configs = [_eic_out(Ref(ref.account_id, ref.region, ref.name, q), c) for q, c in items]
        return paging.page(configs, params, "FunctionEventInvokeConfigs", lambda d: d["FunctionArn"], dict)

    # -- permissions -------------------------------------------------------------------------------
    def _policy_target(self, ctx, params: dict, missing_function=None) -> Ref:
        """The function, version or alias a permission operation names, as Lambda refuses a missing one."""
        ref = self._ref(ctx, params, qualified=True)
        if self.registry.get_version(ref) is None:
            raise missing_function(ref) if missing_function else errors.function_not_found(ref.arn)
        if ref.qualifier and ref.qualifier != LATEST:
            if ref.qualifier.isdigit() or not _ALIAS_NAME.fullmatch(ref.qualifier):
                self._version_doc(ref)
            elif self.registry.get_alias(ref, ref.qualifier) is None:
                raise errors.not_found(f"Cannot find alias arn: {ref.qualified_arn()}")
        return ref

    def add_permission(self, ctx, params: dict) -> dict:
        ref = self._policy_target(ctx, params)
        if ref.qualifier == LATEST:
            raise errors.invalid("We currently do not support adding policies for $LATEST.")
        statement = function_statement(params, ref.qualified_arn())
        self.registry.change_policy(ref, ref.qualifier or LATEST, lambda holder: PolicyDoc(holder).add(statement),
                                    params.get("RevisionId"))
        return {"Statement": orjson.dumps(statement).decode()}

    def remove_permission(self, ctx, params: dict) -> dict:
        ref = self._policy_target(ctx, params, lambda r: errors.not_found(f"No policy found for: {r.qualified_arn()}"))
        if not self.registry.policy(ref, ref.qualifier or LATEST)[0].get("statements"):
            raise errors.not_found("No policy is associated with the given resource.")
        self.registry.change_policy(ref, ref.qualifier or LATEST,
                                    lambda holder: PolicyDoc(holder).remove(params["StatementId"]),
                                    params.get("RevisionId"))
        return {}

    def get_policy(self, ctx, params: dict) -> dict:
        ref = self._ref(ctx, params, qualified=True)
        self.registry.meta(ref)  # a missing function is not found; a missing qualifier has no policy
        try:
            holder, revision = self.registry.policy(ref, ref.qualifier or LATEST)
        except AWSError:
            raise errors.not_found("The resource you requested does not exist.") from None
        return {"Policy": PolicyDoc(holder).document()[0], "RevisionId": revision}

    # -- recursion config (accepted, not enforced: cloudlet does not detect loops) -----------------
    def get_function_recursion_config(self, ctx, params: dict) -> dict:
        return {"RecursiveLoop": self.registry.meta(self._latest_ref(ctx, params)).get("recursive_loop", "Terminate")}

    def put_function_recursion_config(self, ctx, params: dict) -> dict:
        value = params["RecursiveLoop"]
        self.registry.update_meta(self._latest_ref(ctx, params), lambda meta: meta.__setitem__("recursive_loop", value))
        return {"RecursiveLoop": value}

    # -- tags --------------------------------------------------------------------------------------
    def _tag_ref(self, ctx, arn: str) -> Ref:
        ref = parse_ref(ctx, arn)
        if ref.qualifier or not arn.startswith("arn:"):
            raise errors.invalid("Tags on function aliases and versions are not supported. Please specify a function ARN.")
        return ref

    def _tags(self, ctx, arn: str, change=None) -> dict:
        """The tags of a function or an event source mapping, after `change(tags)` if given."""
        match = _ESM_ARN.fullmatch(arn)
        if match is None:
            ref = self._tag_ref(ctx, arn)
            if change is None:
                return self.registry.meta(ref).get("tags", {})
            with self.store.tx():  # a tag change renews $LATEST's RevisionId, as on Lambda
                tags = self.registry.update_meta(ref, lambda meta: change(meta.setdefault("tags", {})) or meta["tags"])
                self.registry.update_latest(ref, _renew_revision)
            return tags

        def apply(doc: dict) -> None:
            if (doc["_account"], doc["_region"]) != (ctx.account_id, ctx.region):
                raise mapping_not_found()
            change(doc.setdefault("_tags", {}))
        doc = self.esm_store.update(match[1], apply) if change else self.esm_store.get(match[1])
        if doc is None or (doc["_account"], doc["_region"]) != (ctx.account_id, ctx.region):
            raise mapping_not_found()
        return doc.get("_tags", {})

    def tag_resource(self, ctx, params: dict) -> dict:
        if not params["Tags"]:
            raise errors.invalid("An error occurred and the request cannot be processed.")

        def add(tags: dict) -> None:
            if len({**tags, **params["Tags"]}) > 50:
                raise errors.invalid("Number of tags exceeds resource tag limit.")
            tags.update(params["Tags"])
        self._tags(ctx, params["Resource"], add)
        return {}

    def untag_resource(self, ctx, params: dict) -> dict:
        def remove(tags: dict) -> None:
            for key in params["TagKeys"]:
                tags.pop(key, None)
        self._tags(ctx, params["Resource"], remove)
        return {}

    def list_tags(self, ctx, params: dict) -> dict:
        return {"Tags": self._tags(ctx, params["Resource"])}

    # -- layers ------------------------------------------------------------------------------------
    def _layer_out(self, ctx, doc: dict) -> dict:
        out = public(doc)
        out["Content"] = dict(out["Content"], Location=self.code_urls.url(
            ctx.base_url or self.runner.settings.endpoint_url, doc["_sha"]))
        return out

    async def publish_layer_version(self, ctx, params: dict) -> dict:
        name = layer_name(params["LayerName"])
        content = params.get("Content") or {}
        if content.get("S3Bucket") == HOT_RELOAD_BUCKET:
            raise errors.invalid("Layers cannot be hot-reloaded: upload a ZipFile.")
        code, package = await store_code(self.runner.pool.code, content, "PublishLayerVersion")
        arn = layer_arn(ctx.region, ctx.account_id, name)

        def make(version: int) -> dict:
            doc = {"Content": {"CodeSha256": code["CodeSha256"], "CodeSize": code["CodeSize"]},
                   "LayerArn": arn, "LayerVersionArn": f"{arn}:{version}",
                   "Description": params.get("Description", ""), "CreatedDate": conf.now_text(), "Version": version,
                   "_sha": code["_sha"]}
            for key in ("CompatibleRuntimes", "LicenseInfo", "CompatibleArchitectures"):
                if params.get(key) or (key != "LicenseInfo" and key in params):  # empty lists are kept, as given
                    doc[key] = params[key]
            return doc
        doc = await self.platform.run_sync(self._code_write, package, None, [],
                                           self.layers.publish, ctx.account_id, ctx.region, name, make)
        return await self.platform.run_sync(self._layer_out, ctx, doc)

    def _layer_doc(self, ctx, params: dict) -> dict:
        name = layer_name(params["LayerName"])
        doc = self.layers.get(ctx.account_id, ctx.region, name, params["VersionNumber"])
        if doc is None:
            raise errors.not_found("The resource you requested does not exist.")
        return doc

    def get_layer_version(self, ctx, params: dict) -> dict:
        return self._layer_out(ctx, self._layer_doc(ctx, params))

    def get_layer_version_by_arn(self, ctx, params: dict) -> dict:
        match = LAYER_VERSION_ARN.fullmatch(params["Arn"])
        doc = self.layers.get(match.group(2), match.group(1), match.group(3), int(match.group(4))) if match else None
        if doc is None:
            raise errors.not_found("The resource you requested does not exist.")
        return self._layer_out(ctx, doc)

    def list_layer_versions(self, ctx, params: dict) -> dict:
        docs = self.layers.versions(ctx.account_id, ctx.region, layer_name(params["LayerName"]))
        docs = [d for d in docs if _compatible(d, params)]
        newest_first = lambda d: str(10**12 - d["Version"]).zfill(13)  # noqa: E731
        return paging.page(docs, params, "LayerVersions", newest_first, _layer_item)

    def list_layers(self, ctx, params: dict) -> dict:
        docs = [d for d in self.layers.latest(ctx.account_id, ctx.region) if _compatible(d, params)]
        items = [{"LayerName": d["LayerArn"].rsplit(":", 1)[1], "LayerArn": d["LayerArn"],
                  "LatestMatchingVersion": _layer_item(d)} for d in docs]
        return paging.page(items, params, "Layers", lambda d: d["LayerName"], dict)

    def delete_layer_version(self, ctx, params: dict) -> dict:
        key = (ctx.account_id, ctx.region, layer_name(params["LayerName"]), params["VersionNumber"])
        self._code_write(None, lambda conn: self.layers.packages(conn, *key), [], self.layers.delete, *key)
        return {}

    def _layer_policy_change(self, ctx, params: dict, change) -> object:
        """Apply `change(policy)` to a layer version's policy (a missing version named as Lambda names it)."""
        name = layer_name(params["LayerName"])
        try:
            return self.layers.update(ctx.account_id, ctx.region, name, params["VersionNumber"],
                                      lambda d: change(PolicyDoc(d.setdefault("_policy", {}), layer=True)))
        except AWSError as exc:
            if exc.code != "ResourceNotFoundException" or self._layer_exists(ctx, params):
                raise
            raise _no_layer_version(ctx, params) from None

    def _layer_exists(self, ctx, params: dict) -> bool:
        return self.layers.get(ctx.account_id, ctx.region, layer_name(params["LayerName"]),
                               params["VersionNumber"]) is not None

    def add_layer_version_permission(self, ctx, params: dict) -> dict:
        resource = f"{layer_arn(ctx.region, ctx.account_id, layer_name(params['LayerName']))}:{params['VersionNumber']}"
        statement = layer_statement(params, resource)

        def add(policy: PolicyDoc) -> str:
            policy.add(statement, params.get("RevisionId"))
            return policy.holder["revision"]
        revision = self._layer_policy_change(ctx, params, add)
        return {"Statement": orjson.dumps(statement).decode(), "RevisionId": revision}

    def remove_layer_version_permission(self, ctx, params: dict) -> dict:
        self._layer_policy_change(ctx, params, lambda policy: policy.remove(params["StatementId"],
                                                                             params.get("RevisionId")))
        return {}

    def get_layer_version_policy(self, ctx, params: dict) -> dict:
        doc = self.layers.get(ctx.account_id, ctx.region, layer_name(params["LayerName"]), params["VersionNumber"])
        if doc is None:
            raise _no_layer_version(ctx, params)
        policy, revision = PolicyDoc(doc.get("_policy", {}), layer=True).document()
        return {"Policy": policy, "RevisionId": revision}


# -- output shapes and paging ----------------------------------------------------------------------
# Fields ListFunctions leaves out of each FunctionConfiguration (GetFunction has them).
_NOT_LISTED = frozenset(("State", "StateReason", "StateReasonCode", "LastUpdateStatus", "LastUpdateStatusReason",
                         "LastUpdateStatusReasonCode", "RuntimeVersionConfig"))


def _listed(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_") and k not in _NOT_LISTED}


def _listed_version(doc: dict) -> dict:
    """A ListVersionsByFunction entry: the listed subset, $LATEST under its qualified ARN."""
    out = _listed(doc)
    if doc["Version"] == LATEST:
        out["FunctionArn"] += ":" + LATEST
    return out


def _version_position(doc: dict) -> str:
    """$LATEST first, then versions in number order (a marker carries the fixed-width number)."""
    version = doc["Version"]
    return "0" * 20 if version == LATEST else version.zfill(20)


def _position(doc: dict) -> str:
    version = doc["Version"]
    return f"{doc['FunctionName']}\0{0 if version == LATEST else int(version)}"


def _provisioned_total(meta: dict, excluding: str | None = None) -> int:
    """The provisioned concurrency a function's versions and aliases request, together."""
    return sum(pc["Requested"] for q, pc in meta.get("provisioned", {}).items() if q != excluding)


def _pc_out(ref: Ref, pc: dict) -> dict:
    out = {"RequestedProvisionedConcurrentExecutions": pc["Requested"],
           "AvailableProvisionedConcurrentExecutions": pc["Available"],
           "AllocatedProvisionedConcurrentExecutions": pc["Allocated"], "Status": pc["Status"],
           "LastModified": pc["LastModified"]}
    if pc.get("StatusReason"):
        out["StatusReason"] = pc["StatusReason"]
    return out


def _renew_revision(doc: dict) -> dict:
    """A new RevisionId for a change that is not one of code or configuration (nothing new to publish)."""
    doc["RevisionId"] = str(uuid.uuid4())
    return doc


def _no_layer_version(ctx, params: dict) -> AWSError:
    arn = layer_arn(ctx.region, ctx.account_id, layer_name(params["LayerName"]))
    return errors.not_found(f"Layer version {arn}:{params['VersionNumber']} does not exist.")


def _no_function() -> AWSError:
    return errors.not_found("The function doesn't exist.")


def _destination_text(destinations: dict | None) -> str:
    """A DestinationConfig as Lambda prints it in its refusals (Java's toString)."""
    parts = []
    for which in ("OnSuccess", "OnFailure"):
        given = (destinations or {}).get(which)
        name = which[0].lower() + which[1:]
        parts.append(f"{name}={which}(destination={given.get('Destination')})" if given else f"{name}=null")
    return f"DestinationConfig({', '.join(parts)})"


def _eic_out(ref: Ref, config: dict) -> dict:
    out = {"FunctionArn": ref.qualified_arn(), "LastModified": datetime.fromtimestamp(config["LastModified"], UTC)}
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if key in config:
            out[key] = config[key]
    destinations = config.get("DestinationConfig") or {}
    out["DestinationConfig"] = {"OnSuccess": destinations.get("OnSuccess") or {},
                                "OnFailure": destinations.get("OnFailure") or {}}
    return out


def _layer_item(doc: dict) -> dict:
    item = {"LayerVersionArn": doc["LayerVersionArn"], "Version": doc["Version"],
            "Description": doc.get("Description", ""), "CreatedDate": doc["CreatedDate"]}
    for key in ("CompatibleRuntimes", "LicenseInfo", "CompatibleArchitectures"):
        if key in doc:
            item[key] = doc[key]
    return item


def _compatible(doc: dict, params: dict) -> bool:
    runtime, arch = params.get("CompatibleRuntime"), params.get("CompatibleArchitecture")
    return (not runtime or runtime in doc.get("CompatibleRuntimes", [])) and (
        not arch or arch in doc.get("CompatibleArchitectures", []))

