"""DynamoDB writes, their stream records and queued Lambda events survive `kill -9` of the server.

A real `cloudlet up` runs as a subprocess on SQLite. Threads write items, increment counters and
run two-item transactions; the server is killed with SIGKILL mid-way and restarted on the same
data directory. Then every acknowledged write is there, no transaction is half-applied, each
stored item has exactly its stream record, and Event invocations acknowledged before the kill
all run after the restart.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections import Counter

import pytest
import server_process as sp

ROLE = "arn:aws:iam::000000000000:role/durable"
# Writes the event's n into the table "done": proof, through the server, that the event ran.
RECORDER = """
import boto3
def handler(event, context):
    boto3.client("dynamodb").put_item(TableName="done", Item={"pk": {"S": str(event["n"])}})
"""


def _table(ddb, name: str, **extra) -> None:
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", **extra)


def _scan_keys(ddb, table: str) -> dict[str, dict]:
    items, start = {}, {}
    while True:
        page = ddb.scan(TableName=table, ConsistentRead=True, **start)
        items.update({item["pk"]["S"]: item for item in page["Items"]})
        if "LastEvaluatedKey" not in page:
            return items
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def _stream_inserts(server: sp.Cloudlet, stream_arn: str) -> Counter:
    streams = server.client("dynamodbstreams")
    keys: Counter = Counter()
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            keys.update(r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"] if r["eventName"] == "INSERT")
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return keys


@pytest.mark.slow
def test_dynamodb_writes_and_streams_survive_kill_9(tmp_path):
    with sp.running(tmp_path) as server:
        ddb = server.client("dynamodb")
        _table(ddb, "items", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        _table(ddb, "counters")
        _table(ddb, "pairs")
        lock = threading.Lock()
        done = threading.Event()
        puts: set[str] = set()
        increments = {"acked": Counter(), "tried": Counter()}
        transactions = {"acked": set(), "tried": set()}

        def putter(worker: int) -> None:
            client = server.client("dynamodb")
            for i in range(100_000):
                if done.is_set():
                    return
                key = f"p{worker}-{i}"
                try:
                    client.put_item(TableName="items", Item={"pk": {"S": key}, "n": {"N": str(i)}})
                except Exception:
                    return  # the server is gone
                with lock:
                    puts.add(key)

        def counter(worker: int) -> None:
            client = server.client("dynamodb")
            key = f"c{worker}"
            while not done.is_set():
                with lock:
                    increments["tried"][key] += 1
                try:
                    client.update_item(TableName="counters", Key={"pk": {"S": key}}, UpdateExpression="ADD n :one",
                                       ExpressionAttributeValues={":one": {"N": "1"}})
                except Exception:
                    return
                with lock:
                    increments["acked"][key] += 1

        def transactor(worker: int) -> None:
            client = server.client("dynamodb")
            for i in range(100_000):
                if done.is_set():
                    return
                tid = f"t{worker}-{i}"
                with lock:
                    transactions["tried"].add(tid)
                try:
                    client.transact_write_items(TransactItems=[
                        {"Put": {"TableName": "pairs", "Item": {"pk": {"S": f"{tid}/a"}}}},
                        {"Put": {"TableName": "pairs", "Item": {"pk": {"S": f"{tid}/b"}}}},
                        {"Update": {"TableName": "counters", "Key": {"pk": {"S": f"tx{worker}"}},
                                    "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                    ])
                except Exception:
                    return
                with lock:
                    transactions["acked"].add(tid)

        threads = [threading.Thread(target=f, args=(w,)) for f in (putter, counter, transactor) for w in range(2)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        server.kill_9()
        done.set()
        for t in threads:
            t.join(timeout=10)
        assert len(puts) > 50 and len(transactions["acked"]) > 20, "the load did not get going"

        server.restart()
        ddb = server.client("dynamodb")
        table = ddb.describe_table(TableName="items")["Table"]
        assert table["TableStatus"] == "ACTIVE" and table["StreamSpecification"]["StreamEnabled"]

        items = _scan_keys(ddb, "items")
        assert puts <= set(items), "acknowledged puts were lost"
        # every stored item has exactly one INSERT record, and no record names an item that is not stored
        inserts = _stream_inserts(server, table["LatestStreamArn"])
        assert set(inserts) == set(items) and set(inserts.values()) == {1}

        counters = {k: int(v["n"]["N"]) for k, v in _scan_keys(ddb, "counters").items()}
        for key, acked in increments["acked"].items():
            assert acked <= counters[key] <= increments["tried"][key], key

        pairs = set(_scan_keys(ddb, "pairs"))
        applied = {tid for tid in transactions["tried"] if f"{tid}/a" in pairs}
        assert all(f"{tid}/b" in pairs for tid in applied), "a transaction was half applied"
        assert len(pairs) == 2 * len(applied)
        assert transactions["acked"] <= applied, "acknowledged transactions were lost"
        for worker in range(2):
            assert counters.get(f"tx{worker}", 0) == sum(1 for t in applied if t.startswith(f"t{worker}-"))


@pytest.mark.slow
def test_queued_event_invocations_run_after_kill_9(tmp_path):
    with sp.running(tmp_path) as server:
        ddb, lam = server.client("dynamodb"), server.client("lambda")
        _table(ddb, "done")
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("app.py", RECORDER)
        lam.create_function(FunctionName="recorder", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": package.getvalue()}, Timeout=30)
        lam.get_waiter("function_active_v2").wait(FunctionName="recorder")
        events = [str(n) for n in range(40)]
        for n in events:
            assert lam.invoke(FunctionName="recorder", InvocationType="Event",
                              Payload=f'{{"n": {n}}}'.encode())["StatusCode"] == 202
        server.kill_9()  # some events ran, some are running, most are still queued

        server.restart()
        ddb = server.client("dynamodb")
        deadline = time.monotonic() + 60
        while set(_scan_keys(ddb, "done")) != set(events) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert set(_scan_keys(ddb, "done")) == set(events)
