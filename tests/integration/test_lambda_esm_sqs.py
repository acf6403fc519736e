"""Event source mappings on SQS queues: batches, deletion on success, partial batch failures,
redrive to the dead-letter queue after failed receives, FIFO order per group, filters, errors."""

import json
import time

import pytest
from botocore.exceptions import ClientError
from esm_helpers import (
    batches,
    error,
    event_logger,
    fast_fixtures,
    first_event,
    recorder,
    wait_batches,
    wait_state,
)
from lambda_helpers import wait_for

fast_server, fast = fast_fixtures()


def make_queue(handle, name="jobs", **attributes) -> tuple[str, str]:
    sqs = handle.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def counts(handle, url) -> tuple[int, int]:
    attrs = handle.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"]), int(
        attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"])


def send(handle, url, *bodies, **kwargs) -> None:
    for body in bodies:
        handle.client("sqs").send_message(QueueUrl=url, MessageBody=body, **kwargs)


def test_messages_reach_the_function_and_are_deleted(fast):
    url, arn = make_queue(fast)
    recorder(fast)
    send(fast, url, "m1", "m2", "m3")
    lam = fast.client("lambda")
    out = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", BatchSize=10,
                                          MaximumBatchingWindowInSeconds=1)
    assert out["State"] == "Creating" and out["BatchSize"] == 10 and "StartingPosition" not in out
    assert out["MaximumBatchingWindowInSeconds"] == 1 and out["FunctionResponseTypes"] == []
    assert out["StateTransitionReason"] == "USER_INITIATED" and "LastProcessingResult" not in out
    assert out["EventSourceMappingArn"].endswith(":event-source-mapping:" + out["UUID"])
    for absent in ("ParallelizationFactor", "MaximumRetryAttempts", "DestinationConfig", "TumblingWindowInSeconds"):
        assert absent not in out
    wait_state(lam, out["UUID"], "Enabled")
    wait_for(lambda: sorted(k for b in batches(fast) for k in b["keys"]) == ["m1", "m2", "m3"])
    wait_for(lambda: counts(fast, url) == (0, 0))
    assert "LastProcessingResult" not in lam.get_event_source_mapping(UUID=out["UUID"])  # null for queues


def test_event_has_the_sqs_record_format(fast):
    url, arn = make_queue(fast)
    lam = fast.client("lambda")
    event_logger(fast)
    send(fast, url, "hello", MessageAttributes={"colour": {"DataType": "String", "StringValue": "red"}})
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec")
    [record] = first_event(fast)["Records"]
    assert record["body"] == "hello" and record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
    assert record["awsRegion"] == "us-east-1" and record["messageId"] and record["receiptHandle"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1" and "SentTimestamp" in record["attributes"]
    assert record["messageAttributes"]["colour"] == {"stringValue": "red", "stringListValues": [],
                                                     "binaryListValues": [], "dataType": "String"}
    assert len(record["md5OfBody"]) == 32 and len(record["md5OfMessageAttributes"]) == 32


def test_failures_return_to_the_queue_and_redrive_to_the_dlq(fast):
    dlq_url, dlq_arn = make_queue(fast, "dead")
    url, arn = make_queue(fast, VisibilityTimeout="1", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}))
    recorder(fast, timeout=1)  # a queue's visibility timeout must cover the function's timeout
    send(fast, url, json.dumps({"fail": 1}))
    fast.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="rec")
    wait_for(lambda: counts(fast, dlq_url)[0] == 1, 20)
    assert len(batches(fast)) == 2  # received twice, then moved
    assert counts(fast, url) == (0, 0)


def test_partial_batch_failures_keep_only_reported_messages(fast):
    url, arn = make_queue(fast, VisibilityTimeout="30")
    recorder(fast)
    send(fast, url, "ok1", json.dumps({"bad": 1}), "ok2")
    fast.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", BatchSize=10,
                                                      MaximumBatchingWindowInSeconds=1,
                                                      FunctionResponseTypes=["ReportBatchItemFailures"])
    wait_batches(fast, 1)
    wait_for(lambda: counts(fast, url) == (0, 1))  # only the reported message is still in flight


