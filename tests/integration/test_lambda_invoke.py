"""Invoke through boto3: payloads, errors, tails, limits, throttling, credentials and logs."""

import base64
import json
import re
import urllib.request

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import ROLE, create, invoke, wait_for

from cloudlet.testing.pytest_plugin import CloudletHandle, start_server


def error(exc_info) -> tuple[str, int]:
    response = exc_info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_request_response_returns_the_handler_result(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "echo")
    response, body = invoke(lam, "echo", {"a": 1})
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert body["event"] == {"a": 1}
    assert body["request_id"] == response["ResponseMetadata"]["RequestId"]
    assert body["arn"] == "arn:aws:lambda:us-east-1:000000000000:function:echo"


def test_unhandled_error_is_shaped_like_lambda(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "boom", source="def handler(e, c):\n    raise ValueError('bad input')\n")
    response, body = invoke(lam, "boom")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert body["errorMessage"] == "bad input"
    assert body["errorType"] == "ValueError"
    assert isinstance(body["stackTrace"], list) and body["stackTrace"]


def test_log_tail_carries_the_invocation_log(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "talk", source="def handler(e, c):\n    print('x' * 3000)\n    print('hello tail')\n    return 1\n")
    response, _ = invoke(lam, "talk", LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert len(tail.encode()) <= 4096
    assert "hello tail" in tail
    assert tail.rstrip().splitlines()[-1].startswith("REPORT RequestId: " + response["ResponseMetadata"]["RequestId"])
    assert "LogResult" not in invoke(lam, "talk")[0]


def test_client_context_reaches_the_handler(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "ctx", source="def handler(e, c):\n    return c.client_context.custom\n")
    context = base64.b64encode(json.dumps({"custom": {"k": "v"}, "env": {}, "client": {}}).encode()).decode()
    assert invoke(lam, "ctx", ClientContext=context)[1] == {"k": "v"}


def test_dry_run_checks_existence_only(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "dry", source="def handler(e, c):\n    raise SystemExit(1)\n")
    response = lam.invoke(FunctionName="dry", InvocationType="DryRun")
    assert response["StatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName="nope", InvocationType="DryRun")
    assert error(exc) == ("ResourceNotFoundException", 404)


def test_payload_limits(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "big", source="def handler(e, c):\n    return len(e['s'])\n")
    just_fits = json.dumps({"s": "x" * (6 * 1024 * 1024 - 20)})
    assert len(just_fits) <= 6 * 1024 * 1024
    assert lam.invoke(FunctionName="big", Payload=just_fits)["StatusCode"] == 200
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName="big", Payload=json.dumps({"s": "x" * (6 * 1024 * 1024)}))
    assert error(exc) == ("RequestEntityTooLargeException", 413)
    assert exc.value.response["Error"]["Message"] == (
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName="big", InvocationType="Event", Payload=json.dumps({"s": "x" * (1024 * 1024)}))
    assert error(exc) == ("RequestEntityTooLargeException", 413)
    assert exc.value.response["Error"]["Message"] == (
        f"{1024 * 1024 + 9} byte payload is too large for the Event invocation type (limit 1048576 bytes)")


def test_a_payload_that_is_not_json_is_refused(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "json")
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName="json", Payload=b"{not json")
    assert error(exc) == ("InvalidRequestContentException", 400)


def test_reserved_concurrency_zero_always_throttles(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "zero")
    assert lam.put_function_concurrency(FunctionName="zero", ReservedConcurrentExecutions=0)[
        "ReservedConcurrentExecutions"] == 0
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName="zero")
    assert error(exc) == ("TooManyRequestsException", 429)
    assert exc.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.delete_function_concurrency(FunctionName="zero")
    assert invoke(lam, "zero")[0]["StatusCode"] == 200


def test_unknown_function_and_qualifier(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "q")
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName="q", Qualifier="7")
    assert error(exc) == ("ResourceNotFoundException", 404)
    assert exc.value.response["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:q:7")
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName="q:1", Qualifier="2")
    assert error(exc) == ("InvalidParameterValueException", 400)


SDK_HANDLER = """
import boto3, os
def handler(event, context):
    identity = boto3.client("sts").get_caller_identity()
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/made/by/function")
    return {"arn": identity["Arn"], "endpoint": os.environ["AWS_ENDPOINT_URL"],
            "key": os.environ["AWS_ACCESS_KEY_ID"][:4]}
"""


def test_boto3_inside_the_function_reaches_cloudlet_with_role_credentials(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "sdk", source=SDK_HANDLER, Timeout=30)
    response, body = invoke(lam, "sdk")
    assert "FunctionError" not in response, body
    assert body["arn"] == "arn:aws:sts::000000000000:assumed-role/lambda-role/cloudlet-lambda"
    assert body["key"] == "ASIA"
    assert body["endpoint"] == cloudlet.endpoint
    groups = cloudlet.client("logs").describe_log_groups(logGroupNamePrefix="/made/by")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/made/by/function"]


