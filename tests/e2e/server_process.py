"""A real `cloudlet up` in a subprocess, for tests that kill it: start, wait, clients, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
from botocore.config import Config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int, data_dir: Path, log) -> subprocess.Popen:
    """`cloudlet up` on SQLite in `data_dir`, once its health check answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDLET_")}
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cloudlet.cli", "up", "--port", str(port), "--data-dir", str(data_dir),
         "--store", "sqlite"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_cloudlet/health", timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("cloudlet exited at start-up") from None
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("cloudlet did not start")


def client(service: str, port: int):
    """A boto3 client that gives up quickly once the server is gone."""
    return boto3.client(
        service, endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
    )


def kill_9(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Cloudlet:
    """One `cloudlet up` on a data directory under `tmp_path`, which a test may kill and restart."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.data_dir = tmp_path / "data"
        self.log = open(tmp_path / "server.log", "ab")  # noqa: SIM115 (closed by close())
        self.proc = start(self.port, self.data_dir, self.log)

    def client(self, service: str):
        return client(service, self.port)

    def kill_9(self) -> None:
        kill_9(self.proc)

    def restart(self) -> None:
        self.proc = start(self.port, self.data_dir, self.log)

    def close(self) -> None:
        stop(self.proc)
        self.log.close()


@contextmanager
def running(tmp_path: Path) -> Iterator[Cloudlet]:
    """A `Cloudlet`, stopped when the block ends."""
    server = Cloudlet(tmp_path)
    try:
        yield server
    finally:
        server.close()
