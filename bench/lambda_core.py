"""Benchmark of the Lambda execution core (compute/), with its floors measured in the same run.

    PYTHONPATH=src python bench/lambda_core.py [--n 300] [--envs 30]

Prints, each beside its floor:
- warm invoke p50 vs a bare loopback HTTP round trip to another process (target: within 1 ms)
- platform CPU per warm invoke (target: <= 0.5 ms); the same two for a nodejs20.x no-op when node is installed
- cold start p50 of a no-op Python handler, new environment to first response, vs `python3 -c pass`
  (target: < floor + 50 ms), forked from a zygote and started directly in bubblewrap
- cold start p50 of a boto3-importing handler vs `python3 -c "import boto3"` (target: below it)
- PSS per idle warm environment and how many fit in 24 GiB (target: >= 200)
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

from cloudlet.compute.codestore import _remove_tree
from cloudlet.compute.logs import MemoryLogSink
from cloudlet.compute.model import FunctionConfig, InvocationMeta
from cloudlet.compute.pool import Pool, PoolSettings

NOOP = "def handler(event, context):\n    return None\n"
BOTO = "import boto3\ndef handler(event, context):\n    return None\n"
HOST_PYTHON = str(Path(sys.base_prefix) / "bin" / "python{}.{}".format(*sys.version_info[:2]))

ECHO_SERVER = r"""
import socket, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept(); conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b""
while True:
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            sys.exit(0)
        buf += chunk
    _, _, buf = buf.partition(b"\r\n\r\n")
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnull")
"""


def make_zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


async def loopback_floor(n: int) -> float:
    """p50 of an HTTP request/response over loopback to another process (keep-alive), in ms."""
    proc = subprocess.Popen([HOST_PYTHON, "-c", ECHO_SERVER], stdout=subprocess.PIPE)
    port = int(proc.stdout.readline())
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(4)
        times.append((time.perf_counter() - t) * 1000)
    writer.close()
    proc.kill()
    proc.wait()
    return statistics.median(times)


def process_floor(args: list[str], n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(args, check=True)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(pid: int) -> list[int]:
    out = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for child in children:
        out += tree(int(child))
    return out


async def warm_invokes(pool: Pool, config: FunctionConfig, n: int) -> tuple[list[float], float]:
    """Latencies (ms) of `n` warm invocations after a warm-up, and the platform CPU (ms) per invoke."""
    for _ in range(20):
        await pool.invoke(config, b"{}", InvocationMeta())
    times = []
    cpu0 = time.process_time()
    for _ in range(n):
        t = time.perf_counter()
        await pool.invoke(config, b"{}", InvocationMeta())
        times.append((time.perf_counter() - t) * 1000)
    return times, (time.process_time() - cpu0) * 1000 / n


async def cold_starts(pool: Pool, config: FunctionConfig, n: int) -> list[float]:
    if pool._zygotes is not None:  # measure forks from a ready zygote, as every cold start after the first
        pool.prepare(config)
        while not pool._zygotes.zygotes[config.key].ready:
            await asyncio.sleep(0.01)
    times = []
    for _ in range(n):
        for env in pool.environments(config):  # force a new environment each time
            env.destroy()
        pool.reap()
        t = time.perf_counter()
        result = await pool.invoke(config, b"{}", InvocationMeta())
        times.append((time.perf_counter() - t) * 1000)
        assert result.function_error is None and result.cold_start, result.payload
    return times


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300, help="warm invocations")
    parser.add_argument("--cold", type=int, default=20, help="cold starts per kind")
    parser.add_argument("--envs", type=int, default=30, help="idle environments for the memory figure")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="cloudlet-bench-"))
    pool = Pool(PoolSettings(data_dir=data, keep_alive_s=0, reap_interval_s=3600), MemoryLogSink())
    direct = Pool(PoolSettings(data_dir=data, keep_alive_s=0, reap_interval_s=3600, zygotes=False), MemoryLogSink())
    await pool.start()
    await direct.start()

    def function(code: str) -> FunctionConfig:
        ref = pool.code.put(make_zip({"app.py": code}))
        return FunctionConfig(name="bench-" + uuid.uuid4().hex[:6], runtime="python3.11", handler="app.handler",
                              code_sha256=ref.sha256)

    noop, boto = function(NOOP), function(BOTO)
    print(f"host: {os.cpu_count()} cores, Python {sys.version.split()[0]}, sandbox: bubblewrap")

    # warm path
    floor = await loopback_floor(args.n)
    pool.settings.keep_alive_s = 3600
    warm, cpu = await warm_invokes(pool, noop, args.n)
    p50 = statistics.median(warm)
    print(f"loopback HTTP round trip p50 (floor)   {floor:8.3f} ms")
    print(f"warm invoke p50                        {p50:8.3f} ms   p99 {pct(warm, 0.99):.3f} ms   "
          f"+{p50 - floor:.3f} ms over floor (target < 1 ms), ratio {p50 / floor:.2f}x")
    print(f"platform CPU per warm invoke           {cpu:8.3f} ms   (target <= 0.5 ms)")
    if shutil.which("node"):
        node_ref = pool.code.put(make_zip({"index.js": "exports.handler = async () => null;"}))
        node = FunctionConfig(name="bench-node", runtime="nodejs20.x", handler="index.handler",
                              code_sha256=node_ref.sha256)
        node_warm, node_cpu = await warm_invokes(pool, node, args.n)
        print(f"warm invoke p50, nodejs20.x no-op      {statistics.median(node_warm):8.3f} ms   "
              f"platform CPU {node_cpu:.3f} ms")

    # cold starts
    pool.settings.keep_alive_s = 0
    py_floor = process_floor([HOST_PYTHON, "-c", "pass"], args.cold)
    boto_floor = process_floor([HOST_PYTHON, "-c", "import boto3"], max(args.cold // 2, 5))
    first = time.perf_counter()
    await pool.invoke(function(NOOP), b"{}", InvocationMeta())
    first_ms = (time.perf_counter() - first) * 1000
    zy = await cold_starts(pool, noop, args.cold)
    zb = await cold_starts(pool, boto, args.cold)
    dn = await cold_starts(direct, noop, args.cold)
    db = await cold_starts(direct, boto, max(args.cold // 2, 5))
    print(f"python3 -c pass (floor)                {py_floor:8.2f} ms")
    print(f"python3 -c 'import boto3' (floor)      {boto_floor:8.2f} ms")
    print(f"cold start no-op, zygote fork p50      {statistics.median(zy):8.2f} ms   "
          f"{statistics.median(zy) - py_floor:+.2f} ms vs python -c pass (target < +50), "
          f"ratio {statistics.median(zy) / py_floor:.2f}x")
    print(f"cold start no-op, direct bwrap p50     {statistics.median(dn):8.2f} ms   "
          f"{statistics.median(dn) - py_floor:+.2f} ms vs python -c pass, ratio {statistics.median(dn) / py_floor:.2f}x")
    print(f"cold start boto3, zygote fork p50      {statistics.median(zb):8.2f} ms   "
          f"ratio {statistics.median(zb) / boto_floor:.2f}x of import boto3 (target < 1)")
    print(f"cold start boto3, direct bwrap p50     {statistics.median(db):8.2f} ms   "
          f"ratio {statistics.median(db) / boto_floor:.2f}x of import boto3")
    print(f"first cold start of a new function     {first_ms:8.2f} ms   (direct; its zygote starts meanwhile)")

    # memory per idle warm environment
    pool.settings.keep_alive_s = 3600
    for config in (noop, boto):
        await asyncio.gather(*(pool.invoke(config, b"{}", InvocationMeta()) for _ in range(args.envs)))
        envs = pool.environments(config)
        zygote = pool._zygotes.zygotes[config.key]
        # the zygote's tree holds its bubblewrap processes, the zygote and every environment forked from it
        avg_kb = sum(pss_kb(p) for p in tree(zygote.proc.pid)) / len(envs)
        fit = int(24 * 1024 * 1024 / avg_kb)
        label = "no-op" if config is noop else "boto3"
        print(f"PSS per idle env ({label}, {len(envs)} envs)    {avg_kb / 1024:8.2f} MiB  "
              f"(zygote share incl.) -> {fit} fit in 24 GiB (target >= 200)")
    for config in (noop,):
        await asyncio.gather(*(direct.invoke(config, b"{}", InvocationMeta()) for _ in range(min(args.envs, 10))))
        envs = direct.environments(config)
        per_env = [sum(pss_kb(p) for p in tree(env.process.pid)) for env in envs]
        print(f"PSS per idle env (no-op, direct bwrap) {statistics.mean(per_env) / 1024:8.2f} MiB  "
              f"-> {int(24 * 1024 * 1024 / statistics.mean(per_env))} fit in 24 GiB")
    await pool.stop()
    await direct.stop()
    _remove_tree(data)


if __name__ == "__main__":
    asyncio.run(main())
