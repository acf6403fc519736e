"""SQS throughput, latency and server CPU per operation: cloudlet beside the floor and moto.

    python bench/sqs.py [--count N] [--clients 1,8] [--postgres URL] [--no-moto] [--json out.json]

Every server runs as a subprocess so its CPU time is read from its own counters. The floor is a
bare HTTP server answering the same calls with fixed valid responses (bench/floor_server.py).
"""

from __future__ import annotations

import argparse
import sys
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

BODY = "x" * 100


def sqs_client(endpoint: str):
    return aws_client("sqs", endpoint)


def make_client(endpoint: str):
    client = sqs_client(endpoint)
    return client, client.get_queue_url(QueueName="bench")["QueueUrl"]


def make_client_create(endpoint: str):
    client = sqs_client(endpoint)
    return client, client.create_queue(QueueName="bench")["QueueUrl"]


def send(state, i):
    client, url = state
    client.send_message(QueueUrl=url, MessageBody=BODY)


def send_batch(state, i):
    client, url = state
    client.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": BODY} for n in range(10)])


def receive_delete(state, i):
    client, url = state
    messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
    for m in messages:
        client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def prepare(endpoint: str, prefill: int) -> None:
    """Fill the queue so that every receive finds a message."""
    client, url = make_client_create(endpoint)
    entries = [{"Id": str(n), "MessageBody": BODY} for n in range(10)]
    for _ in range(prefill // 10 + 1):
        client.send_message_batch(QueueUrl=url, Entries=entries)


def bench_server(
    name: str, server: ServerProcess, counts: dict[str, int], clients: list[int], is_floor: bool
):
    rows = []
    make_client_create(server.endpoint)
    for n in clients:
        per = max(1, counts["send"] // n)
        rows.append((name, run_clients(server, make_client, send, n, per, f"send x{n}")))
        per = max(1, counts["batch"] // n)
        rows.append((name, run_clients(server, make_client, send_batch, n, per, f"send batch(10) x{n}")))
        per = max(1, counts["receive"] // n)
        if not is_floor:
            prepare(server.endpoint, per * n + 10)
        rows.append((name, run_clients(server, make_client, receive_delete, n, per, f"receive+delete x{n}")))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--count", type=int, default=2000, help="operations per scenario (split over clients)"
    )
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--postgres", help="also run cloudlet on this PostgreSQL URL")
    parser.add_argument("--servers", default="floor,cloudlet,moto", help="which servers to run")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    counts = {"send": args.count, "batch": args.count // 5, "receive": args.count // 2}
    port = free_port()
    floor = ServerProcess(
        "floor", [sys.executable, str(Path(__file__).parent / "floor_server.py"), str(port)], port
    )
    wanted = set(args.servers.split(","))
    servers: list[tuple[str, ServerProcess, dict, bool]] = [("floor", floor, counts, True)]
    if "cloudlet" in wanted:
        servers.append(("cloudlet-sqlite", cloudlet_server(), counts, False))
        if args.postgres:
            servers.append(("cloudlet-postgres", cloudlet_server(args.postgres), counts, False))
    moto = moto_server() if "moto" in wanted else None
    if moto:
        # moto is far slower: a quarter of the operations keeps the run short, rates stay comparable
        servers.append(("moto", moto, {k: max(50, v // 4) for k, v in counts.items()}, False))
    rows = []
    for name, server, server_counts, is_floor in servers:
        server.start()
        try:
            rows.extend(bench_server(name, server, server_counts, clients, is_floor))
        finally:
            server.stop()
    dump(args.json, report(rows))


if __name__ == "__main__":
    main()
