"""The AWS CLI against the Logs service: get-log-events and filter-log-events (with CLI paging)."""

from cli_helpers import aws_cli, aws_cli_fails
from logs_helpers import make_stream, put


def aws(cloudlet, *args: str) -> dict:
    return aws_cli(cloudlet, "logs", *args)


def aws_fails(cloudlet, *args: str) -> str:
    return aws_cli_fails(cloudlet, "logs", *args)


def test_cli_get_log_events(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs, "/aws/lambda/fn", "s")
    start = put(logs, "/aws/lambda/fn", "s", ["START", "hello", "END"])
    out = aws(
        cloudlet,
        "get-log-events",
        "--log-group-name",
        "/aws/lambda/fn",
        "--log-stream-name",
        "s",
        "--start-from-head",
    )
    assert [e["message"] for e in out["events"]] == ["START", "hello", "END"]
    assert [e["timestamp"] for e in out["events"]] == [start, start + 1, start + 2]
    assert out["nextForwardToken"].startswith("f/") and out["nextBackwardToken"].startswith("b/")
    again = aws(
        cloudlet,
        "get-log-events",
        "--log-group-name",
        "/aws/lambda/fn",
        "--log-stream-name",
        "s",
        "--next-token",
        out["nextForwardToken"],
    )
    assert again["events"] == [] and again["nextForwardToken"] == out["nextForwardToken"]
    error = aws_fails(
        cloudlet, "get-log-events", "--log-group-name", "/aws/lambda/fn", "--log-stream-name", "nope"
    )
    assert "ResourceNotFoundException" in error


def test_cli_filter_log_events_pages_through_everything(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g")
    for stream in ("a", "b"):
        logs.create_log_stream(logGroupName="g", logStreamName=stream)
    start = put(logs, "g", "a", [f"ERROR a{i}" for i in range(5)], step=2)
    put(logs, "g", "b", [f"INFO b{i}" if i % 2 else f"ERROR b{i}" for i in range(5)], start=start + 1, step=2)
    out = aws(
        cloudlet,
        "filter-log-events",
        "--log-group-name",
        "g",
        "--filter-pattern",
        "ERROR",
        "--page-size",
        "2",
    )
    assert [e["message"] for e in out["events"]] == [
        "ERROR a0",
        "ERROR b0",
        "ERROR a1",
        "ERROR a2",
        "ERROR b2",
        "ERROR a3",
        "ERROR a4",
        "ERROR b4",
    ]
    out = aws(
        cloudlet,
        "filter-log-events",
        "--log-group-name",
        "g",
        "--log-stream-names",
        "b",
        "--filter-pattern",
        "INFO",
    )
    assert [(e["logStreamName"], e["message"]) for e in out["events"]] == [("b", "INFO b1"), ("b", "INFO b3")]
    error = aws_fails(cloudlet, "filter-log-events", "--log-group-name", "g", "--filter-pattern", '"open')
    assert "InvalidParameterException" in error
