"""Invoke answers as Lambda gives them: missing targets, throttles, log tails, Event throttles."""

import base64
import io
import json
import re
import urllib.error
import urllib.request
import zipfile

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from lambda_helpers import ROLE, create, fast_fixtures, invoke, wait_for

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



WRAPPER = '#!/bin/sh\nexport WRAPPER_VAR=from-wrapper\nexec "$@"\n'
PROBE = "import os\ndef handler(event, context):\n    return os.environ.get('WRAPPER_VAR')\n"
NODE_PROBE = "exports.handler = async () => process.env.WRAPPER_VAR;\n"


@pytest.mark.parametrize("runtime, files, handler", [
    ("python3.12", {"app.py": PROBE}, "app.handler"),
    ("nodejs20.x", {"index.js": NODE_PROBE}, "index.handler"),
])
def test_exec_wrapper_starts_the_runtime(cloudlet, runtime, files, handler):
    lam = cloudlet.client("lambda")
    wrapper = zipfile.ZipInfo("environment_wrapper")
    wrapper.external_attr = 0o100755 << 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(wrapper, WRAPPER)
        for name, text in files.items():
            zf.writestr(name, text)
    lam.create_function(FunctionName="wrapped", Runtime=runtime, Handler=handler, Role=ROLE,
                        Code={"ZipFile": buf.getvalue()},
                        Environment={"Variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/environment_wrapper"}})
    response, body = invoke(lam, "wrapped", {"simple": "payload"})
    assert ("FunctionError" not in response, body) == (True, "from-wrapper")
    # a wrapper that is not there: the runtime's shell cannot start it (exit status 127)
    lam.update_function_configuration(FunctionName="wrapped", Environment={
        "Variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/idontexist.sh"}})
    response, body = invoke(lam, "wrapped")
    rid = response["ResponseMetadata"]["RequestId"]
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: exit status 127"}


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


def test_reserved_and_provisioned_concurrency_limit_each_other(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "f")
    v1 = lam.publish_version(FunctionName="f")["Version"]
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier=v1, ProvisionedConcurrentExecutions=2)
    response = refused(lam.put_function_concurrency, FunctionName="f", ReservedConcurrentExecutions=1)
    message = " ReservedConcurrentExecutions  1 should not be lower than function's total provisioned concurrency [2]."
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {
        "Error": {"Code": "InvalidParameterValueException", "Message": message}, "message": message}
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName="f")
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=2)
    lam.update_function_configuration(FunctionName="f", Timeout=15)
    v2 = lam.publish_version(FunctionName="f")["Version"]
    message = "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
    for qualifier, count in ((v2, 1), (v1, 3)):  # the function's total would pass its reserved concurrency
        response = refused(lam.put_provisioned_concurrency_config, FunctionName="f", Qualifier=qualifier,
                           ProvisionedConcurrentExecutions=count)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {
            "Error": {"Code": "InvalidParameterValueException", "Message": message}, "Type": "User",
            "message": message}
    assert lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier=v1)[
        "RequestedProvisionedConcurrentExecutions"] == 2
    assert refused(lam.get_provisioned_concurrency_config, FunctionName="f", Qualifier=v2)["Error"] == {
        "Code": "ProvisionedConcurrencyConfigNotFoundException",
        "Message": "No Provisioned Concurrency Config found for this function"}


def test_reserved_concurrency_all_provisioned_leaves_nothing_on_demand(cloudlet):
    lam = cloudlet.client("lambda", config=Config(retries={"max_attempts": 0}))
    create(lam, "f", "import os\ndef handler(e, c):\n    return os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\n")
    v1 = lam.publish_version(FunctionName="f")["Version"]
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier=v1, ProvisionedConcurrentExecutions=1)
    wait_for(lambda: lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier=v1)["Status"] == "READY")
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
    response = refused(lam.invoke, FunctionName="f", Qualifier="$LATEST")
    assert (response["ResponseMetadata"]["HTTPStatusCode"], response["Reason"]) == (
        429, "ReservedFunctionConcurrentInvocationLimitExceeded")
    assert invoke(lam, "f", Qualifier=v1)[1] == "provisioned-concurrency"
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=2)
    assert invoke(lam, "f")[1] == "on-demand"


ENV_PROBES = {"python3.12": ("app.py", "app.handler", "import os\ndef handler(e, c):\n    return dict(os.environ)\n"),
              "nodejs20.x": ("index.js", "index.handler", "exports.handler = async () => process.env;\n")}


@pytest.mark.parametrize("runtime", sorted(ENV_PROBES))
def test_the_environment_lambda_sets(cloudlet, runtime):
    lam = cloudlet.client("lambda")
    name, handler, source = ENV_PROBES[runtime]
    create(lam, "env", runtime=runtime, files={name: source}, Handler=handler, MemorySize=1024,
           Environment={"Variables": {"TEST_KEY": "TEST_VAL"}})
    env = invoke(lam, "env")[1]
    assert {k: env.get(k) for k in (
        "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_REGION",
        "AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT", "LANG",
        "LD_LIBRARY_PATH", "PATH", "PWD", "SHLVL", "TEST_KEY", "TZ", "_AWS_XRAY_DAEMON_ADDRESS",
        "_AWS_XRAY_DAEMON_PORT", "_HANDLER")} == {
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "AWS_LAMBDA_FUNCTION_NAME": "env",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/env", "AWS_REGION": "us-east-1",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR", "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
        "LAMBDA_RUNTIME_DIR": "/var/runtime", "LAMBDA_TASK_ROOT": "/var/task", "LANG": "en_US.UTF-8",
        "LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
        "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin", "PWD": "/var/task", "SHLVL": "0",
        "TEST_KEY": "TEST_VAL", "TZ": ":UTC", "_AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129",
        "_AWS_XRAY_DAEMON_PORT": "2000", "_HANDLER": handler}


def test_url_events_carry_a_trace_id_and_no_hop_by_hop_headers(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "u", "import json, os\ndef handler(e, c):\n    return {'statusCode': 200, 'body': json.dumps("
                     "[e['headers'], os.environ['_X_AMZN_TRACE_ID']])}\n")
    url_id = lam.create_function_url_config(FunctionName="u", AuthType="NONE")["FunctionUrl"].split("//")[1][:32]
    lam.add_permission(FunctionName="u", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="NONE")
    lam.add_permission(FunctionName="u", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*",
                       InvokedViaFunctionUrl=True)
    status, _, body = url_call(cloudlet, url_id)
    headers, trace = json.loads(body)
    assert status == 200 and "connection" not in headers and "keep-alive" not in headers
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", headers["x-amzn-trace-id"])
    assert trace.startswith(headers["x-amzn-trace-id"] + ";")


def test_a_client_context_the_runtime_cannot_read_fails_only_that_invocation(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "ctx", "def handler(e, c):\n    return c.client_context and c.client_context.custom\n")
    response, body = invoke(lam, "ctx", ClientContext=base64.b64encode(b"[1]").decode())
    assert response["FunctionError"] == "Unhandled"
    assert (body["errorType"], body["errorMessage"]) == ("AttributeError", "'list' object has no attribute 'get'")
    context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    response, body = invoke(lam, "ctx", ClientContext=context)  # the same environment serves on
    assert ("FunctionError" not in response, body) == (True, {"k": "v"})
