"""DynamoDB benchmark: PutItem, GetItem, UpdateItem and Query ops/s with p50/p99 latency for 1 and 8
boto3 clients, server CPU per operation, beside the floor (a bare loopback HTTP round trip) and
moto's server measured in the same run; then Query latency as the table grows.

    python bench/dynamodb.py                      # quick run (Query growth up to 100,000 items)
    python bench/dynamodb.py --sizes 1000,1000000 # the full growth check (slow: loads 1M items)
    python bench/dynamodb.py --no-moto            # skip the peer

Each server runs as its own process on a free loopback port; CPU is read from /proc.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import boto3
from botocore.config import Config as BotoConfig

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
TABLE = "bench"

FLOOR_SERVER = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


class Server:
    def __init__(self, name: str, argv: list[str], health: str, env: dict | None = None) -> None:
        self.name = name
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, **(env or {})})
        self.health = health

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_cloudlet(store: str) -> tuple[Server, str, str]:
    port, data = free_port(), tempfile.mkdtemp(prefix="cloudlet-bench-")
    argv = [sys.executable, "-m", "cloudlet.cli", "up", "--port", str(port), "--data-dir", data,
            "--store", store, "--auth", "off", "--log-level", "warning"]
    server = Server("cloudlet", argv, f"http://127.0.0.1:{port}/_cloudlet/health",
                    {"PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")})
    wait_http(server.health)
    return server, f"http://127.0.0.1:{port}", data


def start_moto() -> tuple[Server, str]:
    port = free_port()
    exe = shutil.which("moto_server") or os.path.join(os.path.dirname(sys.executable), "moto_server")
    server = Server("moto", [exe, "-p", str(port)], f"http://127.0.0.1:{port}/moto-api/")
    wait_http(server.health)
    return server, f"http://127.0.0.1:{port}"


def client(endpoint: str):
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=BotoConfig(retries={"max_attempts": 1}, max_pool_connections=16))


def setup(endpoint: str, partition_items: int = 1000) -> None:
    ddb = client(endpoint)
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}])
    load(ddb, "hot", range(partition_items))


def load(ddb, pk: str, sks) -> None:
    batch = []
    for sk in sks:
        batch.append({"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"N": str(sk)}, "v": {"S": "x" * 100}}}})
        if len(batch) == 25:
            ddb.batch_write_item(RequestItems={TABLE: batch})
            batch = []
    if batch:
        ddb.batch_write_item(RequestItems={TABLE: batch})


def operations(ddb, worker: int):
    counter = [0]

    def put():
        counter[0] += 1
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"w{worker}"}, "sk": {"N": str(counter[0] % 1000)},
                                            "v": {"S": "x" * 100}})

    def get():
        counter[0] += 1
        ddb.get_item(TableName=TABLE, Key={"pk": {"S": "hot"}, "sk": {"N": str(counter[0] % 1000)}})

    def update():
        ddb.update_item(TableName=TABLE, Key={"pk": {"S": f"c{worker}"}, "sk": {"N": "0"}},
                        UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}})

    def query():
        counter[0] += 1
        start = counter[0] % 990
        out = ddb.query(TableName=TABLE, KeyConditionExpression="pk = :p AND sk >= :s",
                        ExpressionAttributeValues={":p": {"S": "hot"}, ":s": {"N": str(start)}}, Limit=10)
        assert out["Count"] == 10

    def floor():
        ddb.describe_limits()

    return {"PutItem": put, "GetItem": get, "UpdateItem": update, "Query": query, "floor": floor}


def run(endpoint: str, op: str, clients: int, seconds: float, server: Server | None) -> dict:
    latencies: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    stop = [False]

    def worker(i: int) -> None:
        fn = operations(client(endpoint), i)[op]
        fn()  # warm the connection
        ready.wait()
        mine = []
        while not stop[0]:
            t = time.perf_counter()
            fn()
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    cpu0 = server.cpu_seconds() if server else 0.0
    t0 = time.perf_counter()
    time.sleep(seconds)
    stop[0] = True
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    cpu = (server.cpu_seconds() - cpu0) if server else 0.0
    latencies.sort()
    n = len(latencies)
    return {
        "ops": n / elapsed,
        "p50": statistics.median(latencies) * 1e3,
        "p99": latencies[min(n - 1, int(n * 0.99))] * 1e3,
        "cpu_us": cpu / n * 1e6 if server else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--store", default="sqlite")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--no-moto", action="store_true")
    args = parser.parse_args()

    floor_port = free_port()
    floor = Server("floor", [sys.executable, "-c", FLOOR_SERVER, str(floor_port)], "")
    time.sleep(0.5)
    cloudlet, endpoint, data = start_cloudlet(args.store)
    peers = {}
    if not args.no_moto:
        moto, moto_endpoint = start_moto()
        peers["moto"] = (moto, moto_endpoint)
    try:
        setup(endpoint)
        for _, peer_endpoint in peers.values():
            setup(peer_endpoint)
        print(f"{'operation':<11}{'clients':>8}{'target':>10}{'ops/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'cpu us/op':>11}{'x floor':>9}{'x moto':>8}")
        for clients in (1, 8):
            base = run(f"http://127.0.0.1:{floor_port}", "floor", clients, args.seconds, None)
            print(f"{'floor':<11}{clients:>8}{'http':>10}{base['ops']:>10.0f}{base['p50']:>9.2f}{base['p99']:>9.2f}")
            for op in ("PutItem", "GetItem", "UpdateItem", "Query"):
                ours = run(endpoint, op, clients, args.seconds, cloudlet)
                peer = {name: run(ep, op, clients, args.seconds, srv) for name, (srv, ep) in peers.items()}
                ratio = f"{ours['ops'] / peer['moto']['ops']:>8.1f}" if "moto" in peer else ""
                print(f"{op:<11}{clients:>8}{'cloudlet':>10}{ours['ops']:>10.0f}{ours['p50']:>9.2f}{ours['p99']:>9.2f}"
                      f"{ours['cpu_us']:>11.0f}{ours['ops'] / base['ops']:>9.2f}{ratio}")
                for name, figures in peer.items():
                    print(f"{op:<11}{clients:>8}{name:>10}{figures['ops']:>10.0f}{figures['p50']:>9.2f}"
                          f"{figures['p99']:>9.2f}{figures['cpu_us']:>11.0f}")
        print("\nQuery latency (10 items of a 1,000-item partition) as the table grows:")
        ddb = client(endpoint)
        loaded = 1000
        first = None
        for size in (int(s) for s in args.sizes.split(",")):
            if size > loaded:
                extra = size - loaded
                per = 1000
                for p in range(extra // per):
                    load(ddb, f"fill{loaded + p * per}", range(per))
                loaded = size
            figures = run(endpoint, "Query", 1, args.seconds, cloudlet)
            first = first or figures["p50"]
            print(f"  {size:>9,} items: p50 {figures['p50']:.2f} ms  p99 {figures['p99']:.2f} ms  "
                  f"({figures['p50'] / first:.2f}x the first)")
    finally:
        cloudlet.stop()
        floor.stop()
        for srv, _ in peers.values():
            srv.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
