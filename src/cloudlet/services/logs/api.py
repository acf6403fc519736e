"""CloudWatch Logs operations, and the in-process interface other services write logs through.

Other services (Lambda) call `Logs.append` (any thread) or `await Logs.append_async` (the event
loop) with (timestamp_ms, message) pairs; the group and stream are created on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cloudlet.aws import arns
from cloudlet.aws.errors import AWSError
from cloudlet.services.base import Service
from cloudlet.services.logs import destinations, group_filters, tokens
from cloudlet.services.logs import params as check
from cloudlet.services.logs.delivery import Delivery
from cloudlet.services.logs.engine import (
    EVENT_OVERHEAD,
    FAR_FUTURE,
    MAX_BYTES,
    MAX_FUTURE_MS,
    MAX_PAST_MS,
    MAX_SPAN_MS,
    SCAN_BUDGET,
    Event,
    Group,
    LogsEngine,
    Stored,
    Stream,
    event_id,
    now_ms,
)
from cloudlet.services.logs.filter_pattern import PatternError, compile_extractor, compile_pattern
from cloudlet.services.logs.metric_filters import MetricFilters
from cloudlet.services.logs.queries import Queries
from cloudlet.services.logs.schema import MIGRATIONS
from cloudlet.services.logs.subscriptions import SubscriptionFilters

log = logging.getLogger("cloudlet.logs")

DEFAULT_SWEEP_INTERVAL = 60.0
_DESCENDING_FILTER_SINCE = 1_704_067_200_000  # 2024-01-01T00:00:00Z


class Logs(Service):
    name = "logs"

    def __init__(self, platform) -> None:
        super().__init__(platform)
        self.store.migrate("logs", MIGRATIONS)
        self.engine = LogsEngine(self.store)
        self.metric_filters = MetricFilters(self.engine)
        self.subscriptions = SubscriptionFilters(self.engine)
        self.queries = Queries(platform, self.engine)
        extra = platform.config.extra
        self.delivery = Delivery(
            platform,
            window_s=float(extra.get("logs_subscription_window_s", 1.0)),
            max_chain=int(extra.get("logs_subscription_max_chain", 16)),
            chain_window_s=float(extra.get("logs_subscription_chain_window_s", 60.0)),
        )
        self.engine.listener = self._stored
        self.sweep_interval = float(
            platform.config.extra.get("logs_retention_sweep_interval", DEFAULT_SWEEP_INTERVAL)
        )
        self._sweeper: asyncio.Task | None = None

    def validate(self, op, params: dict) -> None:
        check.check_input(op, params)

    # -- in-process interface ------------------------------------------------------------------

    def append(
        self, account_id: str, region: str, group: str, stream: str, events: list[tuple[int, str]]
    ) -> int:
        """Store (timestamp_ms, message) events in one transaction; creates group and stream if new."""
        return self.engine.append(account_id, region, group, stream, events)

    async def append_async(
        self, account_id: str, region: str, group: str, stream: str, events: list[tuple[int, str]]
    ) -> int:
        """`append` from the event loop (runs in a worker thread when the store may block)."""
        return await self.platform.run_sync(self.engine.append, account_id, region, group, stream, events)

    def _stored(self, stored: Stored) -> None:
        """Events were committed: hand the ones a subscription filter matches to delivery."""
        try:
            filters = self.subscriptions.active(stored.account, stored.region, stored.group)
            if filters:
                self.delivery.stored(stored, filters)
        except Exception:  # the events are stored: a delivery problem must not fail their write
            log.exception("subscription filters of log group %s", stored.group)

    # -- retention sweep -----------------------------------------------------------------------

    async def start(self) -> None:
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.delivery.stop()
        await self.queries.stop_all()

    def reset(self) -> None:
        self.engine.forget()
        self.subscriptions.cache.clear()
        self.delivery.forget()

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            try:
                await asyncio.to_thread(self.engine.sweep)
                await asyncio.to_thread(self.queries.sweep)
            except Exception:
                log.exception("log retention sweep failed")

    # -- log groups ----------------------------------------------------------------------------

    def create_log_group(self, ctx, params: dict) -> dict:
        name = params["logGroupName"]
        check.check_new_group_name(name)
        tags = params.get("tags") or {}
        check.check_tags(tags)
        self.engine.create_group(
            ctx.account_id,
            ctx.region,
            name,
            kms_key_id=params.get("kmsKeyId"),
            group_class=params.get("logGroupClass") or "STANDARD",
            deletion_protection=bool(params.get("deletionProtectionEnabled")),
            tags=tags,
        )
        return {}

    def delete_log_group(self, ctx, params: dict) -> dict:
        try:
            self.engine.delete_group(ctx.account_id, ctx.region, params["logGroupName"])
        finally:
            self.subscriptions.forget(ctx.account_id, ctx.region, params["logGroupName"])
        return {}

    def describe_log_groups(self, ctx, params: dict) -> dict:
        prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
        if prefix and pattern:
            raise check.invalid(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
            )
        identifiers = params.get("logGroupIdentifiers")
        names = None
        if identifiers is not None:
            if prefix or pattern or params.get("logGroupClass"):
                raise check.invalid(
                    "logGroupIdentifiers cannot be combined with logGroupNamePrefix, logGroupNamePattern"
                    " or logGroupClass."
                )
            names = [check.name_from_identifier(ctx, i) for i in identifiers]
        after = tokens.decode_page(params["nextToken"], (str,))[0] if params.get("nextToken") else None
        groups, more = self.engine.list_groups(
            ctx.account_id,
            ctx.region,
            prefix=prefix,
            pattern=pattern,
            names=names,
            group_class=params.get("logGroupClass"),
            after=after,
            limit=params.get("limit", 50),
        )
        counts = self.metric_filters.counts([g.id for g in groups])
        output: dict = {
            "logGroups": [self._group_out(ctx, g, counts.get(g.id, 0), brief=bool(pattern)) for g in groups]
        }
        if more:
            output["nextToken"] = tokens.encode_page([groups[-1].name])
        return output

    def list_log_groups(self, ctx, params: dict) -> dict:
        matches_name = group_filters.name_matcher(params.get("logGroupNamePattern"))
        tag_filters = params.get("logGroupTags") or []
        limit = params.get("limit", 50)
        after = tokens.decode_page(params["nextToken"], (str,))[0] if params.get("nextToken") else None
        found: list[Group] = []
        more = False
        # no group has data sources or field indexes, so asking for them matches nothing
        if not params.get("dataSources") and not params.get("fieldIndexNames"):
            scan = self.engine.iter_groups(
                ctx.account_id, ctx.region, group_class=params.get("logGroupClass"), after=after
            )
            for group, tags in scan:
                if matches_name(group.name) and group_filters.tags_match(tag_filters, tags):
                    if len(found) == limit:
                        more = True
                        break
                    found.append(group)
        output: dict = {
            "logGroups": [
                {
                    "logGroupName": g.name,
                    "logGroupArn": arns.build("logs", ctx.region, ctx.account_id, f"log-group:{g.name}"),
                    "logGroupClass": g.group_class,
                }
                for g in found
            ]
        }
        if more:
            output["nextToken"] = tokens.encode_page([found[-1].name])
        return output

    @staticmethod
    def _group_out(ctx, group: Group, metric_filters: int, brief: bool) -> dict:
        arn = arns.build("logs", ctx.region, ctx.account_id, f"log-group:{group.name}")
        out: dict = {
            "logGroupName": group.name,
            "creationTime": group.created,
            "arn": arn + ":*",
            "metricFilterCount": metric_filters,
            "logGroupClass": group.group_class,
            "logGroupArn": arn,
        }
        if brief:  # a logGroupNamePattern search answers without sizes, retention or protection
            return out
        if group.retention_days is not None:
            out["retentionInDays"] = group.retention_days
        out.update(storedBytes=group.stored_bytes, deletionProtectionEnabled=group.deletion_protection)
        if group.kms_key_id:
            out["kmsKeyId"] = group.kms_key_id
        return out

    def put_log_group_deletion_protection(self, ctx, params: dict) -> dict:
        name = check.name_from_identifier(ctx, params["logGroupIdentifier"])
        self.engine.set_deletion_protection(
            ctx.account_id, ctx.region, name, params["deletionProtectionEnabled"]
        )
        return {}

    def put_retention_policy(self, ctx, params: dict) -> dict:
        check.check_retention(params["retentionInDays"])
        self.engine.set_retention(
            ctx.account_id, ctx.region, params["logGroupName"], params["retentionInDays"]
        )
        return {}

    def delete_retention_policy(self, ctx, params: dict) -> dict:
        self.engine.set_retention(ctx.account_id, ctx.region, params["logGroupName"], None)
        return {}

    # -- metric filters ------------------------------------------------------------------------

    def put_metric_filter(self, ctx, params: dict) -> dict:
        _compile(params["filterPattern"])
        body = {
            "filterPattern": params["filterPattern"],
            "metricTransformations": params["metricTransformations"],
            "applyOnTransformedLogs": bool(params.get("applyOnTransformedLogs", False)),
        }
        for optional in ("fieldSelectionCriteria", "emitSystemFieldDimensions"):
            if optional in params:
                body[optional] = params[optional]
        self.metric_filters.put(ctx.account_id, ctx.region, params["logGroupName"], params["filterName"], body)
        return {}

    def delete_metric_filter(self, ctx, params: dict) -> dict:
        self.metric_filters.delete(ctx.account_id, ctx.region, params["logGroupName"], params["filterName"])
        return {}

    def describe_metric_filters(self, ctx, params: dict) -> dict:
        name, namespace = params.get("metricName"), params.get("metricNamespace")
        if name is not None and namespace is None:
            raise check.invalid("If you specify metricName, you must also specify metricNamespace.")
        after = tuple(tokens.decode_page(params["nextToken"], (str, str))) if params.get("nextToken") else None
        limit = params.get("limit", 50)
        found: list[dict] = []
        while len(found) <= limit:  # one past the page tells whether a nextToken is due
            page, more = self.metric_filters.describe(
                ctx.account_id,
                ctx.region,
                group_name=params.get("logGroupName"),
                prefix=params.get("filterNamePrefix"),
                after=after,
                limit=limit,
            )
            found += [f for f in page if _metric_matches(f, name, namespace)]
            if not more:
                break
            after = (page[-1]["logGroupName"], page[-1]["filterName"])
        output: dict = {"metricFilters": found[:limit]}
        if len(found) > limit:
            last = found[limit - 1]
            output["nextToken"] = tokens.encode_page([last["logGroupName"], last["filterName"]])
        return output

    def test_metric_filter(self, ctx, params: dict) -> dict:
        matches = _compile(params["filterPattern"])
        extract = compile_extractor(params["filterPattern"])
        return {
            "matches": [
                {"eventNumber": number, "eventMessage": message, "extractedValues": extract(message)}
                for number, message in enumerate(params["logEventMessages"])  # numbered from 0 as AWS does
                if matches(message)
            ]
        }

    # -- subscription filters ------------------------------------------------------------------

    async def put_subscription_filter(self, ctx, params: dict) -> dict:
        group = params["logGroupName"]
        destinations.check_account(ctx, params["destinationArn"])
        await self.platform.run_sync(self.engine.group, ctx.account_id, ctx.region, group)
        _compile(params["filterPattern"])
        await destinations.check(self.platform, ctx, group, params["destinationArn"], params.get("roleArn"))
        body = {
            "filterPattern": params["filterPattern"],
            "destinationArn": params["destinationArn"],
            "distribution": params.get("distribution") or "ByLogStream",
            "applyOnTransformedLogs": bool(params.get("applyOnTransformedLogs", False)),
        }
        for optional in ("roleArn", "fieldSelectionCriteria", "emitSystemFields"):
            if optional in params:
                body[optional] = params[optional]
        await self.platform.run_sync(
            self.subscriptions.put, ctx.account_id, ctx.region, group, params["filterName"], body
        )
        return {}

    def delete_subscription_filter(self, ctx, params: dict) -> dict:
        self.subscriptions.delete(ctx.account_id, ctx.region, params["logGroupName"], params["filterName"])
        return {}

    def describe_subscription_filters(self, ctx, params: dict) -> dict:
        after = tokens.decode_page(params["nextToken"], (str,))[0] if params.get("nextToken") else None
        filters, more = self.subscriptions.describe(
            ctx.account_id,
            ctx.region,
            params["logGroupName"],
            params.get("filterNamePrefix"),
            after,
            params.get("limit", 50),
        )
        output: dict = {"subscriptionFilters": filters}
        if more:
            output["nextToken"] = tokens.encode_page([filters[-1]["filterName"]])
        return output

    # -- Logs Insights queries (queries.py) -----------------------------------------------------

    async def start_query(self, ctx, params: dict) -> dict:
        groups = check.query_groups(ctx, params)
        if params["startTime"] > params["endTime"]:
            raise check.invalid("The endTime must be greater than or equal to the startTime.")
        query_id = await self.queries.start(
            ctx, groups, params["startTime"], params["endTime"], params["queryString"], params.get("limit", 10_000)
        )
        return {"queryId": query_id}

    def get_query_results(self, ctx, params: dict) -> dict:
        return self.queries.results(ctx, params["queryId"], params.get("maxItems"), params.get("nextToken"))

    def stop_query(self, ctx, params: dict) -> dict:
        return self.queries.stop(ctx, params["queryId"])

    def describe_queries(self, ctx, params: dict) -> dict:
        if params.get("queryLanguage", "CWLI") != "CWLI":
            return {"queries": []}  # every query is a Logs Insights QL query
        return self.queries.describe(
            ctx, params.get("logGroupName"), params.get("status"), params.get("maxResults", 1000), params.get("nextToken")
        )

    def get_log_record(self, ctx, params: dict) -> dict:
        return self.queries.log_record(ctx, params["logRecordPointer"])

    def put_query_definition(self, ctx, params: dict) -> dict:
        check.cwli_only(params)
        return {"queryDefinitionId": self.queries.put_definition(ctx, params)}

    def describe_query_definitions(self, ctx, params: dict) -> dict:
        if params.get("queryLanguage", "CWLI") != "CWLI":
            return {"queryDefinitions": []}  # every definition is a Logs Insights QL one
        return self.queries.describe_definitions(
            ctx, params.get("queryDefinitionNamePrefix"), params.get("maxResults", 1000), params.get("nextToken")
        )

    def delete_query_definition(self, ctx, params: dict) -> dict:
        return self.queries.delete_definition(ctx, params["queryDefinitionId"])

    # -- tags ----------------------------------------------------------------------------------

    def _tag(self, ctx, name: str, tags: dict, too_many) -> None:
        check.check_tags(tags)

        def limit(total: int) -> None:
            if total > check.MAX_TAGS:
                raise too_many

        self.engine.tag(ctx.account_id, ctx.region, name, tags, limit)

    def tag_log_group(self, ctx, params: dict) -> dict:
        too_many = check.invalid(f"A log group can have at most {check.MAX_TAGS} tags.")
        self._tag(ctx, params["logGroupName"], params["tags"], too_many)
        return {}

    def untag_log_group(self, ctx, params: dict) -> dict:
        self.engine.untag(ctx.account_id, ctx.region, params["logGroupName"], params["tags"])
        return {}

    def list_tags_log_group(self, ctx, params: dict) -> dict:
        return {"tags": self.engine.tags(ctx.account_id, ctx.region, params["logGroupName"])}

    def tag_resource(self, ctx, params: dict) -> dict:
        arn = params["resourceArn"]
        too_many = AWSError(
            "TooManyTagsException",
            f"A resource can have at most {check.MAX_TAGS} tags.",
            400,
            fields={"resourceName": arn},
        )
        self._tag(ctx, check.group_from_arn(ctx, arn), params["tags"], too_many)
        return {}

    def untag_resource(self, ctx, params: dict) -> dict:
        name = check.group_from_arn(ctx, params["resourceArn"])
        self.engine.untag(ctx.account_id, ctx.region, name, params["tagKeys"])
        return {}

    def list_tags_for_resource(self, ctx, params: dict) -> dict:
        name = check.group_from_arn(ctx, params["resourceArn"])
        return {"tags": self.engine.tags(ctx.account_id, ctx.region, name)}

    # -- log streams ---------------------------------------------------------------------------

    def create_log_stream(self, ctx, params: dict) -> dict:
        self.engine.create_stream(ctx.account_id, ctx.region, params["logGroupName"], params["logStreamName"])
        return {}

    def delete_log_stream(self, ctx, params: dict) -> dict:
        self.engine.delete_stream(ctx.account_id, ctx.region, params["logGroupName"], params["logStreamName"])
        return {}

    def describe_log_streams(self, ctx, params: dict) -> dict:
        group = check.group_name(ctx, params)
        by_last_event = params.get("orderBy") == "LastEventTime"
        prefix = params.get("logStreamNamePrefix")
        if by_last_event and prefix:
            raise check.invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        after = None
        if params.get("nextToken"):
            after = tokens.decode_page(params["nextToken"], (int, str) if by_last_event else (str,))
        streams, more = self.engine.list_streams(
            ctx.account_id,
            ctx.region,
            group,
            prefix=prefix,
            by_last_event=by_last_event,
            descending=bool(params.get("descending")),
            after=after,
            limit=params.get("limit", 50),
        )
        output: dict = {"logStreams": [self._stream_out(ctx, group, s) for s in streams]}
        if more:
            last = streams[-1]
            key = (
                [last.last_ts if last.last_ts is not None else -1, last.name]
                if by_last_event
                else [last.name]
            )
            output["nextToken"] = tokens.encode_page(key)
        return output

    @staticmethod
    def _stream_out(ctx, group: str, stream: Stream) -> dict:
        out: dict = {"logStreamName": stream.name, "creationTime": stream.created}
        if stream.first_ts is not None:
            out["firstEventTimestamp"] = stream.first_ts
            out["lastEventTimestamp"] = stream.last_ts
        if stream.last_ingest is not None:
            out["lastIngestionTime"] = stream.last_ingest
        if stream.next_seq:  # a new stream has none: its first upload needs no sequence token
            out["uploadSequenceToken"] = _sequence_token(stream.next_seq)
        out["arn"] = arns.build(
            "logs", ctx.region, ctx.account_id, f"log-group:{group}:log-stream:{stream.name}"
        )
        out["storedBytes"] = 0  # deprecated for log streams: AWS always reports zero
        return out

    # -- events --------------------------------------------------------------------------------

    def put_log_events(self, ctx, params: dict) -> dict:
        events = [(e["timestamp"], e["message"]) for e in params["logEvents"]]
        _check_batch(events)
        result = self.engine.put(
            ctx.account_id, ctx.region, params["logGroupName"], params["logStreamName"], events
        )
        output: dict = {"nextSequenceToken": _sequence_token(result["next_seq"])}  # even if all were rejected
        if result["rejected"]:
            output["rejectedLogEventsInfo"] = result["rejected"]
        return output

    def get_log_events(self, ctx, params: dict) -> dict:
        group = check.group_name(ctx, params)
        stream_id = self.engine.stream_id(ctx.account_id, ctx.region, group, params["logStreamName"])
        start, end = params.get("startTime"), params.get("endTime")
        token = params.get("nextToken")
        if token:
            direction, ts, seq = tokens.decode_stream(token, stream_id)
            forward, boundary = direction == "f", (ts, seq)
        else:
            forward = bool(params.get("startFromHead", False))
            boundary = (0, 0) if forward else (FAR_FUTURE, 0)
        events = self.engine.read_stream(
            stream_id,
            forward=forward,
            boundary=boundary,
            start=start,
            end=end,
            limit=params.get("limit", 10_000),
        )
        if events:
            after, before = (events[-1].ts, events[-1].seq + 1), (events[0].ts, events[0].seq)
        else:
            after = before = boundary if token else (start or 0, 0)
        return {
            "events": [{"timestamp": e.ts, "message": e.message, "ingestionTime": e.ingest} for e in events],
            "nextForwardToken": tokens.encode_stream("f", stream_id, *after),
            "nextBackwardToken": tokens.encode_stream("b", stream_id, *before),
        }

    async def filter_log_events(self, ctx, params: dict) -> dict:
        # a scan may examine up to SCAN_BUDGET events: never on the event loop, whatever the store
        return await asyncio.to_thread(self._filter_log_events, ctx, params)

    def _filter_log_events(self, ctx, params: dict) -> dict:
        group_name = check.group_name(ctx, params)
        names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
        if names and prefix:
            raise check.invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        start, end = params.get("startTime"), params.get("endTime")
        if end is not None:
            end += 1  # FilterLogEvents' endTime is inclusive (GetLogEvents' is not); the engine's bound is not
        matches = _compile(params.get("filterPattern") or "")
        after = None
        if params.get("nextToken"):
            direction, *position = tokens.decode_page(params["nextToken"], (str, int, int, int))
            if direction not in ("f", "b"):
                raise tokens.invalid_token()
            descending, after = direction == "b", tuple(position)
        else:
            descending = params.get("startFromHead") is False
            if descending and start is not None and start < _DESCENDING_FILTER_SINCE:
                raise check.invalid(
                    "startFromHead=false is supported only with a startTime on or after 2024-01-01T00:00:00Z."
                )
        group = self.engine.group(ctx.account_id, ctx.region, group_name)
        streams = self.engine.streams_for_filter(group, names, prefix, start, end)
        limit = params.get("limit", 10_000)
        found: list[Event] = []
        size = 0
        resume: Event | None = None
        last: Event | None = None
        scan = self.engine.scan(list(streams), descending=descending, after=after, start=start, end=end)
        for scanned, event in enumerate(scan, 1):
            if matches(event.message):
                if len(found) == limit or size + event.size > MAX_BYTES:
                    resume = found[-1] if found else last
                    break
                found.append(event)
                size += event.size
            last = event
            if scanned >= SCAN_BUDGET:
                resume = event
                break
        output: dict = {
            "events": [
                {
                    "logStreamName": streams[e.stream_id],
                    "timestamp": e.ts,
                    "message": e.message,
                    "ingestionTime": e.ingest,
                    "eventId": event_id(e.ts, e.stream_id, e.seq),
                }
                for e in found
            ],
            "searchedLogStreams": [],
        }
        if resume is not None:
            output["nextToken"] = tokens.encode_page(
                ["b" if descending else "f", resume.ts, resume.stream_id, resume.seq]
            )
        return output


def _compile(pattern: str):
    try:
        return compile_pattern(pattern)
    except PatternError as exc:
        raise check.invalid(f"Invalid filter pattern: {exc}") from None


def _metric_matches(metric_filter: dict, name: str | None, namespace: str | None) -> bool:
    return any(
        (name is None or t["metricName"] == name) and (namespace is None or t["metricNamespace"] == namespace)
        for t in metric_filter["metricTransformations"]
    )


def _sequence_token(next_seq: int) -> str:
    return f"{next_seq + 1:056d}"


def _check_batch(events: list[tuple[int, str]]) -> None:
    """PutLogEvents' batch rules that fail the whole request."""
    if any(events[i][0] < events[i - 1][0] for i in range(1, len(events))):
        raise check.invalid("Log events in a single PutLogEvents request must be in chronological order.")
    size = sum(len(message.encode()) + EVENT_OVERHEAD for _, message in events)
    if size > MAX_BYTES:
        raise check.invalid(f"Upload too large: {size} bytes exceeds limit of {MAX_BYTES}")
    # "valid" as AWS documents it: 14 days back to 2 hours ahead, whatever the group's retention
    now = now_ms()
    valid = [ts for ts, _ in events if now - MAX_PAST_MS <= ts <= now + MAX_FUTURE_MS]
    if valid and valid[-1] - valid[0] > MAX_SPAN_MS:
        raise check.invalid(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
        )
