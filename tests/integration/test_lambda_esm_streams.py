"""Event source mappings on DynamoDB streams: batches in order, starting positions, retries, bisection,
the on-failure destination, partial batch failures, filters, and resuming after a restart."""

import json
import tempfile
import time

from ddbstreams_helpers import make_table, stream_durations
from esm_helpers import (
    FAST,
    batches,
    event_logger,
    fast_fixtures,
    first_event,
    recorder,
    wait_batches,
    wait_state,
)
from lambda_helpers import wait_for
from polling import Window

from cloudlet.testing.pytest_plugin import CloudletHandle, start_server

fast_server, fast = fast_fixtures()


def put(ddb, *keys: str, **attrs) -> None:
    for key in keys:
        ddb.put_item(TableName="tbl", Item={"pk": {"S": key}, **{k: {"S": v} for k, v in attrs.items()}})


def mapping(handle, **kwargs) -> str:
    kwargs.setdefault("StartingPosition", "TRIM_HORIZON")
    arn = handle.client("dynamodb").describe_table(TableName="tbl")["Table"]["LatestStreamArn"]
    return handle.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="rec",
                                                               **kwargs)["UUID"]


def queue(handle, name="failures") -> tuple[str, str]:
    sqs = handle.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def receive_all(handle, url: str, count: int) -> list[dict]:
    sqs, out = handle.client("sqs"), []

    def more():
        out.extend(json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                                       WaitTimeSeconds=1).get("Messages", []))
        return len(out) >= count
    wait_for(more, 20)
    return out


def test_batches_follow_batch_size_and_keep_order(fast):
    ddb = fast.client("dynamodb")
    make_table(ddb)
    recorder(fast)
    put(ddb, *"abcdefg")
    ddb.update_item(TableName="tbl", Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"S": "2"}})
    ddb.delete_item(TableName="tbl", Key={"pk": {"S": "a"}})
    mapping(fast, BatchSize=3)
    seen = wait_batches(fast, 3)
    assert seen == [["a", "b", "c"], ["d", "e", "f"], ["g", "a", "a"]]
    assert batches(fast)[2]["names"] == ["INSERT", "MODIFY", "REMOVE"]
    ids = [i for b in batches(fast) for i in b["ids"]]
    assert ids == sorted(ids) and len(set(ids)) == 9


def test_latest_skips_older_records_and_the_event_has_lambdas_format(fast):
    ddb = fast.client("dynamodb")
    arn = make_table(ddb)["LatestStreamArn"]
    lam = fast.client("lambda")
    event_logger(fast)
    put(ddb, "old")
    mapping_id = mapping(fast, StartingPosition="LATEST")
    wait_state(lam, mapping_id, "Enabled")
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "new"}, "colour": {"S": "red"}, "bin": {"B": b"\x00\x01"}})
    records = first_event(fast)["Records"]
    assert len(records) == 1
    record = records[0]
    assert record["eventName"] == "INSERT" and record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == arn and record["awsRegion"] == "us-east-1"
    assert record["dynamodb"]["Keys"] == {"pk": {"S": "new"}}
    assert record["dynamodb"]["NewImage"] == {"pk": {"S": "new"}, "colour": {"S": "red"}, "bin": {"B": "AAE="}}
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], float)
    assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    wait_for(lambda: lam.get_event_source_mapping(UUID=mapping_id)["LastProcessingResult"] == "OK")


