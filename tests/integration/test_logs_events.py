"""CloudWatch Logs PutLogEvents batch rules and GetLogEvents reading and paging."""

import pytest
from logs_helpers import expect_error, make_stream, now_ms, put, raw_client

DAY = 86_400_000
HOUR = 3_600_000


def messages(result) -> list[str]:
    return [e["message"] for e in result["events"]]


def stored(logs, group="g", stream="s") -> list[str]:
    return messages(logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True))


# -- PutLogEvents ------------------------------------------------------------------------------


def test_put_and_get(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs)
    start = now_ms() - 1000
    before = now_ms()
    result = logs.put_log_events(
        logGroupName="g",
        logStreamName="s",
        logEvents=[{"timestamp": start, "message": "one"}, {"timestamp": start, "message": "two"}],
        sequenceToken="ignored-by-aws-now",
    )
    assert result["nextSequenceToken"]
    assert "rejectedLogEventsInfo" not in result
    events = logs.get_log_events(logGroupName="g", logStreamName="s")["events"]
    assert [(e["timestamp"], e["message"]) for e in events] == [(start, "one"), (start, "two")]
    assert all(before <= e["ingestionTime"] <= now_ms() for e in events)


def test_put_to_missing_group_or_stream(cloudlet):
    logs = cloudlet.client("logs")
    event = [{"timestamp": now_ms(), "message": "m"}]
    message = expect_error(
        logs.put_log_events, "ResourceNotFoundException", logGroupName="g", logStreamName="s", logEvents=event
    )
    assert message == "The specified log group does not exist."
    logs.create_log_group(logGroupName="g")
    message = expect_error(
        logs.put_log_events, "ResourceNotFoundException", logGroupName="g", logStreamName="s", logEvents=event
    )
    assert message == "The specified log stream does not exist."


def test_batch_must_be_chronological(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs)
    t = now_ms()
    message = expect_error(
        logs.put_log_events,
        "InvalidParameterException",
        logGroupName="g",
        logStreamName="s",
        logEvents=[{"timestamp": t, "message": "b"}, {"timestamp": t - 1, "message": "a"}],
    )
    assert "chronological" in message
    assert stored(logs) == []


def test_batch_size_limit_counts_26_bytes_per_event(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs)
    t = now_ms()
    fits = [
        {"timestamp": t, "message": "x" * (1_048_576 - 26 * 2 - 10)},
        {"timestamp": t, "message": "y" * 10},
    ]
    logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=fits)
    too_big = [
        {"timestamp": t, "message": "x" * (1_048_576 - 26 * 2 - 9)},
        {"timestamp": t, "message": "y" * 10},
    ]
    message = expect_error(
        logs.put_log_events,
        "InvalidParameterException",
        logGroupName="g",
        logStreamName="s",
        logEvents=too_big,
    )
    assert "1048577" in message
    assert logs.describe_log_groups()["logGroups"][0]["storedBytes"] == 1_048_576 - 52


def test_batch_count_and_empty_messages(cloudlet):
    logs = raw_client(cloudlet)
    make_stream(logs)
    t = now_ms()
    events = [{"timestamp": t, "message": "m"}] * 10_001
    expect_error(
        logs.put_log_events,
        "InvalidParameterException",
        logGroupName="g",
        logStreamName="s",
        logEvents=events,
    )
    expect_error(
        logs.put_log_events, "InvalidParameterException", logGroupName="g", logStreamName="s", logEvents=[]
    )
    expect_error(
        logs.put_log_events,
        "InvalidParameterException",
        logGroupName="g",
        logStreamName="s",
        logEvents=[{"timestamp": t, "message": ""}],
    )
    # a value of the wrong JSON type never reaches the service: the protocol layer refuses it
    expect_error(
        logs.put_log_events,
        "SerializationException",
        logGroupName="g",
        logStreamName="s",
        logEvents=[{"timestamp": "soon", "message": "m"}],
    )
    assert stored(logs) == []
    logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=events[:10_000])
    assert logs.describe_log_groups()["logGroups"][0]["storedBytes"] == 10_000


def test_batch_may_not_span_more_than_24_hours(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs)
    t = now_ms()
    events = [{"timestamp": t - DAY - 1000, "message": "a"}, {"timestamp": t, "message": "b"}]
    message = expect_error(
        logs.put_log_events,
        "InvalidParameterException",
        logGroupName="g",
        logStreamName="s",
        logEvents=events,
    )
    assert "24 hours" in message
    assert stored(logs) == []


