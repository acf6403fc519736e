"""DynamoDB Streams records with boto3: one record per item change in AWS's format for each view
type, none for writes that change nothing or fail, one per item of a transaction, TTL deletions."""

import time

import pytest
from botocore.exceptions import ClientError
from ddbstreams_helpers import make_table, read_stream, streams_service
from polling import wait_for

KEYS = {"pk": {"S": "a"}}
V1 = {"pk": {"S": "a"}, "v": {"N": "1"}, "b": {"B": b"\x00\xff"}, "tags": {"SS": ["x", "y"]}}
V2 = {"pk": {"S": "a"}, "v": {"N": "2"}, "b": {"B": b"\x00\xff"}, "tags": {"SS": ["x", "y"]}}


def write_insert_modify_remove(ddb, table="tbl"):
    ddb.put_item(TableName=table, Item=V1)
    ddb.update_item(TableName=table, Key=KEYS, UpdateExpression="SET v = v + :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    ddb.delete_item(TableName=table, Key=KEYS)


@pytest.mark.parametrize("view, new, old", [
    ("KEYS_ONLY", [None, None, None], [None, None, None]),
    ("NEW_IMAGE", [V1, V2, None], [None, None, None]),
    ("OLD_IMAGE", [None, None, None], [None, V1, V2]),
    ("NEW_AND_OLD_IMAGES", [V1, V2, None], [None, V1, V2]),
])
def test_each_view_type(cloudlet, view, new, old):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb, view=view)["LatestStreamArn"]
    before = int(time.time())
    write_insert_modify_remove(ddb)
    records = read_stream(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    for record, new_image, old_image in zip(records, new, old, strict=True):
        assert set(record) == {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb"}
        assert record["eventVersion"] == "1.1" and record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == "us-east-1" and len(record["eventID"]) == 32
        body = record["dynamodb"]
        assert body["Keys"] == KEYS and body["StreamViewType"] == view
        assert body.get("NewImage") == new_image and body.get("OldImage") == old_image
        assert body["SequenceNumber"].isdigit() and len(body["SequenceNumber"]) >= 21
        assert body["SizeBytes"] > 0
        assert before - 1 <= body["ApproximateCreationDateTime"].timestamp() <= time.time() + 1
    assert len({r["eventID"] for r in records}) == 3
    sizes = [r["dynamodb"]["SizeBytes"] for r in records]
    if view == "KEYS_ONLY":
        assert sizes == [3, 3, 3]  # "pk" + "a"
    if view == "NEW_AND_OLD_IMAGES":
        assert sizes[1] == sizes[0] + sizes[2] - 3


def test_sequence_numbers_increase_in_write_order(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb, view="KEYS_ONLY")["LatestStreamArn"]
    for i in range(30):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": f"k{i:02d}"}})
    records = read_stream(streams, arn)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == [f"k{i:02d}" for i in range(30)]
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == 30


def test_writes_that_change_nothing_write_no_record(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb)["LatestStreamArn"]
    ddb.put_item(TableName="tbl", Item=V1)
    ddb.put_item(TableName="tbl", Item=V1)  # the same item again
    ddb.put_item(TableName="tbl", Item={**V1, "tags": {"SS": ["y", "x"]}, "v": {"N": "1.0"}})  # equal values
    ddb.update_item(TableName="tbl", Key=KEYS, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "1"}})
    ddb.delete_item(TableName="tbl", Key={"pk": {"S": "missing"}})
    ddb.update_item(TableName="tbl", Key=KEYS, UpdateExpression="REMOVE nothing")
    assert [r["eventName"] for r in read_stream(streams, arn)] == ["INSERT"]