def test_function_logs_arrive_in_cloudwatch_logs(cloudlet):
    lam = cloudlet.client("lambda")
    logs = cloudlet.client("logs")
    create(lam, "logged", source="def handler(e, c):\n    print('line one')\n    print('line two')\n")
    request_id = invoke(lam, "logged")[0]["ResponseMetadata"]["RequestId"]

    def streams():
        found = logs.describe_log_streams(logGroupName="/aws/lambda/logged")["logStreams"] if logs.describe_log_groups(
            logGroupNamePrefix="/aws/lambda/logged")["logGroups"] else []
        return found
    stream = wait_for(streams)[0]["logStreamName"]
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", stream)

    def messages():
        events = logs.get_log_events(logGroupName="/aws/lambda/logged", logStreamName=stream,
                                     startFromHead=True)["events"]
        texts = [e["message"] for e in events]
        return texts if any(t.startswith("REPORT") for t in texts) else None
    texts = wait_for(messages)
    assert texts[0].startswith("INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: ")
    assert texts[1] == f"START RequestId: {request_id} Version: $LATEST"
    assert "line one" in texts and "line two" in texts
    assert texts.index("line one") < texts.index("line two")
    assert any(t == f"END RequestId: {request_id}" for t in texts)
    report = texts[-1]
    assert report.startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    assert "Billed Duration: " in report and "Memory Size: 128 MB" in report and "Init Duration" in report
    found = logs.filter_log_events(logGroupName="/aws/lambda/logged", filterPattern="REPORT")["events"]
    assert len(found) == 1


def test_metering_totals_per_function(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "metered", MemorySize=256)
    for _ in range(3):
        invoke(lam, "metered")
    with urllib.request.urlopen(cloudlet.endpoint + "/_cloudlet/lambda/metering", timeout=10) as response:
        totals = json.loads(response.read())["Functions"]
    usage = totals["arn:aws:lambda:us-east-1:000000000000:function:metered"]
    assert usage["Invocations"] == 3
    assert usage["ColdStarts"] == 1
    assert usage["BilledDurationMs"] >= 3
    assert usage["GBSeconds"] == pytest.approx(usage["BilledDurationMs"] / 1000 * 0.25, rel=1e-3)


def test_init_errors_and_timeouts_are_reported_like_lambda(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "noimport", files={"other.py": "x = 1\n"})
    response, body = invoke(lam, "noimport")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    create(lam, "slow", source="import time\ndef handler(e, c):\n    time.sleep(5)\n", Timeout=1)
    response, body = invoke(lam, "slow")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]


def test_functions_of_two_accounts_with_one_name_log_to_their_own_account():
    server = start_server(credentials="other:other:111111111111:user")
    try:
        handle = CloudletHandle(server)
        mine = handle.client("lambda")
        theirs = handle.session.client("lambda", endpoint_url=handle.endpoint, aws_access_key_id="other",
                                       aws_secret_access_key="other", region_name="us-east-1")
        their_logs = handle.session.client("logs", endpoint_url=handle.endpoint, aws_access_key_id="other",
                                           aws_secret_access_key="other", region_name="us-east-1")
        for client, word in ((mine, "mine"), (theirs, "theirs")):
            create(client, "same", source=f"def handler(e, c):\n    print('{word}')\n",
                   Role=ROLE.replace("000000000000", "111111111111") if word == "theirs" else ROLE)
            invoke(client, "same")

        def printed(logs):
            if not logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/same")["logGroups"]:
                return None
            found = [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/same")["events"]]
            return found if any(m.startswith("REPORT") for m in found) else None
        assert "mine" in wait_for(lambda: printed(handle.client("logs")))
        assert "theirs" not in printed(handle.client("logs"))
        assert "theirs" in wait_for(lambda: printed(their_logs))
        assert "mine" not in printed(their_logs)
    finally:
        server.stop()


def test_role_credentials_pass_strict_signature_checks():
    server = start_server(auth="strict", credentials="AKIDSTRICT:strictsecret:000000000000")
    try:
        handle = CloudletHandle(server)
        lam = handle.session.client("lambda", endpoint_url=handle.endpoint, aws_access_key_id="AKIDSTRICT",
                                    aws_secret_access_key="strictsecret", region_name="us-east-1")
        create(lam, "strict", source=SDK_HANDLER, Timeout=30)
        response, body = invoke(lam, "strict")
        assert "FunctionError" not in response, body
        assert body["arn"] == "arn:aws:sts::000000000000:assumed-role/lambda-role/cloudlet-lambda"
    finally:
        server.stop()
