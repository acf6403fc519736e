"""Logs Insights: StartQuery / GetQueryResults / StopQuery / DescribeQueries / GetLogRecord and
query definitions, through boto3 against a live cloudlet."""

from __future__ import annotations

import json
import tempfile
import time

import pytest
from lambda_helpers import create, fast_fixtures, invoke, wait_for
from logs_helpers import expect_error, make_stream, now_ms, put, raw_client
from test_logs_cli import aws, aws_fails
from test_logs_sink import logs_service

from cloudlet.testing.pytest_plugin import CloudletHandle, start_server

ACCOUNT, REGION = "000000000000", "us-east-1"
SLOW = {"logs_query_delay_s": 30.0, "logs_query_concurrency": 2}
fast_server, fast = fast_fixtures(SLOW)


def run(logs, query: str, groups=("g",), start: int | None = None, end: int | None = None, **kwargs) -> dict:
    """Start a query over the last hour (unless told), wait for it to end, return GetQueryResults."""
    now = int(time.time())
    query_id = logs.start_query(
        logGroupNames=list(groups),
        startTime=now - 3600 if start is None else start,
        endTime=now + 60 if end is None else end,
        queryString=query,
        **kwargs,
    )["queryId"]
    deadline = time.monotonic() + 15
    while True:
        out = logs.get_query_results(queryId=query_id)
        if out["status"] not in ("Scheduled", "Running"):
            out["queryId"] = query_id
            return out
        assert time.monotonic() < deadline, out
        time.sleep(0.02)


def rows(out: dict, ptr: bool = False) -> list[dict]:
    """Result rows as dicts (without @ptr unless asked)."""
    return [{f["field"]: f["value"] for f in row if ptr or f["field"] != "@ptr"} for row in out["results"]]


def stamp(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}"


@pytest.fixture
def logs(cloudlet):
    client = cloudlet.client("logs")
    make_stream(client, "g", "s")
    return client


def test_fields_filter_sort_limit_and_ptr(logs):
    start = put(logs, "g", "s", ["ERROR disk full", "INFO all good", "ERROR net down", "WARN slow"], step=1000)
    out = run(logs, "fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc | limit 5")
    assert out["status"] == "Complete"
    assert out["queryLanguage"] == "CWLI"
    assert rows(out) == [
        {"@timestamp": stamp(start + 2000), "@message": "ERROR net down"},
        {"@timestamp": stamp(start), "@message": "ERROR disk full"},
    ]
    assert all(row[-1]["field"] == "@ptr" and row[-1]["value"] for row in out["results"])
    stats = out["statistics"]
    assert stats["recordsScanned"] == 4.0
    assert stats["recordsMatched"] == 2.0
    assert stats["bytesScanned"] == float(sum(len(m) for m in ["ERROR disk full", "INFO all good", "ERROR net down", "WARN slow"]))


def test_default_fields_newest_first_and_system_fields(logs):
    start = put(logs, "g", "s", ["one", "two"], step=1000)
    out = run(logs, "filter @message != 'x'")
    assert rows(out) == [
        {"@timestamp": stamp(start + 1000), "@message": "two", "@logStream": "s", "@log": f"{ACCOUNT}:g"},
        {"@timestamp": stamp(start), "@message": "one", "@logStream": "s", "@log": f"{ACCOUNT}:g"},
    ]
    ingested = rows(run(logs, "fields @ingestionTime | limit 1"))[0]["@ingestionTime"]
    assert ingested[:4].isdigit() and len(ingested) == len("2024-01-01 00:00:00.000")


