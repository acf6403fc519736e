"""Invoke answers as Lambda gives them: missing targets, throttles, log tails, Event throttles."""

import base64
import json
import urllib.error
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from lambda_helpers import create, fast_fixtures, invoke, wait_for

ARN = "arn:aws:lambda:us-east-1:000000000000:function:"
fast_server, fast = fast_fixtures({"lambda_async_poll_s": 0.05, "lambda_async_throttle_delay_s": 0.1})


def refused(call, **params) -> dict:
    with pytest.raises(ClientError) as exc:
        call(**params)
    return exc.value.response


@pytest.mark.parametrize("params, arn", [
    ({"FunctionName": "nothing"}, ARN + "nothing:$LATEST"),
    ({"FunctionName": "nothing", "Qualifier": "$LATEST"}, ARN + "nothing:$LATEST"),
    ({"FunctionName": ARN + "nothing"}, ARN + "nothing:$LATEST"),
    ({"FunctionName": "echo", "Qualifier": "non-existent-alias"}, ARN + "echo:non-existent-alias"),
    ({"FunctionName": "echo:9"}, ARN + "echo:9"),
])
def test_a_missing_target_is_named_with_its_qualifier(cloudlet, params, arn):
    lam = cloudlet.client("lambda")
    create(lam, "echo")
    response = refused(lam.invoke, **params)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["Error"] == {"Code": "ResourceNotFoundException", "Message": f"Function not found: {arn}"}
    assert (response["Type"], response["Message"]) == ("User", f"Function not found: {arn}")


