"""The retry rules of a stream mapping's batch (StreamPoller.deliver) with a scripted function:
bisection, retry limits, record age, partial failures, and what reaches the destination."""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace

from cloudlet.compute.model import InvocationResult
from cloudlet.services.lambda_.esm_pollers import EsmSettings, Outcome, Pollers, StreamPoller, _first_failure

ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/tbl/stream/2020-01-01T00:00:00.000"


def record(seq: int, age_s: float = 0.0) -> dict:
    return {"dynamodb": {"SequenceNumber": str(10**20 + seq), "ApproximateCreationDateTime": int(time.time() - age_s)}}


class Harness:
    """A StreamPoller whose function is `script(batch_ids) -> Outcome`, recording what happens."""

    def __init__(self, script, **doc) -> None:
        self.calls: list[list[str]] = []
        self.commits: list[str] = []
        self.sent: list[dict] = []
        pollers = SimpleNamespace(settings=EsmSettings(retry_delay_s=0, retry_max_s=0), platform=None,
                                  store=None, retry_delay=lambda attempts: 0)

        async def invoke(doc, event, ids):
            self.calls.append(ids)
            return script(ids)

        async def processed(doc, outcome):
            pass

        async def send(target, body, attributes, ref):
            self.sent.append(json.loads(body))
        pollers.invoke, pollers.processed = invoke, processed
        pollers.service = SimpleNamespace(queue=SimpleNamespace(send=send))
        base = {"UUID": "u", "EventSourceArn": ARN, "FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:f",
                "BatchSize": 100, "LastModified": 1.0, "_enabled": True,
                "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:dlq"}}}
        self.poller = StreamPoller(pollers, {**base, **doc})

        async def commit(shard_id, sequence, finished=False):
            self.commits.append(sequence)

        async def still_there():
            pass
        self.poller._commit, self.poller._still_there = commit, still_there

    def run(self, records: list[dict]) -> None:
        asyncio.run(self.poller.deliver("shardId-1", records))


def seqs(*ns: int) -> list[str]:
    return [str(10**20 + n) for n in ns]


FAILED = Outcome(InvocationResult(request_id="r", payload=b"{}", function_error="Unhandled"), 0, "Function call failed")
OK = Outcome(InvocationResult(request_id="r", payload=b"{}"), None)


def test_bisect_isolates_the_bad_record_without_using_retries():
    bad = seqs(2)[0]
    h = Harness(lambda ids: FAILED if bad in ids else OK, BisectBatchOnFunctionError=True, MaximumRetryAttempts=0)
    h.run([record(n) for n in range(4)])
    assert h.calls == [seqs(0, 1, 2, 3), seqs(0, 1), seqs(2, 3), seqs(2), seqs(3)]
    assert [m["DDBStreamBatchInfo"]["startSequenceNumber"] for m in h.sent] == [bad]
    assert h.sent[0]["requestContext"]["approximateInvokeCount"] == 1
    assert h.commits == [seqs(1)[0], bad, seqs(3)[0]]


def test_retries_until_the_limit_then_the_destination():
    h = Harness(lambda ids: FAILED, MaximumRetryAttempts=2)
    h.run([record(1), record(2)])
    assert len(h.calls) == 3
    [sent] = h.sent
    assert sent["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert sent["requestContext"]["approximateInvokeCount"] == 3
    assert sent["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    info = sent["DDBStreamBatchInfo"]
    assert (info["batchSize"], info["startSequenceNumber"], info["endSequenceNumber"]) == (2, *seqs(1, 2))
    assert info["streamArn"] == ARN and info["shardId"] == "shardId-1"
    assert h.commits == seqs(2)


def test_records_older_than_the_maximum_age_are_discarded_unseen():
    h = Harness(lambda ids: OK, MaximumRecordAgeInSeconds=60)
    h.run([record(1, age_s=120), record(2, age_s=90)])
    assert h.calls == []
    assert h.sent[0]["requestContext"]["condition"] == "RecordAgeExceeded"
    assert h.sent[0]["requestContext"]["approximateInvokeCount"] == 0
    assert h.commits == seqs(2)


def test_partial_failures_checkpoint_before_the_first_failure():
    script = iter([Outcome(InvocationResult(request_id="r", payload=b"{}"), 2), OK])
    h = Harness(lambda ids: next(script), FunctionResponseTypes=["ReportBatchItemFailures"])
    h.run([record(n) for n in range(5)])
    assert h.calls == [seqs(0, 1, 2, 3, 4), seqs(2, 3, 4)]
    assert h.commits == [seqs(1)[0], seqs(4)[0]] and h.sent == []


def test_batch_item_failures_response_reading():
    ids = seqs(0, 1, 2)
    assert _first_failure(b'{"batchItemFailures": []}', ids) is None
    assert _first_failure(b"null", ids) is None
    both = {"batchItemFailures": [{"itemIdentifier": ids[2]}, {"itemIdentifier": ids[1]}]}
    assert _first_failure(json.dumps(both).encode(), ids) == 1
    assert _first_failure(b'{"batchItemFailures": [{"itemIdentifier": ""}]}', ids) == 0
    assert _first_failure(b'{"batchItemFailures": [{"itemIdentifier": null}]}', ids) == 0
    assert _first_failure(b'{"batchItemFailures": [{"other": 1}]}', ids) == 0
    assert _first_failure(b'{"batchItemFailures": "x"}', ids) == 0
    # an empty, null or [] response is success; another that is not a JSON object fails the whole batch
    assert _first_failure(b"", ids) is None and _first_failure(b"{}", ids) is None
    assert _first_failure(b'{"batchItemFailures": null}', ids) is None
    assert _first_failure(b"not json", ids) == 0 and _first_failure(b'"ok"', ids) == 0
    assert _first_failure(b"[]", ids) is None  # an empty list is success too


def test_settings_come_from_config_extra():
    settings = EsmSettings.from_extra({"lambda_esm_poll_s": "0.5", "other": 1})
    assert settings.poll_s == 0.5 and settings.lease_s == 30.0
    assert Pollers.retry_delay(SimpleNamespace(settings=EsmSettings(retry_delay_s=1, retry_max_s=5)), 4) == 5
