"""Subscription filters: the API, its errors, and delivery of matching events to Lambda functions."""

from __future__ import annotations

import json
import time

from cli_helpers import aws_cli, aws_cli_fails
from lambda_helpers import create, fast_fixtures, invoke, wait_for
from logs_helpers import expect_error, make_stream, now_ms, raw_client
from polling import Window

ACCOUNT, REGION = "000000000000", "us-east-1"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
CANNOT_INVOKE = (
    "Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute"
    " your function."
)
FAST = {"lambda_async_poll_s": 0.05, "lambda_log_flush_s": 0.01, "lambda_async_retry_delays": [0.1, 0.1],
        "logs_subscription_window_s": 0.5, "logs_subscription_max_chain": 3}
fast_server, fast = fast_fixtures(FAST)

# Decodes the awslogs payload and logs what it got.
SINK = """
import base64, gzip, json
def handler(event, context):
    print("GOT " + json.dumps(json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))))
"""


def group_arn(group: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"


def sink(handle, name: str = "sink", group: str | None = None, source: str = SINK, **permission) -> str:
    """Create a function CloudWatch Logs may invoke (for `group` only when given); returns its ARN."""
    lam = handle.client("lambda")
    arn = create(lam, name, source)["FunctionArn"]
    if group is not None:
        permission.setdefault("SourceArn", group_arn(group))
    lam.add_permission(FunctionName=name, StatementId="logs", Action="lambda:InvokeFunction",
                       Principal=permission.pop("Principal", "logs.amazonaws.com"), **permission)
    return arn


def received(handle, function: str = "sink") -> list[dict]:
    """Every decoded document the sink function logged, in order."""
    logs = handle.client("logs")
    group = f"/aws/lambda/{function}"
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        return []
    events = logs.filter_log_events(logGroupName=group)["events"]
    return [json.loads(e["message"][4:]) for e in events if e["message"].startswith("GOT ")]


def received_events(handle, count: int, function: str = "sink") -> list[dict]:
    """Wait until the sink got at least `count` events; returns its documents."""
    def enough():
        docs = received(handle, function)
        return docs if sum(len(d["logEvents"]) for d in docs) >= count else None
    return wait_for(enough, timeout=20)


# -- the API -----------------------------------------------------------------------------------


def test_put_describe_replace_delete(fast):
    logs = fast.client("logs")
    logs.create_log_group(logGroupName="app")
    arn = sink(fast, group="app")
    before = now_ms()
    assert logs.put_subscription_filter(logGroupName="app", filterName="errors", filterPattern="ERROR",
                                        destinationArn=arn)["ResponseMetadata"]["HTTPStatusCode"] == 200
    [found] = logs.describe_subscription_filters(logGroupName="app")["subscriptionFilters"]
    created = found.pop("creationTime")
    assert before <= created <= now_ms()
    assert found == {"filterName": "errors", "logGroupName": "app", "filterPattern": "ERROR",
                     "destinationArn": arn, "distribution": "ByLogStream", "applyOnTransformedLogs": False}

    # the same name replaces the filter and keeps its creation time
    logs.put_subscription_filter(logGroupName="app", filterName="errors", filterPattern="WARN",
                                 destinationArn=arn, distribution="Random", applyOnTransformedLogs=True,
                                 fieldSelectionCriteria='@aws.region = "us-east-1"', emitSystemFields=["@aws.region"])
    [found] = logs.describe_subscription_filters(logGroupName="app")["subscriptionFilters"]
    assert (found["filterPattern"], found["distribution"], found["applyOnTransformedLogs"]) == ("WARN", "Random", True)
    assert (found["fieldSelectionCriteria"], found["emitSystemFields"]) == ('@aws.region = "us-east-1"', ["@aws.region"])
    assert found["creationTime"] == created

    logs.delete_subscription_filter(logGroupName="app", filterName="errors")
    assert logs.describe_subscription_filters(logGroupName="app")["subscriptionFilters"] == []
    message = expect_error(logs.delete_subscription_filter, "ResourceNotFoundException", logGroupName="app",
                           filterName="errors")
    assert message == "The specified subscription filter does not exist."


def test_two_filters_per_group_prefix_and_paging(fast):
    logs = fast.client("logs")
    logs.create_log_group(logGroupName="app")
    arn = sink(fast, group="app")
    for name in ("b-second", "a-first"):
        logs.put_subscription_filter(logGroupName="app", filterName=name, filterPattern="", destinationArn=arn)
    message = expect_error(logs.put_subscription_filter, "LimitExceededException", logGroupName="app",
                           filterName="c-third", filterPattern="", destinationArn=arn)
    assert message == "Resource limit exceeded."
    # replacing one of the two is not a third
    logs.put_subscription_filter(logGroupName="app", filterName="a-first", filterPattern="x", destinationArn=arn)
    names = [f["filterName"] for f in logs.describe_subscription_filters(logGroupName="app")["subscriptionFilters"]]
    assert names == ["a-first", "b-second"]  # name order

    page = logs.describe_subscription_filters(logGroupName="app", limit=1)
    assert [f["filterName"] for f in page["subscriptionFilters"]] == ["a-first"]
    page = logs.describe_subscription_filters(logGroupName="app", limit=1, nextToken=page["nextToken"])
    assert [f["filterName"] for f in page["subscriptionFilters"]] == ["b-second"]
    assert "nextToken" not in page
    prefixed = logs.describe_subscription_filters(logGroupName="app", filterNamePrefix="b-")
    assert [f["filterName"] for f in prefixed["subscriptionFilters"]] == ["b-second"]
    expect_error(logs.describe_subscription_filters, "InvalidParameterException", logGroupName="app",
                 nextToken="garbage")


def test_aws_cli(fast):
    fast.client("logs").create_log_group(logGroupName="app")
    arn = sink(fast, group="app")
    stderr = aws_cli_fails(fast, "logs", "put-subscription-filter", "--log-group-name", "app", "--filter-name", "f",
                       "--filter-pattern", "", "--destination-arn", FN + "ghost")
    assert "InvalidParameterException" in stderr and CANNOT_INVOKE in stderr
    assert aws_cli(fast, "logs", "put-subscription-filter", "--log-group-name", "app", "--filter-name", "f",
                   "--filter-pattern", "ERROR", "--destination-arn", arn) == {}
    [found] = aws_cli(fast, "logs", "describe-subscription-filters", "--log-group-name", "app")["subscriptionFilters"]
    assert (found["filterName"], found["filterPattern"], found["destinationArn"]) == ("f", "ERROR", arn)


def test_missing_group(fast):
    logs = fast.client("logs")
    arn = sink(fast)
    for call, kwargs in (
        (logs.put_subscription_filter, {"filterName": "f", "filterPattern": "", "destinationArn": arn}),
        (logs.describe_subscription_filters, {}),
        (logs.delete_subscription_filter, {"filterName": "f"}),
    ):
        message = expect_error(call, "ResourceNotFoundException", logGroupName="nope", **kwargs)
        assert message == "The specified log group does not exist."


def test_bad_input_is_refused_and_changes_nothing(fast):
    logs = fast.client("logs")
    raw = raw_client(fast)
    logs.create_log_group(logGroupName="app")
    arn = sink(fast, group="app")
    logs.put_subscription_filter(logGroupName="app", filterName="keep", filterPattern="ERROR", destinationArn=arn)
    kept = logs.describe_subscription_filters(logGroupName="app")["subscriptionFilters"]
    lam = fast.client("lambda")
    create(lam, "closed", SINK)  # a function without a resource policy
    sink(fast, "other-group", group="elsewhere")  # allowed for another group only
    sink(fast, "other-account", SourceAccount="111111111111")
    sink(fast, "events-only", Principal="events.amazonaws.com")
    base = {"logGroupName": "app", "filterName": "keep", "filterPattern": "", "destinationArn": arn}
    refused = [
        ({"filterPattern": "{ $.a = "}, "InvalidParameterException", None),
        ({"filterName": "has:colon"}, "InvalidParameterException", None),
        ({"distribution": "Sideways"}, "InvalidParameterException", None),
        ({"destinationArn": FN + "ghost"}, "InvalidParameterException", CANNOT_INVOKE),
        ({"destinationArn": FN + "closed"}, "InvalidParameterException", CANNOT_INVOKE),
        ({"destinationArn": FN + "other-group"}, "InvalidParameterException", CANNOT_INVOKE),
        ({"destinationArn": FN + "other-account"}, "InvalidParameterException", CANNOT_INVOKE),
        ({"destinationArn": FN + "events-only"}, "InvalidParameterException", CANNOT_INVOKE),
        ({"destinationArn": FN + "sink:7"}, "InvalidParameterException", CANNOT_INVOKE),  # no such version
        ({"destinationArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:sink"}, "InvalidParameterException",
         CANNOT_INVOKE),
        ({"roleArn": "arn:aws:iam::000000000000:role/r"}, "InvalidParameterException",
         "destinationArn for vendor lambda cannot be used with roleArn"),
        ({"destinationArn": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s"}, "InvalidParameterException",
         "destinationArn for vendor kinesis cannot be used without roleArn"),
        ({"destinationArn": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s", "roleArn": "arn:aws:iam::0:role/r"},
         "InvalidParameterException",
         "Could not deliver message to specified Kinesis stream. Ensure that the Kinesis stream exists and is ACTIVE."),
        ({"destinationArn": f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/d", "roleArn": "arn:aws:iam::0:role/r"},
         "InvalidParameterException",
         "Could not deliver message to specified Firehose stream. Ensure that the Firehose stream exists and is ACTIVE."),
        ({"destinationArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q", "roleArn": "arn:aws:iam::0:role/r"},
         "InvalidParameterException", "PutSubscriptionFilter operation cannot work with destinationArn for vendor sqs"),
        ({"destinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:destination:d"}, "ResourceNotFoundException",
         "The specified destination does not exist."),
        ({"destinationArn": "not-an-arn"}, "InvalidParameterException", "Invalid destinationArn: not-an-arn"),
    ]
    for change, code, wanted in refused:
        message = expect_error(raw.put_subscription_filter, code, **{**base, **change})
        if wanted is not None:
            assert message == wanted, change
    # a new name refused for its destination is not stored either
    expect_error(logs.put_subscription_filter, "InvalidParameterException", **{**base, "filterName": "new",
                                                                              "destinationArn": FN + "closed"})
    assert logs.describe_subscription_filters(logGroupName="app")["subscriptionFilters"] == kept


def test_permission_forms_that_allow_logs(fast):
    logs = fast.client("logs")
    logs.create_log_group(logGroupName="app")
    allowed = [
        sink(fast, "regional", Principal=f"logs.{REGION}.amazonaws.com"),
        sink(fast, "wildcard-arn", SourceArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:a*"),
        sink(fast, "same-account", SourceAccount=ACCOUNT, SourceArn=group_arn("app")),
    ]
    for i, arn in enumerate(allowed):
        logs.put_subscription_filter(logGroupName="app", filterName="f", filterPattern=str(i), destinationArn=arn)
        [found] = logs.describe_subscription_filters(logGroupName="app")["subscriptionFilters"]
        assert found["destinationArn"] == arn
    # a qualified ARN is checked against that alias's own policy
    lam = fast.client("lambda")
    version = lam.publish_version(FunctionName="regional")["Version"]
    lam.create_alias(FunctionName="regional", Name="live", FunctionVersion=version)
    expect_error(logs.put_subscription_filter, "InvalidParameterException", logGroupName="app", filterName="f",
                 filterPattern="", destinationArn=FN + "regional:live")
    lam.add_permission(FunctionName="regional", Qualifier="live", StatementId="logs", Action="lambda:InvokeFunction",
                       Principal="logs.amazonaws.com")
    logs.put_subscription_filter(logGroupName="app", filterName="f", filterPattern="", destinationArn=FN + "regional:live")


def test_filters_go_with_their_group(fast):
    logs = fast.client("logs")
    make_stream(logs, "app", "s")
    logs.put_subscription_filter(logGroupName="app", filterName="all", filterPattern="",
                                 destinationArn=sink(fast, group="app"))
    logs.delete_log_group(logGroupName="app")
    make_stream(logs, "app", "s")
    assert logs.describe_subscription_filters(logGroupName="app")["subscriptionFilters"] == []
    logs.put_log_events(logGroupName="app", logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "x"}])
    time.sleep(1.5)
    assert received(fast) == []


# -- delivery ----------------------------------------------------------------------------------


def test_matching_events_are_delivered_in_one_batch_per_stream(fast, monkeypatch):
    logs = fast.client("logs")
    make_stream(logs, "app", "s1")
    logs.create_log_stream(logGroupName="app", logStreamName="s2")
    logs.put_subscription_filter(logGroupName="app", filterName="errors", filterPattern="ERROR",
                                 destinationArn=sink(fast, group="app"))
    window = 2.0  # the writes below must land inside one gathering window
    monkeypatch.setattr(fast.platform.loaded_service("logs").delivery, "window_s", window)
    start = now_ms() - 1000
    with Window(window).inside("writing the events"):
        logs.put_log_events(logGroupName="app", logStreamName="s1", logEvents=[
            {"timestamp": start, "message": "ERROR one"}, {"timestamp": start + 1, "message": "info two"},
            {"timestamp": start + 2, "message": "ERROR three"}])
        logs.put_log_events(logGroupName="app", logStreamName="s1", logEvents=[
            {"timestamp": start + 3, "message": "ERROR four"}])
        logs.put_log_events(logGroupName="app", logStreamName="s2", logEvents=[
            {"timestamp": start, "message": "ERROR elsewhere"}, {"timestamp": start + 5, "message": "fine"}])
    docs = received_events(fast, 4)
    time.sleep(1.0)  # nothing more comes
    docs = received(fast)
    assert len(docs) == 2
    by_stream = {d["logStream"]: d for d in docs}
    stored = {e["message"]: e for e in logs.filter_log_events(logGroupName="app")["events"]}
    for stream, messages in (("s1", ["ERROR one", "ERROR three", "ERROR four"]), ("s2", ["ERROR elsewhere"])):
        doc = by_stream[stream]
        assert doc == {
            "messageType": "DATA_MESSAGE", "owner": ACCOUNT, "logGroup": "app", "logStream": stream,
            "subscriptionFilters": ["errors"],
            "logEvents": [{"id": stored[m]["eventId"], "timestamp": stored[m]["timestamp"], "message": m}
                          for m in messages],
        }


def test_large_batches_are_split_into_several_invocations(fast):
    logs = fast.client("logs")
    make_stream(logs, "app", "s")
    sizes = ("import base64, gzip, json\ndef handler(event, context):\n"
             "    doc = json.loads(gzip.decompress(base64.b64decode(event['awslogs']['data'])))\n"
             "    print('GOT ' + json.dumps({'logEvents': [{'message': str(len(e['message']))}"
             " for e in doc['logEvents']]}))\n")
    logs.put_subscription_filter(logGroupName="app", filterName="all", filterPattern="",
                                 destinationArn=sink(fast, group="app", source=sizes))
    logs.put_log_events(logGroupName="app", logStreamName="s", logEvents=[
        {"timestamp": now_ms(), "message": c * 150_000} for c in "abc"] + [{"timestamp": now_ms(), "message": "d"}])
    received_events(fast, 4)
    time.sleep(1.0)
    # at most 256 KiB of messages per invocation, in stored order
    assert sorted([e["message"] for e in d["logEvents"]] for d in received(fast)) == [
        ["150000"], ["150000"], ["150000", "1"]]


def test_two_filters_deliver_separately_and_a_deleted_filter_stops(fast):
    logs = fast.client("logs")
    make_stream(logs, "app", "s")
    arn = sink(fast, group="app")
    logs.put_subscription_filter(logGroupName="app", filterName="errors", filterPattern="ERROR", destinationArn=arn)
    logs.put_subscription_filter(logGroupName="app", filterName="json", filterPattern="{ $.level = \"warn\" }",
                                 destinationArn=arn)
    logs.put_log_events(logGroupName="app", logStreamName="s", logEvents=[
        {"timestamp": now_ms(), "message": "ERROR plain"}, {"timestamp": now_ms(), "message": '{"level": "warn"}'},
        {"timestamp": now_ms(), "message": '{"level": "info"}'}])
    docs = received_events(fast, 2)
    assert sorted((d["subscriptionFilters"], [e["message"] for e in d["logEvents"]]) for d in docs) == [
        (["errors"], ["ERROR plain"]), (["json"], ['{"level": "warn"}'])]
    logs.delete_subscription_filter(logGroupName="app", filterName="errors")
    logs.put_log_events(logGroupName="app", logStreamName="s", logEvents=[
        {"timestamp": now_ms(), "message": "ERROR again"}, {"timestamp": now_ms(), "message": '{"level": "warn"}'}])
    docs = received_events(fast, 3)
    time.sleep(1.0)
    assert [[e["message"] for e in d["logEvents"]] for d in received(fast)][2:] == [['{"level": "warn"}']]


def test_function_output_is_delivered_to_another_function(fast):
    lam = fast.client("lambda")
    create(lam, "app", "def handler(e, c):\n    print('ALERT ' + e['what'])\n    print('routine')\n")
    logs = fast.client("logs")
    invoke(lam, "app", {"what": "first"})  # creates the function's log group
    wait_for(lambda: logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/app")["logGroups"])
    logs.put_subscription_filter(logGroupName="/aws/lambda/app", filterName="alerts", filterPattern="ALERT",
                                 destinationArn=sink(fast, group="/aws/lambda/app"))
    invoke(lam, "app", {"what": "second"})
    [doc] = received_events(fast, 1)
    assert doc["logGroup"] == "/aws/lambda/app"
    assert [e["message"] for e in doc["logEvents"]] == ["ALERT second"]
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/aws/lambda/app")["logStreams"]]
    assert doc["logStream"] in streams and "[$LATEST]" in doc["logStream"]
    [stored] = [e for e in logs.filter_log_events(logGroupName="/aws/lambda/app", filterPattern="ALERT")["events"]
                if e["message"] == "ALERT second"]
    assert doc["logEvents"][0]["id"] == stored["eventId"]


def test_failed_deliveries_are_retried_like_any_event_invocation(fast):
    logs = fast.client("logs")
    make_stream(logs, "app", "s")
    failing = "def handler(event, context):\n    print('ATTEMPT ' + event['awslogs']['data'])\n    raise RuntimeError('no')\n"
    logs.put_subscription_filter(logGroupName="app", filterName="all", filterPattern="",
                                 destinationArn=sink(fast, "failing", group="app", source=failing))
    logs.put_log_events(logGroupName="app", logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "x"}])

    def attempts():
        if not logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/failing")["logGroups"]:
            return []
        events = logs.filter_log_events(logGroupName="/aws/lambda/failing", filterPattern="ATTEMPT")["events"]
        return [e["message"] for e in events if e["message"].startswith("ATTEMPT ")]
    wait_for(lambda: len(attempts()) >= 3)
    time.sleep(0.5)
    found = attempts()
    assert len(found) == 3 and len(set(found)) == 1  # the first try and two retries of the same payload


def test_a_deleted_destination_does_not_disturb_writes(fast, caplog):
    logs = fast.client("logs")
    make_stream(logs, "app", "s")
    logs.put_subscription_filter(logGroupName="app", filterName="gone", filterPattern="",
                                 destinationArn=sink(fast, "gone", group="app"))
    logs.put_subscription_filter(logGroupName="app", filterName="kept", filterPattern="",
                                 destinationArn=sink(fast, group="app"))
    fast.client("lambda").delete_function(FunctionName="gone")
    out = logs.put_log_events(logGroupName="app", logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "x"}])
    assert "nextSequenceToken" in out
    [doc] = received_events(fast, 1)
    assert doc["subscriptionFilters"] == ["kept"]
    wait_for(lambda: any("delivery to " + FN + "gone failed" in r.getMessage() for r in caplog.records))


def test_a_function_subscribed_to_its_own_group_stops_after_the_chain_limit(fast):
    lam = fast.client("lambda")
    logs = fast.client("logs")
    sink(fast, "loop", group="/aws/lambda/loop")
    invoke(lam, "loop", {"awslogs": {"data": "H4sIAAAAAAAAA6uuBQBDv6ajAgAAAA=="}})  # gzip of "{}"
    wait_for(lambda: logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/loop")["logGroups"])
    logs.put_subscription_filter(logGroupName="/aws/lambda/loop", filterName="all", filterPattern="",
                                 destinationArn=FN + "loop")

    def starts() -> int:
        events = logs.filter_log_events(logGroupName="/aws/lambda/loop", filterPattern="START")["events"]
        return sum(e["message"].startswith("START RequestId:") for e in events)  # not the GOT lines quoting them
    invoke(lam, "loop", {"awslogs": {"data": "H4sIAAAAAAAAA6uuBQBDv6ajAgAAAA=="}})
    # the direct call, then one delivery per link of the chain (max 3 in these settings)
    wait_for(lambda: starts() >= 5, timeout=30)
    time.sleep(2.0)
    assert starts() == 5