def test_failed_condition_and_rejected_writes_leave_no_record(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb)["LatestStreamArn"]
    ddb.put_item(TableName="tbl", Item=V1)
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName="tbl", Item=V2, ConditionExpression="attribute_not_exists(pk)")
    assert excinfo.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    with pytest.raises(ClientError):
        ddb.update_item(TableName="tbl", Key=KEYS, UpdateExpression="SET v = v + :s",
                        ExpressionAttributeValues={":s": {"S": "text"}})
    with pytest.raises(ClientError):
        ddb.delete_item(TableName="tbl", Key=KEYS, ConditionExpression="v = :two",
                        ExpressionAttributeValues={":two": {"N": "2"}})
    records = read_stream(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT"]
    assert ddb.get_item(TableName="tbl", Key=KEYS)["Item"] == V1


def test_transactions_write_one_record_per_item_or_none(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb, view="NEW_IMAGE")["LatestStreamArn"]
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "guard"}, "ok": {"BOOL": True}})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "t1"}}}},
        {"Update": {"TableName": "tbl", "Key": {"pk": {"S": "t2"}}, "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "5"}}}},
        {"ConditionCheck": {"TableName": "tbl", "Key": {"pk": {"S": "guard"}}, "ConditionExpression": "ok = :t",
                            "ExpressionAttributeValues": {":t": {"BOOL": True}}}},
    ])
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "t3"}}}},
            {"Delete": {"TableName": "tbl", "Key": {"pk": {"S": "t1"}}}},
            {"ConditionCheck": {"TableName": "tbl", "Key": {"pk": {"S": "guard"}}, "ConditionExpression": "ok = :f",
                                "ExpressionAttributeValues": {":f": {"BOOL": False}}}},
        ])
    assert excinfo.value.response["Error"]["Code"] == "TransactionCanceledException"
    records = read_stream(streams, arn)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [
        ("INSERT", "guard"), ("INSERT", "t1"), ("INSERT", "t2")]
    assert records[2]["dynamodb"]["NewImage"] == {"pk": {"S": "t2"}, "n": {"N": "5"}}


def test_batch_writes_and_partiql_write_records(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb, view="KEYS_ONLY")["LatestStreamArn"]
    ddb.batch_write_item(RequestItems={"tbl": [{"PutRequest": {"Item": {"pk": {"S": f"b{i}"}}}} for i in range(3)]})
    ddb.batch_write_item(RequestItems={"tbl": [{"DeleteRequest": {"Key": {"pk": {"S": "b1"}}}}]})
    ddb.execute_statement(Statement="INSERT INTO tbl VALUE {'pk': 'p1'}")
    records = read_stream(streams, arn)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [
        ("INSERT", "b0"), ("INSERT", "b1"), ("INSERT", "b2"), ("REMOVE", "b1"), ("INSERT", "p1")]


def test_tables_without_a_stream_have_none(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    make_table(ddb, view=None)
    ddb.put_item(TableName="tbl", Item=V1)
    assert streams.list_streams()["Streams"] == []


def test_ttl_deletions_write_remove_records_with_the_service_identity(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb)["LatestStreamArn"]
    ddb.update_time_to_live(TableName="tbl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    expired = {"pk": {"S": "old"}, "exp": {"N": str(int(time.time()) - 10)}}
    ddb.put_item(TableName="tbl", Item=expired)
    service = cloudlet.platform.loaded_service("dynamodb")
    service.set_ttl_interval(0.05)
    try:
        wait_for(lambda: "Item" not in ddb.get_item(TableName="tbl", Key={"pk": {"S": "old"}}),
                 what="the TTL sweep deleting the expired item")
    finally:
        service.set_ttl_interval(5)
    records = read_stream(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "REMOVE"]
    assert "userIdentity" not in records[0]
    assert records[1]["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert records[1]["dynamodb"]["OldImage"] == expired and "NewImage" not in records[1]["dynamodb"]


def test_user_deletes_carry_no_identity(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb)["LatestStreamArn"]
    write_insert_modify_remove(ddb)
    assert all("userIdentity" not in r for r in read_stream(streams, arn))


def test_reader_interface_for_in_process_consumers(cloudlet):
    from cloudlet.services.dynamodbstreams.records import lambda_event_record

    ddb = cloudlet.client("dynamodb")
    arn = make_table(ddb)["LatestStreamArn"]
    for i in range(5):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}, "b": {"B": b"\x01"}})
    reader = streams_service(cloudlet).reader
    shards = reader.shards(arn)
    assert len(shards) == 1 and "EndingSequenceNumber" not in shards[0]["SequenceNumberRange"]
    records, position = reader.read(arn, shards[0]["ShardId"], None, 3)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["k0", "k1", "k2"]
    assert position == records[-1]["dynamodb"]["SequenceNumber"]
    records, position = reader.read(arn, shards[0]["ShardId"], position, 10)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["k3", "k4"]
    assert reader.read(arn, shards[0]["ShardId"], position, 10) == ([], position)
    event = lambda_event_record(records[0], arn)
    assert event["eventSourceARN"] == arn and isinstance(event["dynamodb"]["ApproximateCreationDateTime"], float)
    assert event["dynamodb"]["NewImage"]["b"] == {"B": b"\x01"}


