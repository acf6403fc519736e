"""Running functions: the compute Pool, role credentials, logs into CloudWatch Logs, metering.

`Runner.config_for(ref, doc)` turns a stored version document into compute's FunctionConfig;
`Runner.invoke` runs it. Function output goes to the Logs service (group /aws/lambda/<name>,
a stream per environment), batched per event-loop turn.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cloudlet.compute.codestore import CodeStore
from cloudlet.compute.model import Credentials, FunctionConfig, InvocationMeta, InvocationResult, Metering
from cloudlet.compute.pool import Pool, PoolSettings
from cloudlet.services.lambda_.code import fingerprint
from cloudlet.services.lambda_.configuration import config_revision
from cloudlet.services.lambda_.registry import Ref

log = logging.getLogger("cloudlet.lambda")

CREDENTIAL_LIFETIME_S = 12 * 3600
CREDENTIAL_RENEW_S = 11 * 3600


class LogBridge:
    """compute's LogSink, writing into the Logs service in batches (one append per stream per flush)."""

    def __init__(self, platform, delay_s: float = 0.02) -> None:
        self.platform = platform
        self.delay_s = delay_s  # lines gathered this long go in one transaction per stream
        self.pool: Pool | None = None
        self.owners: dict[str, tuple[str, str]] = {}  # log stream -> (account, region)
        self.group_owners: dict[str, tuple[str, str]] = {}  # log group -> the last account invoking it
        self.pending: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        self._flushing: asyncio.Task | None = None  # the flush that will take the pending lines
        self._writing: set[asyncio.Task] = set()  # flushes still appending what they took

    def write(self, log_group: str, log_stream: str, timestamp_ms: int, message: str) -> None:
        if log_stream not in self.owners:
            self.owners[log_stream] = self.owner(log_group, log_stream)
        self.pending[(log_group, log_stream)].append((timestamp_ms, message.rstrip("\n") or message))
        if self._flushing is None:
            self._flushing = task = asyncio.get_running_loop().create_task(self._flush())
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)

    async def _flush(self) -> None:
        await asyncio.sleep(self.delay_s)
        batches, self.pending = self.pending, defaultdict(list)
        self._flushing = None
        try:
            logs = await self.platform.service("logs")
            for (group, stream), events in batches.items():
                account, region = self.owners.get(stream) or self.owner(group, stream)
                await logs.append_async(account, region, group, stream, events)
        except Exception:
            log.exception("writing function logs")

    def owner(self, log_group: str, log_stream: str) -> tuple[str, str]:
        """The account and region of the environment writing a stream (stream names are unique)."""
        if len(self.owners) > 100_000:
            self.owners.clear()
        if self.pool is not None:
            for group in self.pool.groups.values():
                if any(env.log_stream == log_stream for env in group.all):
                    return group.config.account_id, group.config.region
        return self.group_owners.get(log_group) or (self.platform.config.account_id, self.platform.config.region)

    async def drain(self) -> None:
        """Wait until every line written so far is in the Logs service."""
        while self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)


@dataclass
class Usage:
    """Metering totals of one function (every version and alias)."""

    invocations: int = 0
    cold_starts: int = 0
    duration_ms: float = 0.0
    billed_ms: int = 0
    gb_seconds: float = 0.0
    init_ms: float = 0.0

    def as_dict(self) -> dict:
        return {"Invocations": self.invocations, "ColdStarts": self.cold_starts,
                "DurationMs": round(self.duration_ms, 2), "BilledDurationMs": self.billed_ms,
                "GBSeconds": round(self.gb_seconds, 6), "InitDurationMs": round(self.init_ms, 2)}


class MeteringTotals:
    """compute's MeteringSink: totals per function ARN since the server started."""

    def __init__(self) -> None:
        self.usage: dict[str, Usage] = defaultdict(Usage)

    def record(self, function_arn: str, request_id: str, metering: Metering) -> None:
        usage = self.usage[function_arn]
        usage.invocations += 1
        usage.duration_ms += metering.duration_ms
        usage.billed_ms += metering.billed_ms
        usage.gb_seconds += metering.gb_seconds
        if metering.init_duration_ms is not None:
            usage.cold_starts += 1
            usage.init_ms += metering.init_duration_ms


