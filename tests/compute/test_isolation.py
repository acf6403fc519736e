"""Isolation: what function code cannot see or do, and that hostile functions do not harm others."""

from __future__ import annotations

import asyncio
import json
import os
import time

from cloudlet.compute.model import InvocationMeta
from cloudlet.compute.sandbox import HOST_UID

PROBE = """
import os
def probe(path):
    try:
        if os.path.isdir(path):
            return sorted(os.listdir(path))
        with open(path, 'rb') as f:
            return f.read(100).decode('latin-1')
    except OSError as e:
        return type(e).__name__

def handler(event, context):
    out = {path: probe(path) for path in event['paths']}
    try:
        os.kill(event['host_pid'], 0)
        out['signal'] = 'delivered'
    except OSError as e:
        out['signal'] = type(e).__name__
    out['pids'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
    out['uid'] = os.getuid()
    try:
        open('/var/task/new.py', 'w')
        out['write_task'] = 'written'
    except OSError as e:
        out['write_task'] = type(e).__name__
    return out
"""


def test_function_cannot_reach_platform_or_other_code(harness, make):
    secret = harness.function({"secret.py": "KEY = 'hunter2'\n"})
    secret_dir = str(harness.pool.code.code_dir(secret.code_sha256))
    config = make({"app.py": PROBE})
    data_dir = str(harness.pool.settings.data_dir)
    paths = [data_dir, data_dir + "/compute/code", secret_dir, secret_dir + "/secret.py", "/root", "/home",
             "/etc/shadow", "/proc/1/root/" + data_dir.lstrip("/")]
    out = json.loads(harness.invoke(config, {"paths": paths, "host_pid": os.getpid()}).payload)
    for path in paths:
        assert out[path] in ("FileNotFoundError", "PermissionError"), (path, out[path])
    assert out["signal"] == "ProcessLookupError"
    assert max(out["pids"]) < 100  # its own PID namespace: host processes are invisible
    assert os.getpid() not in out["pids"] or os.getpid() < 100
    assert out["uid"] == 993
    if os.geteuid() == 0 and harness.pool.sandbox.remap:  # on the host, an unprivileged uid, never root
        env = harness.pool.environments(config)[0]
        with open(f"/proc/{env.process.runtime_pid()}/status") as f:
            uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
        assert set(uids) == {str(HOST_UID)}
    assert out["write_task"] in ("OSError", "PermissionError")


TMP_WRITER = """
import os
def handler(event, context):
    seen = sorted(os.listdir('/tmp'))
    open('/tmp/' + event['name'], 'w').write('x')
    try:
        with open('/tmp/big', 'wb') as f:
            for _ in range(event['mb'] + 5):
                f.write(b'\\0' * 1024 * 1024)
        full = False
    except OSError:
        full = True
    os.unlink('/tmp/big')
    return {'seen': seen, 'full': full}
"""


def test_tmp_is_private_and_bounded(harness, make):
    config = make({"app.py": TMP_WRITER}, ephemeral_mb=8)
    other = harness.function({"app.py": TMP_WRITER}, ephemeral_mb=8)
    first = json.loads(harness.invoke(config, {"name": "a", "mb": 8}).payload)
    assert first == {"seen": [], "full": True}
    # a second environment of the same function (forced by concurrency) and another function
    async def two():
        return await asyncio.gather(
            harness.pool.invoke(config, json.dumps({"name": "b", "mb": 8}).encode(), InvocationMeta()),
            harness.pool.invoke(config, json.dumps({"name": "c", "mb": 8}).encode(), InvocationMeta()))
    seen = sorted(tuple(json.loads(r.payload)["seen"]) for r in harness.run(two()))
    assert seen == [(), ("a",)]  # the warm environment keeps its /tmp, the new one starts empty
    assert json.loads(harness.invoke(other, {"name": "z", "mb": 8}).payload)["seen"] == []


FORK_BOMB = """
import os, time
def handler(event, context):
    made = 0
    while True:
        try:
            if os.fork() == 0:
                while True:
                    try:
                        os.fork()
                    except OSError:
                        time.sleep(0.5)
            made += 1
        except OSError:
            time.sleep(0.1)
"""

FORK_COUNT = """
import os, time
def handler(event, context):
    made = 0
    try:
        while True:
            if os.fork() == 0:
                time.sleep(3)
                os._exit(0)
            made += 1
    except OSError:
        return made
"""


def test_process_limit_per_environment(harness, make):
    before = _sandbox_processes()  # other tests' environments of this process may still idle
    config = make({"app.py": FORK_COUNT}, timeout_s=10)
    made = json.loads(harness.invoke(config, {}).payload)
    assert 900 < made < 1024  # Lambda's 1024 processes and threads, the runtime included
    harness.call(harness.pool.retire, config.account_id, config.name)
    _wait_for_sandbox_processes_below(before + 50)


def test_fork_bomb_and_memory_hog_are_contained(harness, make):
    before = _sandbox_processes()  # other tests' environments of this process may still idle
    bomb = make({"app.py": FORK_BOMB}, timeout_s=1.5)
    hog = make({"app.py": "def handler(e, c):\n    b = []\n    while True:\n        b.append(bytearray(10 << 20))\n"},
                           timeout_s=5)
    calm = harness.function({"app.py": "def handler(e, c):\n    return 'fine'\n"})
    harness.invoke(calm, {})  # warm

    async def scenario():
        bad = [asyncio.ensure_future(harness.pool.invoke(bomb, b"{}", InvocationMeta())),
               asyncio.ensure_future(harness.pool.invoke(hog, b"{}", InvocationMeta()))]
        await asyncio.sleep(0.3)
        latencies = []
        for _ in range(5):  # others keep being served while the bomb and the hog run
            t = time.perf_counter()
            result = await harness.pool.invoke(calm, b"{}", InvocationMeta())
            latencies.append(time.perf_counter() - t)
            assert json.loads(result.payload) == "fine"
            await asyncio.sleep(0.1)
        return await asyncio.gather(*bad), latencies

    (bomb_result, hog_result), latencies = harness.run(scenario())
    assert max(latencies) < 1.0
    assert json.loads(bomb_result.payload)["errorType"] == "Sandbox.Timedout"
    assert json.loads(hog_result.payload)["errorType"] == "Runtime.OutOfMemory"
    assert harness.pool.environments(bomb) == [] and harness.pool.environments(hog) == []
    # the bomb's processes are gone: nothing of it is left on the host
    _wait_for_sandbox_processes_below(before + 50)
    assert json.loads(harness.invoke(calm, {}).payload) == "fine"


def _parent(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[1].decode()
    except (OSError, IndexError):
        return "0"


def _sandbox_processes() -> int:
    """Processes of this test run running the built-in Python runtime (zygotes and their forks).

    Only descendants of this process count, so sandboxes of other cloudlets on the host do not."""
    me, count = str(os.getpid()), 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"/var/runtime/bootstrap.py" not in f.read():
                    continue
        except OSError:
            continue
        ancestor = pid
        for _ in range(64):
            ancestor = _parent(ancestor)
            if ancestor in (me, "0", "1"):
                break
        count += ancestor == me
    return count


def _wait_for_sandbox_processes_below(limit: int) -> None:
    deadline = time.time() + 10
    while time.time() < deadline and _sandbox_processes() >= limit:
        time.sleep(0.1)
    assert _sandbox_processes() < limit
