"""CloudWatch Logs FilterLogEvents: streams, time ranges, filter patterns, ordering and paging."""

import json

import pytest
from logs_helpers import expect_error, now_ms, put

MESSAGES = [
    "START RequestId: 1",
    "ERROR Exception: boom",
    "WARN slow request",
    "ERROR Exiting now",
    "[INFO] all good",
    json.dumps({"level": "ERROR", "latency": 250, "user": {"id": "u-17"}, "retry": True}),
    json.dumps({"level": "INFO", "latency": 50, "user": {"id": "admin"}, "retry": False, "tags": ["a", "b"]}),
    json.dumps({"level": "DEBUG", "latency": 5, "note": None}),
    "END RequestId: 1",
]


@pytest.fixture
def group(cloudlet):
    """Group g with streams a and b; MESSAGES alternate between them, one millisecond apart."""
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g")
    for stream in ("a", "b", "c-empty"):
        logs.create_log_stream(logGroupName="g", logStreamName=stream)
    start = now_ms() - 60_000
    for i, message in enumerate(MESSAGES):
        put(logs, "g", "ab"[i % 2], [message], start=start + i)
    return start


def filtered(logs, **kwargs) -> list[str]:
    return [e["message"] for e in logs.filter_log_events(logGroupName="g", **kwargs)["events"]]


def test_interleaves_streams_by_timestamp(cloudlet, group):
    logs = cloudlet.client("logs")
    result = logs.filter_log_events(logGroupName="g")
    assert [e["message"] for e in result["events"]] == MESSAGES
    assert [e["logStreamName"] for e in result["events"]] == ["a", "b"] * 4 + ["a"]
    assert [e["timestamp"] for e in result["events"]] == [group + i for i in range(len(MESSAGES))]
    assert len({e["eventId"] for e in result["events"]}) == len(MESSAGES)
    assert all(e["ingestionTime"] >= e["timestamp"] for e in result["events"])
    assert result["searchedLogStreams"] == []
    assert "nextToken" not in result


def test_stream_selection_and_time_range(cloudlet, group):
    logs = cloudlet.client("logs")
    assert filtered(logs, logStreamNames=["b"]) == MESSAGES[1::2]
    assert filtered(logs, logStreamNames=["b", "missing"]) == MESSAGES[1::2]
    assert filtered(logs, logStreamNamePrefix="a") == MESSAGES[0::2]
    assert filtered(logs, logStreamNamePrefix="zz") == []
    # unlike GetLogEvents' endTime, FilterLogEvents' includes events at that very time
    assert filtered(logs, startTime=group + 2, endTime=group + 5) == MESSAGES[2:6]
    assert filtered(logs, startTime=group + 3, endTime=group + 3) == MESSAGES[3:4]
    assert filtered(logs, startTime=group + 3, endTime=group + 3, startFromHead=False) == MESSAGES[3:4]
    expect_error(
        logs.filter_log_events,
        "InvalidParameterException",
        logGroupName="g",
        logStreamNames=["a"],
        logStreamNamePrefix="a",
    )
    expect_error(logs.filter_log_events, "ResourceNotFoundException", logGroupName="missing")
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:g"
    assert [e["message"] for e in logs.filter_log_events(logGroupIdentifier=arn)["events"]] == MESSAGES


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("", MESSAGES),
        ("ERROR", [1, 3, 5]),
        ("ERROR Exception", [1]),
        ('"slow request"', [2]),
        ('"[INFO]"', [4]),
        ("ERROR -Exiting", [1, 5]),
        ("?WARN ?Exiting", [2, 3]),
        ("RequestId -END", [0]),
        ("error", []),
        ("%ERROR [A-Z][a-z]+:%", [1]),
        ('{ $.level = "ERROR" }', [5]),
        ("{ $.level = ERROR }", [5]),
        ('{ $.level != "ERROR" }', [6, 7]),
        ("{ $.latency > 40 }", [5, 6]),
        ("{ $.latency <= 50 && $.level = INFO }", [6]),
        ('{ $.latency < 10 || $.user.id = "u-*" }', [5, 7]),
        ("{ ($.latency = 5 || $.latency = 250) && $.level = DEBUG }", [7]),
        ("{ $.retry IS TRUE }", [5]),
        ("{ $.retry IS FALSE }", [6]),
        ("{ $.note IS NULL }", [7]),
        ("{ $.retry NOT EXISTS }", [7]),
        ('{ $.tags[1] = "b" }', [6]),
        ("[level = ERROR, what = Exc*, ...]", [1]),
        ("[first, second, third]", [0, 1, 2, 3, 4, 8]),
    ],
)
def test_filter_patterns(cloudlet, group, pattern, expected):
    logs = cloudlet.client("logs")
    want = MESSAGES if expected is MESSAGES else [MESSAGES[i] for i in expected]
    assert filtered(logs, filterPattern=pattern) == want


