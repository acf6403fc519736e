"""Start-up budget: `cloudlet up` to its first health answer, the test fixture's server start,
and idle memory after one request to every shipped service.

Run alone: `PYTHONPATH=src python bench/startup.py`. Prints each figure beside the floor
(`python -c pass` on the same interpreter, measured in the same run) and the targets:
health within 1 s of launch, fixture server start within 0.5 s, idle RSS/PSS at most 120 MiB.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from cloudlet.services import REGISTRY  # noqa: E402

SERVICES = sorted(REGISTRY)
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
RUNS = 5
TARGETS = {"up_to_health": 1.0, "fixture_start": 0.5, "idle_mib": 120.0}


def first_operation(service: str) -> str:
    """An operation of the service that needs no input: its first call loads the service."""
    from botocore import xform_name

    from cloudlet.aws import models

    for name, op in sorted(models.operations(service).items()):
        shape = op.input_shape
        members = shape.members.values() if shape is not None else []
        needs_input = shape is not None and (
            shape.required_members or any(m.serialization.get("location") == "uri" for m in members)
        )
        if op.http.get("method") in ("GET", "POST") and not needs_input:
            return xform_name(name)
    raise SystemExit(f"no input-free operation in {service}")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def python_pass() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def launch_up(data_dir: str, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cloudlet.cli", "up", "--port", str(port), "--data-dir", data_dir],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_health(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    url = f"http://127.0.0.1:{port}/_cloudlet/health"
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise SystemExit("cloudlet up exited during start-up")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.002)
    raise SystemExit("cloudlet up did not answer in time")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=10)


def up_to_health() -> float:
    with tempfile.TemporaryDirectory() as data_dir:
        port = free_port()
        started = time.perf_counter()
        proc = launch_up(data_dir, port)
        try:
            wait_health(port, proc)
            return time.perf_counter() - started
        finally:
            stop(proc)


FIXTURE_SCRIPT = """
import json, sys, tempfile, time
t0 = time.perf_counter()
from cloudlet.config import Config
from cloudlet.server.runner import ThreadedServer
t1 = time.perf_counter()
server = ThreadedServer(Config(host="127.0.0.1", port=0, data_dir=tempfile.mkdtemp(), auth="off")).start()
t2 = time.perf_counter()
server.stop()
print(json.dumps({"import": t1 - t0, "start": t2 - t1}))
"""


def fixture_start() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", FIXTURE_SCRIPT], env=ENV, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def smaps_rollup(pid: int) -> dict[str, float]:
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if parts[0] in ("Rss:", "Pss:"):
            values[parts[0][:-1].lower()] = int(parts[1]) / 1024
    return values


def idle_memory() -> dict[str, float]:
    import boto3

    with tempfile.TemporaryDirectory() as data_dir:
        port = free_port()
        proc = launch_up(data_dir, port)
        try:
            wait_health(port, proc)
            session = boto3.session.Session(
                aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
            )
            for service in SERVICES:
                client = session.client(service, endpoint_url=f"http://127.0.0.1:{port}")
                try:
                    getattr(client, first_operation(service))()
                except client.exceptions.ClientError:
                    pass  # an operation not built yet still loads its service
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_cloudlet/health") as response:
                loaded = json.loads(response.read())["services"]
            missing = [name for name in SERVICES if loaded.get(name) != "loaded"]
            if missing:
                raise SystemExit(f"services not loaded by their first request: {missing}")
            time.sleep(1.0)
            return smaps_rollup(proc.pid)
        finally:
            stop(proc)


def main() -> None:
    floor = statistics.median(python_pass() for _ in range(RUNS))
    up = statistics.median(up_to_health() for _ in range(RUNS))
    fixtures = [fixture_start() for _ in range(RUNS)]
    fixture = statistics.median(f["start"] for f in fixtures)
    fixture_import = statistics.median(f["import"] for f in fixtures)
    memory = idle_memory()
    print(f"python -c pass (floor)              {floor * 1000:7.1f} ms")
    print(
        f"cloudlet up -> first health answer  {up * 1000:7.1f} ms  {up / floor:5.1f}x floor"
        f"  target {TARGETS['up_to_health'] * 1000:.0f} ms  {'ok' if up <= TARGETS['up_to_health'] else 'MISSED'}"
    )
    print(
        f"fixture ThreadedServer start        {fixture * 1000:7.1f} ms  {fixture / floor:5.1f}x floor"
        f"  target {TARGETS['fixture_start'] * 1000:.0f} ms  {'ok' if fixture <= TARGETS['fixture_start'] else 'MISSED'}"
        f"  (imports before it: {fixture_import * 1000:.0f} ms)"
    )
    for kind in ("rss", "pss"):
        value = memory[kind]
        print(
            f"idle {kind.upper()} after one call per service {value:7.1f} MiB"
            f"  target {TARGETS['idle_mib']:.0f} MiB  {'ok' if value <= TARGETS['idle_mib'] else 'MISSED'}"
        )
    print(f"services: {', '.join(SERVICES)}; runs: {RUNS} (medians); python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
