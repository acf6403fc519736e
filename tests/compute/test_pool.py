"""The pool: warm reuse, concurrency limits, provisioned environments, reaping, failures, logs, metering."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest

from cloudlet.compute.errors import Throttled
from cloudlet.compute.model import InvocationMeta

SLEEPY = "import time\ndef handler(e, c):\n    time.sleep(e.get('sleep', 0))\n    return e\n"


def gather(harness, config, events):
    async def run():
        return await asyncio.gather(*(harness.pool.invoke(config, json.dumps(e).encode(), InvocationMeta())
                                      for e in events), return_exceptions=True)
    return harness.run(run())


def test_warm_reuse_and_cold_start_metering(harness):
    config = harness.function({"app.py": "print('init line')\ndef handler(e, c):\n    print('in handler')\n    return 1\n"})
    first = harness.invoke(config, {}, InvocationMeta(log_tail=True))
    second = harness.invoke(config, {}, InvocationMeta(log_tail=True))
    assert first.cold_start and not second.cold_start
    assert len(harness.pool.environments(config)) == 1
    assert first.metering.init_duration_ms is not None and second.metering.init_duration_ms is None
    m = second.metering
    assert m.billed_ms >= 1 and m.billed_ms == max(1, -(-m.duration_ms // 1))
    assert m.memory_mb == 128 and 5 < m.max_memory_mb < 128
    assert m.gb_seconds == pytest.approx(128 / 1024 * m.billed_ms / 1000)
    rid = second.request_id
    lines = second.log_tail.splitlines()
    assert lines[0] == f"START RequestId: {rid} Version: $LATEST"
    assert lines[1] == "in handler"
    assert lines[2] == f"END RequestId: {rid}"
    assert re.fullmatch(rf"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
                        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\t", lines[3])
    assert first.log_tail.splitlines()[0] == "init line"  # the init output, without INIT_START
    assert "\tInit Duration: " in first.log_tail.splitlines()[-1]
    # the sink got the same lines, in order, under the function's log group
    messages = harness.sink.messages(config.log_group)
    assert messages.index("init line\n") < messages.index(f"START RequestId: {first.request_id} Version: $LATEST\n")
    recorded = [r for r in harness.metering.records if r[0] == config.arn]
    assert [r[1] for r in recorded] == [first.request_id, second.request_id]


def test_tail_is_last_4kb(harness):
    config = harness.function({"app.py": "def handler(e, c):\n    for i in range(200):\n        print('x' * 50, i)\n"})
    result = harness.invoke(config, {}, InvocationMeta(log_tail=True))
    assert len(result.log_tail.encode()) <= 4096
    assert result.log_tail.rstrip("\n").splitlines()[-1].startswith("REPORT RequestId:")


def test_never_two_requests_in_one_environment(harness):
    config = harness.function({"app.py": SLEEPY})
    results = gather(harness, config, [{"sleep": 0.3}] * 3)
    assert all(r.function_error is None for r in results)
    assert len(harness.pool.environments(config)) == 3
    assert sum(r.cold_start for r in results) == 3


def test_reserved_concurrency_throttles(harness):
    config = harness.function({"app.py": SLEEPY}, reserved_concurrency=1)
    results = gather(harness, config, [{"sleep": 0.3}, {"sleep": 0.3}])
    throttled = [r for r in results if isinstance(r, Throttled)]
    assert len(throttled) == 1
    assert throttled[0].reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    ok = harness.invoke(config, {})  # capacity is back once the first finished
    assert ok.function_error is None


def test_reserved_zero_always_throttled(harness):
    config = harness.function({"app.py": SLEEPY}, reserved_concurrency=0)
    with pytest.raises(Throttled) as info:
        harness.invoke(config, {})
    assert info.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert harness.pool.environments(config) == []
    harness.call(harness.pool.set_reserved_concurrency, config.account_id, config.name, None)


def test_account_limit_throttles(harness):
    settings = harness.pool.settings
    config = harness.function({"app.py": SLEEPY})
    before = settings.account_concurrency
    # unreserved functions share what the other functions' reservations leave: exactly one here
    settings.account_concurrency = 1 + sum(harness.pool.reserved.values())
    try:
        results = gather(harness, config, [{"sleep": 0.3}, {"sleep": 0.3}])
    finally:
        settings.account_concurrency = before
    assert sorted(type(r).__name__ for r in results) == ["InvocationResult", "Throttled"]
    assert [r.reason for r in results if isinstance(r, Throttled)] == ["ConcurrentInvocationLimitExceeded"]


def test_provisioned_environments_start_ahead_and_stay(harness):
    config = harness.function({"app.py": SLEEPY})
    assert harness.run(harness.pool.provision(config, 2)) == 2
    envs = harness.pool.environments(config)
    assert len(envs) == 2 and all(e.provisioned for e in envs)
    result = harness.invoke(config, {})
    assert result.metering.init_duration_ms is not None  # Lambda reports the provisioned init on first use
    assert harness.call(harness.pool.reap, time.monotonic() + 10_000) >= 0
    assert len(harness.pool.environments(config)) == 2


def test_idle_environments_are_reaped(harness):
    config = harness.function({"app.py": SLEEPY})
    harness.invoke(config, {})
    env = harness.pool.environments(config)[0]
    harness.call(harness.pool.reap, time.monotonic())  # not idle long enough
    assert env.state == "idle"
    harness.call(harness.pool.reap, time.monotonic() + harness.pool.settings.keep_alive_s + 1)
    assert env.state == "dead" and harness.pool.environments(config) == []
    assert harness.invoke(config, {}).cold_start  # scale from zero


def test_timeout_destroys_environment(harness, make):
    config = make({"app.py": SLEEPY}, timeout_s=0.5)
    result = harness.invoke(config, {"sleep": 5}, InvocationMeta(log_tail=True))
    assert result.function_error == "Unhandled"
    doc = json.loads(result.payload)
    assert doc["errorType"] == "Sandbox.Timedout"
    assert doc["errorMessage"] == f"RequestId: {result.request_id} Error: Task timed out after 0.50 seconds"
    assert f"{result.request_id} Task timed out after 0.50 seconds" in result.log_tail
    assert 500 <= result.metering.duration_ms < 1500
    assert harness.pool.environments(config) == []
    assert harness.invoke(config, {"sleep": 0}).function_error is None


def test_crash_is_exit_error_and_not_reused(harness, make):
    config = make({"app.py": "import os\ndef handler(e, c):\n    os._exit(3)\n"})
    result = harness.invoke(config, {})
    doc = json.loads(result.payload)
    assert doc == {"errorType": "Runtime.ExitError",
                   "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: exit status 3"}
    assert harness.pool.environments(config) == []
    assert harness.invoke(config, {}).cold_start


def test_memory_hog_is_out_of_memory(harness, make):
    config = make({"app.py": "def handler(e, c):\n    x = bytearray(400 * 1024 * 1024)\n    return len(x)\n"})
    result = harness.invoke(config, {})
    doc = json.loads(result.payload)
    assert result.function_error == "Unhandled"
    assert doc["errorType"] == "Runtime.OutOfMemory"
    assert harness.pool.environments(config) == []


def test_response_size_limit(harness):
    config = harness.function({"app.py": "def handler(e, c):\n    return 'x' * 7_000_000\n"})
    doc = json.loads(harness.invoke(config, {}).payload)
    assert doc["errorType"] == "Function.ResponseSizeTooLarge"


def test_new_configuration_gets_new_environments(harness):
    config = harness.function({"app.py": "import os\ndef handler(e, c):\n    return os.environ.get('V')\n"},
                              environment=(("V", "1"),))
    assert json.loads(harness.invoke(config, {}).payload) == "1"
    from dataclasses import replace
    changed = replace(config, environment=(("V", "2"),))
    assert json.loads(harness.invoke(changed, {}).payload) == "2"


def test_zygote_forks_environments(harness):
    config = harness.function({"app.py": "import boto3, os\ndef handler(e, c):\n    return os.getppid()\n"})
    harness.zygote_ready(config)
    zygote = harness.pool._zygotes.zygotes[config.key]
    result = harness.invoke(config, {})
    assert result.cold_start and result.function_error is None
    env = harness.pool.environments(config)[0]
    with open(f"/proc/{env.process.pid}/status") as f:
        ppid = int(next(line for line in f if line.startswith("PPid:")).split()[1])
    assert ppid == zygote.host_pid  # forked from the template, not a new sandbox
    assert result.metering.init_duration_ms < 1000
    # a second function gets its zygote when it needs a second environment
    other = harness.function({"app.py": SLEEPY})
    gather(harness, other, [{"sleep": 0.2}, {"sleep": 0.2}])
    assert other.key in harness.pool._zygotes.zygotes
    # a template that logged nothing leaves no log file once it goes
    log_file = harness.pool._zygotes.log_dir / f"{config.key}.log"
    assert log_file.exists()
    harness.call(harness.pool.retire, config.account_id, config.name)
    assert config.key not in harness.pool._zygotes.zygotes and not log_file.exists()


def test_provisioned_shrinks_and_retire(harness):
    config = harness.function({"app.py": SLEEPY})
    assert harness.run(harness.pool.provision(config, 3)) == 3
    assert harness.run(harness.pool.provision(config, 1)) == 1
    assert len(harness.pool.environments(config)) == 1
    harness.invoke(config, {})
    assert harness.call(harness.pool.retire, config.account_id, config.name) == 1
    assert harness.pool.environments(config) == []
    assert harness.invoke(config, {}).cold_start


def test_rotated_credentials_keep_warm_environments(harness):
    from dataclasses import replace

    from cloudlet.compute.model import Credentials

    code = "import os\ndef handler(e, c):\n    return os.environ['AWS_ACCESS_KEY_ID']\n"
    config = harness.function({"app.py": code}, credentials=Credentials("AKID1", "s1"))
    assert json.loads(harness.invoke(config, {}).payload) == "AKID1"
    rotated = replace(config, credentials=Credentials("AKID2", "s2"))
    warm = harness.invoke(rotated, {})
    assert not warm.cold_start and json.loads(warm.payload) == "AKID1"
    fresh = gather(harness, rotated, [{}, {}])  # a second environment starts with the new credentials
    assert sorted(json.loads(r.payload) for r in fresh) == ["AKID1", "AKID2"]


def test_long_lines_are_split_and_floods_are_served(harness):
    code = "import sys\ndef handler(e, c):\n    sys.stdout.write('y' * 600_000)\n    print()\n    print('z\\n' * 20000)\n    return 1\n"
    config = harness.function({"app.py": code})
    result = harness.invoke(config, {}, InvocationMeta(log_tail=True))
    assert result.function_error is None
    lines = [m for m in harness.sink.messages(config.log_group) if m.startswith("y")]
    assert [len(m) for m in lines] == [256 * 1024 + 1, 256 * 1024 + 1, 600_000 - 2 * 256 * 1024 + 1]
    messages = harness.sink.messages(config.log_group)
    assert messages[-2] == f"END RequestId: {result.request_id}\n" and messages.count("z\n") == 20000


def test_environment_dying_while_idle_is_not_reused(harness):
    code = ("import os, threading, time\n"
            "def handler(e, c):\n"
            "    if e.get('die'):\n"
            "        threading.Thread(target=lambda: (time.sleep(0.2), os._exit(1))).start()\n"
            "    return 'ok'\n")
    config = harness.function({"app.py": code})
    assert json.loads(harness.invoke(config, {"die": True}).payload) == "ok"
    [env] = harness.pool.environments(config)

    async def exited():
        await asyncio.shield(env.process.waiter)
        await asyncio.sleep(0)  # the environment's own exit callback has run
    harness.run(exited(), timeout=30)
    assert env.state == "dead"
    harness.call(harness.pool.reap)
    assert harness.pool.environments(config) == []
    after = harness.invoke(config, {})
    assert after.cold_start and json.loads(after.payload) == "ok"
