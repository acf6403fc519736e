"""Query and Scan details against a live server: Select / projection conflicts name the parameter
given, and size() counts a string's UTF-16 code units."""

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error


@pytest.fixture
def ddb(cloudlet):
    client = cloudlet.client("dynamodb")
    client.create_table(
        TableName="reads",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


KEY = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "x"}}}


@pytest.mark.parametrize("op, select, projection, message", [
    ("query", "ALL_ATTRIBUTES", {"ProjectionExpression": "sk"},
     "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"),
    ("scan", "ALL_ATTRIBUTES", {"ProjectionExpression": "sk"},
     "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"),
    ("query", "COUNT", {"ProjectionExpression": "sk"},
     "Cannot specify the ProjectionExpression when choosing to get only the Count"),
    ("query", "ALL_ATTRIBUTES", {"AttributesToGet": ["sk"]},
     "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES"),
    ("scan", "COUNT", {"AttributesToGet": ["sk"]},
     "Cannot specify the AttributesToGet when choosing to get only the Count"),
])
def test_select_conflicting_with_a_projection_names_the_parameter(ddb, op, select, projection, message):
    if op == "query" and "AttributesToGet" in projection:
        extra = {"KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}}}
    else:
        extra = KEY if op == "query" else {}
    with pytest.raises(ClientError) as excinfo:
        getattr(ddb, op)(TableName="reads", Select=select, **projection, **extra)
    assert error(excinfo) == ("ValidationException", message, 400)


def test_size_of_a_string_counts_utf16_code_units(ddb):
    ddb.put_item(TableName="reads", Item={"pk": {"S": "x"}, "sk": {"S": "1"}, "s": {"S": "é\U0001d11e"}})

    def matches(n, name="s"):
        out = ddb.query(TableName="reads", FilterExpression="size(#s) = :n", ExpressionAttributeNames={"#s": name},
                        **{**KEY, "ExpressionAttributeValues": {":p": {"S": "x"}, ":n": {"N": str(n)}}})
        return out["Count"]

    assert (matches(3), matches(2), matches(6)) == (1, 0, 0)
    assert matches(0, "missing") == 0  # size() of a missing attribute matches nothing


def test_index_pages_carry_table_and_index_keys_through_ties(cloudlet):
    ddb = cloudlet.client("dynamodb")
    ddb.create_table(
        TableName="ties",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g", "l")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "byl", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                  {"AttributeName": "l", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    )
    for i in range(5):
        ddb.put_item(TableName="ties", Item={"pk": {"S": "p"}, "sk": {"S": f"s{i}"}, "g": {"S": "g"}, "l": {"S": "l"}})
    for index, key, names in (("byg", "g", ["g", "pk", "sk"]), ("byl", "l", ["l", "pk", "sk"])):
        condition = "g = :v" if key == "g" else "pk = :p AND l = :v"
        values = {":v": {"S": key}, **({":p": {"S": "p"}} if key == "l" else {})}
        seen, start, pages = [], None, 0
        while True:
            page = ddb.query(TableName="ties", IndexName=index, KeyConditionExpression=condition,
                             ExpressionAttributeValues=values, Limit=2, **({"ExclusiveStartKey": start} if start else {}))
            pages += 1
            seen += [item["sk"]["S"] for item in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
            assert sorted(start) == names
        assert seen == [f"s{i}" for i in range(5)] and pages == 3, index


def test_batch_get_keeps_an_empty_entry_for_a_projection_that_matches_nothing(ddb):
    ddb.put_item(TableName="reads", Item={"pk": {"S": "x"}, "sk": {"S": "1"}, "name": {"S": "n"}})
    out = ddb.batch_get_item(RequestItems={"reads": {"Keys": [{"pk": {"S": "x"}, "sk": {"S": "1"}},
                                                              {"pk": {"S": "x"}, "sk": {"S": "2"}}],
                                                     "ProjectionExpression": "nonexistent"}})
    assert out["Responses"] == {"reads": [{}]} and out["UnprocessedKeys"] == {}


def test_item_collection_metrics_report_the_zero_to_one_gigabyte_range(cloudlet):
    ddb = cloudlet.client("dynamodb")
    ddb.create_table(
        TableName="icm",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "l")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
        LocalSecondaryIndexes=[{"IndexName": "byl", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                  {"AttributeName": "l", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "ALL"}}],
    )
    key = {"pk": {"S": "c"}, "sk": {"S": "a"}}
    expected = {"ItemCollectionKey": {"pk": {"S": "c"}}, "SizeEstimateRangeGB": [0.0, 1.0]}
    calls = [
        lambda: ddb.put_item(TableName="icm", Item={**key, "l": {"S": "v"}}, ReturnItemCollectionMetrics="SIZE"),
        lambda: ddb.update_item(TableName="icm", Key=key, UpdateExpression="SET d = :v",
                                ExpressionAttributeValues={":v": {"S": "u"}}, ReturnItemCollectionMetrics="SIZE"),
        lambda: ddb.delete_item(TableName="icm", Key=key, ReturnItemCollectionMetrics="SIZE"),
    ]
    for call in calls:
        assert call()["ItemCollectionMetrics"] == expected
    out = ddb.put_item(TableName="icm", Item=key, ReturnItemCollectionMetrics="NONE")
    assert "ItemCollectionMetrics" not in out
