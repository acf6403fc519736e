"""CloudWatch Logs details checked against AWS's documented behaviour: token shapes, deprecated
fields, and PutLogEvents answers when events are rejected."""

import re

from logs_helpers import expect_error, make_stream, now_ms, put, raw_client

DAY = 86_400_000


def test_get_log_events_tokens_have_aws_shape(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs)
    put(logs, "g", "s", ["a", "b", "c"])
    first = logs.get_log_events(logGroupName="g", logStreamName="s", limit=2)
    empty = logs.get_log_events(logGroupName="g", logStreamName="s", startFromHead=True, startTime=1, endTime=2)
    for page in (first, empty):
        assert re.fullmatch(r"f/\d{56}/s", page["nextForwardToken"]), page
        assert re.fullmatch(r"b/\d{56}/s", page["nextBackwardToken"]), page
    back = logs.get_log_events(logGroupName="g", logStreamName="s", nextToken=first["nextBackwardToken"])
    assert [e["message"] for e in back["events"]] == ["a"]
    end = logs.get_log_events(logGroupName="g", logStreamName="s", nextToken=first["nextForwardToken"])
    assert end["events"] == [] and end["nextForwardToken"] == first["nextForwardToken"]


def test_stream_stored_bytes_is_always_zero_group_counts(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs)
    put(logs, "g", "s", ["hello"])
    (stream,) = logs.describe_log_streams(logGroupName="g")["logStreams"]
    assert stream["storedBytes"] == 0
    (by_time,) = logs.describe_log_streams(logGroupName="g", orderBy="LastEventTime")["logStreams"]
    assert by_time["storedBytes"] == 0
    assert logs.describe_log_groups()["logGroups"][0]["storedBytes"] == 5


def test_batch_with_every_event_rejected_still_has_a_sequence_token(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs)
    t = now_ms()
    result = logs.put_log_events(
        logGroupName="g", logStreamName="s", logEvents=[{"timestamp": t - 15 * DAY, "message": "old"}]
    )
    assert result["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    assert result["nextSequenceToken"].isdigit()
    (stream,) = logs.describe_log_streams(logGroupName="g")["logStreams"]
    assert "firstEventTimestamp" not in stream and "lastIngestionTime" not in stream
    assert "uploadSequenceToken" not in stream  # nothing uploaded yet, as for a new stream
    result = logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=[{"timestamp": t, "message": "m"}])
    (stream,) = logs.describe_log_streams(logGroupName="g")["logStreams"]
    assert stream["uploadSequenceToken"] == result["nextSequenceToken"]


def test_expired_events_within_14_days_still_count_toward_the_24_hour_span(cloudlet):
    # AWS measures the span over the "valid" events: 14 days back to 2 hours ahead
    logs = raw_client(cloudlet)
    make_stream(logs)
    logs.put_retention_policy(logGroupName="g", retentionInDays=1)
    t = now_ms()
    events = [
        {"timestamp": t - 3 * DAY, "message": "expired"},
        {"timestamp": t - 1000, "message": "kept"},
    ]
    message = expect_error(
        logs.put_log_events, "InvalidParameterException", logGroupName="g", logStreamName="s", logEvents=events
    )
    assert "24 hours" in message
    result = logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=events[:1])
    assert result["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}
    assert "nextSequenceToken" in result
    assert logs.get_log_events(logGroupName="g", logStreamName="s")["events"] == []


def test_log_group_identifiers_admit_no_other_filter(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g")
    for other in ({"logGroupNamePrefix": "g"}, {"logGroupNamePattern": "g"}, {"logGroupClass": "STANDARD"}):
        expect_error(logs.describe_log_groups, "InvalidParameterException", logGroupIdentifiers=["g"], **other)
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:g"
    (group,) = logs.describe_log_groups(logGroupIdentifiers=["g", arn, "missing"])["logGroups"]
    assert group["logGroupName"] == "g"


def test_the_requests_of_aws_logs_tail(cloudlet):
    """`aws logs tail` (AWS CLI v2) pages FilterLogEvents with interleaved=True from --since, and
    with --follow polls again from the newest timestamp, skipping eventIds it has shown."""
    logs = cloudlet.client("logs")
    make_stream(logs, "g", "a")
    logs.create_log_stream(logGroupName="g", logStreamName="b")
    t = now_ms()
    put(logs, "g", "a", ["old"], start=t - 3_600_000)
    put(logs, "g", "a", ["a1", "a2"], start=t - 2000, step=1000)
    put(logs, "g", "b", ["b1"], start=t - 500)
    since = {"logGroupName": "g", "interleaved": True, "startTime": t - 600_000}
    pages = logs.get_paginator("filter_log_events").paginate(**since, PaginationConfig={"PageSize": 1})
    shown = [e for page in pages for e in page["events"]]
    assert [(e["logStreamName"], e["message"]) for e in shown] == [("a", "a1"), ("a", "a2"), ("b", "b1")]
    assert len({e["eventId"] for e in shown}) == 3

    # --follow: poll from the newest timestamp seen; the events at it come back with the same ids
    newest = max(e["timestamp"] for e in shown)
    seen = {e["eventId"] for e in shown if e["timestamp"] == newest}
    put(logs, "g", "b", ["b2"], start=newest)
    again = logs.filter_log_events(**{**since, "startTime": newest})["events"]
    assert [e["message"] for e in again if e["eventId"] not in seen] == ["b2"]
