"""The in-process log sink (Logs.append) other services write through, and the retention sweep."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from logs_helpers import make_stream, now_ms, put

from cloudlet.testing.pytest_plugin import TEST_KEY, start_server

DAY = 86_400_000


def logs_service(cloudlet):
    platform = cloudlet.platform
    return asyncio.run_coroutine_threadsafe(platform.service("logs"), platform.loop).result(10)


def test_append_creates_group_and_stream_and_sorts_the_batch(cloudlet):
    logs = cloudlet.client("logs")
    sink = logs_service(cloudlet)
    t = now_ms()
    count = sink.append(
        cloudlet.account_id,
        cloudlet.region,
        "/aws/lambda/fn",
        "2026/01/01/[$LATEST]env1",
        [(t + 2, "END RequestId: r1"), (t, "START RequestId: r1 Version: $LATEST"), (t + 1, "hello")],
    )
    assert count == 3
    (group,) = logs.describe_log_groups()["logGroups"]
    assert group["logGroupName"] == "/aws/lambda/fn"
    assert group["storedBytes"] == sum(
        len(m) for m in ["END RequestId: r1", "START RequestId: r1 Version: $LATEST", "hello"]
    )
    events = logs.get_log_events(logGroupName="/aws/lambda/fn", logStreamName="2026/01/01/[$LATEST]env1")[
        "events"
    ]
    assert [e["message"] for e in events] == [
        "START RequestId: r1 Version: $LATEST",
        "hello",
        "END RequestId: r1",
    ]
    assert sink.append(cloudlet.account_id, cloudlet.region, "/aws/lambda/fn", "x", []) == 0


def test_append_into_existing_group_from_threads_and_the_event_loop(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g")
    logs.put_retention_policy(logGroupName="g", retentionInDays=7)
    sink = logs_service(cloudlet)
    t = now_ms()

    def write(worker: int) -> None:
        for batch in range(5):
            sink.append(
                cloudlet.account_id,
                cloudlet.region,
                "g",
                f"env{worker % 3}",
                [(t + batch * 10 + i, f"w{worker} b{batch} e{i}") for i in range(10)],
            )

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(write, range(6)))
    loop_write = sink.append_async(
        cloudlet.account_id, cloudlet.region, "g", "env0", [(t + 100, "from the loop")]
    )
    assert asyncio.run_coroutine_threadsafe(loop_write, cloudlet.platform.loop).result(10) == 1

    streams = logs.describe_log_streams(logGroupName="g")["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["env0", "env1", "env2"]
    total = sum(len(e["message"].encode()) for e in logs.filter_log_events(logGroupName="g")["events"])
    assert logs.describe_log_groups()["logGroups"][0]["storedBytes"] == total
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 7
    events = [
        e
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName="g")
        for e in page["events"]
    ]
    assert len(events) == 6 * 5 * 10 + 1
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    env0 = logs.get_log_events(logGroupName="g", logStreamName="env0", startFromHead=True)["events"]
    assert len(env0) == 2 * 50 + 1 and env0[-1]["message"] == "from the loop"


def test_append_after_the_stream_or_group_was_deleted_recreates_it(cloudlet):
    logs = cloudlet.client("logs")
    sink = logs_service(cloudlet)
    args = (cloudlet.account_id, cloudlet.region, "g", "s")
    t = now_ms()
    sink.append(*args, [(t, "one")])
    logs.delete_log_stream(logGroupName="g", logStreamName="s")
    sink.append(*args, [(t, "two")])
    assert [e["message"] for e in logs.get_log_events(logGroupName="g", logStreamName="s")["events"]] == [
        "two"
    ]
    logs.delete_log_group(logGroupName="g")
    sink.append(*args, [(t, "three")])
    assert [e["message"] for e in logs.get_log_events(logGroupName="g", logStreamName="s")["events"]] == [
        "three"
    ]
    assert logs.describe_log_groups()["logGroups"][0]["storedBytes"] == 5


def test_sweep_deletes_events_older_than_retention(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs, "g", "s")
    make_stream(logs, "g", "old-only")
    make_stream(logs, "keep", "s")
    t = now_ms()
    put(logs, "g", "s", ["old"], start=t - 2 * DAY)
    put(logs, "g", "s", ["new"], start=t - 1000)
    put(logs, "g", "old-only", ["old"], start=t - 3 * DAY)
    put(logs, "keep", "s", ["old"], start=t - 2 * DAY)
    logs.put_retention_policy(logGroupName="g", retentionInDays=1)

    assert logs_service(cloudlet).engine.sweep() == 2

    events = logs.get_log_events(logGroupName="g", logStreamName="s")["events"]
    assert [e["message"] for e in events] == ["new"]
    assert logs.get_log_events(logGroupName="g", logStreamName="old-only")["events"] == []
    streams = {s["logStreamName"]: s for s in logs.describe_log_streams(logGroupName="g")["logStreams"]}
    assert streams["s"]["firstEventTimestamp"] == t - 1000
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]}
    assert groups["g"]["storedBytes"] == 3
    assert groups["keep"]["storedBytes"] == 3  # no retention policy: nothing expires
    assert [e["message"] for e in logs.get_log_events(logGroupName="keep", logStreamName="s")["events"]] == [
        "old"
    ]


def test_background_sweep_runs_on_its_interval(cloudlet):
    server = start_server(extra={"logs_retention_sweep_interval": 0.05})
    try:
        logs = boto3.client(
            "logs",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id=TEST_KEY,
            aws_secret_access_key=TEST_KEY,
        )
        make_stream(logs, "swept", "s")
        t = now_ms()
        put(logs, "swept", "s", ["old"], start=t - 2 * DAY)
        put(logs, "swept", "s", ["new"], start=t - 1000)
        logs.put_retention_policy(logGroupName="swept", retentionInDays=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            events = logs.get_log_events(logGroupName="swept", logStreamName="s")["events"]
            if len(events) == 1:
                break
            time.sleep(0.05)
        assert [e["message"] for e in events] == ["new"]
    finally:
        server.stop()
