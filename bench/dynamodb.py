"""DynamoDB throughput, latency and server CPU per operation: cloudlet beside the floor and moto;
then Query latency as the table grows (it must stay flat: a Query is an index range scan).

    python bench/dynamodb.py [--count N] [--clients 1,8] [--postgres URL] [--servers floor,cloudlet,moto]
                             [--sizes 1000,100000,1000000] [--json out.json]

Every server runs as a subprocess so its CPU time is read from its own counters. The floor is a
bare HTTP server answering the same calls with fixed valid responses (bench/floor_server.py).
Operations: PutItem and GetItem of ~120-byte items, UpdateItem (ADD to a counter), and Query
(10 items from a 1,000-item partition).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    ServerProcess,
    aws_client,
    cloudlet_server,
    dump,
    free_port,
    moto_server,
    report,
    run_clients,
)

TABLE = "bench"
VALUE = {"S": "x" * 100}
PARTITION = 1000


def make_client(endpoint: str):
    return aws_client("dynamodb", endpoint)


def put(client, i):
    client.put_item(TableName=TABLE, Item={"pk": {"S": f"w{i % 97}"}, "sk": {"N": str(i)}, "v": VALUE})


def get(client, i):
    client.get_item(TableName=TABLE, Key={"pk": {"S": "hot"}, "sk": {"N": str(i % PARTITION)}})


def update(client, i):
    client.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "counter"}, "sk": {"N": str(i % 16)}},
        UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )


def query(client, i):
    client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p AND sk >= :s",
        ExpressionAttributeValues={":p": {"S": "hot"}, ":s": {"N": str(i % (PARTITION - 10))}},
        Limit=10,
    )


def load(client, pk: str, count: int) -> None:
    batch = []
    for sk in range(count):
        batch.append({"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"N": str(sk)}, "v": VALUE}}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={TABLE: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={TABLE: batch})


def prepare(endpoint: str) -> None:
    client = make_client(endpoint)
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
    )
    load(client, "hot", PARTITION)


def bench_server(name: str, server: ServerProcess, count: int, clients: list[int], is_floor: bool):
    if not is_floor:
        prepare(server.endpoint)
    rows = []
    for n in clients:
        per = max(1, count // n)
        for label, work in (("PutItem", put), ("GetItem", get), ("UpdateItem", update), ("Query 10", query)):
            rows.append((name, run_clients(server, make_client, work, n, per, f"{label} x{n}")))
    return rows


def growth(server: ServerProcess, sizes: list[int], count: int) -> None:
    """Query latency (one client) as other partitions fill the table up to each size."""
    client = make_client(server.endpoint)
    loaded, first = PARTITION, None
    print("\nQuery 10 items of a 1,000-item partition as the table grows (cloudlet, 1 client):")
    for size in sizes:
        started = time.monotonic()
        while loaded < size:
            load(client, f"fill{loaded}", min(PARTITION, size - loaded))
            loaded += min(PARTITION, size - loaded)
        if time.monotonic() - started > 1:
            print(f"  (loaded up to {loaded:,} items in {time.monotonic() - started:.0f} s)")
        result = run_clients(server, make_client, query, 1, count, f"Query 10 @ {size}")
        first = first or result.pct(0.5)
        print(
            f"  {size:>10,} items: p50 {result.pct(0.5):.2f} ms  p99 {result.pct(0.99):.2f} ms  "
            f"cpu {result.cpu_us_per_op:.0f} us/op  ({result.pct(0.5) / first:.2f}x the first)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="operations per scenario (split over clients)")
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--postgres", help="also run cloudlet on this PostgreSQL URL")
    parser.add_argument("--servers", default="floor,cloudlet,moto", help="which servers to run")
    parser.add_argument("--sizes", default="1000,100000", help="table sizes for the Query growth check")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    wanted = set(args.servers.split(","))
    port = free_port()
    floor = ServerProcess("floor", [sys.executable, str(Path(__file__).parent / "floor_server.py"), str(port)], port)
    servers: list[tuple[str, ServerProcess, int, bool]] = [("floor", floor, args.count, True)]
    if "cloudlet" in wanted:
        servers.append(("cloudlet-sqlite", cloudlet_server(), args.count, False))
        if args.postgres:
            servers.append(("cloudlet-postgres", cloudlet_server(args.postgres), args.count, False))
    moto = moto_server() if "moto" in wanted else None
    if moto:
        # moto is far slower: a quarter of the operations keeps the run short, rates stay comparable
        servers.append(("moto", moto, max(50, args.count // 4), False))
    rows = []
    for name, server, count, is_floor in servers:
        server.start()
        try:
            rows.extend(bench_server(name, server, count, clients, is_floor))
            if name == "cloudlet-sqlite" and args.sizes:
                growth(server, [int(s) for s in args.sizes.split(",")], max(200, args.count // 4))
        finally:
            server.stop()
    dump(args.json, report(rows))


if __name__ == "__main__":
    main()