def test_json_fields_stats_and_bin(logs):
    base = (now_ms() - 600_000) // 300_000 * 300_000  # the start of a 5-minute bin
    events = [
        {"level": "ERROR", "latency": 120, "req": {"path": "/a"}, "tags": ["x", "y"]},
        {"level": "INFO", "latency": 80, "req": {"path": "/b"}},
        {"level": "ERROR", "latency": 300, "req": {"path": "/a"}},
        {"level": "INFO", "latency": 20, "req": {"path": "/a"}},
    ]
    put(logs, "g", "s", [json.dumps(e) for e in events], start=base, step=1000)
    out = run(logs, "stats count(*) as n, avg(latency) as mean, max(latency), min(latency), sum(latency) by level | sort level")
    assert rows(out) == [
        {"level": "ERROR", "n": "2", "mean": "210", "max(latency)": "300", "min(latency)": "120", "sum(latency)": "420"},
        {"level": "INFO", "n": "2", "mean": "50", "max(latency)": "80", "min(latency)": "20", "sum(latency)": "100"},
    ]
    assert not any(f["field"] == "@ptr" for row in out["results"] for f in row)
    assert rows(run(logs, "stats count(*) by bin(5m)")) == [{"bin(5m)": stamp(base), "count(*)": "4"}]
    nested = run(logs, "filter req.path = '/a' and tags.1 = 'y' | fields req.path, tags.0")
    assert rows(nested) == [{"req.path": "/a", "tags.0": "x"}]
    distinct = run(logs, "stats count_distinct(req.path) as paths, pct(latency, 50) as p50, count(tags.0) as tagged")
    assert rows(distinct) == [{"paths": "2", "p50": "80", "tagged": "1"}]
    mixed = run(logs, "filter level in ['ERROR', 'WARN'] | stats sum(latency) / count(*) * 2 as x")
    assert rows(mixed) == [{"x": "420"}]


def test_expressions_and_functions(logs):
    put(logs, "g", "s", ["Hello World", "  padded  ", "n=7"], step=1000)
    out = run(
        logs,
        "fields strlen(@message) as len, toupper(@message) as up, tolower(@message) as low,"
        " concat(@message, '!') as bang, abs(-3) as a, ceil(2.2) as c, floor(2.8) as f, trim(@message) as t"
        " | filter @message = 'Hello World' or @message like 'padded' | sort len desc",
    )
    assert rows(out) == [
        {"len": "11", "up": "HELLO WORLD", "low": "hello world", "bang": "Hello World!", "a": "3", "c": "3", "f": "2",
         "t": "Hello World"},
        {"len": "10", "up": "  PADDED  ", "low": "  padded  ", "bang": "  padded  !", "a": "3", "c": "3", "f": "2",
         "t": "padded"},
    ]
    assert rows(run(logs, "filter @message =~ /^n=\\d$/ | fields @message")) == [{"@message": "n=7"}]
    assert rows(run(logs, "filter not @message like /World|n=/ | fields @message")) == [{"@message": "  padded  "}]
    assert rows(run(logs, "filter @message not like 'World' and strlen(@message) < 5 | fields @message")) == [
        {"@message": "n=7"}
    ]
    assert rows(run(logs, "filter ispresent(nothing) | fields @message")) == []
    assert len(rows(run(logs, "filter isempty(nothing) | fields @message"))) == 3


def test_parse_glob_regex_display_dedup(logs):
    put(
        logs,
        "g",
        "s",
        ["[ERROR] user=alice took 30 ms", "[INFO] user=bob took 5 ms", "[ERROR] user=alice took 70 ms"],
        step=1000,
    )
    out = run(logs, 'parse @message "[*] user=* took * ms" as level, user, ms | filter ms > 10 | sort ms | display user, ms')
    assert rows(out) == [{"user": "alice", "ms": "30"}, {"user": "alice", "ms": "70"}]
    regex = run(logs, r"parse @message /user=(?<who>\w+) took (?<took>\d+)/ | stats sum(took) as total by who | sort who")
    assert rows(regex) == [{"who": "alice", "total": "100"}, {"who": "bob", "total": "5"}]
    at_names = run(logs, r"parse @message /took (?<@ms>\d+)/ | stats sum(@ms) as total")
    assert rows(at_names) == [{"total": "105"}]
    upper = run(logs, 'FIELDS @message | PARSE @message "[*] *" AS level, rest | FILTER level IN ["ERROR"] | DISPLAY rest')
    assert rows(upper) == [{"rest": "user=alice took 70 ms"}, {"rest": "user=alice took 30 ms"}]
    deduped = run(logs, 'parse "user=* " as user | sort @timestamp desc | dedup user | display user')
    assert rows(deduped) == [{"user": "alice"}, {"user": "bob"}]


