"""Lambda Invoke through boto3 against a live cloudlet, each figure beside its floor in the same run.

    PYTHONPATH=src python bench/lambda.py [--count 1000] [--cold 20] [--json out.json]

- warm Invoke latency p50/p99 and throughput, 1 and 8 concurrent boto3 callers, no-op Python
  handler, vs the same boto3 Invoke answered by a bare loopback HTTP server (bench/floor_server.py);
- platform CPU per warm Invoke: the server process only (function sandboxes excluded);
- cold start p50/p99 through Invoke after UpdateFunctionConfiguration forces new environments,
  no-op handler vs `python3 -c pass`, boto3-importing handler vs `python3 -c "import boto3"`.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, ServerProcess, cloudlet_server, dump, free_port, report, run_clients  # noqa: E402

NOOP = "def handler(event, context):\n    return None\n"
BOTO = "import boto3\ndef handler(event, context):\n    return None\n"
ROLE = "arn:aws:iam::000000000000:role/bench"
SETTLE_S = 2.0  # after an update the new configuration's template starts in the background: let it


def client(endpoint: str):
    import boto3
    from botocore.config import Config

    return boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 0}, max_pool_connections=4, read_timeout=60))


def invoke_noop(lam, i) -> None:
    response = lam.invoke(FunctionName="noop", Payload=b"{}")
    response["Payload"].read()


def package(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", source)
    return buf.getvalue()


def process_floor(code: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append((time.perf_counter() - t) * 1000)
    return times


def cold_starts(lam, name: str, n: int) -> list[float]:
    times = []
    for i in range(n):
        lam.update_function_configuration(FunctionName=name, Description=f"cold {i}")
        time.sleep(SETTLE_S)
        t = time.perf_counter()
        response = lam.invoke(FunctionName=name, Payload=b"{}")
        response["Payload"].read()
        times.append((time.perf_counter() - t) * 1000)
        assert "FunctionError" not in response
    return times


def pct(values: list[float], q: float) -> float:
    data = sorted(values)
    return data[min(len(data) - 1, int(q * len(data)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="warm invocations per scenario (split over callers)")
    parser.add_argument("--cold", type=int, default=20, help="cold starts per handler")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    port = free_port()
    floor = ServerProcess("floor", [sys.executable, str(Path(__file__).parent / "floor_server.py"), str(port)], port)
    cloudlet = cloudlet_server()
    cloudlet.env["PYTHONPATH"] = str(ROOT / "src")  # the server runs in its own directory
    rows, figures = [], []
    try:
        floor.start()
        cloudlet.start()
        admin = client(cloudlet.endpoint)
        for name, source in (("noop", NOOP), ("boto", BOTO)):
            admin.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                  Code={"ZipFile": package(source)}, MemorySize=128)
        time.sleep(SETTLE_S)
        for callers in (1, 8):
            label = f"warm invoke x{callers}"
            per_caller = max(1, args.count // callers)
            # environments for every caller exist before timing: this measures the warm path only
            run_clients(cloudlet, client, invoke_noop, callers, 20, "warm-up")
            rows.append(("floor", run_clients(floor, client, invoke_noop, callers, per_caller, label)))
            rows.append(("cloudlet", run_clients(cloudlet, client, invoke_noop, callers, per_caller, label)))
        figures += report(rows)

        python_pass = process_floor("pass", args.cold)
        import_boto3 = process_floor("import boto3", args.cold)
        noop_cold = cold_starts(admin, "noop", args.cold)
        boto_cold = cold_starts(admin, "boto", args.cold)
        print()
        print(f"{'cold start':<36}{'p50 ms':>9}{'p99 ms':>9}{'floor p50':>11}{'x floor':>9}")
        for label, values, base, base_label in (
            ("no-op handler via Invoke", noop_cold, python_pass, "python3 -c pass"),
            ("boto3 handler via Invoke", boto_cold, import_boto3, "python3 -c 'import boto3'"),
        ):
            p50, p99, floor_p50 = statistics.median(values), pct(values, 0.99), statistics.median(base)
            print(f"{label:<36}{p50:>9.1f}{p99:>9.1f}{floor_p50:>11.1f}{p50 / floor_p50:>9.2f}   ({base_label})")
            figures.append({"scenario": label, "p50_ms": round(p50, 2), "p99_ms": round(p99, 2),
                            "floor": base_label, "floor_p50_ms": round(floor_p50, 2)})
    finally:
        cloudlet.stop()
        floor.stop()
    dump(args.json, figures)


if __name__ == "__main__":
    main()