def test_fifo_keeps_order_per_group(fast):
    url, arn = make_queue(fast, "jobs.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    recorder(fast)
    for i in range(6):
        send(fast, url, f"g{i % 2}-{i}", MessageGroupId=f"g{i % 2}")
    fast.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", BatchSize=2)
    wait_for(lambda: sum(len(b["keys"]) for b in batches(fast)) == 6)
    order = [k for b in batches(fast) for k in b["keys"]]
    for group in ("g0", "g1"):
        mine = [k for k in order if k.startswith(group)]
        assert mine == sorted(mine, key=lambda k: int(k.split("-")[1]))


def test_filters_delete_unmatched_messages(fast):
    url, arn = make_queue(fast)
    recorder(fast)
    send(fast, url, json.dumps({"kind": "keep"}), json.dumps({"kind": "drop"}), "plain text")
    pattern = json.dumps({"body": {"kind": ["keep"]}})
    fast.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", BatchSize=10,
                                                      MaximumBatchingWindowInSeconds=1,
                                                      FilterCriteria={"Filters": [{"Pattern": pattern}]})
    wait_batches(fast, 1)
    wait_for(lambda: counts(fast, url) == (0, 0))
    assert [k for b in batches(fast) for k in b["keys"]] == [json.dumps({"kind": "keep"})]


@pytest.mark.parametrize("kwargs,expected", [
    ({"BatchSize": 11}, ("InvalidParameterValueException", 400)),
    ({"StartingPosition": "LATEST"}, ("InvalidParameterValueException", 400)),
    ({"MaximumRetryAttempts": 1}, ("InvalidParameterValueException", 400)),
    ({"EventSourceArn": "arn:aws:sqs:us-east-1:000000000000:missing"}, ("InvalidParameterValueException", 400)),
])
def test_bad_sqs_mappings_are_refused(fast, kwargs, expected):
    _, arn = make_queue(fast)
    recorder(fast)
    lam = fast.client("lambda")
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(**{"EventSourceArn": arn, "FunctionName": "rec", **kwargs})
    assert error(exc) == expected
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []


def test_larger_batches_with_a_window_and_scaling_config(fast):
    url, arn = make_queue(fast)
    recorder(fast)
    lam = fast.client("lambda")
    out = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", BatchSize=25,
                                          MaximumBatchingWindowInSeconds=2,
                                          ScalingConfig={"MaximumConcurrency": 2})
    assert out["ScalingConfig"] == {"MaximumConcurrency": 2}
    wait_state(lam, out["UUID"], "Enabled")
    sqs = fast.client("sqs")
    for start in range(0, 20, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"}
                                                      for i in range(10)])
    wait_for(lambda: sum(len(b["keys"]) for b in batches(fast)) == 20)
    assert max(len(b["keys"]) for b in batches(fast)) > 10


@pytest.mark.parametrize("kwargs,fifo,message", [
    ({"StartingPosition": "TRIM_HORIZON"}, False, "StartingPosition is not valid for SQS event sources."),
    ({"BatchSize": 11}, False,
     "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"),
    ({"BatchSize": 11}, True,
     "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"),
    ({"BatchSize": 5, "MaximumBatchingWindowInSeconds": 1}, True, "Batching window is not supported for FIFO queues"),
    ({"MaximumRetryAttempts": 2}, False,
     "Unsupported 'maximumRetryAttempts' parameter for given event source mapping type."),
    ({"BisectBatchOnFunctionError": True}, False,
     "Unsupported 'bisectBatchOnFunctionError' parameter for given event source mapping type."),
    ({"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:dlq"}}}, False,
     "Unsupported 'destinationConfig' parameter for given event source mapping type."),
])
def test_sqs_refusals_are_worded_as_lambda_words_them(fast, kwargs, fifo, message):
    _, arn = make_queue(fast, "jobs.fifo", FifoQueue="true") if fifo else make_queue(fast)
    recorder(fast)
    lam = fast.client("lambda")
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", **kwargs)
    assert error(exc) == ("InvalidParameterValueException", 400)
    assert exc.value.response["Error"]["Message"] == message
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []


def test_a_queue_whose_visibility_timeout_is_shorter_than_the_function_timeout_is_refused(fast):
    _, arn = make_queue(fast, VisibilityTimeout="5")
    recorder(fast, timeout=6)
    recorder(fast, "fits", timeout=5)
    lam = fast.client("lambda")
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec")
    assert error(exc) == ("InvalidParameterValueException", 400)
    assert exc.value.response["Error"]["Message"] == \
        "Queue visibility timeout: 5 seconds is less than Function timeout: 6 seconds"
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []
    assert lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="fits")["State"] == "Creating"


