"""Event source mappings: the API (shapes, states, listing, paging) and its errors."""

import threading
import time

import pytest
from botocore.exceptions import ClientError
from ddbstreams_helpers import make_table
from esm_helpers import error, fast_fixtures, recorder, wait_state
from lambda_helpers import create, wait_for

fast_server, fast = fast_fixtures()


def stream_arn(handle, name="tbl") -> str:
    return make_table(handle.client("dynamodb"), name)["LatestStreamArn"]


def test_create_get_update_delete_with_states(fast):
    lam = fast.client("lambda")
    function_arn = recorder(fast)
    arn = stream_arn(fast)
    before = time.time()
    out = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", StartingPosition="LATEST",
                                          BatchSize=5, MaximumBatchingWindowInSeconds=1)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert out["State"] == "Creating"
    assert out["FunctionArn"] == function_arn and out["EventSourceArn"] == arn
    assert out["BatchSize"] == 5 and out["MaximumBatchingWindowInSeconds"] == 1
    assert out["StartingPosition"] == "LATEST" and out["ParallelizationFactor"] == 1
    assert out["MaximumRetryAttempts"] == -1 and out["MaximumRecordAgeInSeconds"] == -1
    assert out["BisectBatchOnFunctionError"] is False and out["DestinationConfig"] == {"OnFailure": {}}
    assert out["LastProcessingResult"] == "No records processed" and out["StateTransitionReason"] == "User action"
    assert out["EventSourceMappingArn"].endswith(":event-source-mapping:" + out["UUID"])
    assert out["LastModified"].timestamp() >= before - 1
    mapping_id = out["UUID"]
    assert wait_state(lam, mapping_id, "Enabled")["UUID"] == mapping_id

    changed = lam.update_event_source_mapping(UUID=mapping_id, Enabled=False, BatchSize=7)
    assert changed["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert changed["State"] == "Disabling" and changed["BatchSize"] == 7
    wait_state(lam, mapping_id, "Disabled")
    assert lam.update_event_source_mapping(UUID=mapping_id, Enabled=True)["State"] == "Enabling"
    wait_state(lam, mapping_id, "Enabled")
    assert lam.update_event_source_mapping(UUID=mapping_id, MaximumRetryAttempts=3)["State"] == "Updating"
    assert wait_state(lam, mapping_id, "Enabled")["MaximumRetryAttempts"] == 3

    gone = lam.delete_event_source_mapping(UUID=mapping_id)
    assert gone["State"] == "Deleting" and gone["ResponseMetadata"]["HTTPStatusCode"] == 202

    def missing():
        try:
            lam.get_event_source_mapping(UUID=mapping_id)
        except ClientError as exc:
            return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]
    assert wait_for(missing) == ("ResourceNotFoundException", 404)
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []


def test_created_disabled_settles_disabled(fast):
    lam = fast.client("lambda")
    recorder(fast)
    out = lam.create_event_source_mapping(EventSourceArn=stream_arn(fast), FunctionName="rec",
                                          StartingPosition="TRIM_HORIZON", Enabled=False)
    assert out["State"] == "Creating" and out["BatchSize"] == 100
    wait_state(lam, out["UUID"], "Disabled")


def test_list_filters_and_paging(fast):
    lam = fast.client("lambda")
    recorder(fast, "one")
    recorder(fast, "two")
    arns = [stream_arn(fast, f"tbl{i}") for i in range(3)]
    ids = {}
    for arn in arns:
        for fn in ("one", "two"):
            ids[(arn, fn)] = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn,
                                                             StartingPosition="LATEST")["UUID"]
    listed = lam.list_event_source_mappings()["EventSourceMappings"]
    assert sorted(m["UUID"] for m in listed) == sorted(ids.values())
    by_arn = lam.list_event_source_mappings(EventSourceArn=arns[1])["EventSourceMappings"]
    assert {m["UUID"] for m in by_arn} == {ids[(arns[1], "one")], ids[(arns[1], "two")]}
    by_fn = lam.list_event_source_mappings(FunctionName="two")["EventSourceMappings"]
    assert {m["UUID"] for m in by_fn} == {ids[(a, "two")] for a in arns}
    both = lam.list_event_source_mappings(FunctionName="one", EventSourceArn=arns[2])["EventSourceMappings"]
    assert [m["UUID"] for m in both] == [ids[(arns[2], "one")]]
    seen, marker = [], None
    while True:
        page = lam.list_event_source_mappings(MaxItems=4, **({"Marker": marker} if marker else {}))
        assert len(page["EventSourceMappings"]) <= 4
        seen += [m["UUID"] for m in page["EventSourceMappings"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert sorted(seen) == sorted(ids.values()) and len(seen) == 6


@pytest.mark.parametrize("kwargs,expected", [
    ({"FunctionName": "missing"}, ("InvalidParameterValueException", 400)),  # "Function does not exist"
    ({"EventSourceArn": "arn:aws:s3:::bucket"}, ("InvalidParameterValueException", 400)),
    ({"EventSourceArn": "not-an-arn"}, ("ValidationException", 400)),
    ({"EventSourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/nope/stream/2020-01-01T00:00:00.000"},
     ("InvalidParameterValueException", 400)),
    ({"StartingPosition": None}, ("InvalidParameterValueException", 400)),
    ({"StartingPosition": "AT_TIMESTAMP"}, ("InvalidParameterValueException", 400)),  # Kinesis and Kafka only
    ({"StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": 1700000000},
     ("InvalidParameterValueException", 400)),
    ({"BatchSize": 0}, ("ValidationException", 400)),
    ({"BatchSize": 10001}, ("ValidationException", 400)),
    ({"MaximumRecordAgeInSeconds": 30}, ("InvalidParameterValueException", 400)),
    ({"MaximumRetryAttempts": -2}, ("ValidationException", 400)),
    ({"FunctionResponseTypes": ["Nope"]}, ("ValidationException", 400)),
    ({"FilterCriteria": {"Filters": [{"Pattern": "{\"a\": 1}"}]}}, ("InvalidParameterValueException", 400)),
    ({"FilterCriteria": {"Filters": [{"Pattern": "not json"}]}}, ("InvalidParameterValueException", 400)),
    ({"FilterCriteria": {"Filters": [{"Pattern": "null"}]}}, ("InvalidParameterValueException", 400)),
    ({"FilterCriteria": {"Filters": [{"Pattern": '{"eventName": [{"prefix": 1}]}'}]}},
     ("InvalidParameterValueException", 400)),
    ({"FilterCriteria": {"Filters": [{"Pattern": "{\"a\": [1]}"}] * 6}}, ("InvalidParameterValueException", 400)),
    ({"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:kinesis:us-east-1:000000000000:stream/x"}}},
     ("InvalidParameterValueException", 400)),
    ({"ScalingConfig": {"MaximumConcurrency": 5}}, ("InvalidParameterValueException", 400)),  # SQS only
])
def test_bad_input_is_refused_and_stores_nothing(fast, kwargs, expected):
    lam = fast.client("lambda", config=__import__("botocore.config").config.Config(
        parameter_validation=False, retries={"max_attempts": 1}))
    recorder(fast)
    params = {"EventSourceArn": stream_arn(fast), "FunctionName": "rec", "StartingPosition": "LATEST", **kwargs}
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(**params)
    assert error(exc) == expected
    if "StartingPosition" in kwargs and kwargs["StartingPosition"] is None:
        assert exc.value.response["Error"]["Message"] == ("1 validation error detected: Value null at "
                                                          "'startingPosition' failed to satisfy constraint: Member "
                                                          "must not be null.")
    if len((kwargs.get("FilterCriteria") or {}).get("Filters") or [None] * 6) <= 5:  # a malformed pattern
        assert exc.value.response["Error"]["Message"] == "Invalid filter pattern definition."
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []


