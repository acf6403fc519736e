"""Shared helpers of the event source mapping tests: a server with short poller durations, a
function that logs every batch it gets, and reading those batches back."""

from __future__ import annotations

import json

import lambda_helpers
from lambda_helpers import create, wait_for

FAST = {"lambda_esm_poll_s": 0.05, "lambda_esm_supervise_s": 0.1, "lambda_esm_retry_delay_s": 0.05,
        "lambda_esm_retry_max_s": 0.2, "lambda_esm_throttle_delay_s": 0.05, "lambda_log_flush_s": 0.01}

# Logs each batch; fails the whole batch when a record's new image has `fail`, and reports the
# records whose new image has `bad` as batch item failures.
RECORDER = """
import json
def _image(r):
    if "dynamodb" in r:
        return r["dynamodb"].get("NewImage") or {}
    return json.loads(r["body"]) if r["body"].startswith("{") else {}
def handler(event, context):
    records = event["Records"]
    ids = [r["dynamodb"]["SequenceNumber"] if "dynamodb" in r else r["messageId"] for r in records]
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] if "dynamodb" in r else r["body"] for r in records]
    print("BATCH " + json.dumps({"keys": keys, "ids": ids, "names": [r.get("eventName") for r in records]}))
    if any("fail" in _image(r) for r in records):
        raise RuntimeError("failing on purpose")
    bad = [{"itemIdentifier": i} for i, r in zip(ids, records) if "bad" in _image(r)]
    return {"batchItemFailures": bad}
"""


def fast_fixtures():
    """A module-scoped server with the short poller durations and a per-test reset of it."""
    return lambda_helpers.fast_fixtures(FAST)


def recorder(handle, name: str = "rec", timeout: int = 10) -> str:
    """Create the recording function; returns its ARN."""
    return create(handle.client("lambda"), name, RECORDER, Timeout=timeout)["FunctionArn"]


EVENT_LOGGER = "import json\ndef handler(e, c):\n    print('EVENT ' + json.dumps(e))\n"


def event_logger(handle, name: str = "rec") -> str:
    """Create a function that logs each whole event it gets; returns its ARN."""
    return create(handle.client("lambda"), name, EVENT_LOGGER)["FunctionArn"]


def first_event(handle, function: str = "rec") -> dict:
    """The first event `event_logger`'s function logged (waits for it)."""
    logs = handle.client("logs")

    def event():
        if not logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{function}")["logGroups"]:
            return None
        found = [e["message"] for e in logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
                 if e["message"].startswith("EVENT ")]
        return json.loads(found[0][6:]) if found else None
    return wait_for(event)


def batches(handle, function: str = "rec") -> list[dict]:
    """Every batch the function logged, in order."""
    logs = handle.client("logs")
    group = f"/aws/lambda/{function}"
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        return []
    out, token = [], None
    while True:
        kwargs = {"logGroupName": group, **({"nextToken": token} if token else {})}
        page = logs.filter_log_events(**kwargs)
        out += [json.loads(e["message"][6:]) for e in page["events"] if e["message"].startswith("BATCH ")]
        token = page.get("nextToken")
        if not token:
            return out


def keys_seen(handle, function: str = "rec") -> list[list[str]]:
    return [b["keys"] for b in batches(handle, function)]


def wait_batches(handle, count: int, function: str = "rec", timeout: float = 20.0) -> list[list[str]]:
    """Wait until at least `count` batches were logged; returns their keys."""
    return wait_for(lambda: (lambda k: k if len(k) >= count else None)(keys_seen(handle, function)), timeout)


def wait_state(lam, mapping_id: str, state: str, timeout: float = 10.0) -> dict:
    return wait_for(lambda: (lambda d: d if d["State"] == state else None)(
        lam.get_event_source_mapping(UUID=mapping_id)), timeout)


def error(excinfo) -> tuple[str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]