def test_a_second_mapping_of_a_queue_and_function_conflicts(fast):
    _, arn = make_queue(fast)
    recorder(fast)
    lam = fast.client("lambda")
    first = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec")
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", BatchSize=5)
    assert error(exc) == ("ResourceConflictException", 409)
    assert exc.value.response["Error"]["Message"] == (
        f'An event source mapping with SQS arn (" {arn} ") and function (" rec ") already exists. Please update '
        f"or delete the existing mapping with UUID {first['UUID']}")
    assert [m["UUID"] for m in lam.list_event_source_mappings()["EventSourceMappings"]] == [first["UUID"]]
    # pointing another mapping of the queue at the same function conflicts too, and changes nothing
    recorder(fast, "other")
    second = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="other")
    wait_state(lam, second["UUID"], "Enabled")
    with pytest.raises(ClientError) as exc:
        lam.update_event_source_mapping(UUID=second["UUID"], FunctionName="rec", BatchSize=3)
    assert error(exc) == ("ResourceConflictException", 409)
    assert first["UUID"] in exc.value.response["Error"]["Message"]
    kept = lam.get_event_source_mapping(UUID=second["UUID"])
    assert kept["FunctionArn"].endswith(":function:other") and kept["BatchSize"] == 10
    assert lam.update_event_source_mapping(UUID=second["UUID"], FunctionName="other")["State"] == "Updating"


# Replies with the "reply" of its first message's body (JSON), after logging the batch.
REPLIER = """
import json
def handler(event, context):
    print("BATCH " + json.dumps({"keys": [r["body"] for r in event["Records"]], "ids": [], "names": []}))
    return json.loads(event["Records"][0]["body"])["reply"]
"""


def test_batch_item_failure_responses(fast):
    """An empty or null list, or a null or [] response, deletes the batch; an unknown identifier or a
    response that is not an object leaves the whole batch to come back; a known one keeps only it."""
    from lambda_helpers import create
    create(fast.client("lambda"), "rec", REPLIER, Timeout=10)
    lam, sqs = fast.client("lambda"), fast.client("sqs")
    cases = {"empty": {"batchItemFailures": []}, "nulllist": {"batchItemFailures": None}, "null": None, "list": [],
             "unknown": {"batchItemFailures": [{"itemIdentifier": "nope"}]}, "text": "ok",
             "blank": {"batchItemFailures": [{"itemIdentifier": ""}]}}
    urls = {}
    for name, reply in cases.items():
        url, arn = make_queue(fast, name, VisibilityTimeout="60")
        urls[name] = url
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": json.dumps({"reply": reply})},
                                                      {"Id": "b", "MessageBody": json.dumps({"reply": None})}])
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", BatchSize=10,
                                        MaximumBatchingWindowInSeconds=1,
                                        FunctionResponseTypes=["ReportBatchItemFailures"])
    wait_for(lambda: sum(len(b["keys"]) for b in batches(fast)) >= 2 * len(cases), 20)
    for name in ("empty", "nulllist", "null", "list"):
        wait_for(lambda name=name: counts(fast, urls[name]) == (0, 0))
    time.sleep(0.5)  # the other batches were handled as long ago: nothing of theirs was deleted
    assert {name: counts(fast, urls[name]) for name in ("unknown", "text", "blank")} == \
        {"unknown": (0, 2), "text": (0, 2), "blank": (0, 2)}


def test_filters_on_plain_and_json_bodies(fast):
    """A plain-text body matches plain-string patterns on `body`; a JSON body matches patterns on its
    fields; a pattern of the other form never matches. Filters are ORed; unmatched messages go."""
    url, arn = make_queue(fast)
    recorder(fast)
    filters = [{"body": [{"prefix": "keep"}]},
               {"body": {"n": [{"numeric": [">", 10, "<=", 20]}], "tag": [{"exists": False}]}},
               {"body": {"name": [{"equals-ignore-case": "ALICE"}, {"anything-but": {"prefix": "x"}}],
                         "$or": [{"kind": ["a"]}, {"kind": [{"suffix": "-b"}]}]}}]
    bodies = {"keep plain": True, "drop plain": False, json.dumps({"n": 15}): True,
              json.dumps({"n": 25}): False, json.dumps({"n": 15, "tag": "t"}): False,
              json.dumps({"name": "alice", "kind": "a"}): True, json.dumps({"name": "bob", "kind": "x-b"}): True,
              json.dumps({"name": "xavier", "kind": "a"}): False, json.dumps({"name": "bob", "kind": "c"}): False,
              json.dumps({"keep": 1}): False}
    send(fast, url, *bodies)
    fast.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="rec", BatchSize=20, MaximumBatchingWindowInSeconds=1,
        FilterCriteria={"Filters": [{"Pattern": json.dumps(f)} for f in filters]})
    wait_for(lambda: counts(fast, url) == (0, 0))
    wait_for(lambda: sorted(k for b in batches(fast) for k in b["keys"]) == sorted(b for b, keep in bodies.items()
                                                                               if keep))