def test_bisect_retries_then_on_failure_destination(fast):
    ddb = fast.client("dynamodb")
    make_table(ddb)
    recorder(fast)
    url, queue_arn = queue(fast)
    put(ddb, "a")
    put(ddb, "b", fail="yes")
    put(ddb, "c", "d")
    mapping(fast, BatchSize=4, BisectBatchOnFunctionError=True, MaximumRetryAttempts=1,
            DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    [failure] = receive_all(fast, url, 1)
    assert wait_batches(fast, 6) == [["a", "b", "c", "d"], ["a", "b"], ["a"], ["b"], ["b"], ["c", "d"]]
    b_seq = batches(fast)[3]["ids"][0]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert failure["requestContext"]["functionArn"].endswith(":function:rec")
    assert failure["responseContext"]["functionError"] == "Unhandled"
    assert failure["version"] == "1.0" and failure["timestamp"].endswith("Z")
    info = failure["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"] == b_seq
    assert info["streamArn"].endswith("/stream/" + info["streamArn"].split("/stream/")[1])
    assert info["shardId"].startswith("shardId-") and info["approximateArrivalOfFirstRecord"].endswith("Z")


def test_batches_with_a_failure_go_to_the_destination_whole_without_bisect(fast):
    ddb = fast.client("dynamodb")
    make_table(ddb)
    recorder(fast)
    url, queue_arn = queue(fast)
    put(ddb, "a")
    put(ddb, "b", fail="yes")
    mapping(fast, BatchSize=2, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    [failure] = receive_all(fast, url, 1)
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2
    assert failure["requestContext"]["approximateInvokeCount"] == 1
    put(ddb, "c")  # the shard moves on past the discarded batch
    assert wait_batches(fast, 2)[1] == ["c"]


def test_partial_batch_failures_resume_from_the_first_failed_record(fast):
    ddb = fast.client("dynamodb")
    make_table(ddb)
    recorder(fast)
    url, queue_arn = queue(fast)
    put(ddb, "a")
    put(ddb, "b", bad="yes")
    put(ddb, "c")
    mapping(fast, BatchSize=3, MaximumRetryAttempts=2, FunctionResponseTypes=["ReportBatchItemFailures"],
            DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    [failure] = receive_all(fast, url, 1)
    assert wait_batches(fast, 3) == [["a", "b", "c"], ["b", "c"], ["b", "c"]]
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2
    assert failure["requestContext"]["approximateInvokeCount"] == 3


def keys_now(handle):
    return [b["keys"] for b in batches(handle)]


def test_filters_drop_records_and_move_past_them(fast):
    ddb = fast.client("dynamodb")
    make_table(ddb)
    recorder(fast)
    put(ddb, "skip1", kind="other")
    put(ddb, "keep1", kind="keep")
    put(ddb, "skip2")
    ddb.delete_item(TableName="tbl", Key={"pk": {"S": "keep1"}})
    put(ddb, "keep2", kind="keep")
    pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["keep"]}}}}
    mapping_id = mapping(fast, BatchSize=10, FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    assert wait_batches(fast, 1) == [["keep1", "keep2"]]
    put(ddb, "skip3", kind="nope")
    put(ddb, "keep3", kind="keep")
    wait_batches(fast, 2)
    assert keys_now(fast) == [["keep1", "keep2"], ["keep3"]]
    lam = fast.client("lambda")
    assert json.loads(lam.get_event_source_mapping(UUID=mapping_id)["FilterCriteria"]["Filters"][0]["Pattern"]) \
        == pattern


def test_record_age_discards_old_records(fast):
    ddb = fast.client("dynamodb")
    make_table(ddb)
    recorder(fast)
    url, queue_arn = queue(fast)
    put(ddb, "a", fail="yes")
    mapping(fast, MaximumRecordAgeInSeconds=60, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    wait_batches(fast, 2)  # retried (no retry limit) while younger than a minute
    assert receive_all_now(fast, url) == []


def receive_all_now(handle, url):
    return handle.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])


def test_batching_window_gathers_records(fast):
    ddb = fast.client("dynamodb")
    make_table(ddb)
    recorder(fast)
    lam = fast.client("lambda")
    mapping_id = mapping(fast, StartingPosition="LATEST", BatchSize=50, MaximumBatchingWindowInSeconds=2)
    wait_state(lam, mapping_id, "Enabled")
    put(ddb, *"abcde")
    assert wait_batches(fast, 1) == [list("abcde")]


def test_disabled_mapping_holds_records_until_enabled(fast):
    ddb = fast.client("dynamodb")
    make_table(ddb)
    recorder(fast)
    lam = fast.client("lambda")
    mapping_id = mapping(fast, Enabled=False)
    wait_state(lam, mapping_id, "Disabled")
    put(ddb, "a", "b")
    time.sleep(0.5)
    assert keys_now(fast) == []
    lam.update_event_source_mapping(UUID=mapping_id, Enabled=True)
    assert wait_batches(fast, 1) == [["a", "b"]]


