"""ReturnConsumedCapacity as DynamoDB reports it: the aggregate CapacityUnits alone on single-item and
single-table operations, index arms only for indexes a write touched, batches summed per table."""

import pytest


@pytest.fixture
def ddb(cloudlet):
    client = cloudlet.client("dynamodb")
    client.create_table(
        TableName="idx",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gsiPk", "lsiSk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{"IndexName": "gsi-inc", "KeySchema": [{"AttributeName": "gsiPk", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["proj"]}}],
        LocalSecondaryIndexes=[{"IndexName": "lsi1", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                   {"AttributeName": "lsiSk", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "ALL"}}],
    )
    return client


def strings(**attrs):
    return {k: {"S": v} for k, v in attrs.items()}


def arms(total, table, gsi=None, lsi=None):
    out = {"TableName": "idx", "CapacityUnits": float(total), "Table": {"CapacityUnits": float(table)}}
    if gsi:
        out["GlobalSecondaryIndexes"] = {"gsi-inc": {"CapacityUnits": float(gsi)}}
    if lsi:
        out["LocalSecondaryIndexes"] = {"lsi1": {"CapacityUnits": float(lsi)}}
    return out


def test_single_item_operations_report_the_aggregate_without_a_read_write_split(ddb):
    key = strings(pk="a", sk="1")
    put = ddb.put_item(TableName="idx", Item={**key, "d": {"S": "x"}}, ReturnConsumedCapacity="TOTAL")
    assert put["ConsumedCapacity"] == {"TableName": "idx", "CapacityUnits": 1.0}
    assert "ConsumedCapacity" not in ddb.put_item(TableName="idx", Item=key, ReturnConsumedCapacity="NONE")
    strong = ddb.get_item(TableName="idx", Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    eventual = ddb.get_item(TableName="idx", Key=key, ReturnConsumedCapacity="TOTAL")
    assert strong["ConsumedCapacity"] == {"TableName": "idx", "CapacityUnits": 1.0}
    assert eventual["ConsumedCapacity"] == {"TableName": "idx", "CapacityUnits": 0.5}
    query = ddb.query(TableName="idx", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}},
                      ConsistentRead=True, ReturnConsumedCapacity="INDEXES")
    assert query["ConsumedCapacity"] == {"TableName": "idx", "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}


def test_index_write_arms_of_put_update_delete_and_batch(ddb):
    def put(**attrs):
        return ddb.put_item(TableName="idx", Item=strings(sk="1", **attrs), ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]

    assert put(pk="g", gsiPk="g1", proj="p") == arms(2, 1, gsi=1)
    assert put(pk="s", other="o") == arms(1, 1)
    assert put(pk="l", lsiSk="L1") == arms(2, 1, lsi=1)
    full = {"gsiPk": "g3", "lsiSk": "L1", "proj": "p"}
    assert put(pk="b", **full) == arms(3, 1, gsi=1, lsi=1)
    assert put(pk="b", **full) == arms(1, 1)  # an identical overwrite changes no index entry
    total = ddb.put_item(TableName="idx", Item=strings(pk="t", sk="1", gsiPk="g", proj="p"), ReturnConsumedCapacity="TOTAL")
    assert total["ConsumedCapacity"] == {"TableName": "idx", "CapacityUnits": 2.0}

    ladder = [
        ("SET misc = :v", {":v": {"S": "o2"}}, arms(2, 1, lsi=1)),
        ("SET proj = :v", {":v": {"S": "p2"}}, arms(3, 1, gsi=1, lsi=1)),
        ("SET gsiPk = :v", {":v": {"S": "moved"}}, arms(4, 1, gsi=2, lsi=1)),
        ("REMOVE gsiPk", None, arms(3, 1, gsi=1, lsi=1)),
        ("SET lsiSk = :v", {":v": {"S": "L2"}}, arms(3, 1, lsi=2)),
    ]
    for i, (expression, values, expected) in enumerate(ladder):
        pk = f"u{i}"
        put(pk=pk, gsiPk="gl", lsiSk="L1", proj="p", misc="o")
        extra = {"ExpressionAttributeValues": values} if values else {}
        out = ddb.update_item(TableName="idx", Key=strings(pk=pk, sk="1"), UpdateExpression=expression,
                              ReturnConsumedCapacity="INDEXES", **extra)
        assert out["ConsumedCapacity"] == expected, expression

    deleted = ddb.delete_item(TableName="idx", Key=strings(pk="b", sk="1"), ReturnConsumedCapacity="INDEXES")
    assert deleted["ConsumedCapacity"] == arms(3, 1, gsi=1, lsi=1)
    sparse = ddb.delete_item(TableName="idx", Key=strings(pk="s", sk="1"), ReturnConsumedCapacity="INDEXES")
    assert sparse["ConsumedCapacity"] == arms(1, 1)

    batch = ddb.batch_write_item(RequestItems={"idx": [
        {"PutRequest": {"Item": strings(pk="x1", sk="1", gsiPk="gb", proj="p")}},
        {"PutRequest": {"Item": strings(pk="x2", sk="1", other="o")}},
    ]}, ReturnConsumedCapacity="INDEXES")
    assert batch["UnprocessedItems"] == {}
    assert batch["ConsumedCapacity"] == [arms(3, 2, gsi=1)]
    batch = ddb.batch_write_item(RequestItems={"idx": [
        {"DeleteRequest": {"Key": strings(pk="x1", sk="1")}}, {"DeleteRequest": {"Key": strings(pk="x2", sk="1")}},
    ]}, ReturnConsumedCapacity="TOTAL")
    assert batch["ConsumedCapacity"] == [{"TableName": "idx", "CapacityUnits": 3.0}]


def test_reads_are_sized_before_the_filter_and_the_projection(ddb):
    for i in range(6):
        ddb.put_item(TableName="idx", Item={**strings(pk="q", sk=f"s{i}", keep="yes" if i == 0 else "no"),
                                            "filler": {"S": "x" * 200}})

    def units(op, **kwargs):
        out = getattr(ddb, op)(TableName="idx", ReturnConsumedCapacity="TOTAL", **kwargs)
        return out["ConsumedCapacity"]["CapacityUnits"], out["Count"]

    key = {"KeyConditionExpression": "pk = :p"}
    for op, base in (("query", key), ("scan", {})):
        values = {":p": {"S": "q"}} if base else {}
        plain, count = units(op, **base, **({"ExpressionAttributeValues": values} if values else {}))
        assert count == 6
        for extra in ({"FilterExpression": "keep = :k", "ExpressionAttributeValues": {**values, ":k": {"S": "yes"}}},
                      {"FilterExpression": "keep = :k", "ExpressionAttributeValues": {**values, ":k": {"S": "none"}}},
                      {"ProjectionExpression": "sk", **({"ExpressionAttributeValues": values} if values else {})}):
            assert units(op, **base, **extra)[0] == plain, (op, extra)
