"""Logs Insights queries: their lifecycle in the store, running them, and saved query definitions.

A query is a row of `logs_queries`: StartQuery writes it `Scheduled` and hands it to an asyncio
task, which marks it `Running`, runs it in a worker thread (scanning the groups' events newest
first through the engine's range scans) and stores its result rows and statistics with status
`Complete`, unless StopQuery cancelled it meanwhile (every status change is a conditional UPDATE,
so a cancelled query never turns complete) or it ran past the timeout (`Timeout`).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import threading
import time
import uuid
from collections.abc import Iterator

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.services.logs import insights_engine as insights
from cloudlet.services.logs import tokens
from cloudlet.services.logs.engine import FAR_FUTURE, LogsEngine, now_ms
from cloudlet.services.logs.insights_parser import QuerySyntaxError, parse_query

log = logging.getLogger("cloudlet.logs")

MAX_GROUPS = 50
DEFAULT_LIMIT = 10_000
MAX_PAGE = 10_000
ACTIVE = ("Scheduled", "Running")
RESULTS_KEPT_MS = 7 * 86_400_000  # query results are available for 7 days
_CHECK_EVERY = 512  # records between checks for cancellation and timeout


def invalid(message: str) -> AWSError:
    return AWSError("InvalidParameterException", message, 400)


def query_not_found() -> AWSError:
    return AWSError("ResourceNotFoundException", "The specified query does not exist.", 400)


def malformed(err: QuerySyntaxError) -> AWSError:
    return AWSError(
        "MalformedQueryException",
        err.message,
        400,
        fields={
            "queryCompileError": {
                "location": {"startCharOffset": err.start, "endCharOffset": err.end},
                "message": err.message,
            }
        },
    )


def compile_query(text: str) -> list:
    try:
        return parse_query(text)
    except QuerySyntaxError as err:
        raise malformed(err) from None


class _Stopped(Exception):
    def __init__(self, status: str) -> None:
        self.status = status


def encode_pointer(pointer: tuple) -> str:
    return tokens.encode_page(list(pointer))


def _tagged(source, group_id: int, streams: dict, scan) -> Iterator[tuple]:
    for event in scan:
        yield source, group_id, streams, event


class Queries:
    def __init__(self, platform, engine: LogsEngine) -> None:
        self.platform = platform
        self.store = platform.store
        self.engine = engine
        extra = platform.config.extra
        self.concurrency = int(extra.get("logs_query_concurrency", 100))
        self.delay_s = float(extra.get("logs_query_delay_s", 0.0))
        self.timeout_s = float(extra.get("logs_query_timeout_s", 3600.0))
        self._tasks: set[asyncio.Task] = set()
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._fail_orphans()

    def _fail_orphans(self) -> None:
        """One process owns an SQLite store: queries it left unfinished (it stopped) never end."""
        with self.store.tx() as conn:
            if conn.dialect != "sqlite":
                return  # other nodes may be running theirs: those time out if their node stopped
            conn.execute(
                f"UPDATE logs_queries SET status = 'Failed' WHERE status IN ({', '.join('?' * len(ACTIVE))})", ACTIVE
            )

    def sweep(self, now: int | None = None) -> int:
        """Forget queries (and their results) older than AWS keeps them; returns how many."""
        cutoff = (now_ms() if now is None else now) - RESULTS_KEPT_MS
        with self.store.tx() as conn:
            return len(conn.all("DELETE FROM logs_queries WHERE created < ? RETURNING id", (cutoff,)))

    # -- StartQuery ----------------------------------------------------------------------------

    async def start(self, ctx, groups: list[str], start_s: int, end_s: int, text: str, limit: int) -> str:
        commands = compile_query(text)
        query_id = await self.platform.run_sync(self._create, ctx, groups, text)
        # seconds, both ends inclusive; bounded so that far-off times stay within the store's integers
        start_ms, end_ms = min(start_s * 1000, FAR_FUTURE), min((end_s + 1) * 1000, FAR_FUTURE)
        task = asyncio.get_running_loop().create_task(
            self._execute(ctx.account_id, ctx.region, query_id, groups, commands, start_ms, end_ms, limit)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return query_id

    def _create(self, ctx, groups: list[str], text: str) -> str:
        query_id = str(uuid.uuid4())
        now = now_ms()
        with self.store.tx() as conn:
            for name in groups:  # every group must exist
                self.engine.find_group(conn, ctx.account_id, ctx.region, name)
            (active,) = conn.one(
                "SELECT COUNT(*) FROM logs_queries WHERE account = ? AND region = ? AND created >= ?"
                f" AND status IN ({', '.join('?' * len(ACTIVE))})",
                (ctx.account_id, ctx.region, now - int(self.timeout_s * 1000), *ACTIVE),
            )
            if active >= self.concurrency:
                raise AWSError(
                    "LimitExceededException",
                    f"Account maximum query concurrency limit of [{self.concurrency}] reached.",
                    400,
                )
            conn.execute(
                "INSERT INTO logs_queries (id, account, region, created, status, query_string, group_names)"
                " VALUES (?, ?, ?, ?, 'Scheduled', ?, ?)",
                (query_id, ctx.account_id, ctx.region, now, text, orjson.dumps(groups).decode()),
            )
        return query_id

    async def _execute(self, account, region, query_id, groups, commands, start_ms, end_ms, limit) -> None:
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if not await self.platform.run_sync(self._set_status, query_id, "Scheduled", "Running", None, None):
                return  # cancelled while scheduled
            started = time.monotonic()
            try:
                rows, stats = await asyncio.to_thread(
                    self._run, account, region, query_id, groups, commands, start_ms, end_ms, limit, started
                )
                status = "Complete"
            except _Stopped as stop:
                rows, stats, status = None, None, stop.status
            except Exception:
                log.exception("Logs Insights query %s failed", query_id)
                rows, stats, status = None, None, "Failed"
            # results can be large: encode and write them off the event loop, whatever the store
            await asyncio.to_thread(self._set_status, query_id, "Running", status, rows, stats)
        finally:
            with self._lock:
                self._cancelled.discard(query_id)

    def _set_status(self, query_id: str, expected: str, status: str, rows, stats) -> bool:
        with self.store.tx() as conn:
            changed = conn.all(
                "UPDATE logs_queries SET status = ?, results = ?, statistics = ? WHERE id = ? AND status = ?"
                " RETURNING id",
                (
                    status,
                    None if rows is None else orjson.dumps(rows).decode(),
                    None if stats is None else orjson.dumps(stats).decode(),
                    query_id,
                    expected,
                ),
            )
        return bool(changed)

    def _run(self, account, region, query_id, groups, commands, start_ms, end_ms, limit, started) -> tuple[list, dict]:
        discovered = insights.needs_discovery(commands)
        scanned = scanned_bytes = 0
        last_stored_check = [time.monotonic()]

        def records() -> Iterator[dict]:
            nonlocal scanned, scanned_bytes
            sources = []
            for name in groups:
                try:
                    group = self.engine.group(account, region, name)
                except AWSError:
                    continue  # deleted since the query started
                streams = self.engine.streams_for_filter(group, None, None, start_ms, end_ms)
                scan = self.engine.scan(list(streams), descending=True, after=None, start=start_ms, end=end_ms)
                sources.append(_tagged(insights.Source(account, name), group.id, streams, scan))
            for source, group_id, streams, event in heapq.merge(
                *sources, key=lambda item: item[3].ts, reverse=True
            ):
                scanned += 1
                scanned_bytes += len(event.message.encode())
                if scanned % _CHECK_EVERY == 0:
                    # StopQuery on another node shows only in the store: look there about once a second
                    now = time.monotonic()
                    stored = now - last_stored_check[0] >= 1.0
                    if stored:
                        last_stored_check[0] = now
                    self._check(query_id, started, stored)
                yield insights.make_record(
                    source,
                    streams[event.stream_id],
                    event.ts,
                    event.ingest,
                    event.message,
                    (group_id, event.stream_id, event.ts, event.seq),
                    discovered,
                )

        outcome = insights.run(commands, records(), limit)
        self._check(query_id, started)
        rows = [insights.result_row(outcome, row, encode_pointer) for row in outcome.rows]
        stats = {
            "recordsMatched": float(outcome.matched),
            "recordsScanned": float(scanned),
            "estimatedRecordsSkipped": 0.0,
            "bytesScanned": float(scanned_bytes),
            "estimatedBytesSkipped": 0.0,
            "logGroupsScanned": float(len(groups)),
        }
        return rows, stats

    def _check(self, query_id: str, started: float, stored: bool = False) -> None:
        """Stop a query cancelled here (or, with `stored`, on any node) or running past its timeout."""
        with self._lock:
            if query_id in self._cancelled:
                raise _Stopped("Cancelled")
        if time.monotonic() - started > self.timeout_s:
            raise _Stopped("Timeout")
        if stored:
            with self.store.read() as conn:
                row = conn.one("SELECT status FROM logs_queries WHERE id = ?", (query_id,))
            if row is None or row[0] != "Running":
                raise _Stopped("Cancelled")

    # -- GetQueryResults / StopQuery / DescribeQueries ------------------------------------------

    def _find(self, conn, ctx, query_id: str) -> tuple:
        row = conn.one(
            "SELECT status, created, results, statistics FROM logs_queries WHERE id = ? AND account = ? AND region = ?",
            (query_id, ctx.account_id, ctx.region),
        )
        if row is None:
            raise query_not_found()
        return row

    def _status(self, status: str, created: int) -> str:
        # a query whose node stopped before finishing it never completes: it times out
        if status in ACTIVE and created < now_ms() - int(self.timeout_s * 1000) - 60_000:
            return "Timeout"
        return status

    def results(self, ctx, query_id: str, max_items: int | None, token: str | None) -> dict:
        with self.store.read() as conn:
            status, created, results, stats = self._find(conn, ctx, query_id)
        rows = orjson.loads(results) if results else []
        offset = 0
        if token:
            token_id, offset = tokens.decode_page(token, (str, int))
            if token_id != query_id or not 0 <= offset <= len(rows):
                raise tokens.invalid_token()
        size = min(MAX_PAGE, max_items) if max_items else MAX_PAGE
        page = rows[offset : offset + size]
        statistics = orjson.loads(stats) if stats else {
            "recordsMatched": 0.0, "recordsScanned": 0.0, "bytesScanned": 0.0,
        }
        output: dict = {
            "queryLanguage": "CWLI",
            "results": page,
            "statistics": {**statistics, "resultCount": float(len(rows))} if stats else statistics,
            "status": self._status(status, created),
        }
        if offset + size < len(rows):
            output["nextToken"] = tokens.encode_page([query_id, offset + size])
        return output

    def stop(self, ctx, query_id: str) -> dict:
        with self.store.tx() as conn:
            self._find(conn, ctx, query_id)
            changed = conn.all(
                f"UPDATE logs_queries SET status = 'Cancelled' WHERE id = ? AND status IN ({', '.join('?' * len(ACTIVE))})"
                " RETURNING id",
                (query_id, *ACTIVE),
            )
        if not changed:
            raise invalid(f"Query {query_id} is not running.")
        with self._lock:
            self._cancelled.add(query_id)
        return {"success": True}

    def describe(self, ctx, group: str | None, status: str | None, max_results: int, token: str | None) -> dict:
        sql = (
            "SELECT id, created, status, query_string, group_names FROM logs_queries"
            " WHERE account = ? AND region = ?"
        )
        args: list = [ctx.account_id, ctx.region]
        if token:
            created, after_id = tokens.decode_page(token, (int, str))
            sql += " AND (created < ? OR (created = ? AND id > ?))"
            args += [created, created, after_id]
        sql += " ORDER BY created DESC, id"
        found: list[dict] = []
        more = False
        with self.store.read() as conn:
            for query_id, created, row_status, text, names in conn.all(sql, args):
                names = orjson.loads(names)
                row_status = self._status(row_status, created)
                if (status and row_status != status) or (group and group not in names):
                    continue
                if len(found) == max_results:
                    more = True
                    break
                found.append({
                    "queryLanguage": "CWLI",
                    "queryId": query_id,
                    "queryString": text,
                    "status": row_status,
                    "createTime": created,
                    "logGroupName": names[0] if names else "",
                })
        output: dict = {"queries": found}
        if more:
            output["nextToken"] = tokens.encode_page([found[-1]["createTime"], found[-1]["queryId"]])
        return output

    # -- GetLogRecord ----------------------------------------------------------------------------

    def log_record(self, ctx, pointer: str) -> dict:
        try:
            group_id, stream_id, ts, seq = tokens.decode_page(pointer, (int, int, int, int))
        except AWSError:
            raise invalid("The specified logRecordPointer is invalid.") from None
        with self.store.read() as conn:
            row = conn.one(
                "SELECT e.ingest, e.message, s.name, g.name FROM logs_events e"
                " JOIN logs_streams s ON s.id = e.stream_id JOIN logs_groups g ON g.id = s.group_id"
                " WHERE e.stream_id = ? AND e.ts = ? AND e.seq = ? AND g.id = ? AND g.account = ? AND g.region = ?",
                (stream_id, ts, seq, group_id, ctx.account_id, ctx.region),
            )
        if row is None:
            raise AWSError("ResourceNotFoundException", "The specified log record does not exist.", 400)
        ingest, message, stream, group = row
        message = bytes(message).decode("utf-8", "replace")
        record = insights.make_record(insights.Source(ctx.account_id, group), stream, ts, ingest, message, None)
        del record[insights.POINTER]
        # GetLogRecord gives times as epoch milliseconds, not as query results format them
        return {
            "logRecord": {
                k: str(int(v)) if isinstance(v, insights.Time) else insights.format_value(v) for k, v in record.items()
            }
        }

    # -- query definitions -----------------------------------------------------------------------

    def put_definition(self, ctx, params: dict) -> str:
        body = {
            "name": params["name"],
            "queryString": params["queryString"],
            "logGroupNames": params.get("logGroupNames") or [],
        }
        if params.get("parameters"):
            body["parameters"] = params["parameters"]
        encoded = orjson.dumps(body).decode()
        definition_id = params.get("queryDefinitionId")
        with self.store.tx() as conn:
            if definition_id:
                changed = conn.all(
                    "UPDATE logs_query_definitions SET name = ?, modified = ?, body = ?"
                    " WHERE id = ? AND account = ? AND region = ? RETURNING id",
                    (params["name"], now_ms(), encoded, definition_id, ctx.account_id, ctx.region),
                )
                if not changed:
                    raise AWSError("ResourceNotFoundException", "The specified query definition does not exist.", 400)
                return definition_id
            definition_id = str(uuid.uuid4())
            conn.execute(
                "INSERT INTO logs_query_definitions (id, account, region, name, modified, body) VALUES (?, ?, ?, ?, ?, ?)",
                (definition_id, ctx.account_id, ctx.region, params["name"], now_ms(), encoded),
            )
        return definition_id

    def describe_definitions(self, ctx, prefix: str | None, max_results: int, token: str | None) -> dict:
        sql = "SELECT id, name, modified, body FROM logs_query_definitions WHERE account = ? AND region = ?"
        args: list = [ctx.account_id, ctx.region]
        if prefix:
            sql += " AND name >= ? AND name < ?"
            args += [prefix, prefix + "\U0010ffff"]
        if token:
            name, after_id = tokens.decode_page(token, (str, str))
            sql += " AND (name > ? OR (name = ? AND id > ?))"
            args += [name, name, after_id]
        sql += " ORDER BY name, id LIMIT ?"
        args.append(max_results + 1)
        with self.store.read() as conn:
            rows = conn.all(sql, args)
        found = []
        for definition_id, name, modified, body in rows[:max_results]:
            definition = orjson.loads(body)
            found.append({
                "queryLanguage": "CWLI",
                "queryDefinitionId": definition_id,
                "name": name,
                "queryString": definition["queryString"],
                "lastModified": modified,
                "logGroupNames": definition["logGroupNames"],
                **({"parameters": definition["parameters"]} if "parameters" in definition else {}),
            })
        output: dict = {"queryDefinitions": found}
        if len(rows) > max_results:
            output["nextToken"] = tokens.encode_page([found[-1]["name"], found[-1]["queryDefinitionId"]])
        return output

    def delete_definition(self, ctx, definition_id: str) -> dict:
        with self.store.tx() as conn:
            gone = conn.all(
                "DELETE FROM logs_query_definitions WHERE id = ? AND account = ? AND region = ? RETURNING id",
                (definition_id, ctx.account_id, ctx.region),
            )
        if not gone:
            raise AWSError("ResourceNotFoundException", "The specified query definition does not exist.", 400)
        return {"success": True}

    # -- lifecycle -------------------------------------------------------------------------------

    async def stop_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: PERF203
                pass