def test_time_range_is_inclusive_in_seconds(logs):
    second = (now_ms() // 1000 - 120) * 1000
    put(logs, "g", "s", ["before"], start=second - 1)
    put(logs, "g", "s", ["first", "last"], start=second, step=999)
    put(logs, "g", "s", ["after"], start=second + 1000)
    out = run(logs, "fields @message", start=second // 1000, end=second // 1000)
    assert rows(out) == [{"@message": "last"}, {"@message": "first"}]
    assert out["statistics"]["recordsScanned"] == 2.0


def test_several_groups_by_names_and_identifiers(logs):
    make_stream(logs, "other", "o")
    put(logs, "g", "s", ["from g"], step=1)
    put(logs, "other", "o", ["from other"], start=now_ms() - 1000)
    out = run(logs, "fields @message, @log | sort @message")
    assert rows(out) == [{"@message": "from g", "@log": f"{ACCOUNT}:g"}]
    both = run(logs, "fields @message, @log | sort @message", groups=("g", "other"))
    assert rows(both) == [
        {"@message": "from g", "@log": f"{ACCOUNT}:g"},
        {"@message": "from other", "@log": f"{ACCOUNT}:other"},
    ]
    now = int(time.time())
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:other"
    query_id = logs.start_query(logGroupIdentifiers=[arn], startTime=now - 3600, endTime=now,
                                queryString="stats count(*) as n")["queryId"]
    wait_for(lambda: logs.get_query_results(queryId=query_id)["status"] == "Complete")
    assert rows(logs.get_query_results(queryId=query_id)) == [{"n": "1"}]
    assert run(logs, "stats count(*)", groups=("g", "other"))["statistics"]["logGroupsScanned"] == 2.0


def test_far_off_end_time(logs):
    put(logs, "g", "s", ["now"])
    assert rows(run(logs, "fields @message", start=0, end=2**62)) == [{"@message": "now"}]


def test_results_are_kept_seven_days(logs, cloudlet):
    query_id = run(logs, "fields @message")["queryId"]
    queries = logs_service(cloudlet).queries
    assert queries.sweep(now=now_ms() + 6 * 86_400_000) == 0
    assert queries.sweep(now=now_ms() + 7 * 86_400_000 + 1000) == 1
    expect_error(logs.get_query_results, "ResourceNotFoundException", queryId=query_id)
    assert logs.describe_queries()["queries"] == []


def test_limit_parameter_and_result_paging(logs):
    put(logs, "g", "s", [f"m{i}" for i in range(25)], step=10)
    assert len(run(logs, "fields @message", limit=7)["results"]) == 7
    assert len(run(logs, "fields @message | limit 3", limit=7)["results"]) == 3
    out = run(logs, "fields @message")
    assert len(out["results"]) == 25
    first = logs.get_query_results(queryId=out["queryId"], maxItems=10)
    second = logs.get_query_results(queryId=out["queryId"], maxItems=10, nextToken=first["nextToken"])
    third = logs.get_query_results(queryId=out["queryId"], maxItems=10, nextToken=second["nextToken"])
    assert "nextToken" not in third
    assert [r for p in (first, second, third) for r in p["results"]] == out["results"]


def test_get_log_record(logs, cloudlet):
    start = put(logs, "g", "s", ['{"user": "ann", "@id": 5, "deep": {"k": true}}'])
    out = run(logs, "fields user")
    assert rows(out) == [{"user": "ann"}]
    pointer = out["results"][0][-1]["value"]
    record = logs.get_log_record(logRecordPointer=pointer)["logRecord"]
    assert record["@message"] == '{"user": "ann", "@id": 5, "deep": {"k": true}}'
    assert record["@timestamp"] == str(start)
    assert record["@logStream"] == "s"
    assert record["@log"] == f"{ACCOUNT}:g"
    assert record["user"] == "ann"
    assert record["@@id"] == "5"  # a JSON field named @x is shown as @@x
    assert record["deep.k"] == "true"
    assert int(record["@ingestionTime"]) >= start
    expect_error(logs.get_log_record, "InvalidParameterException", logRecordPointer="not-a-pointer")
    other = cloudlet.client("logs", region_name="eu-west-1")
    expect_error(other.get_log_record, "ResourceNotFoundException", logRecordPointer=pointer)
    logs.delete_log_group(logGroupName="g")
    expect_error(logs.get_log_record, "ResourceNotFoundException", logRecordPointer=pointer)


def test_malformed_queries(logs):
    now = int(time.time())
    for query, start, end in [
        ("fields @message | filter", 24, 24),
        ("fields @message | bogus x", 18, 23),
        ("filter @message like", 20, 20),
        ("stats nosuch(x)", 6, 12),
        ("fields count(*)", 7, 12),
        ("stats latency by x", 6, 14),
        ('parse @message "* *" as a', 15, 25),
        ("limit 0", 6, 7),
    ]:
        with pytest.raises(logs.exceptions.MalformedQueryException) as info:
            logs.start_query(logGroupName="g", startTime=now - 60, endTime=now, queryString=query)
        error = info.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        location = error["queryCompileError"]["location"]
        assert (location["startCharOffset"], location["endCharOffset"]) == (start, end), (query, error)
        assert error["queryCompileError"]["message"] == error["Error"]["Message"]
    assert logs.describe_queries()["queries"] == []


def test_bad_parameters(logs, cloudlet):
    raw = raw_client(cloudlet)
    now = int(time.time())
    base = {"startTime": now - 60, "endTime": now, "queryString": "fields @message"}
    expect_error(raw.start_query, "InvalidParameterException", **base)
    expect_error(raw.start_query, "InvalidParameterException", logGroupName="g", logGroupNames=["g"], **base)
    expect_error(raw.start_query, "InvalidParameterException", logGroupName="g", queryLanguage="SQL", **base)
    expect_error(raw.start_query, "InvalidParameterException", logGroupName="g", limit=0, **base)
    expect_error(raw.start_query, "InvalidParameterException", logGroupName="g", limit=100_001, **base)
    expect_error(raw.start_query, "InvalidParameterException", logGroupNames=[f"g{i}" for i in range(51)], **base)
    expect_error(raw.start_query, "InvalidParameterException", logGroupName="g", startTime=now, endTime=now - 1,
                 queryString="fields @message")
    expect_error(raw.start_query, "ResourceNotFoundException", logGroupNames=["g", "missing"], **base)
    assert logs.describe_queries()["queries"] == []
    expect_error(logs.get_query_results, "ResourceNotFoundException", queryId="nope")
    expect_error(logs.stop_query, "ResourceNotFoundException", queryId="nope")
    out = run(logs, "fields @message")
    expect_error(logs.get_query_results, "InvalidParameterException", queryId=out["queryId"], nextToken="bad")
    expect_error(logs.stop_query, "InvalidParameterException", queryId=out["queryId"])
    assert logs.get_query_results(queryId=out["queryId"])["status"] == "Complete"


def test_describe_queries(logs):
    make_stream(logs, "other", "o")
    first = run(logs, "fields @message")["queryId"]
    second = run(logs, "stats count(*)", groups=("other", "g"))["queryId"]
    queries = logs.describe_queries()["queries"]
    assert [q["queryId"] for q in queries] == [second, first]
    assert queries[0]["queryString"] == "stats count(*)"
    assert queries[0]["logGroupName"] == "other"
    assert queries[0]["status"] == "Complete"
    assert queries[0]["queryLanguage"] == "CWLI"
    assert queries[0]["createTime"] >= queries[1]["createTime"]
    assert [q["queryId"] for q in logs.describe_queries(logGroupName="g")["queries"]] == [second, first]
    assert [q["queryId"] for q in logs.describe_queries(logGroupName="other")["queries"]] == [second]
    assert logs.describe_queries(status="Running")["queries"] == []
    assert logs.describe_queries(queryLanguage="SQL")["queries"] == []
    assert len(logs.describe_queries(queryLanguage="CWLI")["queries"]) == 2
    page = logs.describe_queries(maxResults=1)
    rest = logs.describe_queries(maxResults=1, nextToken=page["nextToken"])
    assert [q["queryId"] for q in page["queries"] + rest["queries"]] == [second, first]
    assert "nextToken" not in rest


def test_stop_query_and_concurrency_limit(fast):
    logs = fast.client("logs")
    make_stream(logs, "g", "s")
    now = int(time.time())
    args = {"logGroupName": "g", "startTime": now - 60, "endTime": now, "queryString": "fields @message"}
    first = logs.start_query(**args)["queryId"]
    second = logs.start_query(**args)["queryId"]
    assert logs.get_query_results(queryId=first)["status"] == "Scheduled"
    message = expect_error(logs.start_query, "LimitExceededException", **args)
    assert message == "Account maximum query concurrency limit of [2] reached."
    assert logs.stop_query(queryId=first)["success"] is True
    assert logs.get_query_results(queryId=first)["status"] == "Cancelled"
    assert logs.get_query_results(queryId=first)["results"] == []
    expect_error(logs.stop_query, "InvalidParameterException", queryId=first)
    assert [q["queryId"] for q in logs.describe_queries(status="Cancelled")["queries"]] == [first]
    assert [q["queryId"] for q in logs.describe_queries(status="Scheduled")["queries"]] == [second]
    third = logs.start_query(**args)["queryId"]  # the cancelled query freed its slot
    for query_id in (second, third):
        assert logs.stop_query(queryId=query_id)["success"] is True


def test_unfinished_queries_fail_when_an_sqlite_cloudlet_restarts():
    data_dir = tempfile.mkdtemp(prefix="cloudlet-insights-")
    first = CloudletHandle(start_server(data_dir=data_dir, store="sqlite", extra=dict(SLOW)))
    try:
        logs = first.client("logs")
        make_stream(logs, "g", "s")
        now = int(time.time())
        query_id = logs.start_query(logGroupName="g", startTime=now - 60, endTime=now,
                                    queryString="fields @message")["queryId"]
        assert logs.get_query_results(queryId=query_id)["status"] == "Scheduled"
    finally:
        first.server.stop()
    second = CloudletHandle(start_server(data_dir=data_dir, store="sqlite", extra=dict(SLOW)))
    try:
        assert second.client("logs").get_query_results(queryId=query_id)["status"] == "Failed"
    finally:
        second.server.stop()


def test_a_query_past_its_timeout_times_out():
    handle = CloudletHandle(start_server(extra={"logs_query_timeout_s": 1e-6}))
    try:
        handle.reset()  # on PostgreSQL this node shares the store with the other tests' server
        logs = handle.client("logs")
        make_stream(logs, "g", "s")
        put(logs, "g", "s", ["x"])
        out = run(logs, "fields @message")
        assert out["status"] == "Timeout"
        assert out["results"] == []
        assert [q["status"] for q in logs.describe_queries()["queries"]] == ["Timeout"]
    finally:
        handle.server.stop()


def test_query_definitions(logs, cloudlet):
    first = logs.put_query_definition(name="errors/recent", queryString="filter @message like /ERROR/",
                                      logGroupNames=["g"])["queryDefinitionId"]
    second = logs.put_query_definition(name="alpha", queryString="stats count(*)")["queryDefinitionId"]
    listed = logs.describe_query_definitions()["queryDefinitions"]
    assert [d["queryDefinitionId"] for d in listed] == [second, first]
    assert listed[1]["name"] == "errors/recent"
    assert listed[1]["queryString"] == "filter @message like /ERROR/"
    assert listed[1]["logGroupNames"] == ["g"]
    assert listed[0]["logGroupNames"] == []
    assert listed[1]["lastModified"] > 0
    prefixed = logs.describe_query_definitions(queryDefinitionNamePrefix="errors")["queryDefinitions"]
    assert [d["queryDefinitionId"] for d in prefixed] == [first]
    page = logs.describe_query_definitions(maxResults=1)
    assert [d["queryDefinitionId"] for d in page["queryDefinitions"]] == [second]
    rest = logs.describe_query_definitions(maxResults=1, nextToken=page["nextToken"])
    assert [d["queryDefinitionId"] for d in rest["queryDefinitions"]] == [first]
    # an update replaces every value: the log groups not given are gone
    assert logs.put_query_definition(queryDefinitionId=first, name="errors/all",
                                     queryString="fields @message")["queryDefinitionId"] == first
    updated = logs.describe_query_definitions(queryDefinitionNamePrefix="errors")["queryDefinitions"]
    assert [(d["name"], d["queryString"], d["logGroupNames"]) for d in updated] == [("errors/all", "fields @message", [])]
    expect_error(logs.put_query_definition, "ResourceNotFoundException", queryDefinitionId="nope", name="x",
                 queryString="fields @message")
    assert logs.delete_query_definition(queryDefinitionId=second)["success"] is True
    expect_error(logs.delete_query_definition, "ResourceNotFoundException", queryDefinitionId=second)
    assert [d["queryDefinitionId"] for d in logs.describe_query_definitions()["queryDefinitions"]] == [first]
    assert cloudlet.client("logs", region_name="eu-west-1").describe_query_definitions()["queryDefinitions"] == []
    assert logs.describe_query_definitions(queryLanguage="PPL")["queryDefinitions"] == []
    expect_error(logs.put_query_definition, "InvalidParameterException", name="x", queryString="x",
                 queryLanguage="SQL")
    expect_error(raw_client(cloudlet).put_query_definition, "InvalidParameterException", name="x",
                 queryString="", clientToken="t" * 36)


def test_lambda_report_fields(cloudlet):
    lam, logs = cloudlet.client("lambda"), cloudlet.client("logs")
    create(lam, "fn", "def handler(event, context):\n    print('{\"phase\": \"work\", \"n\": 3}')\n    return 1\n")
    for _ in range(2):
        invoke(lam, "fn")
    group = "/aws/lambda/fn"
    wait_for(lambda: logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"])

    def reports():
        out = run(logs, "filter @type = 'REPORT' | fields @requestId, @duration, @billedDuration, @memorySize,"
                        " @maxMemoryUsed, @initDuration", groups=(group,))
        return rows(out) if len(out["results"]) == 2 else None

    found = wait_for(reports)
    cold = [r for r in found if "@initDuration" in r]
    assert len(cold) == 1
    for row in found:
        assert row["@memorySize"] == "128000000"
        assert int(row["@maxMemoryUsed"]) % 1_000_000 == 0
        assert float(row["@duration"]) > 0
        assert int(row["@billedDuration"]) >= 1
        assert len(row["@requestId"]) == 36
    starts = run(logs, "filter @type = 'START' | stats count(*) as n", groups=(group,))
    assert rows(starts) == [{"n": "2"}]
    fragment = run(logs, "filter phase = 'work' | stats sum(n) as total", groups=(group,))
    assert rows(fragment) == [{"total": "6"}]


def test_aws_cli(logs, cloudlet):
    put(logs, "g", "s", ["ERROR a", "INFO b", "ERROR c"])
    now = int(time.time())
    started = aws(cloudlet, "start-query", "--log-group-name", "g", "--start-time", str(now - 3600),
                  "--end-time", str(now + 60), "--query-string", "filter @message like /ERROR/ | stats count(*) as n")
    wait_for(lambda: logs.get_query_results(queryId=started["queryId"])["status"] == "Complete")
    out = aws(cloudlet, "get-query-results", "--query-id", started["queryId"])
    assert out["status"] == "Complete"
    assert out["results"] == [[{"field": "n", "value": "2"}]]
    assert "MalformedQueryException" in aws_fails(
        cloudlet, "start-query", "--log-group-name", "g", "--start-time", "0", "--end-time", "1",
        "--query-string", "fields @message |",
    )
