"""CloudWatch Logs details checked against AWS's documented behaviour: token shapes, deprecated
fields, and PutLogEvents answers when events are rejected."""

import re

from logs_helpers import make_stream, now_ms, put

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


def test_batch_with_every_event_rejected_has_no_sequence_token(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs)
    t = now_ms()
    result = logs.put_log_events(
        logGroupName="g", logStreamName="s", logEvents=[{"timestamp": t - 15 * DAY, "message": "old"}]
    )
    assert result["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    assert "nextSequenceToken" not in result
    (stream,) = logs.describe_log_streams(logGroupName="g")["logStreams"]
    assert "firstEventTimestamp" not in stream and "lastIngestionTime" not in stream


def test_expired_events_do_not_count_toward_the_24_hour_span(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs)
    logs.put_retention_policy(logGroupName="g", retentionInDays=1)
    t = now_ms()
    events = [
        {"timestamp": t - 3 * DAY, "message": "expired"},
        {"timestamp": t - 2 * DAY, "message": "expired too"},
        {"timestamp": t - 1000, "message": "kept"},
    ]
    result = logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=events)
    assert result["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 2}
    page = logs.get_log_events(logGroupName="g", logStreamName="s", startFromHead=True)
    assert [e["message"] for e in page["events"]] == ["kept"]