@pytest.mark.parametrize(
    "pattern", ['"unbalanced', "{ $.a = }", "{ $.a > abc }", "{ level = 1 }", "%[%", "[a,, b]", "[a ~ 1]"]
)
def test_bad_patterns_are_invalid_parameter(cloudlet, group, pattern):
    logs = cloudlet.client("logs")
    expect_error(logs.filter_log_events, "InvalidParameterException", logGroupName="g", filterPattern=pattern)


def test_paging_visits_every_match_once(cloudlet, group):
    logs = cloudlet.client("logs")
    first = logs.filter_log_events(logGroupName="g", limit=4)
    assert [e["message"] for e in first["events"]] == MESSAGES[:4]
    second = logs.filter_log_events(logGroupName="g", limit=4, nextToken=first["nextToken"])
    assert [e["message"] for e in second["events"]] == MESSAGES[4:8]
    third = logs.filter_log_events(logGroupName="g", limit=4, nextToken=second["nextToken"])
    assert [e["message"] for e in third["events"]] == MESSAGES[8:]
    assert "nextToken" not in third
    # a page that ends on the last match has no nextToken
    exact = logs.filter_log_events(logGroupName="g", filterPattern="ERROR", limit=3)
    assert len(exact["events"]) == 3 and "nextToken" not in exact
    pages = list(
        logs.get_paginator("filter_log_events").paginate(
            logGroupName="g", filterPattern="-RequestId", PaginationConfig={"PageSize": 2}
        )
    )
    assert [e["message"] for p in pages for e in p["events"]] == MESSAGES[1:-1]
    assert [len(p["events"]) for p in pages] == [2, 2, 2, 1]


def test_equal_timestamps_across_streams_page_without_loss(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g")
    t = now_ms() - 1000
    for stream in ("x", "y", "z"):
        logs.create_log_stream(logGroupName="g", logStreamName=stream)
        put(logs, "g", stream, [f"{stream}{i}" for i in range(3)], start=t, step=0)
    seen = []
    for page in logs.get_paginator("filter_log_events").paginate(
        logGroupName="g", PaginationConfig={"PageSize": 2}
    ):
        seen += [e["message"] for e in page["events"]]
    assert sorted(seen) == sorted(f"{s}{i}" for s in "xyz" for i in range(3))
    assert len(seen) == 9
    per_stream = [m for m in seen if m.startswith("y")]
    assert per_stream == ["y0", "y1", "y2"]


def test_descending_order(cloudlet, group):
    logs = cloudlet.client("logs")
    first = logs.filter_log_events(logGroupName="g", startFromHead=False, startTime=group, limit=5)
    assert [e["message"] for e in first["events"]] == MESSAGES[::-1][:5]
    rest = logs.filter_log_events(logGroupName="g", startTime=group, limit=5, nextToken=first["nextToken"])
    assert [e["message"] for e in rest["events"]] == MESSAGES[::-1][5:]
    assert "nextToken" not in rest
    expect_error(
        logs.filter_log_events,
        "InvalidParameterException",
        logGroupName="g",
        startFromHead=False,
        startTime=1_600_000_000_000,
    )


def test_bad_token(cloudlet, group):
    logs = cloudlet.client("logs")
    # garbage, ["f"], ["x",1,2,3], ["f","1",2,3]
    for token in ["nope", "WyJmIl0", "WyJ4IiwxLDIsM10", "WyJmIiwiMSIsMiwzXQ"]:
        message = expect_error(
            logs.filter_log_events, "InvalidParameterException", logGroupName="g", nextToken=token
        )
        assert message == "The specified nextToken is invalid."
