"""Request-level validation of the DynamoDB control plane with boto3: which constraint messages
DynamoDB gives, in which order, and what it leaves out when a request breaks several."""

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from ddb_helpers import error

ONE = "1 validation error detected: "
PAIR = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
PAIR_DEFS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]


@pytest.fixture
def ddb(cloudlet):
    return cloudlet.client("dynamodb", config=Config(parameter_validation=False))


def short_index(name, member):
    return (f"Value '{name}' at '{member}.1.member.indexName' failed to satisfy constraint: Member must have length "
            "greater than or equal to 3")


def test_create_table_constraint_messages(ddb):
    hash_key = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}
    lsi = lambda name: {"IndexName": name, "Projection": {"ProjectionType": "ALL"},  # noqa: E731
                        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                      {"AttributeName": "lr", "KeyType": "RANGE"}]}
    gsi = lambda name: {"IndexName": name, "Projection": {"ProjectionType": "ALL"},  # noqa: E731
                        "KeySchema": [{"AttributeName": "gh", "KeyType": "HASH"}]}
    cases = [
        ({**hash_key}, "The parameter 'TableName' is required but was not present in the request"),
        ({"TableName": "three", "KeySchema": [*PAIR, {"AttributeName": "extra", "KeyType": "RANGE"}],
          "AttributeDefinitions": [*PAIR_DEFS, {"AttributeName": "extra", "AttributeType": "S"}]},
         ONE + "Value '[KeySchemaElement(attributeName=pk, keyType=HASH), KeySchemaElement(attributeName=sk, "
               "keyType=RANGE), KeySchemaElement(attributeName=extra, keyType=RANGE)]' at 'keySchema' failed to "
               "satisfy constraint: Member must have length less than or equal to 2"),
        ({"TableName": "badtype", "KeySchema": hash_key["KeySchema"],
          "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "INVALID"}]},
         ONE + "Value 'INVALID' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: "
               "Member must satisfy enum value set: [B, N, S]"),
        # a bad table name is reported alone
        ({"TableName": "x!", "KeySchema": [], "AttributeDefinitions": hash_key["AttributeDefinitions"]},
         "2 validation errors detected: Value 'x!' at 'tableName' failed to satisfy constraint: Member must satisfy "
         "regular expression pattern: [a-zA-Z0-9_.-]+; Value 'x!' at 'tableName' failed to satisfy constraint: "
         "Member must have length greater than or equal to 3"),
        # a GSI's problems come before an LSI's, whatever the request's order
        ({"TableName": "indexes", "KeySchema": PAIR, "AttributeDefinitions": PAIR_DEFS,
          "LocalSecondaryIndexes": [lsi("aa")], "GlobalSecondaryIndexes": [gsi("zz")]},
         f"2 validation errors detected: {short_index('zz', 'globalSecondaryIndexes')}; "
         f"{short_index('aa', 'localSecondaryIndexes')}"),
    ]
    for request, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.create_table(BillingMode="PAY_PER_REQUEST", **request)
        assert error(excinfo) == ("ValidationException", message, 400), request
    assert ddb.list_tables()["TableNames"] == []
    for call in (lambda: ddb.describe_table(), lambda: ddb.get_item(Key={"pk": {"S": "a"}})):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error(excinfo) == (
            "ValidationException", "The parameter 'TableName' is required but was not present in the request", 400)
