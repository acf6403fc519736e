"""InvokeWithResponseStream (the event stream botocore reads) and the deprecated InvokeAsync."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import create, wait_for

ECHO = """
import json, os
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    print("ran with", json.dumps(event))
    return {"event": event, "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"]}
"""


def error(exc_info) -> tuple[str, int]:
    response = exc_info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def events(response) -> list[dict]:
    return list(response["EventStream"])


def test_payload_arrives_as_one_chunk_then_complete(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "echo", source=ECHO)
    response = lam.invoke_with_response_stream(FunctionName="echo", Payload=json.dumps({"a": [1, "é"]}))
    assert response["StatusCode"] == 200 and response["ExecutedVersion"] == "$LATEST"
    assert response["ResponseStreamContentType"] == "application/vnd.amazon.eventstream"
    received = events(response)
    assert [next(iter(e)) for e in received] == ["PayloadChunk", "InvokeComplete"]
    assert json.loads(received[0]["PayloadChunk"]["Payload"]) == {"event": {"a": [1, "é"]}, "version": "$LATEST"}
    assert received[1]["InvokeComplete"] == {}


def test_log_tail_is_in_invoke_complete(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "echo", source=ECHO)
    response = lam.invoke_with_response_stream(FunctionName="echo", Payload=b'{"k": 7}', LogType="Tail")
    complete = events(response)[-1]["InvokeComplete"]
    tail = base64.b64decode(complete["LogResult"]).decode()
    assert 'ran with {"k": 7}' in tail
    assert tail.rstrip().splitlines()[-1].startswith("REPORT RequestId: " + response["ResponseMetadata"]["RequestId"])


def test_function_error_is_reported_in_invoke_complete(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "echo", source=ECHO)
    received = events(lam.invoke_with_response_stream(FunctionName="echo", Payload=b'{"fail": true}'))
    assert received == [{"InvokeComplete": {"ErrorCode": "ValueError", "ErrorDetails": "asked to fail"}}]


def test_timeout_is_reported_with_its_error_type(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "slow", source="import time\ndef handler(e, c):\n    time.sleep(5)\n", Timeout=1)
    complete = events(lam.invoke_with_response_stream(FunctionName="slow"))[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in complete["ErrorDetails"]


def test_qualifiers_and_dry_run(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "echo", source=ECHO, Publish=True)
    lam.create_alias(FunctionName="echo", Name="live", FunctionVersion="1")
    response = lam.invoke_with_response_stream(FunctionName="echo", Qualifier="live", Payload=b"{}")
    assert response["ExecutedVersion"] == "1"
    assert json.loads(events(response)[0]["PayloadChunk"]["Payload"])["version"] == "1"
    dry = lam.invoke_with_response_stream(FunctionName="echo:1", InvocationType="DryRun")
    assert dry["StatusCode"] == 204 and dry["ResponseMetadata"]["HTTPStatusCode"] == 204


@pytest.mark.parametrize("kwargs, expected", [
    ({"FunctionName": "missing"}, ("ResourceNotFoundException", 404)),
    ({"FunctionName": "echo", "Qualifier": "nope"}, ("ResourceNotFoundException", 404)),
    ({"FunctionName": "echo", "Payload": b"{not json"}, ("InvalidRequestContentException", 400)),
    ({"FunctionName": "echo", "Payload": b'"' + b"x" * (6 * 1024 * 1024) + b'"'},
     ("RequestEntityTooLargeException", 413)),
])
def test_errors_are_the_invoke_errors(cloudlet, kwargs, expected):
    lam = cloudlet.client("lambda")
    create(lam, "echo", source=ECHO)
    with pytest.raises(ClientError) as info:
        lam.invoke_with_response_stream(**kwargs)
    assert error(info) == expected


def test_throttled_stream_invocation_is_429(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "echo", source=ECHO)
    lam.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as info:
        lam.invoke_with_response_stream(FunctionName="echo")
    assert error(info) == ("TooManyRequestsException", 429)
    assert info.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_invoke_async_queues_an_event_invocation(cloudlet):
    lam, logs = cloudlet.client("lambda"), cloudlet.client("logs")
    create(lam, "echo", source=ECHO)
    response = lam.invoke_async(FunctionName="echo", InvokeArgs=b'{"queued": "yes"}')
    assert response["Status"] == 202 and response["ResponseMetadata"]["HTTPStatusCode"] == 202

    def ran():
        try:
            found = logs.filter_log_events(logGroupName="/aws/lambda/echo", filterPattern='"queued"')["events"]
        except ClientError:
            return None
        return found
    assert 'ran with {"queued": "yes"}' in wait_for(ran)[0]["message"]


def test_invoke_async_refuses_what_invoke_refuses(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "echo", source=ECHO)
    with pytest.raises(ClientError) as info:
        lam.invoke_async(FunctionName="missing", InvokeArgs=b"{}")
    assert error(info) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as info:
        lam.invoke_async(FunctionName="echo", InvokeArgs=b"{oops")
    assert error(info) == ("InvalidRequestContentException", 400)
    with pytest.raises(ClientError) as info:
        lam.invoke_async(FunctionName="echo", InvokeArgs=b'"' + b"x" * (1024 * 1024) + b'"')
    assert error(info) == ("RequestEntityTooLargeException", 413)
