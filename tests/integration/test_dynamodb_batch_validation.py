"""BatchGetItem / BatchWriteItem request validation with boto3: the RequestItems map's own
constraints, key faults and projection conflicts, each with DynamoDB's message, writing nothing."""

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from ddb_helpers import error

ONE = "1 validation error detected: "
MAP_KEYS = ("failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or "
            "equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular "
            "expression pattern: [a-zA-Z0-9_.-]+]")
SCHEMA = "The provided key element does not match the schema"
MIXED = ("Can not use both expression and non-expression parameters in the same request: Non-expression "
         "parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}")


@pytest.fixture
def ddb(cloudlet):
    client = cloudlet.client("dynamodb", config=Config(parameter_validation=False))
    for name, keys in (("bv-hash", [("pk", "S", "HASH")]), ("bv-pair", [("pk", "S", "HASH"), ("sk", "S", "RANGE")])):
        client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": n, "KeyType": k} for n, _, k in keys],
                            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t, _ in keys])
    return client


def key(pk):
    return {"pk": {"S": pk}}


def test_batch_get_request_items(ddb):
    cases = [
        ({}, ONE + "Value at 'RequestItems' failed to satisfy constraint: Member must have length greater than or "
             "equal to 1"),
        ({"bv-hash": {"Keys": []}}, ONE + "Value at 'RequestItems.bv-hash.member.Keys' failed to satisfy "
                                          "constraint: Member must have length greater than or equal to 1"),
        ({"bv-hash": {"Keys": [key(f"k{i}") for i in range(101)]}},
         ONE + "Value at 'RequestItems.bv-hash.member.Keys' failed to satisfy constraint: Member must have length "
               "less than or equal to 100"),
        ({"bad!name": {"Keys": [key("a")]}},
         ONE + 'Value \'{"bad!name":{"Keys":[{"pk":{"S":"a"}}]}}\' at \'requestItems\' ' + MAP_KEYS),
        ({"bv-hash": {"Keys": [key("a")], "ProjectionExpression": "pk"},
          "bv-pair": {"Keys": [{**key("a"), "sk": {"S": "z"}}], "AttributesToGet": ["pk"]}}, MIXED),
        ({"bv-hash": {"Keys": [key("a")], "ProjectionExpression": "pk", "AttributesToGet": ["pk"]}}, MIXED),
    ]
    for request, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.batch_get_item(RequestItems=request)
        assert error(excinfo) == ("ValidationException", message, 400), request


def test_batch_write_request_items(ddb):
    put = lambda item: {"PutRequest": {"Item": item}}  # noqa: E731
    cases = [
        ({}, ONE + "Value at 'RequestItems' failed to satisfy constraint: Member must have length greater than or "
             "equal to 1"),
        ({"bv-hash": []}, ONE + "Value '{bv-hash=[]}' at 'requestItems' failed to satisfy constraint: Map value "
                                "must satisfy constraint: [Member must have length less than or equal to 25, Member "
                                "must have length greater than or equal to 1]"),
        ({"bv-hash": [put(key(f"k{i}")) for i in range(26)]},
         ONE + "Value at 'RequestItems.bv-hash.member' failed to satisfy constraint: Member must have length less "
               "than or equal to 25"),
        ({"bad!name": [put(key("x"))]},
         ONE + "Value '{bad!name=[WriteRequest(putRequest=PutRequest(item={pk=AttributeValue(S=x)}), "
               "deleteRequest=null)]}' at 'requestItems' " + MAP_KEYS),
        # a put item's table key is checked as a key lookup's is
        ({"bv-hash": [put({"pk": {"N": "5"}})]}, SCHEMA),
        ({"bv-hash": [put({"pk": {"L": [{"S": "x"}]}})]}, SCHEMA),
        ({"bv-hash": [put({"other": {"S": "x"}})]}, SCHEMA),
        ({"bv-hash": [put(key("fine")), {"DeleteRequest": {"Key": {"other": {"S": "x"}}}}]}, SCHEMA),
        ({"bv-hash": [put({"pk": {"S": ""}})]}, "One or more parameter values are not valid. The AttributeValue "
                                                 "for a key attribute cannot contain an empty string value. Key: pk"),
    ]
    for request, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.batch_write_item(RequestItems=request)
        assert error(excinfo) == ("ValidationException", message, 400), request
    assert ddb.scan(TableName="bv-hash")["Count"] == 0


def test_batch_enum_problems_beside_request_items(ddb):
    rcc = ("Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value "
           "set: [INDEXES, TOTAL, NONE]")
    ricm = ("Value 'BOGUS2' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum "
            "value set: [SIZE, NONE]")
    put = [{"PutRequest": {"Item": key("x")}}]
    cases = [
        (ddb.batch_write_item, {"RequestItems": {"bv-hash": put}, "ReturnConsumedCapacity": "BOGUS",
                                "ReturnItemCollectionMetrics": "BOGUS2"}, f"2 validation errors detected: {rcc}; {ricm}"),
        (ddb.batch_write_item, {"RequestItems": {"absent": put}, "ReturnConsumedCapacity": "BOGUS"}, ONE + rcc),
        # a malformed table name gives way to the enum in BatchWriteItem ...
        (ddb.batch_write_item, {"RequestItems": {"bad!name": put}, "ReturnConsumedCapacity": "BOGUS"}, ONE + rcc),
        (ddb.batch_get_item, {"RequestItems": {"absent": {"Keys": [key("a")]}}, "ReturnConsumedCapacity": "BOGUS"},
         ONE + rcc),
        # ... and is reported with it, first, in BatchGetItem
        (ddb.batch_get_item, {"RequestItems": {"bad!name": {"Keys": [key("a")]}}, "ReturnConsumedCapacity": "BOGUS"},
         "2 validation errors detected: Value '{\"bad!name\":{\"Keys\":[{\"pk\":{\"S\":\"a\"}}]}}' at 'requestItems' "
         + MAP_KEYS + "; " + rcc),
    ]
    for call, kwargs, message in cases:
        with pytest.raises(ClientError) as excinfo:
            call(**kwargs)
        assert error(excinfo) == ("ValidationException", message, 400), kwargs
    assert ddb.scan(TableName="bv-hash")["Count"] == 0


def test_reads_refuse_keys_too_long_to_store(ddb):
    hash_message = ("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit "
                    "of2048 bytes")
    range_message = ("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the "
                     "size limit of 1024 bytes")
    cases = [
        (lambda: ddb.get_item(TableName="bv-hash", Key=key("a" * 2049)), hash_message),
        (lambda: ddb.get_item(TableName="bv-pair", Key={**key("a"), "sk": {"S": "b" * 1025}}), range_message),
        (lambda: ddb.batch_get_item(RequestItems={"bv-hash": {"Keys": [key("a" * 2049)]}}), hash_message),
    ]
    for call, message in cases:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error(excinfo) == ("ValidationException", message, 400)
    assert "Item" not in ddb.get_item(TableName="bv-hash", Key=key("a" * 2048))
