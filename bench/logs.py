"""CloudWatch Logs hot paths on the SQLite store: the in-process append, a FilterLogEvents scan and
Logs Insights queries (per event, against the bare scan of the same events).

Run alone: `PYTHONPATH=src python bench/logs.py`. Prints microseconds per call beside a floor
measured in the same run: one SQLite transaction inserting the same four rows into a bare table
(the least a durable append of a Lambda invocation's START / line / END / REPORT does).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cloudlet.services.logs import insights_engine  # noqa: E402
from cloudlet.services.logs.engine import LogsEngine  # noqa: E402
from cloudlet.services.logs.filter_pattern import compile_pattern  # noqa: E402
from cloudlet.services.logs.insights_parser import parse_query  # noqa: E402
from cloudlet.services.logs.schema import MIGRATIONS  # noqa: E402
from cloudlet.services.logs.subscriptions import SubscriptionFilters  # noqa: E402
from cloudlet.store.sqlite import SqliteStore  # noqa: E402

N = 3000
ACCOUNT, REGION = "123456789012", "us-east-1"
LINES = [
    "START RequestId: 8f5c2a1e-0000-4000-8000-000000000000 Version: $LATEST",
    "processing order 1234 for customer 42",
    "END RequestId: 8f5c2a1e-0000-4000-8000-000000000000",
    "REPORT RequestId: 8f5c2a1e-0000-4000-8000-000000000000\tDuration: 1.23 ms\tBilled Duration: 2 ms",
]


def per_call(fn, n: int) -> float:
    """Median of 3 rounds of n calls, in microseconds per call."""
    rounds = []
    for r in range(3):
        start = time.perf_counter()
        for i in range(r * n, (r + 1) * n):
            fn(i)
        rounds.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(rounds)


def main() -> None:
    store = SqliteStore(tempfile.mkdtemp(prefix="cloudlet-bench-logs-"))
    store.migrate("logs", MIGRATIONS)
    with store.tx() as conn:
        conn.execute("CREATE TABLE bench_floor (a BIGINT, b BIGINT, c BIGINT, m BLOB, PRIMARY KEY (a, b, c))")
    engine = LogsEngine(store)
    now = int(time.time() * 1000)
    encoded = [line.encode() for line in LINES]

    def floor(i: int) -> None:
        with store.tx() as conn:
            conn.executemany(
                "INSERT INTO bench_floor VALUES (?, ?, ?, ?)",
                [(1, now + i, j, m) for j, m in enumerate(encoded)],
            )

    def append_warm(i: int) -> None:
        engine.append(ACCOUNT, REGION, "/aws/lambda/fn", "env-1", [(now + i, line) for line in LINES])

    def append_new_stream(i: int) -> None:
        engine.append(
            ACCOUNT, REGION, "/aws/lambda/fn", f"env-new-{i}-{time.perf_counter_ns()}", [(now, LINES[0])]
        )

    floor_us = per_call(floor, N)
    warm_us = per_call(append_warm, N)
    # the check every stored batch goes through: which subscription filters the group has (none)
    subscriptions = SubscriptionFilters(engine)
    engine.listener = lambda stored: subscriptions.active(stored.account, stored.region, stored.group)
    checked_us = per_call(append_warm, N)
    engine.listener = None
    new_us = per_call(append_new_stream, N // 3)
    print(f"floor: SQLite transaction inserting 4 rows      {floor_us:8.1f} us")
    print(
        f"append 4 lines to a known stream                {warm_us:8.1f} us  {warm_us / floor_us:5.2f}x floor"
    )
    print(
        f"  the same, checking subscription filters     {checked_us:8.1f} us  {checked_us / floor_us:5.2f}x floor"
    )
    print(
        f"append 1 line creating its stream               {new_us:8.1f} us  {new_us / floor_us:5.2f}x floor"
    )

    group = engine.group(ACCOUNT, REGION, "/aws/lambda/fn")
    streams = engine.streams_for_filter(group, ["env-1"], None, None, None)
    match = compile_pattern("customer -ERROR")
    start = time.perf_counter()
    scanned = sum(
        1
        for e in engine.scan(list(streams), descending=False, after=None, start=None, end=None)
        if match(e.message)
    )
    scan_s = time.perf_counter() - start
    total = 3 * N * len(LINES)
    print(
        f"FilterLogEvents scan: {total} events, {scanned} matches   {scan_s / total * 1e6:8.2f} us per event examined"
    )

    bench_insights(engine, list(streams), streams, total)


def bench_insights(engine: LogsEngine, stream_ids: list[int], names: dict[int, str], total: int) -> None:
    def scan():
        return engine.scan(stream_ids, descending=True, after=None, start=None, end=None)

    start = time.perf_counter()
    for _ in scan():
        pass
    bare_us = (time.perf_counter() - start) / total * 1e6
    print(f"bare scan, newest first                          {bare_us:8.2f} us per event")
    source = insights_engine.Source(ACCOUNT, "/aws/lambda/fn")
    for query in (
        "filter @type = 'REPORT' | stats avg(@duration), count(*) by bin(5m)",
        "filter @message like /customer/ | sort @timestamp desc | limit 100",
    ):
        commands = parse_query(query)
        discovered = insights_engine.needs_discovery(commands)
        start = time.perf_counter()
        records = (
            insights_engine.make_record(source, names[e.stream_id], e.ts, e.ingest, e.message, None, discovered)
            for e in scan()
        )
        insights_engine.run(commands, records, 10_000)
        us = (time.perf_counter() - start) / total * 1e6
        print(f"Insights: {query[:40]:40s} {us:8.2f} us per event  {us / bare_us:5.2f}x the bare scan")


if __name__ == "__main__":
    main()