def test_too_old_too_new_and_expired_events_are_rejected_the_rest_stored(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs)
    t = now_ms()
    events = [
        {"timestamp": t - 15 * DAY, "message": "too old"},
        {"timestamp": t - 14 * DAY - 1000, "message": "too old too"},
        {"timestamp": t - 1000, "message": "ok 1"},
        {"timestamp": t, "message": "ok 2"},
        {"timestamp": t + 3 * HOUR, "message": "too new"},
    ]
    result = logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=events)
    assert result["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2, "tooNewLogEventStartIndex": 4}
    assert stored(logs) == ["ok 1", "ok 2"]

    logs.put_retention_policy(logGroupName="g", retentionInDays=1)
    events = [
        {"timestamp": t - DAY - 2000, "message": "expired"},
        {"timestamp": t - DAY - 1000, "message": "expired too"},
        {"timestamp": t - 5000, "message": "ok 3"},
    ]
    result = logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=events)
    assert result["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 2}
    assert stored(logs) == ["ok 3", "ok 1", "ok 2"]


# -- GetLogEvents ------------------------------------------------------------------------------


@pytest.fixture
def ten(cloudlet):
    """A stream with events m0..m9, one millisecond apart; returns the first timestamp."""
    logs = cloudlet.client("logs")
    make_stream(logs)
    return put(logs, "g", "s", [f"m{i}" for i in range(10)])


def test_default_reads_the_latest_events_and_pages_backward(cloudlet, ten):
    logs = cloudlet.client("logs")
    first = logs.get_log_events(logGroupName="g", logStreamName="s", limit=4)
    assert messages(first) == ["m6", "m7", "m8", "m9"]
    second = logs.get_log_events(
        logGroupName="g", logStreamName="s", limit=4, nextToken=first["nextBackwardToken"]
    )
    assert messages(second) == ["m2", "m3", "m4", "m5"]
    third = logs.get_log_events(
        logGroupName="g", logStreamName="s", limit=4, nextToken=second["nextBackwardToken"]
    )
    assert messages(third) == ["m0", "m1"]
    end = logs.get_log_events(
        logGroupName="g", logStreamName="s", limit=4, nextToken=third["nextBackwardToken"]
    )
    assert messages(end) == []
    assert end["nextBackwardToken"] == third["nextBackwardToken"]
    # and forward again from where the backward walk stopped
    back = logs.get_log_events(
        logGroupName="g", logStreamName="s", limit=4, nextToken=end["nextForwardToken"]
    )
    assert messages(back) == ["m0", "m1", "m2", "m3"]


def test_start_from_head_pages_forward_and_repeats_the_token_at_the_end(cloudlet, ten):
    logs = cloudlet.client("logs")
    seen, token, tokens = [], None, []
    while True:
        kwargs = {"nextToken": token} if token else {}
        page = logs.get_log_events(logGroupName="g", logStreamName="s", limit=3, startFromHead=True, **kwargs)
        seen += messages(page)
        tokens.append(page["nextForwardToken"])
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert seen == [f"m{i}" for i in range(10)]
    assert len(tokens) == 5  # 3 + 3 + 3 + 1, then an empty page with the same token
    assert page["events"] == [] and page["nextBackwardToken"].startswith("b/")
    # a follower sees events put later
    put(logs, "g", "s", ["late"], start=now_ms())
    page = logs.get_log_events(logGroupName="g", logStreamName="s", startFromHead=True, nextToken=token)
    assert messages(page) == ["late"]


def test_time_range_start_inclusive_end_exclusive(cloudlet, ten):
    logs = cloudlet.client("logs")
    kwargs = {"logGroupName": "g", "logStreamName": "s", "startTime": ten + 2, "endTime": ten + 5}
    assert messages(logs.get_log_events(**kwargs)) == ["m2", "m3", "m4"]
    assert messages(logs.get_log_events(startFromHead=True, **kwargs)) == ["m2", "m3", "m4"]
    page = logs.get_log_events(limit=2, startFromHead=True, **kwargs)
    assert messages(page) == ["m2", "m3"]
    page = logs.get_log_events(limit=2, nextToken=page["nextForwardToken"], **kwargs)
    assert messages(page) == ["m4"]
    empty = logs.get_log_events(logGroupName="g", logStreamName="s", startTime=ten + 100)
    assert empty["events"] == [] and empty["nextForwardToken"] and empty["nextBackwardToken"]


def test_response_is_capped_at_one_megabyte(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs)
    t = now_ms() - 1000
    for i in range(3):
        put(logs, "g", "s", [str(i) * 400_000], start=t + i)
    page = logs.get_log_events(logGroupName="g", logStreamName="s", startFromHead=True)
    assert [e["message"][0] for e in page["events"]] == ["0", "1"]
    page = logs.get_log_events(logGroupName="g", logStreamName="s", nextToken=page["nextForwardToken"])
    assert [e["message"][0] for e in page["events"]] == ["2"]
    latest = logs.get_log_events(logGroupName="g", logStreamName="s")
    assert [e["message"][0] for e in latest["events"]] == ["1", "2"]


def test_bad_tokens_and_missing_streams(cloudlet, ten):
    logs = cloudlet.client("logs")
    make_stream(logs, "g", "other")
    other = logs.get_log_events(logGroupName="g", logStreamName="other")["nextForwardToken"]
    for token in ["garbage", "f/123", "x/" + "0" * 56, other]:
        message = expect_error(
            logs.get_log_events,
            "InvalidParameterException",
            logGroupName="g",
            logStreamName="s",
            nextToken=token,
        )
        assert message == "The specified nextToken is invalid."
    expect_error(logs.get_log_events, "ResourceNotFoundException", logGroupName="g", logStreamName="missing")
    expect_error(logs.get_log_events, "ResourceNotFoundException", logGroupName="missing", logStreamName="s")
    expect_error(
        raw_client(cloudlet).get_log_events,
        "InvalidParameterException",
        logGroupName="g",
        logStreamName="s",
        limit=0,
    )


def test_group_identifier_arn(cloudlet, ten):
    logs = cloudlet.client("logs")
    page = logs.get_log_events(
        logGroupIdentifier="arn:aws:logs:us-east-1:000000000000:log-group:g", logStreamName="s", limit=1
    )
    assert messages(page) == ["m9"]
    expect_error(
        logs.get_log_events,
        "ValidationException",
        logGroupName="g",
        logGroupIdentifier="g",
        logStreamName="s",
    )
