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
