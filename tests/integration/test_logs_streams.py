"""CloudWatch Logs log streams: create, delete, describe (order, prefix, paging, sizes and times)."""

from logs_helpers import expect_error, make_stream, now_ms, put, raw_client


def test_create_describe_delete(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs, "/aws/lambda/fn", "2026/01/01/[$LATEST]abc")
    (stream,) = logs.describe_log_streams(logGroupName="/aws/lambda/fn")["logStreams"]
    assert stream["logStreamName"] == "2026/01/01/[$LATEST]abc"
    assert stream["arn"] == (
        "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/fn:log-stream:2026/01/01/[$LATEST]abc"
    )
    assert stream["storedBytes"] == 0
    assert stream["creationTime"] > 1_600_000_000_000
    for absent in ("firstEventTimestamp", "lastEventTimestamp", "lastIngestionTime"):
        assert absent not in stream
    logs.delete_log_stream(logGroupName="/aws/lambda/fn", logStreamName="2026/01/01/[$LATEST]abc")
    assert logs.describe_log_streams(logGroupName="/aws/lambda/fn")["logStreams"] == []


def test_stream_errors(cloudlet):
    logs = cloudlet.client("logs")
    message = expect_error(
        logs.create_log_stream, "ResourceNotFoundException", logGroupName="g", logStreamName="s"
    )
    assert message == "The specified log group does not exist."
    make_stream(logs, "g", "s")
    message = expect_error(
        logs.create_log_stream, "ResourceAlreadyExistsException", logGroupName="g", logStreamName="s"
    )
    assert message == "The specified log stream already exists"
    message = expect_error(
        logs.delete_log_stream, "ResourceNotFoundException", logGroupName="g", logStreamName="x"
    )
    assert message == "The specified log stream does not exist."
    expect_error(logs.describe_log_streams, "ResourceNotFoundException", logGroupName="missing")
    raw = raw_client(cloudlet)
    expect_error(raw.create_log_stream, "InvalidParameterException", logGroupName="g", logStreamName="a:b")
    expect_error(raw.create_log_stream, "InvalidParameterException", logGroupName="g", logStreamName="a*")
    expect_error(raw.create_log_stream, "InvalidParameterException", logGroupName="g", logStreamName="")
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="g")["logStreams"]] == ["s"]


def test_times_and_sizes_follow_events(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs, "g", "s")
    before = now_ms()
    start = put(logs, "g", "s", ["hello", "wörld"], step=10)
    (stream,) = logs.describe_log_streams(logGroupName="g")["logStreams"]
    assert stream["firstEventTimestamp"] == start
    assert stream["lastEventTimestamp"] == start + 10
    assert before <= stream["lastIngestionTime"] <= now_ms()
    assert stream["storedBytes"] == 0  # deprecated for streams: AWS always reports zero
    assert logs.describe_log_groups()["logGroups"][0]["storedBytes"] == len("hello") + len("wörld".encode())
    put(logs, "g", "s", ["early"], start=start - 1000)
    (stream,) = logs.describe_log_streams(logGroupName="g")["logStreams"]
    assert stream["firstEventTimestamp"] == start - 1000
    assert stream["lastEventTimestamp"] == start + 10
    assert logs.describe_log_groups()["logGroups"][0]["storedBytes"] == 16
    logs.delete_log_stream(logGroupName="g", logStreamName="s")
    assert logs.describe_log_groups()["logGroups"][0]["storedBytes"] == 0


def test_order_by_name_prefix_descending(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g")
    for name in ["b", "a/2", "a/1", "C", "a/10"]:
        logs.create_log_stream(logGroupName="g", logStreamName=name)

    def names(**kwargs):
        return [
            s["logStreamName"] for s in logs.describe_log_streams(logGroupName="g", **kwargs)["logStreams"]
        ]

    assert names() == ["C", "a/1", "a/10", "a/2", "b"]
    assert names(descending=True) == ["b", "a/2", "a/10", "a/1", "C"]
    assert names(logStreamNamePrefix="a/") == ["a/1", "a/10", "a/2"]
    assert names(logStreamNamePrefix="a/1", descending=True) == ["a/10", "a/1"]


def test_order_by_last_event_time(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g")
    base = now_ms() - 100_000
    for name, offset in [("x", 30), ("y", 10), ("z", 20)]:
        logs.create_log_stream(logGroupName="g", logStreamName=name)
        put(logs, "g", name, ["m"], start=base + offset)

    def names(**kwargs):
        result = logs.describe_log_streams(logGroupName="g", orderBy="LastEventTime", **kwargs)
        return [s["logStreamName"] for s in result["logStreams"]]

    assert names() == ["y", "z", "x"]
    assert names(descending=True) == ["x", "z", "y"]
    message = expect_error(
        logs.describe_log_streams,
        "InvalidParameterException",
        logGroupName="g",
        orderBy="LastEventTime",
        logStreamNamePrefix="x",
    )
    assert "LastEventTime" in message
    expect_error(
        raw_client(cloudlet).describe_log_streams,
        "InvalidParameterException",
        logGroupName="g",
        orderBy="Size",
    )


def test_paging_both_orders(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g")
    base = now_ms() - 100_000
    names = [f"s{i:02d}" for i in range(23)]
    for i, name in enumerate(names):
        logs.create_log_stream(logGroupName="g", logStreamName=name)
        put(logs, "g", name, ["m"], start=base + (i * 7) % 23)  # distinct, shuffled last event times
    paginator = logs.get_paginator("describe_log_streams")

    def collect(**kwargs):
        pages = list(paginator.paginate(logGroupName="g", PaginationConfig={"PageSize": 5}, **kwargs))
        assert [len(p["logStreams"]) for p in pages] == [5, 5, 5, 5, 3]
        return [s["logStreamName"] for p in pages for s in p["logStreams"]]

    assert collect() == names
    assert collect(descending=True) == names[::-1]
    by_time = sorted(names, key=lambda n: (int(n[1:]) * 7) % 23)
    assert collect(orderBy="LastEventTime") == by_time
    assert collect(orderBy="LastEventTime", descending=True) == by_time[::-1]
    for token in ["%%%", "WzFd", "WyJhIl0"]:  # garbage, [1], ["a"] (LastEventTime needs [time, name])
        kwargs = {"orderBy": "LastEventTime"} if token == "WyJhIl0" else {}
        expect_error(
            logs.describe_log_streams,
            "InvalidParameterException",
            logGroupName="g",
            nextToken=token,
            **kwargs,
        )


def test_identifier_may_be_an_arn_but_not_both(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs, "g", "s")
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:g"
    found = logs.describe_log_streams(logGroupIdentifier=arn)["logStreams"]
    assert [s["logStreamName"] for s in found] == ["s"]
    assert logs.describe_log_streams(logGroupIdentifier="g")["logStreams"] == found
    expect_error(
        logs.describe_log_streams, "ValidationException", logGroupName="g", logGroupIdentifier="g"
    )
    expect_error(logs.describe_log_streams, "InvalidParameterException")