def test_mappings_resume_from_their_checkpoint_after_a_restart():
    data_dir = tempfile.mkdtemp(prefix="cloudlet-esm-")
    first = CloudletHandle(start_server(data_dir=data_dir, store="sqlite", extra=dict(FAST)))
    try:
        ddb = first.client("dynamodb")
        make_table(ddb)
        recorder(first)
        put(ddb, "a", "b")
        mapping_id = mapping(first, BatchSize=10)
        assert wait_batches(first, 1) == [["a", "b"]]
    finally:
        first.server.stop()
    second = CloudletHandle(start_server(data_dir=data_dir, store="sqlite", extra=dict(FAST)))
    try:
        put(second.client("dynamodb"), "c")
        seen = wait_batches(second, 2)
        assert seen == [["a", "b"], ["c"]]
        assert second.client("lambda").get_event_source_mapping(UUID=mapping_id)["State"] == "Enabled"
    finally:
        second.server.stop()


ROLL = 1.0  # seconds: a shortened shard roll interval


def test_parent_shards_before_children_across_rolls(fast):
    ddb = fast.client("dynamodb")
    arn = make_table(ddb)["LatestStreamArn"]
    first_shard = Window(ROLL)  # opened with the table
    recorder(fast)
    with stream_durations(fast, shard_roll=ROLL, sweep_interval=60):
        first_shard.sleep_past()  # a rolls the first shard: each pair below opens a shard of its own
        for pair, shard in (("ab", "a child shard"), ("cd", "a grandchild")):
            with Window(ROLL).inside(f"writing {pair} into {shard}"):
                put(ddb, *pair)
            time.sleep(ROLL + 0.1)
        put(ddb, "e")  # a great-grandchild
        shards = fast.client("dynamodbstreams").describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        assert len(shards) >= 3
        lam = fast.client("lambda")
        mapping_id = mapping(fast, BatchSize=10)
        wait_for(lambda: sum(map(len, keys_now(fast))) >= 5)
        assert [k for b in keys_now(fast) for k in b] == list("abcde")  # in order, each once
        assert ["a", "b"] in keys_now(fast) and ["e"] in keys_now(fast)  # a batch never spans shards
        done = len(keys_now(fast))
        # a LATEST mapping starts after the records of every shard, and reads later shards whole
        lam.delete_event_source_mapping(UUID=wait_state(lam, mapping_id, "Enabled")["UUID"])
        latest = mapping(fast, StartingPosition="LATEST", BatchSize=10)
        wait_state(lam, latest, "Enabled")
        put(ddb, "f")
        time.sleep(ROLL + 0.1)  # g opens a new shard
        put(ddb, "g")
        wait_batches(fast, done + 2)
        assert keys_now(fast)[done:] == [["f"], ["g"]]


def test_throttled_invocations_are_retried_without_losing_records(fast):
    ddb = fast.client("dynamodb")
    make_table(ddb)
    recorder(fast)
    url, queue_arn = queue(fast)
    lam = fast.client("lambda")
    lam.put_function_concurrency(FunctionName="rec", ReservedConcurrentExecutions=0)  # always throttled
    put(ddb, "a", "b")
    mapping_id = mapping(fast, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    wait_state(lam, mapping_id, "Enabled")
    time.sleep(0.5)
    assert keys_now(fast) == [] and receive_all_now(fast, url) == []
    lam.delete_function_concurrency(FunctionName="rec")
    assert wait_batches(fast, 1) == [["a", "b"]]
    assert receive_all_now(fast, url) == []


def test_a_missing_function_is_reported_and_records_wait(fast):
    ddb = fast.client("dynamodb")
    make_table(ddb)
    recorder(fast)
    lam = fast.client("lambda")
    mapping_id = mapping(fast, StartingPosition="LATEST")
    wait_state(lam, mapping_id, "Enabled")
    lam.delete_function(FunctionName="rec")
    put(ddb, "a")
    wait_for(lambda: lam.get_event_source_mapping(UUID=mapping_id)["LastProcessingResult"].startswith("PROBLEM"))
    recorder(fast)
    assert wait_batches(fast, 1) == [["a"]]