def test_a_reserved_concurrency_throttle_carries_no_retry_after(cloudlet):
    lam = cloudlet.client("lambda", config=Config(retries={"max_attempts": 0}))
    create(lam, "zero")
    lam.put_function_concurrency(FunctionName="zero", ReservedConcurrentExecutions=0)
    response = refused(lam.invoke, FunctionName="zero", Payload=b"{}")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {
        "Error": {"Code": "TooManyRequestsException", "Message": "Rate Exceeded."},
        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded", "Type": "User", "message": "Rate Exceeded."}
    assert "retry-after" not in response["ResponseMetadata"]["HTTPHeaders"]


def test_the_tail_of_a_cold_start_begins_at_start(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "talk", "import json\ndef handler(e, c):\n    print(json.dumps(e))\n    return e\n")
    for _ in range(2):  # cold, then warm
        response, body = invoke(lam, "talk", {}, LogType="Tail")
        rid = response["ResponseMetadata"]["RequestId"]
        lines = base64.b64decode(response["LogResult"]).decode().splitlines()
        assert lines[:3] == [f"START RequestId: {rid} Version: $LATEST", "{}", f"END RequestId: {rid}"]
        assert lines[3].startswith(f"REPORT RequestId: {rid}\tDuration: ") and len(lines) == 4
    logs = cloudlet.client("logs")
    messages = wait_for(lambda: [e["message"] for e in logs.filter_log_events(
        logGroupName="/aws/lambda/talk")["events"]] or None)
    assert messages[0].startswith("INIT_START Runtime Version: ")  # the log itself keeps it


def test_an_event_for_zero_reserved_concurrency_fails_at_once(fast):
    lam, sqs = fast.client("lambda"), fast.client("sqs")
    queue = sqs.create_queue(QueueName="failures")["QueueUrl"]
    create(lam, "zero")
    lam.put_function_concurrency(FunctionName="zero", ReservedConcurrentExecutions=0)
    lam.put_function_event_invoke_config(FunctionName="zero", MaximumRetryAttempts=0, DestinationConfig={
        "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:failures"}})
    response = lam.invoke(FunctionName=ARN + "zero:$LATEST", InvocationType="Event")
    assert (response["StatusCode"], response["Payload"].read()) == (202, b"")
    got = wait_for(lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"))
    record = json.loads(got[0]["Body"])
    assert list(record) == ["version", "timestamp", "requestContext", "requestPayload"]
    assert record["requestContext"] == {"requestId": response["ResponseMetadata"]["RequestId"],
                                        "functionArn": ARN + "zero:$LATEST", "condition": "ZeroReservedConcurrency",
                                        "approximateInvokeCount": 0}
    assert record["requestPayload"] == {}



def test_a_retry_later_than_the_maximum_age_is_not_waited_for(fast):
    lam, sqs = fast.client("lambda"), fast.client("sqs")
    queue = sqs.create_queue(QueueName="failures")["QueueUrl"]
    create(lam, "fails", "def handler(e, c):\n    raise Exception('intentional failure')\n")
    lam.put_function_event_invoke_config(FunctionName="fails", MaximumRetryAttempts=2, MaximumEventAgeInSeconds=60,
                                         DestinationConfig={"OnFailure": {
                                             "Destination": "arn:aws:sqs:us-east-1:000000000000:failures"}})
    response = lam.invoke(FunctionName="fails", InvocationType="Event", Payload=b'{"message": "m"}')
    # the first retry would come after a minute: the event is too old by then, so it fails now
    got = wait_for(lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"))
    record = json.loads(got[0]["Body"])
    assert record["requestContext"] == {"requestId": response["ResponseMetadata"]["RequestId"],
                                        "functionArn": ARN + "fails:$LATEST", "condition": "EventAgeExceeded",
                                        "approximateInvokeCount": 1}
    assert record["requestPayload"] == {"message": "m"}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert (record["responsePayload"]["errorType"], record["responsePayload"]["errorMessage"]) == (
        "Exception", "intentional failure")


# -- function URLs --------------------------------------------------------------------------------
FORBIDDEN = ("Forbidden. For troubleshooting Function URL authorization issues, see: "
             "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html")


def url_call(cloudlet, url_id: str, body: bytes = b"{}") -> tuple[int, dict, bytes]:
    request = urllib.request.Request(f"{cloudlet.endpoint}/_cloudlet/lambda-url/{url_id}/custom_path/extend"
                                     "?test_param=test_value", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.mark.parametrize("returned, body", [
    ('{"hello": "world"}', b'{"hello":"world"}'),
    ('{"statusCode": 200, "body": "body123"}', b"body123"),
    ('{"statusCode": 200, "body": "{\\"hello\\": \\"world\\"}"}', b'{"hello": "world"}'),
    ('["hello", 3, True]', b'["hello",3,true]'),
    ('"hello"', b"hello"),
    ("3", b"3"),
    ("3.1", b"3.1"),
    ("True", b"true"),
])
def test_url_answers_without_a_status_code_are_the_json_value(cloudlet, returned, body):
    lam = cloudlet.client("lambda")
    create(lam, "u", f"def handler(event, context):\n    return {returned}\n")
    url_id = lam.create_function_url_config(FunctionName="u", AuthType="NONE")["FunctionUrl"].split("//")[1][:32]
    lam.add_permission(FunctionName="u", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="NONE")
    lam.add_permission(FunctionName="u", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*",
                       InvokedViaFunctionUrl=True)
    status, headers, got = url_call(cloudlet, url_id, b"{'key':'value'}")
    assert (status, got) == (200, body)
    assert (headers["Content-Type"], headers["Content-Length"]) == ("application/json", str(len(body)))


def test_url_refusals_say_what_lambda_says(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "u")
    url_id = lam.create_function_url_config(FunctionName="u", AuthType="NONE")["FunctionUrl"].split("//")[1][:32]
    status, headers, body = url_call(cloudlet, url_id)  # no permission
    assert (status, json.loads(body)) == (403, {"Message": FORBIDDEN})
    assert (headers["Content-Type"], headers["x-amzn-ErrorType"]) == ("application/json", "AccessDeniedException")
    status, headers, body = url_call(cloudlet, "0123456789abcdefghijklmnopqrstuv")  # no such URL
    assert (status, body) == (403, b'{"Message":null}')
    assert (headers["Content-Type"], headers["x-amzn-ErrorType"]) == ("application/json", "AccessDeniedException")
