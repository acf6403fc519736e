"""Event invocations: the durable queue, retries, event invoke configs, destinations, restarts."""

import json
import tempfile
import threading
import time

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import create, fast_fixtures, wait_for

from cloudlet.testing.pytest_plugin import CloudletHandle, start_server

FAST = {"lambda_async_retry_delays": [0.2, 0.2], "lambda_async_poll_s": 0.05,
        "lambda_async_throttle_delay_s": 0.1}
SINK = "import json\ndef handler(e, c):\n    print('RECORD ' + json.dumps(e))\n"
FAIL = "def handler(e, c):\n    print('attempt')\n    raise RuntimeError('always')\n"
OK = "def handler(e, c):\n    print('ran ' + str(e.get('n')))\n    return {'ok': e.get('n')}\n"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:"
fast_server, fast = fast_fixtures(FAST)


def messages(handle, function: str, prefix: str) -> list[str]:
    logs = handle.client("logs")
    if not logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{function}")["logGroups"]:
        return []
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
    return [e["message"] for e in events if e["message"].startswith(prefix)]


def records(handle) -> list[dict]:
    return [json.loads(m[len("RECORD "):]) for m in messages(handle, "sink", "RECORD ")]


def error(exc_info) -> tuple[str, int]:
    response = exc_info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_event_invocation_runs_and_reports_success(fast):
    lam = fast.client("lambda")
    create(lam, "sink", source=SINK)
    create(lam, "ok", source=OK)
    out = lam.put_function_event_invoke_config(
        FunctionName="ok", DestinationConfig={"OnSuccess": {"Destination": ARN + "sink"}})
    assert out["FunctionArn"] == ARN + "ok:$LATEST"
    response = lam.invoke(FunctionName="ok", InvocationType="Event", Payload=json.dumps({"n": 7}))
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    request_id = response["ResponseMetadata"]["RequestId"]
    record = wait_for(lambda: records(fast))[0]
    assert record["version"] == "1.0"
    assert record["requestContext"] == {"requestId": request_id, "functionArn": ARN + "ok:$LATEST",
                                        "condition": "Success", "approximateInvokeCount": 1}
    assert record["requestPayload"] == {"n": 7}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"ok": 7}
    assert record["timestamp"].endswith("Z")


def test_failures_are_retried_then_sent_to_on_failure(fast):
    lam = fast.client("lambda")
    create(lam, "sink", source=SINK)
    create(lam, "fail", source=FAIL)
    lam.put_function_event_invoke_config(FunctionName="fail", MaximumRetryAttempts=1,
                                         DestinationConfig={"OnFailure": {"Destination": ARN + "sink"}})
    lam.invoke(FunctionName="fail", InvocationType="Event", Payload=b'{"x": 1}')
    record = wait_for(lambda: records(fast))[0]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "always"
    assert len(messages(fast, "fail", "attempt")) == 2


def test_default_retries_are_two(fast):
    lam = fast.client("lambda")
    create(lam, "fail", source=FAIL)
    lam.invoke(FunctionName="fail", InvocationType="Event")
    wait_for(lambda: len(messages(fast, "fail", "attempt")) >= 3)
    with fast.platform.store.read() as conn:
        wait_for(lambda: conn.scalar("SELECT COUNT(*) FROM lambda_async") == 0)
    assert len(messages(fast, "fail", "attempt")) == 3


def test_event_invoke_config_operations(fast):
    lam = fast.client("lambda")
    create(lam, "cfg", Publish=True)
    with pytest.raises(ClientError) as exc:
        lam.get_function_event_invoke_config(FunctionName="cfg")
    assert error(exc) == ("ResourceNotFoundException", 404)
    lam.put_function_event_invoke_config(FunctionName="cfg", MaximumRetryAttempts=0, MaximumEventAgeInSeconds=60)
    lam.put_function_event_invoke_config(FunctionName="cfg", Qualifier="1", MaximumRetryAttempts=1)
    updated = lam.update_function_event_invoke_config(FunctionName="cfg", MaximumEventAgeInSeconds=120)
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (0, 120)
    replaced = lam.put_function_event_invoke_config(FunctionName="cfg", MaximumRetryAttempts=2)
    assert "MaximumEventAgeInSeconds" not in replaced
    listed = lam.list_function_event_invoke_configs(FunctionName="cfg")["FunctionEventInvokeConfigs"]
    assert [c["FunctionArn"] for c in listed] == [ARN + "cfg:$LATEST", ARN + "cfg:1"]
    with pytest.raises(ClientError) as exc:
        lam.put_function_event_invoke_config(FunctionName="cfg", MaximumRetryAttempts=3)
    assert error(exc)[1] == 400
    assert lam.get_function_event_invoke_config(FunctionName="cfg")["MaximumRetryAttempts"] == 2
    lam.delete_function_event_invoke_config(FunctionName="cfg", Qualifier="1")
    assert len(lam.list_function_event_invoke_configs(FunctionName="cfg")["FunctionEventInvokeConfigs"]) == 1


