"""Lambda event source mappings: Create/Get/List/Update/DeleteEventSourceMapping.

`EventSourceMappingOps` is mixed into the Lambda service. Mappings are stored by esm_store.py and
run by esm_pollers.py (one poller per enabled mapping, on the node holding its lease). A new or
changed mapping answers in a transitional State (Creating, Enabling, Disabling, Updating, Deleting);
the poller supervisor settles it (Enabled, Disabled, removed) within one supervision interval.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from datetime import UTC, datetime

from cloudlet.aws.errors import AWSError
from cloudlet.events.patterns import PatternError, compile_pattern
from cloudlet.services.lambda_ import errors, paging
from cloudlet.services.lambda_.registry import LATEST, Ref, parse_ref

DEFAULT_BATCH = {"dynamodb": 100, "sqs": 10}
MAX_FILTERS = 5
MAX_ITEMS = 100
STREAM_ONLY = ("StartingPosition", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError",
               "ParallelizationFactor", "DestinationConfig", "TumblingWindowInSeconds")
SQS_ONLY = ("ScalingConfig",)
_STREAM_ARN = re.compile(r"arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table/[^/]+/stream/.+")
_QUEUE_ARN = re.compile(r"arn:aws[a-z-]*:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,80}(?:\.fifo)?)")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TRANSITIONAL = {"Creating", "Enabling", "Disabling", "Updating", "Deleting"}
# Lambda words the reason for a user's change per source: stream mappings say "User action".
USER_REASON = {"dynamodb": "User action", "sqs": "USER_INITIATED"}


def source_kind(arn: str) -> str:
    """"dynamodb" or "sqs" for the event sources cloudlet polls; InvalidParameterValue otherwise."""
    if _STREAM_ARN.fullmatch(arn):
        return "dynamodb"
    if _QUEUE_ARN.fullmatch(arn):
        return "sqs"
    raise errors.invalid(f"Unrecognized event source, must be a DynamoDB stream or an SQS queue: {arn}")


def mapping_not_found() -> AWSError:
    return errors.not_found("The resource you requested does not exist.")


def in_use(doc: dict) -> AWSError:
    return AWSError("ResourceInUseException", f"Cannot modify the event source mapping {doc['UUID']} while it "
                    f"is in state {doc['State']}. Please try again later.", 400, fields={"Type": "User"})


def duplicate(kind: str, arn: str, function: str, existing: str) -> AWSError:
    """A second mapping of one source and function, worded per source as Lambda words it."""
    if kind == "sqs":
        head = f'An event source mapping with SQS arn (" {arn} ") and function (" {function} ") already exists.'
    else:
        head = f'The event source arn (" {arn} ") and function (" {function} ") provided mapping already exists.'
    return errors.conflict(f"{head} Please update or delete the existing mapping with UUID {existing}")


def public_mapping(doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    out["LastModified"] = datetime.fromtimestamp(doc["LastModified"], UTC)
    return out


def _has_empty_array(spec) -> bool:
    if isinstance(spec, dict):
        return any(_has_empty_array(v) for v in spec.values())
    return spec == [] or (isinstance(spec, list) and any(_has_empty_array(v) for v in spec))


def check_filters(criteria: dict | None) -> None:
    """Every Pattern must be a valid event pattern (with no empty arrays); at most five filters."""
    filters = (criteria or {}).get("Filters") or []
    if len(filters) > MAX_FILTERS:
        raise errors.invalid(f"The number of filters ({len(filters)}) exceeds the limit of {MAX_FILTERS} "
                             "filters for an event source mapping.")
    for item in filters:
        try:
            if _has_empty_array(compile_pattern(item.get("Pattern") or "").spec):
                raise PatternError("empty array")
        except PatternError:
            raise errors.invalid("Invalid filter pattern definition.") from None  # Lambda says no more


class EventSourceMappingOps:
    """The event source mapping operations of the Lambda service (self.esm_store, self.pollers)."""

    # -- validation --------------------------------------------------------------------------------
    def _esm_function(self, ctx, name: str) -> tuple[Ref, str, dict]:
        """The function (version, alias) a mapping names, which must exist: its ref, ARN and configuration."""
        ref = parse_ref(ctx, name)
        doc = self._version_doc(ref)
        return ref, ref.qualified_arn() if ref.qualifier else ref.arn, doc

    def _esm_settings(self, kind: str, params: dict, doc: dict) -> None:
        """Apply the settings of a Create/Update request to doc (checked against the source kind)."""
        if kind == "sqs" and "StartingPosition" in params:
            raise errors.invalid("StartingPosition is not valid for SQS event sources.")
        extra = [k for k in (STREAM_ONLY if kind == "sqs" else SQS_ONLY) if k in params]
        if extra:
            raise errors.invalid(f"Unsupported '{extra[0][0].lower()}{extra[0][1:]}' parameter for given event "
                                 "source mapping type.")
        for key in ("BatchSize", "MaximumBatchingWindowInSeconds", "ParallelizationFactor", "MaximumRetryAttempts",
                    "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "TumblingWindowInSeconds",
                    "FunctionResponseTypes", "ScalingConfig"):
            if key in params:
                doc[key] = params[key]
        if "FilterCriteria" in params:
            check_filters(params["FilterCriteria"])
            if (params["FilterCriteria"] or {}).get("Filters"):
                doc["FilterCriteria"] = params["FilterCriteria"]
            else:
                doc.pop("FilterCriteria", None)
        if "DestinationConfig" in params:
            target = ((params["DestinationConfig"] or {}).get("OnFailure") or {}).get("Destination")
            if target and not re.match(r"arn:aws[a-z-]*:(sqs|sns|s3):", target):
                raise errors.invalid(f"Unsupported destination {target}: an on-failure destination is an SQS "
                                     "queue, an SNS topic or an S3 bucket.")
            doc["DestinationConfig"] = {"OnFailure": {"Destination": target} if target else {}}
        record_age = doc.get("MaximumRecordAgeInSeconds", -1)
        if record_age != -1 and not 60 <= record_age <= 604800:
            raise errors.invalid("MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 "
                                 "(inclusive)")
        batch = doc["BatchSize"]
        if kind == "sqs":
            window = doc.get("MaximumBatchingWindowInSeconds", 0)
            if window and doc["EventSourceArn"].endswith(".fifo"):
                raise errors.invalid("Batching window is not supported for FIFO queues")
            if batch > 10 and not window:
                raise errors.invalid("Maximum batch window in seconds must be greater than 0 if maximum batch size is "
                                     "greater than 10")
            concurrency = (doc.get("ScalingConfig") or {}).get("MaximumConcurrency")
            if concurrency is not None and not 2 <= concurrency <= 1000:
                raise errors.invalid("ScalingConfig.MaximumConcurrency must be between 2 and 1000.")

    async def _esm_source(self, ctx, kind: str, arn: str) -> int | None:
        """The source must exist in the caller's account and region; a queue's visibility timeout."""
        match = (_STREAM_ARN if kind == "dynamodb" else _QUEUE_ARN).fullmatch(arn)
        if (match.group(1), match.group(2)) != (ctx.region, ctx.account_id):
            raise errors.invalid(f"The event source {arn} is not in this account and region.")
        if kind == "dynamodb":
            streams = await self.platform.service("dynamodbstreams")
            try:
                await self.platform.run_sync(streams.reader.shards, arn)
            except AWSError:
                raise errors.invalid(f"Stream not found: {arn}") from None
        else:
            sqs = await self.platform.service("sqs")
            try:
                attributes = await self.platform.run_sync(sqs.get_queue_attributes, ctx, {
                    "QueueUrl": f"/{match.group(2)}/{match.group(3)}", "AttributeNames": ["VisibilityTimeout"]})
            except AWSError:
                raise errors.invalid(f"The provided queue does not exist: {arn}") from None
            return int(attributes["Attributes"]["VisibilityTimeout"])
        return None

    async def _no_duplicate(self, ctx, kind: str, arn: str, ref: Ref, function_arn: str, own: str = "") -> None:
        """ResourceConflictException when another live mapping joins this source and function."""
        for other in await self.platform.run_sync(self.esm_store.listing, ctx.account_id, ctx.region):
            if (other["EventSourceArn"], other["FunctionArn"]) == (arn, function_arn) and other["UUID"] != own \
                    and other["State"] != "Deleting":
                raise duplicate(kind, arn, ref.name, other["UUID"])

    async def _starting_checkpoints(self, arn: str, position: str) -> dict[str, str]:
        """For LATEST: where each existing shard starts (TRIM_HORIZON: nothing)."""
        if position == "TRIM_HORIZON":
            return {}
        streams = await self.platform.service("dynamodbstreams")
        reader = streams.reader

        def positions() -> dict[str, str]:
            from cloudlet.services.dynamodbstreams.records import seq_text
            out = {}
            with reader.store.read() as conn:
                stream = reader.stream(conn, arn)
                for shard in reader.shards(arn):
                    pos = reader.position(conn, stream, shard["ShardId"], position)
                    if not pos.horizon:
                        out[shard["ShardId"]] = seq_text(pos.after)
            return out
        return await self.platform.run_sync(positions)

    # -- operations --------------------------------------------------------------------------------
    async def create_event_source_mapping(self, ctx, params: dict) -> dict:
        arn = params.get("EventSourceArn")
        if not arn:
            raise errors.invalid("Unrecognized event source.")
        kind = source_kind(arn)
        try:
            ref, function_arn, function = await self.platform.run_sync(self._esm_function, ctx, params["FunctionName"])
        except AWSError as exc:
            if exc.code != "ResourceNotFoundException":
                raise
            raise errors.invalid("Function does not exist") from None
        position = params.get("StartingPosition")
        if kind == "dynamodb":
            if position is None:
                raise errors.invalid("1 validation error detected: Value null at 'startingPosition' failed to "
                                     "satisfy constraint: Member must not be null.")
            # AT_TIMESTAMP is for Kinesis, DocumentDB and Kafka sources only
            if position == "AT_TIMESTAMP":
                raise errors.invalid(f"Unsupported starting position for arn type: {arn}")
            if "StartingPositionTimestamp" in params:
                raise errors.invalid("Timestamp only valid with StartingPosition AT_TIMESTAMP")
        elif "StartingPositionTimestamp" in params:
            raise errors.invalid("StartingPosition is not valid for SQS event sources.")
        now = datetime.now(UTC).timestamp()
        mapping_id = str(uuidlib.uuid4())
        doc: dict = {"UUID": mapping_id, "BatchSize": params.get("BatchSize", DEFAULT_BATCH[kind]),
                     "MaximumBatchingWindowInSeconds": 0, "EventSourceArn": arn, "FunctionArn": function_arn,
                     "LastModified": now, "State": "Creating", "StateTransitionReason": USER_REASON[kind],
                     "FunctionResponseTypes": [],
                     "EventSourceMappingArn": f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:event-source-mapping:"
                                              f"{mapping_id}",
                     "_account": ctx.account_id, "_region": ctx.region, "_kind": kind,
                     "_tags": dict(params.get("Tags") or {}),
                     "_enabled": params.get("Enabled", True)}
        if kind == "dynamodb":
            doc.update(StartingPosition=position, ParallelizationFactor=1, MaximumRecordAgeInSeconds=-1,
                       BisectBatchOnFunctionError=False, MaximumRetryAttempts=-1, TumblingWindowInSeconds=0,
                       DestinationConfig={"OnFailure": {}}, LastProcessingResult="No records processed")
        if kind == "sqs" and not doc["_enabled"]:
            doc["State"] = "Disabled"  # a queue mapping created disabled answers Disabled at once
        self._esm_settings(kind, params, doc)
        visibility = await self._esm_source(ctx, kind, arn)
        if visibility is not None and visibility < function["Timeout"]:
            raise errors.invalid(f"Queue visibility timeout: {visibility} seconds is less than Function timeout: "
                                 f"{function['Timeout']} seconds")
        await self._no_duplicate(ctx, kind, arn, ref, function_arn)
        checkpoints = {}
        if kind == "dynamodb":
            checkpoints = await self._starting_checkpoints(arn, position)
        await self.platform.run_sync(self.esm_store.insert, doc, checkpoints)
        self.pollers.wake()
        return _out(doc)

    async def get_event_source_mapping(self, ctx, params: dict) -> dict:
        return _out(await self._esm_doc(ctx, params["UUID"]))

    async def _esm_doc(self, ctx, mapping_id: str) -> dict:
        doc = await self.platform.run_sync(self.esm_store.get, mapping_id) if _UUID.fullmatch(mapping_id) else None
        if doc is None or (doc["_account"], doc["_region"]) != (ctx.account_id, ctx.region):
            raise mapping_not_found()
        return doc

    async def list_event_source_mappings(self, ctx, params: dict) -> dict:
        docs = await self.platform.run_sync(self.esm_store.listing, ctx.account_id, ctx.region)
        if params.get("EventSourceArn"):
            docs = [d for d in docs if d["EventSourceArn"] == params["EventSourceArn"]]
        if params.get("FunctionName"):
            ref = parse_ref(ctx, params["FunctionName"])
            if ref.qualifier:
                docs = [d for d in docs if d["FunctionArn"] == ref.qualified_arn()]
            else:
                docs = [d for d in docs if d["FunctionArn"].split(":")[:7] == ref.arn.split(":")]
        return paging.page(docs, params, "EventSourceMappings", lambda d: d["UUID"], _out, default_limit=MAX_ITEMS)

    async def update_event_source_mapping(self, ctx, params: dict) -> dict:
        current = await self._esm_doc(ctx, params["UUID"])
        function_arn = None
        if params.get("FunctionName"):
            ref, function_arn, _ = await self.platform.run_sync(self._esm_function, ctx, params["FunctionName"])
            await self._no_duplicate(ctx, current["_kind"], current["EventSourceArn"], ref, function_arn,
                                     own=current["UUID"])
        probe = dict(current)
        self._esm_settings(current["_kind"], params, probe)  # refuse bad input before writing

        def change(doc: dict) -> None:
            if doc["State"] in TRANSITIONAL:
                raise in_use(doc)
            self._esm_settings(doc["_kind"], params, doc)
            if function_arn:
                doc["FunctionArn"] = function_arn
            if "Enabled" in params and params["Enabled"] != doc["_enabled"]:
                doc["_enabled"] = params["Enabled"]
                doc["State"] = "Enabling" if params["Enabled"] else "Disabling"
            else:
                doc["State"] = "Updating" if doc["_enabled"] else "Disabled"
            doc["StateTransitionReason"] = USER_REASON[doc["_kind"]]
            doc["LastModified"] = datetime.now(UTC).timestamp()
        doc = await self.platform.run_sync(self.esm_store.update, current["UUID"], change)
        if doc is None:
            raise mapping_not_found()
        self.pollers.wake()
        return _out(doc)

    async def delete_event_source_mapping(self, ctx, params: dict) -> dict:
        doc = await self._esm_doc(ctx, params["UUID"])
        if doc["State"] in ("Creating", "Updating"):
            raise in_use(doc)

        def change(d: dict) -> None:
            d.update(State="Deleting", StateTransitionReason=USER_REASON[d["_kind"]], _enabled=False)
        doc = await self.platform.run_sync(self.esm_store.update, doc["UUID"], change)
        if doc is None:
            raise mapping_not_found()
        self.pollers.wake()  # the supervisor stops the poller and removes the mapping
        return _out(doc)


def _out(doc: dict) -> dict:
    return public_mapping(doc)


def function_ref(doc: dict) -> Ref:
    """The function (with its qualifier, if the mapping names one) a mapping invokes."""
    parts = doc["FunctionArn"].split(":")
    qualifier = parts[7] if len(parts) > 7 else None
    return Ref(parts[4], parts[3], parts[6], qualifier if qualifier != LATEST else LATEST)
