"""Server CPU per SQS SendMessage on the shared request path, measured in the server's own thread.

    PYTHONPATH=src python bench/request_path.py [--count N] [--profile | --calls]
    PYTHONPATH=src python bench/request_path.py --in-process [--gap-ms 1] [--spin]

Runs cloudlet (SQLite, auth off) on an event loop in this process and one boto3 client in another
process; reports the serving thread's CPU time per request (`time.thread_time`, so the client's
work and other processes are not counted) and, with --profile, a cProfile listing taken with the
same clock (wall-clock profiles charge the client's wake-up to whichever call wrote to it).
With --calls it counts the function calls (Python and C) the serving thread makes per request:
a deterministic measure of interpreter work that machine load does not move.
With --in-process it times `App.handle` of a botocore-signed SendMessage in this thread, in a
tight loop and with an idle gap before each call (as one client leaves the server between
requests), which shows how much of a request's cost is cold caches.
Compare before/after in one sitting and interleave runs: the figure moves with machine load.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter


def client(port: int, count: int) -> None:
    """The client side: warm up, wait for the go line on stdin, send `count` messages."""
    import boto3
    from botocore.config import Config

    sqs = boto3.client(
        "sqs",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}),
    )
    url = sqs.create_queue(QueueName="bench")["QueueUrl"]
    for _ in range(100):
        sqs.send_message(QueueUrl=url, MessageBody="x" * 100)
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()
    for _ in range(count):
        sqs.send_message(QueueUrl=url, MessageBody="x" * 100)
    print(f"{(time.perf_counter() - start) / count * 1e6:.0f}", flush=True)


class CallCounter:
    """Counts the function calls of the thread it is installed in, by function."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, frame, event: str, arg) -> None:
        if event == "call":
            code = frame.f_code
            self.counts[f"{code.co_filename.rsplit('/', 2)[-1]}:{code.co_name}"] += 1
        elif event == "c_call":
            self.counts[f"<c> {getattr(arg, '__qualname__', arg)}"] += 1

    def enable(self) -> None:
        sys.setprofile(self)

    def disable(self) -> None:
        sys.setprofile(None)

    def report(self, count: int, top: int = 40) -> None:
        total = sum(self.counts.values())
        print(f"function calls per request: {total / count:.1f}")
        for name, calls in self.counts.most_common(top):
            print(f"{calls / count:8.2f}  {name}")


async def serve_and_measure(count: int, profile) -> tuple[float, float]:
    from cloudlet.config import Config
    from cloudlet.server.runner import Node, free_port

    port = free_port()
    node = Node(Config(port=port, data_dir=tempfile.mkdtemp(), log_level="warning"))
    running = asyncio.get_running_loop().create_task(node.run())
    while not node.http.server:
        await asyncio.sleep(0.01)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--client",
        str(port),
        "--count",
        str(count),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    await proc.stdout.readline()
    started = time.thread_time()
    if profile:
        profile.enable()
    proc.stdin.write(b"go\n")
    await proc.stdin.drain()
    wall_us = float(await proc.stdout.readline())
    if profile:
        profile.disable()
    cpu_us = (time.thread_time() - started) / count * 1e6
    await proc.wait()
    node.request_stop()
    await running
    return cpu_us, wall_us


def signed_send_message(endpoint: str) -> tuple[dict[str, str], bytes]:
    """The headers and body botocore sends for one SendMessage (captured, not sent)."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test")
    captured = {}

    def grab(request, **_) -> None:
        captured["request"] = request
        raise StopIteration

    sqs.meta.events.register("before-send.sqs.*", grab)
    try:
        sqs.send_message(QueueUrl=f"{endpoint}/000000000000/bench", MessageBody="x" * 100)
    except StopIteration:
        pass
    request = captured["request"]
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    return headers, request.body if isinstance(request.body, bytes) else request.body.encode()


def _busy_wait(ms: float) -> None:
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        pass


async def in_process(count: int, gap_ms: float, spin: bool = False) -> float:
    """CPU per `App.handle` of a signed SendMessage, in this thread, with `gap_ms` idle before each
    call (a sleep, so the CPU may halt; with `spin` a busy wait, so it never does)."""
    from cloudlet.aws.http import HttpRequest
    from cloudlet.config import Config
    from cloudlet.platform import Platform
    from cloudlet.server.app import App

    platform = Platform(Config(data_dir=tempfile.mkdtemp(), log_level="warning"))
    await platform.startup()
    app = App(platform)
    headers, body = signed_send_message("http://127.0.0.1:4566")
    create = {**headers, "x-amz-target": "AmazonSQS.CreateQueue"}
    await app.handle(HttpRequest("POST", "/", "", create, b'{"QueueName": "bench"}', "127.0.0.1"))
    total = 0.0
    for i in range(count + 200):
        request = HttpRequest("POST", "/", "", headers, body, "127.0.0.1")
        if gap_ms:
            _busy_wait(gap_ms) if spin else time.sleep(gap_ms / 1000)
        started = time.thread_time()
        response = await app.handle(request)
        if i >= 200:  # after a warm-up
            total += time.thread_time() - started
        assert response.status == 200, response.body
    await platform.shutdown()
    return total / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--profile", action="store_true", help="print a thread-CPU cProfile listing")
    parser.add_argument("--calls", action="store_true", help="count function calls per request")
    parser.add_argument("--in-process", action="store_true",
                        help="time App.handle in this thread, no HTTP and no client process")
    parser.add_argument("--gap-ms", type=float, default=1.0, help="idle time before each in-process call")
    parser.add_argument("--spin", action="store_true", help="also time the gap as a busy wait (the CPU never halts)")
    parser.add_argument("--client", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client(args.client, args.count)
        return
    from cloudlet.server.runner import new_event_loop

    if args.in_process:
        loop = new_event_loop()
        for gap in sorted({0.0, args.gap_ms}):
            cpu_us = loop.run_until_complete(in_process(args.count, gap))
            print(f"SendMessage x{args.count} through App.handle, {gap:g} ms idle before each: {cpu_us:.0f} us/call")
        if args.spin and args.gap_ms:
            cpu_us = loop.run_until_complete(in_process(args.count, args.gap_ms, spin=True))
            print(f"SendMessage x{args.count} through App.handle, {args.gap_ms:g} ms busy wait before each: "
                  f"{cpu_us:.0f} us/call")
        loop.close()
        return

    profile = cProfile.Profile(time.thread_time) if args.profile else None
    if args.calls:
        profile = CallCounter()
    loop = new_event_loop()
    cpu_us, wall_us = loop.run_until_complete(serve_and_measure(args.count, profile))
    loop.close()
    print(
        f"SendMessage x{args.count}, one client: server thread CPU {cpu_us:.0f} us/request, client wall {wall_us:.0f} us"
    )
    if isinstance(profile, CallCounter):
        profile.report(args.count)
    elif profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
