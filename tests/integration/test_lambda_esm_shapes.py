"""What event source mappings and their events look like as Lambda shows them: the state and
reason a new or changed mapping answers with per source, the record formats functions receive,
the on-failure record of a batch that reported item failures, and filter pattern edge cases."""

import json
import math

import pytest
from botocore.exceptions import ClientError
from ddbstreams_helpers import make_table
from esm_helpers import batches, error, event_logger, fast_fixtures, first_event, recorder, wait_state
from lambda_helpers import create, wait_for

fast_server, fast = fast_fixtures()


def stream(handle) -> str:
    ddb = handle.client("dynamodb")
    make_table(ddb)
    return ddb.describe_table(TableName="tbl")["Table"]["LatestStreamArn"]


def queue(handle, name="jobs") -> tuple[str, str]:
    sqs = handle.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def events(handle, function: str = "rec") -> list[dict]:
    """Every event `event_logger`'s function logged so far."""
    found = handle.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
    return [json.loads(e["message"][6:]) for e in found if e["message"].startswith("EVENT ")]


def test_states_and_transition_reasons_per_source(fast):
    """Stream mappings give "User action" as the reason, queue mappings USER_INITIATED; a queue
    mapping created disabled answers Disabled at once, a stream mapping settles there."""
    lam = fast.client("lambda")
    recorder(fast)
    _, queue_arn = queue(fast)
    _, other_arn = queue(fast, "other")
    cases = [  # (source, extra, state Create answers, settled state, reason)
        (stream(fast), {"StartingPosition": "TRIM_HORIZON"}, "Creating", "Enabled", "User action"),
        (queue_arn, {}, "Creating", "Enabled", "USER_INITIATED"),
        (other_arn, {"Enabled": False}, "Disabled", "Disabled", "USER_INITIATED"),
    ]
    for arn, extra, answered, settled, reason in cases:
        out = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", **extra)
        assert (out["State"], out["StateTransitionReason"]) == (answered, reason), arn
        assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
        got = wait_state(lam, out["UUID"], settled)
        assert got["StateTransitionReason"] == reason
        changed = lam.update_event_source_mapping(UUID=out["UUID"], BatchSize=5)
        assert changed["StateTransitionReason"] == reason and changed["BatchSize"] == 5
        wait_state(lam, out["UUID"], settled)
        assert lam.delete_event_source_mapping(UUID=out["UUID"])["StateTransitionReason"] == reason


def test_stream_events_carry_float_epoch_seconds(fast):
    arn = stream(fast)
    event_logger(fast)
    fast.client("dynamodb").put_item(TableName="tbl", Item={"pk": {"S": "a"}})
    fast.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="rec",
                                                      StartingPosition="TRIM_HORIZON")
    [record] = first_event(fast)["Records"]
    created = record["dynamodb"]["ApproximateCreationDateTime"]
    assert isinstance(created, float) and int(math.log10(created)) == 9
    assert list(record) == ["eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
                            "eventSourceARN"]


def test_sqs_records_list_members_in_lambdas_order(fast):
    url, arn = queue(fast)
    event_logger(fast)
    fast.client("sqs").send_message(QueueUrl=url, MessageBody="x", MessageAttributes={
        "WeeksOn": {"DataType": "Number", "StringValue": "6"}, "Raw": {"DataType": "Binary", "BinaryValue": b"\x01"}})
    fast.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="rec")
    [record] = first_event(fast)["Records"]
    assert list(record) == ["messageId", "receiptHandle", "body", "attributes", "messageAttributes",
                            "md5OfMessageAttributes", "md5OfBody", "eventSource", "eventSourceARN", "awsRegion"]
    assert list(record["attributes"]) == ["ApproximateReceiveCount", "SentTimestamp", "SenderId",
                                          "ApproximateFirstReceiveTimestamp"]
    fast.client("sqs").send_message(QueueUrl=url, MessageBody="plain")
    plain = wait_for(lambda: [r for e in events(fast) for r in e["Records"] if r["body"] == "plain"])
    assert plain[0]["messageAttributes"] == {} and plain[0]["md5OfMessageAttributes"] is None
    assert list(record["messageAttributes"]["WeeksOn"].items()) == [
        ("stringValue", "6"), ("stringListValues", []), ("binaryListValues", []), ("dataType", "Number")]
    assert list(record["messageAttributes"]["Raw"]) == ["binaryValue", "stringListValues", "binaryListValues",
                                                        "dataType"]


# Reports the record whose new image has `bad` as failed (no function error).
REPORTER = """
def handler(event, context):
    print("BATCH {}")
    return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in event["Records"]
                                  if "bad" in r["dynamodb"]["NewImage"]]}
"""


def test_on_failure_record_of_reported_item_failures_has_null_function_error(fast):
    arn = stream(fast)
    create(fast.client("lambda"), "rec", REPORTER)
    url, queue_arn = queue(fast, "failures")
    fast.client("dynamodb").put_item(TableName="tbl", Item={"pk": {"S": "a"}, "bad": {"S": "y"}})
    fast.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="rec", StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=1,
        FunctionResponseTypes=["ReportBatchItemFailures"], DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    sqs = fast.client("sqs")
    message = wait_for(lambda: (sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages") or [None])[0], 20)
    failure = json.loads(message["Body"])
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": None}
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"


@pytest.mark.parametrize("pattern", ['{"eventName": []}', '{"dynamodb": {"Keys": []}}', "null", "single-string",
                                     '{"eventName": "INSERT"}', '[{"eventName": ["INSERT"=123}]'])
def test_malformed_filter_patterns_are_refused(fast, pattern):
    lam = fast.client("lambda")
    recorder(fast)
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(EventSourceArn=stream(fast), FunctionName="rec",
                                        StartingPosition="TRIM_HORIZON",
                                        FilterCriteria={"Filters": [{"Pattern": pattern}]})
    assert error(exc) == ("InvalidParameterValueException", 400)
    assert exc.value.response["Error"]["Message"] == "Invalid filter pattern definition."
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []


def test_exists_false_matches_an_attribute_whose_value_is_an_object(fast):
    """`exists` tests leaves only: an attribute holding {"S": ...} has no leaf at its own level."""
    arn = stream(fast)
    recorder(fast)
    ddb = fast.client("dynamodb")
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}})
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "b"}, "presentKey": {"S": "v"}})
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "c"}, "other": {"S": "v"}})
    fast.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="rec", StartingPosition="TRIM_HORIZON", BatchSize=10,
        FilterCriteria={"Filters": [{"Pattern": json.dumps(
            {"dynamodb": {"NewImage": {"presentKey": [{"exists": False}]}}})}]})
    wait_for(lambda: sorted(k for b in batches(fast) for k in b["keys"]) == ["a", "b", "c"])