def test_concurrent_writers_get_one_record_each_in_commit_order(cloudlet):
    import threading

    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arns = [make_table(ddb, name, view="KEYS_ONLY")["LatestStreamArn"] for name in ("t-a", "t-b")]
    errors: list = []

    def writer(n: int) -> None:
        client = cloudlet.client("dynamodb", region_name="us-east-1")
        first, second = ("t-a", "t-b") if n % 2 else ("t-b", "t-a")  # transactions lock tables in both orders
        try:
            for i in range(8):
                client.put_item(TableName="t-a", Item={"pk": {"S": f"w{n}-{i}"}})
                client.transact_write_items(TransactItems=[
                    {"Put": {"TableName": first, "Item": {"pk": {"S": f"x{n}-{i}"}}}},
                    {"Put": {"TableName": second, "Item": {"pk": {"S": f"x{n}-{i}"}}}},
                ])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    a, b = (read_stream(streams, arn) for arn in arns)
    assert len(a) == 4 * 8 * 2 and len(b) == 4 * 8
    for records in (a, b):
        numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
        assert numbers == sorted(set(numbers))
    # each writer's own writes appear in the order it made them
    for n in range(4):
        mine = [r["dynamodb"]["Keys"]["pk"]["S"] for r in a if r["dynamodb"]["Keys"]["pk"]["S"][1:].startswith(f"{n}-")]
        assert mine == [f"{p}{n}-{i}" for i in range(8) for p in ("w", "x")]


def test_a_write_rolled_back_after_its_record_was_appended_leaves_neither(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb, view="KEYS_ONLY")["LatestStreamArn"]
    items = cloudlet.platform.loaded_service("dynamodb").items

    def refuse(conn, table, old, new, identity):  # runs after the stream writer, in the same transaction
        if new is not None and new["pk"]["S"].startswith("bad"):
            raise RuntimeError("refused")

    items.listeners.append(refuse)
    try:
        ddb.put_item(TableName="tbl", Item={"pk": {"S": "good"}})
        with pytest.raises(ClientError) as excinfo:
            ddb.put_item(TableName="tbl", Item={"pk": {"S": "bad"}})
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        with pytest.raises(ClientError):
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "fine"}}}},
                {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "bad2"}}}},
            ])
    finally:
        items.listeners.remove(refuse)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_stream(streams, arn)] == ["good"]
    assert [i["pk"]["S"] for i in ddb.scan(TableName="tbl")["Items"]] == ["good"]


def test_reader_from_the_event_loop(cloudlet):
    import asyncio

    ddb = cloudlet.client("dynamodb")
    arn = make_table(ddb)["LatestStreamArn"]
    ddb.put_item(TableName="tbl", Item=V1)
    platform = cloudlet.platform
    reader = streams_service(cloudlet).reader

    async def consume():
        [shard] = await platform.run_sync(reader.shards, arn)
        return await platform.run_sync(reader.read, arn, shard["ShardId"], None, 10)

    records, position = asyncio.run_coroutine_threadsafe(consume(), platform.loop).result(10)
    assert [r["eventName"] for r in records] == ["INSERT"] and position == records[0]["dynamodb"]["SequenceNumber"]