class Runner:
    """The pool and everything an invocation needs besides the stored configuration."""

    def __init__(self, platform, fetch_code: Callable[[str], bytes | None] | None = None,
                 stored_code: Callable[[], set[str]] | None = None) -> None:
        """`fetch_code(sha256)` returns a package this node has not unpacked yet (blocking);
        `stored_code()` the hashes of every package the store keeps (blocking)."""
        self.platform = platform
        config = platform.config
        extra = config.extra
        self.settings = PoolSettings(
            data_dir=config.data_path,
            endpoint_url=self.endpoint_url(),
            sandbox=extra.get("lambda_sandbox", "bwrap"),
            account_concurrency=int(extra.get("lambda_account_concurrency", 1000)),
            keep_alive_s=float(extra.get("lambda_keep_alive_s", 300.0)),
            reap_interval_s=float(extra.get("lambda_reap_interval_s", 5.0)),
        )
        self.code_idle_s = float(extra.get("lambda_code_idle_s", 600.0))
        self.stored_code = stored_code
        self.logs = LogBridge(platform, float(extra.get("lambda_log_flush_s", 0.02)))
        self.metering = MeteringTotals()
        code = CodeStore(Path(self.settings.data_dir) / "compute", fetch=fetch_code)
        self.pool = self.logs.pool = Pool(self.settings, log_sink=self.logs, metering_sink=self.metering, code=code)
        self._credentials: dict[tuple[str, str], tuple[float, Credentials]] = {}
        self._prepared: dict[tuple[str, str], FunctionConfig] = {}
        self._prepared_at: dict[tuple[str, str], float] = {}
        self._sweeper: asyncio.Task | None = None
        self._pruner: asyncio.Task | None = None
        self._configs: dict[tuple, tuple[float, FunctionConfig]] = {}

    def endpoint_url(self) -> str:
        """Where functions reach cloudlet (the port is known only once the server listens)."""
        config = self.platform.config
        host = "127.0.0.1" if config.host in ("", "0.0.0.0", "::") else config.host
        return config.extra.get("lambda_endpoint_url") or f"http://{host}:{config.port}"

    async def start(self) -> None:
        await self.pool.start()
        loop = asyncio.get_running_loop()
        self._sweeper = loop.create_task(self._sweep_templates())
        if self.stored_code is not None:
            self._pruner = loop.create_task(self._prune_code_forever())

    async def stop(self) -> None:
        for task in (self._sweeper, self._pruner):
            if task is not None:
                task.cancel()
        await self.pool.stop()
        await self.logs.drain()

    async def _sweep_templates(self) -> None:
        """Templates prepared for functions nobody invoked go after the keep-alive, like idle environments."""
        while True:
            await asyncio.sleep(self.settings.reap_interval_s)
            now = time.monotonic()
            for key, since in list(self._prepared_at.items()):
                config = self._prepared.get(key)
                if config is None or config.key in self.pool.groups:
                    self._prepared_at.pop(key, None)  # in use: the pool reaps it with its environments
                elif now - since >= self.settings.keep_alive_s:
                    self.retire_prepared(*key)

    async def _prune_code_forever(self) -> None:
        while True:
            await asyncio.sleep(self.code_idle_s / 2)
            try:
                await self.prune_code()
            except Exception:
                log.exception("pruning unpacked code")

    async def prune_code(self, idle_s: float | None = None) -> int:
        """Remove this node's unpacked packages and /opt views that the store no longer keeps
        (or, for /opt views, that no configuration in use needs) once untouched for `idle_s`
        seconds and used by no environment or template; returns how many trees went."""
        idle_s = self.code_idle_s if idle_s is None else idle_s
        code = self.pool.code
        stored = await self.platform.run_sync(self.stored_code)
        candidates = await asyncio.to_thread(code.stale, stored | self.pool.code_in_use(), idle_s)
        if not candidates:
            return 0
        # here on the loop no cold start can touch a tree between the check and its removal
        removed = code.prune(candidates, stored | self.pool.code_in_use(), idle_s)
        await asyncio.to_thread(code.empty_trash)
        return removed

    def forget(self) -> None:
        """After a platform reset: retire every environment and forget cached credentials."""
        names = {(g.config.account_id, g.config.name) for g in self.pool.groups.values()} | set(self._prepared)
        for account_id, name in names:
            self.retire(account_id, name)
        self.pool.reserved.clear()
        self._credentials.clear()
        self._configs.clear()
        self.logs.pending.clear()  # lines of the old world must not recreate its log groups
        self.metering.usage.clear()

    async def prepare(self, ref: Ref, doc: dict) -> None:
        """Start the template process of a new or changed configuration ahead of its first cold start."""
        config = await self.config_for(ref, doc)
        await self.pool.ensure_code(config)
        self.retire_prepared(ref.account_id, ref.name)
        self.pool.prepare(config)
        self._prepared[(ref.account_id, ref.name)] = config
        self._prepared_at[(ref.account_id, ref.name)] = time.monotonic()

    def retire(self, account_id: str, function_name: str) -> None:
        """Environments of a deleted or changed function go, and so does its prepared template."""
        self.pool.retire(account_id, function_name)
        self.retire_prepared(account_id, function_name)

    def retire_prepared(self, account_id: str, function_name: str) -> None:
        config = self._prepared.pop((account_id, function_name), None)
        self._prepared_at.pop((account_id, function_name), None)
        zygotes = getattr(self.pool, "_zygotes", None)  # Pool has no public call to drop an unused template
        if config is not None and zygotes is not None and config.key not in self.pool.groups:
            zygotes.release(config)

    async def credentials(self, account_id: str, role_arn: str) -> Credentials:
        """Temporary credentials of the function's role, minted by STS and reused for hours."""
        key = (account_id, role_arn)
        cached = self._credentials.get(key)
        if cached is not None and time.time() - cached[0] < CREDENTIAL_RENEW_S:
            return cached[1]
        sts = await self.platform.service("sts")
        minted = await self.platform.run_sync(sts.issue_role_credentials, account_id, role_arn,
                                              "cloudlet-lambda", CREDENTIAL_LIFETIME_S)
        creds = Credentials(minted.access_key, minted.secret_key, minted.session_token)
        self._credentials[key] = (time.time(), creds)
        return creds

    async def config_for(self, ref: Ref, doc: dict) -> FunctionConfig:
        """compute's FunctionConfig for a stored version document (built once per revision)."""
        code_dir = doc.get("_dir", "")
        revision = config_revision(doc)
        if code_dir:
            revision += ":" + await asyncio.to_thread(fingerprint, code_dir)
        key = (ref.account_id, ref.region, ref.name, doc["Version"], revision)
        cached = self._configs.get(key)
        if cached is not None and time.time() - cached[0] < CREDENTIAL_RENEW_S:
            return cached[1]
        if len(self._configs) > 10_000:
            self._configs.clear()
        self.settings.endpoint_url = self.endpoint_url()
        self.logs.group_owners[f"/aws/lambda/{ref.name}"] = (ref.account_id, ref.region)
        config = await self._build(ref, doc, code_dir, revision)
        self._configs[key] = (time.time(), config)
        return config

    async def _build(self, ref: Ref, doc: dict, code_dir: str, revision: str) -> FunctionConfig:
        return FunctionConfig(
            name=ref.name,
            runtime=doc["Runtime"],
            handler=doc["Handler"],
            code_sha256=doc.get("_sha", ""),
            code_dir=code_dir,
            layers=tuple(doc.get("_layers", ())),
            version=doc["Version"],
            account_id=ref.account_id,
            region=ref.region,
            memory_mb=doc["MemorySize"],
            timeout_s=float(doc["Timeout"]),
            ephemeral_mb=doc["EphemeralStorage"]["Size"],
            environment=tuple(sorted((doc.get("Environment") or {}).get("Variables", {}).items())),
            credentials=await self.credentials(ref.account_id, doc["Role"]),
            revision=revision,
        )

    async def invoke(self, config: FunctionConfig, payload: bytes, meta: InvocationMeta) -> InvocationResult:
        """One synchronous invocation (raises compute's Throttled)."""
        return await self.pool.invoke(config, payload, meta)
