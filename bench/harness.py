"""Shared pieces of the benchmarks: servers in subprocesses, client processes, CPU counters, stats."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, exited threads included, from /proc/PID/stat.

    The counters tick at 100 Hz; runs of a second or more keep the error to a few per cent.
    (Summing the threads' nanosecond schedstat counters would miss servers such as moto's that
    spend their time in short-lived per-request threads.)"""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def descendants(pid: int) -> list[int]:
    """The pids of a process's live descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    result, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            result.append(child)
            todo.append(child)
    return result


def wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                response.read()
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@dataclass
class ServerProcess:
    """A server under test, run as a subprocess so its CPU time can be read on its own."""

    name: str
    argv: list[str]
    port: int
    health_path: str = "/"
    env: dict = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    workdir: str = ""
    count_children: bool = False

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        self.workdir = tempfile.mkdtemp(prefix=f"bench-{self.name}-")
        env = {**os.environ, **self.env}
        self.proc = subprocess.Popen(
            self.argv, cwd=self.workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_http(self.endpoint + self.health_path)
        except Exception:
            self.stop()
            raise
        return self

    def cpu(self) -> float:
        """CPU seconds of the server process and its worker processes (not function sandboxes)."""
        return sum(cpu_seconds(pid) for pid in [self.proc.pid, *self.workers])

    @property
    def workers(self) -> list[int]:
        return descendants(self.proc.pid) if self.count_children else []

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def cloudlet_server(store: str = "sqlite") -> ServerProcess:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "cloudlet.cli",
        "up",
        "--port",
        str(port),
        "--data-dir",
        "data",
        "--store",
        store,
        "--log-level",
        "warning",
    ]
    return ServerProcess(f"cloudlet-{store.split(':')[0]}", argv, port, "/_cloudlet/health")


def moto_server() -> ServerProcess | None:
    if shutil.which("moto_server") is None and not _importable("moto.server"):
        return None
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return ServerProcess("moto", argv, port, "/moto-api/")


def _importable(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def aws_client(service: str, endpoint: str):
    """A boto3 client for a benchmark: test keys, no retries (every call is measured once)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}, max_pool_connections=4),
    )


@dataclass
class Result:
    label: str
    ops: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_s: float

    @property
    def throughput(self) -> float:
        return self.ops / self.seconds

    def pct(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")

    @property
    def cpu_us_per_op(self) -> float:
        return self.server_cpu_s / self.ops * 1e6


def _client_main(setup, work, endpoint, count, ready, go, out):
    state = setup(endpoint)
    latencies = []
    ready.put(1)
    go.wait()
    for i in range(count):
        t0 = time.perf_counter()
        work(state, i)
        latencies.append((time.perf_counter() - t0) * 1000)
    out.put(latencies)


def run_clients(
    server: ServerProcess, setup: Callable, work: Callable, clients: int, count: int, label: str
) -> Result:
    """Run `work(state, i)` `count` times in each of `clients` processes; time it and the server's CPU.

    `setup(endpoint)` runs once per client process before timing (builds its boto3 client)."""
    ctx = mp.get_context("fork")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=_client_main, args=(setup, work, server.endpoint, count, ready, go, out))
        for _ in range(clients)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=60)
    cpu0, t0 = server.cpu(), time.perf_counter()
    go.set()
    latencies = []
    for _ in procs:
        latencies.extend(out.get(timeout=600))
    elapsed = time.perf_counter() - t0
    cpu = server.cpu() - cpu0
    for p in procs:
        p.join()
    return Result(label, clients * count, elapsed, latencies, cpu)


def report(rows: list[tuple[str, Result]], floor_name: str = "floor", peer_name: str = "moto") -> list[dict]:
    """Print a table of results with ratios against the floor and the peer (moto) of the same scenario.

    "x peer tput" is throughput over the peer's; "peer cpu/op" is the peer's server CPU per operation
    over this server's: the throughput ratio a server-bound run would show, where the clients'
    own CPU caps the measured one (every row's clients share the same cores)."""
    floors = {r.label: r for name, r in rows if name == floor_name}
    peers = {r.label: r for name, r in rows if name == peer_name}
    out = []
    print(
        f"{'server':<18}{'scenario':<26}{'ops/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'cpu us/op':>11}{'x floor tput':>13}"
        f"{'x peer tput':>12}{'peer cpu/op':>12}"
    )
    for name, r in rows:
        floor, peer = floors.get(r.label), peers.get(r.label)
        ratio = r.throughput / floor.throughput if floor else float("nan")
        vs_peer = r.throughput / peer.throughput if peer else float("nan")
        cpu_vs_peer = peer.cpu_us_per_op / r.cpu_us_per_op if peer and r.cpu_us_per_op else float("nan")
        print(
            f"{name:<18}{r.label:<26}{r.throughput:>10.0f}{r.pct(0.5):>9.2f}{r.pct(0.99):>9.2f}"
            f"{r.cpu_us_per_op:>11.0f}{ratio:>13.2f}{vs_peer:>12.1f}{cpu_vs_peer:>12.1f}"
        )
        out.append(
            {
                "server": name,
                "scenario": r.label,
                "ops_per_s": round(r.throughput, 1),
                "p50_ms": round(r.pct(0.5), 3),
                "p99_ms": round(r.pct(0.99), 3),
                "server_cpu_us_per_op": round(r.cpu_us_per_op, 1),
            }
        )
    return out


def dump(path: str | None, rows: list[dict]) -> None:
    if path:
        Path(path).write_text(json.dumps(rows, indent=2))