def test_duplicates_unknown_ids_and_bad_updates(fast):
    lam = fast.client("lambda")
    recorder(fast)
    arn = stream_arn(fast)
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", StartingPosition="LATEST")
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", StartingPosition="LATEST")
    assert error(exc) == ("ResourceConflictException", 409)
    assert exc.value.response["Error"]["Message"] == (
        f'The event source arn (" {arn} ") and function (" rec ") provided mapping already exists. Please update '
        f"or delete the existing mapping with UUID {mapping['UUID']}")
    wait_state(lam, mapping["UUID"], "Enabled")
    for call in (lam.get_event_source_mapping, lam.delete_event_source_mapping):
        with pytest.raises(ClientError) as exc:
            call(UUID="11111111-2222-3333-4444-555555555555")
        assert error(exc) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as exc:
        lam.update_event_source_mapping(UUID=mapping["UUID"], MaximumRecordAgeInSeconds=5)
    assert error(exc) == ("InvalidParameterValueException", 400)
    assert exc.value.response["Error"]["Message"] == \
        "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)"
    with pytest.raises(ClientError) as exc:
        lam.update_event_source_mapping(UUID=mapping["UUID"], FunctionName="missing")
    assert error(exc) == ("ResourceNotFoundException", 404)
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["MaximumRecordAgeInSeconds"] == -1
    assert len(lam.list_event_source_mappings()["EventSourceMappings"]) == 1


def test_mapping_to_an_alias_names_the_alias(fast):
    lam = fast.client("lambda")
    create(lam, "aliased", "def handler(e, c):\n    return {}\n", Publish=True)
    lam.create_alias(FunctionName="aliased", Name="live", FunctionVersion="1")
    out = lam.create_event_source_mapping(EventSourceArn=stream_arn(fast), FunctionName="aliased:live",
                                          StartingPosition="LATEST")
    assert out["FunctionArn"].endswith(":function:aliased:live")
    assert [m["UUID"] for m in lam.list_event_source_mappings(FunctionName="aliased:live")["EventSourceMappings"]] \
        == [out["UUID"]]


def test_transitional_states_refuse_updates_and_deletes(fast):
    lam = fast.client("lambda")
    recorder(fast)
    pollers = fast.platform.loaded_service("lambda").pollers
    wake, interval, supervise_once = pollers.wake, pollers.settings.supervise_s, pollers.supervise_once
    rounds_since = threading.Event()

    async def counted_round():
        await supervise_once()
        rounds_since.set()  # the supervisor's next wait is the long one
    pollers.supervise_once = counted_round
    pollers.wake, pollers.settings.supervise_s = (lambda: None), 3600.0  # hold states where they are
    try:
        assert rounds_since.wait(30), "the supervisor never entered its long wait"
        mapping_id = lam.create_event_source_mapping(EventSourceArn=stream_arn(fast), FunctionName="rec",
                                                     StartingPosition="LATEST")["UUID"]
        for call in (lambda: lam.update_event_source_mapping(UUID=mapping_id, BatchSize=5),
                     lambda: lam.delete_event_source_mapping(UUID=mapping_id)):
            with pytest.raises(ClientError) as exc:
                call()
            assert error(exc) == ("ResourceInUseException", 400)
        assert lam.get_event_source_mapping(UUID=mapping_id)["BatchSize"] == 100
    finally:
        pollers.wake, pollers.settings.supervise_s = wake, interval
        del pollers.supervise_once
        pollers.wake()
    wait_state(lam, mapping_id, "Enabled")
    assert lam.update_event_source_mapping(UUID=mapping_id, BatchSize=5)["State"] == "Updating"
