"""CloudWatch Logs: the exact answers AWS gives to common calls (output members, error codes and texts)."""

from logs_helpers import expect_error, make_stream, now_ms, raw_client

ACCOUNT, REGION = "000000000000", "us-east-1"
ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
DAY = 86_400_000
TOO_LONG_NAME = "Invalid LogGroup or LogStream, both must have length less than or equal to 512."


def test_describe_log_groups_by_pattern_gives_the_short_form(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="test-pattern-abc", kmsKeyId="k1")
    logs.put_retention_policy(logGroupName="test-pattern-abc", retentionInDays=7)
    (group,) = logs.describe_log_groups(logGroupNamePattern="abc")["logGroups"]
    assert set(group) == {"arn", "creationTime", "logGroupArn", "logGroupClass", "logGroupName", "metricFilterCount"}
    assert group["arn"] == ARN + "test-pattern-abc:*"
    assert group["logGroupArn"] == ARN + "test-pattern-abc"
    assert (group["logGroupClass"], group["metricFilterCount"]) == ("STANDARD", 0)
    (full,) = logs.describe_log_groups(logGroupNamePrefix="test")["logGroups"]
    assert set(full) == set(group) | {"storedBytes", "deletionProtectionEnabled", "retentionInDays", "kmsKeyId"}


def test_names_longer_than_512_have_their_own_message(cloudlet):
    logs = raw_client(cloudlet)
    make_stream(logs, "g", "s")
    long = "a" * 513
    calls = [
        (logs.create_log_group, {"logGroupName": long}),
        (logs.create_log_stream, {"logGroupName": "g", "logStreamName": long}),
        (logs.delete_metric_filter, {"logGroupName": long, "filterName": "f"}),
        (logs.put_log_events, {"logGroupName": "g", "logStreamName": long,
                               "logEvents": [{"timestamp": now_ms(), "message": "m"}]}),
    ]
    for call, kwargs in calls:
        assert expect_error(call, "InvalidParameterException", **kwargs) == TOO_LONG_NAME
    # other members keep the model's wording
    message = expect_error(logs.delete_metric_filter, "InvalidParameterException", logGroupName="g",
                           filterName="X" * 513)
    assert message.startswith("1 validation error detected: Value 'XXX")
    assert message.endswith("at 'filterName' failed to satisfy constraint: Member must have length less than or"
                            " equal to 512")
    assert [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]] == ["g"]
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="g")["logStreams"]] == ["s"]


def test_group_name_and_identifier_together_are_a_validation_exception(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs, "g", "s")
    both = {"logGroupName": "g", "logGroupIdentifier": "g"}
    for call, kwargs in (
        (logs.describe_log_streams, {}),
        (logs.get_log_events, {"logStreamName": "s"}),
        (logs.filter_log_events, {}),
    ):
        message = expect_error(call, "ValidationException", **both, **kwargs)
        assert message == "LogGroup name and LogGroup ARN are mutually exclusive parameters."


def test_rejected_batches_still_get_a_sequence_token(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs, "g", "s")
    t = now_ms()
    for event, rejected in (
        ({"timestamp": t - 30 * DAY, "message": "old"}, {"tooOldLogEventEndIndex": 1}),
        ({"timestamp": t + DAY, "message": "new"}, {"tooNewLogEventStartIndex": 0}),
    ):
        result = logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=[event])
        assert result["rejectedLogEventsInfo"] == rejected
        assert result["nextSequenceToken"].isdigit()
    assert logs.get_log_events(logGroupName="g", logStreamName="s")["events"] == []


def test_metric_filter_transformations_and_namespaces(cloudlet):
    logs = raw_client(cloudlet)
    logs.create_log_group(logGroupName="g")

    def transformation(i: int, **extra) -> dict:
        return {"metricNamespace": f"namespace{i}", "metricName": f"metric{i}", "metricValue": "1", **extra}

    message = expect_error(
        logs.put_metric_filter, "InvalidParameterException", logGroupName="g", filterName="f",
        filterPattern="pattern", metricTransformations=[transformation(1), transformation(2, defaultValue=0)],
    )
    assert message == (
        "1 validation error detected: Value '[MetricTransformation(metricName=metric1, metricNamespace=namespace1,"
        " metricValue=1, defaultValue=null, unit=null, dimensions=null), MetricTransformation(metricName=metric2,"
        " metricNamespace=namespace2, metricValue=1, defaultValue=0.0, unit=null, dimensions=null)]' at"
        " 'metricTransformations' failed to satisfy constraint: Member must have length less than or equal to 1"
    )
    assert logs.describe_metric_filters(logGroupName="g")["metricFilters"] == []
    # CloudWatch namespaces may hold '.', '-', '_', '/', '#' and ':'
    namespace = "A.B-c_d/1#2:metricNamespace"
    logs.put_metric_filter(
        logGroupName="g", filterName="f", filterPattern="filterPattern",
        metricTransformations=[{"metricNamespace": namespace, "metricName": "metricName", "metricValue": "1"}],
    )
    (found,) = logs.describe_metric_filters(metricName="metricName", metricNamespace=namespace)["metricFilters"]
    assert found["filterName"] == "f"
    assert found["metricTransformations"] == [
        {"metricNamespace": namespace, "metricName": "metricName", "metricValue": "1"}
    ]


def test_subscription_to_a_function_of_another_account_is_access_denied(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g")
    foreign = "arn:aws:lambda:us-east-1:123456789012:function:"
    for group in ("not-existing-log-group", "g"):  # refused before the group is looked up
        message = expect_error(
            logs.put_subscription_filter, "AccessDeniedException", logGroupName=group, filterName="test",
            filterPattern="", destinationArn=foreign + "test",
        )
        assert message == (
            "Cross-account lambda invocation passing is not allowed. You must use DestinationPolicies to create"
            " cross account lambda triggers."
        )
    assert logs.describe_subscription_filters(logGroupName="g")["subscriptionFilters"] == []


def test_an_empty_space_delimited_pattern_matches_every_event(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs, "g", "s")
    t = now_ms()
    messages = ["a b c", "hello", ""]
    logs.put_log_events(logGroupName="g", logStreamName="s",
                        logEvents=[{"timestamp": t + i, "message": m or " "} for i, m in enumerate(messages)])
    for pattern in ("[]", "[ ]"):
        found = logs.filter_log_events(logGroupName="g", filterPattern=pattern)["events"]
        assert [e["message"] for e in found] == ["a b c", "hello", " "]
        matches = logs.test_metric_filter(filterPattern=pattern, logEventMessages=["a b c", "x"])["matches"]
        assert [(m["eventNumber"], m["extractedValues"]) for m in matches] == [(0, {}), (1, {})]
    logs.put_metric_filter(logGroupName="g", filterName="f", filterPattern="[]",
                           metricTransformations=[{"metricNamespace": "n", "metricName": "m", "metricValue": "1"}])
    assert logs.describe_metric_filters(logGroupName="g")["metricFilters"][0]["filterPattern"] == "[]"