def test_throttled_events_are_retried_not_dropped(fast):
    lam = fast.client("lambda")
    create(lam, "later", source="import time\n" + OK.replace("print(", "time.sleep(e.get('s', 0))\n    print(", 1))
    lam.put_function_concurrency(FunctionName="later", ReservedConcurrentExecutions=1)
    busy = threading.Thread(target=lam.invoke, kwargs={"FunctionName": "later", "Payload": b'{"s": 2}'})
    busy.start()  # holds the only slot (for 2 s once running)
    inflight = fast.platform.loaded_service("lambda").runner.pool.inflight_function
    wait_for(lambda: inflight.get(("000000000000", "later")), what="the first invocation in flight")
    lam.invoke(FunctionName="later", InvocationType="Event", Payload=b'{"n": 1}')
    with fast.platform.store.read() as conn:
        wait_for(lambda: conn.scalar("SELECT COUNT(*) FROM lambda_async WHERE next_at > created_at + 0.05"))
        assert conn.scalar("SELECT attempts FROM lambda_async") == 0  # throttles do not count as attempts
    busy.join()
    assert wait_for(lambda: messages(fast, "later", "ran 1")) == ["ran 1"]


def test_queued_events_survive_a_restart():
    data_dir = tempfile.mkdtemp(prefix="cloudlet-async-")
    first = CloudletHandle(start_server(data_dir=data_dir, store="sqlite", extra=dict(FAST)))
    try:
        lam = first.client("lambda")
        create(lam, "later", source=OK)
        first.server.call(first.platform.loaded_service("lambda").queue.stop)  # as if the node died now
        lam.invoke(FunctionName="later", InvocationType="Event", Payload=b'{"n": 42}')
        with first.platform.store.read() as conn:
            assert conn.scalar("SELECT COUNT(*) FROM lambda_async") == 1
    finally:
        first.server.stop()
    second = CloudletHandle(start_server(data_dir=data_dir, store="sqlite", extra=dict(FAST)))
    try:  # no Lambda request reaches the new node: its worker starts with the platform
        assert wait_for(lambda: messages(second, "later", "ran ")) == ["ran 42"]
    finally:
        second.server.stop()


def test_sqs_destination_and_dead_letter_queue(fast):
    lam, sqs = fast.client("lambda"), fast.client("sqs")
    failures = sqs.create_queue(QueueName="failures")["QueueUrl"]
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    create(lam, "fail", source=FAIL, DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"})
    lam.put_function_event_invoke_config(FunctionName="fail", MaximumRetryAttempts=0, DestinationConfig={
        "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:failures"}})
    lam.invoke(FunctionName="fail", InvocationType="Event", Payload=b'{"q": 1}')
    got = wait_for(lambda: sqs.receive_message(QueueUrl=failures, WaitTimeSeconds=1).get("Messages"))
    record = json.loads(got[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == {"q": 1}
    dead = wait_for(lambda: sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1,
                                                MessageAttributeNames=["All"]).get("Messages"))
    assert json.loads(dead[0]["Body"]) == {"q": 1}
    assert dead[0]["MessageAttributes"]["ErrorMessage"]["StringValue"] == "always"


def test_events_older_than_the_maximum_age_go_to_on_failure_unrun(fast):
    lam = fast.client("lambda")
    create(lam, "sink", source=SINK)
    create(lam, "old", source=OK)
    lam.put_function_event_invoke_config(FunctionName="old", MaximumEventAgeInSeconds=60,
                                         DestinationConfig={"OnFailure": {"Destination": ARN + "sink"}})
    with fast.platform.store.tx() as conn:  # an event queued 2 minutes ago that never ran
        conn.execute("INSERT INTO lambda_async (id, account_id, region, function_name, qualifier, payload, attempts, "
                     "next_at, created_at, lease_until) VALUES ('old-1', '000000000000', 'us-east-1', 'old', "
                     "'$LATEST', ?, 0, 0, ?, 0)", (b'{"n": 5}', time.time() - 120))
    record = wait_for(lambda: records(fast))[0]
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["requestPayload"] == {"n": 5}
    assert "responseContext" not in record
    assert messages(fast, "old", "ran ") == []
