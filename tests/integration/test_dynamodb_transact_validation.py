"""TransactWriteItems / TransactGetItems request validation with boto3: which faults refuse the whole
request (ValidationException) and which cancel the transaction with a ValidationError reason, the
order of checks across actions, and that nothing is written either way."""

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from ddb_helpers import error

CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]"
EMPTY_KEY = ("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
             "an empty {} value. Key: pk")
EMPTY_INDEX_KEY = ("One or more parameter values are not valid. A value specified for a secondary index key is not "
                   "supported. The AttributeValue for a key attribute cannot contain an empty string value. "
                   "IndexName: by_tag, IndexKey: tag")
SCHEMA = "The provided key element does not match the schema"
SYNTAX = 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "("'
UNUSED = "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"
TOO_DEEP = ("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond "
            "supported limit")


@pytest.fixture
def ddb(cloudlet):
    client = cloudlet.client("dynamodb", config=Config(parameter_validation=False))
    client.create_table(TableName="txv", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "tag", "AttributeType": "S"}],
                        GlobalSecondaryIndexes=[{"IndexName": "by_tag", "Projection": {"ProjectionType": "ALL"},
                                                 "KeySchema": [{"AttributeName": "tag", "KeyType": "HASH"}]}])
    client.create_table(TableName="txb", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "B"}])
    client.put_item(TableName="txv", Item={"pk": {"S": "held"}, "v": {"S": "x"}})
    return client


def put(pk, table="txv", **extra):
    return {"Put": {"TableName": table, "Item": {"pk": pk, **extra}}}


def update(pk, table="txv", expression="SET a = :a", value=None):
    return {"Update": {"TableName": table, "Key": {"pk": pk}, "UpdateExpression": expression,
                       "ExpressionAttributeValues": {":a": value or {"S": "x"}}}}


def delete(pk, table="txv"):
    return {"Delete": {"TableName": table, "Key": {"pk": pk}}}


def check(pk, table="txv", condition="attribute_not_exists(pk)", **extra):
    return {"ConditionCheck": {"TableName": table, "Key": {"pk": pk}, "ConditionExpression": condition, **extra}}


def refused(ddb, items, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=items, **kwargs)
    return excinfo


def stored(ddb):
    return sorted(i["pk"]["S"] for i in ddb.scan(TableName="txv")["Items"])


def test_wrong_key_types_cancel_with_a_validation_error_reason(ddb):
    mismatch = "One or more parameter values were invalid: Type mismatch for {} expected: S actual: {}"
    index_mismatch = ("One or more parameter values were invalid: Type mismatch for Index Key tag Expected: S "
                      "Actual: {} IndexName: by_tag")
    cases = [
        (put({"N": "5"}), mismatch.format("key pk", "N")),
        (put({"L": [{"S": "x"}]}), mismatch.format("key pk", "L")),
        (update({"N": "5"}), SCHEMA), (update({"L": [{"S": "x"}]}), SCHEMA),
        (delete({"N": "5"}), SCHEMA), (delete({"L": [{"S": "x"}]}), SCHEMA),
        (check({"N": "5"}), SCHEMA), (check({"L": [{"S": "x"}]}), SCHEMA),
        (put({"S": "new"}, tag={"N": "5"}), index_mismatch.format("N")),
        (put({"S": "new"}, tag={"L": []}), index_mismatch.format("L")),
        (update({"S": "new"}, expression="SET tag = :a", value={"N": "5"}), index_mismatch.format("N")),
        (update({"S": "new"}, expression="SET tag = :a", value={"L": [{"S": "x"}]}), index_mismatch.format("L")),
    ]
    for action, message in cases:
        excinfo = refused(ddb, [action])
        assert error(excinfo) == ("TransactionCanceledException", CANCELLED.format("ValidationError"), 400), action
        assert excinfo.value.response["CancellationReasons"] == [{"Code": "ValidationError", "Message": message}]
    # reasons stay positional: a valid action beside it reads None, a failing condition its own code
    excinfo = refused(ddb, [put({"S": "fresh"}), put({"N": "5"}), check({"S": "held"})])
    assert error(excinfo)[1] == CANCELLED.format("None, ValidationError, ConditionalCheckFailed")
    assert [r["Code"] for r in excinfo.value.response["CancellationReasons"]] == [
        "None", "ValidationError", "ConditionalCheckFailed"]
    assert stored(ddb) == ["held"]


def test_empty_key_values_refuse_the_request(ddb):
    cases = [(put({"S": ""}), EMPTY_KEY.format("string")), (update({"S": ""}), EMPTY_KEY.format("string")),
             (delete({"S": ""}), EMPTY_KEY.format("string")), (check({"S": ""}), EMPTY_KEY.format("string")),
             (put({"B": b""}, "txb"), EMPTY_KEY.format("binary")),
             (update({"B": b""}, "txb"), EMPTY_KEY.format("binary")),
             (delete({"B": b""}, "txb"), EMPTY_KEY.format("binary")),
             (check({"B": b""}, "txb"), EMPTY_KEY.format("binary")),
             (put({"S": "new"}, tag={"S": ""}), EMPTY_INDEX_KEY),
             # an update's empty index key is worded for updates, naming neither index nor key
             (update({"S": "new"}, expression="SET tag = :a", value={"S": ""}),
              "One or more parameter values are not valid. The update expression attempted to update a secondary "
              "index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an "
              "empty string value.")]
    for action, message in cases:
        assert error(refused(ddb, [put({"S": "first"}), action])) == ("ValidationException", message, 400), action
    assert stored(ddb) == ["held"]


def test_request_level_refusals(ddb):
    pattern = ("1 validation error detected: Value 'bad!name' at 'transactItems.{}.tableName' failed to satisfy "
               "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    cases = [
        ([{"Put": {"TableName": "bad!name", "Item": {"pk": {"S": "a"}}}}], pattern.format("1.member.put")),
        ([put({"S": "a"}), {"Update": {**update({"S": "a"})["Update"], "TableName": "bad!name"}}],
         pattern.format("2.member.update")),
        ([{"Delete": {"TableName": "bad!name", "Key": {"pk": {"S": "a"}}}}], pattern.format("1.member.delete")),
        ([check({"S": "a"}, "bad!name")], pattern.format("1.member.conditionCheck")),
        ([{}], "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request"),
        ([{"Put": {**put({"S": "a"})["Put"], "ConditionExpression": ""}}],
         "Invalid ConditionExpression: The expression can not be empty;"),
        ([check({"S": "a"}, condition="")], "Invalid ConditionExpression: The expression can not be empty;"),
        # expressions and values of every action are read before any table is looked up
        ([put({"S": "a"}, "absent"), check({"S": "a"}, condition="attribute_not_exists(")], SYNTAX),
        ([put({"S": "a"}, "absent"), check({"S": "a"}, ExpressionAttributeValues={":v": {"S": "x"}})], UNUSED),
        ([check({"S": "a"}, ExpressionAttributeValues={":v": {"S": "x"}}), put({"S": "a"}, "absent")], UNUSED),
        ([put({"S": "held"}), check({"S": "held"}, ExpressionAttributeValues={":v": {"S": "x"}})], UNUSED),
        ([check({"S": "a"}, condition="attribute_not_exists("), put({"S": "deep"}, data=_deep(32))], SYNTAX),
        ([put({"S": "deep"}, data=_deep(32)), check({"S": "a"}, condition="attribute_not_exists(")], TOO_DEEP),
    ]
    for items, message in cases:
        assert error(refused(ddb, items)) == ("ValidationException", message, 400), items
    assert stored(ddb) == ["held"]
    ddb.transact_write_items(TransactItems=[put({"S": "deep"}, data=_deep(31))])
    assert stored(ddb) == ["deep", "held"]


def _deep(levels):
    value = {"S": "leaf"}
    for _ in range(levels):
        value = {"M": {"n": value}}
    return value


def test_transact_get_validation(ddb):
    get = lambda table, key, **extra: {"Get": {"TableName": table, "Key": key, **extra}}  # noqa: E731
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_get_items(TransactItems=[get("txv", {"pk": {"S": "held"}}), get("txv", {})])
    assert error(excinfo) == ("TransactionCanceledException", CANCELLED.format("None, ValidationError"), 400)
    assert excinfo.value.response["CancellationReasons"] == [{"Code": "None"},
                                                             {"Code": "ValidationError", "Message": SCHEMA}]
    cases = [
        ([get("bad!name", {"pk": {"S": "a"}})],
         "1 validation error detected: Value 'bad!name' at 'transactItems.1.member.get.tableName' failed to satisfy "
         "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
        ([get("absent", {"pk": {"S": "a"}}), get("txv", {"pk": {"S": "a"}}, ProjectionExpression="!!!")],
         'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"'),
    ]
    for items, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.transact_get_items(TransactItems=items)
        assert error(excinfo) == ("ValidationException", message, 400), items


def test_actions_are_checked_in_request_order(ddb):
    def deep(levels):
        return _deep(levels)
    item = lambda pk, **extra: {"Put": {"TableName": "absent", "Item": {"pk": {"S": pk}, **extra}}}  # noqa: E731
    wrapped = ("ExpressionAttributeValues contains invalid value: " + TOO_DEEP + " for key :deep")
    big_update = "SET " + ", ".join(f"a{i} = :v" for i in range(500))
    cases = [
        ([item("a", d=deep(40)), item("b", **{"": {"S": "x"}})], TOO_DEEP),
        ([item("a", **{"": {"S": "x"}}), item("b", d=deep(100))], "Empty attribute name"),
        # an item's empty attribute name is found before any of its values, however deep
        ([item("a", d=deep(100), **{"": {"S": "x"}})], "Empty attribute name"),
        ([check({"S": "b"}, condition="d = :deep", ExpressionAttributeValues={":deep": deep(40)}),
          item("a", **{"": {"S": "x"}})], wrapped),
        ([{"Delete": {"TableName": "absent", "Key": {"pk": deep(40)}}},
          {"Put": {"TableName": "absent", "Item": {"pk": {"S": "a"}}, "ConditionExpression": "a = = b"}}], TOO_DEEP),
        ([{"Delete": {"TableName": "absent", "Key": {"pk": deep(100)}, "ConditionExpression": "a = = b"}}],
         'Invalid ConditionExpression: Syntax error; token: "=", near: "= = b"'),
        ([{"Update": {"TableName": "absent", "Key": {"pk": {"S": "a"}}, "UpdateExpression": big_update,
                      "ExpressionAttributeValues": {":v": {"S": "x"}}}}],
         "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;"),
    ]
    for items, message in cases:
        assert error(refused(ddb, items)) == ("ValidationException", message, 400), items
    # a single PutItem refuses an empty attribute name too, in its envelope
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName="txv", Item={"pk": {"S": "e"}, "": {"S": "x"}})
    assert error(excinfo) == ("ValidationException", "1 validation error detected: Empty attribute name", 400)
    assert stored(ddb) == ["held"]


def test_transaction_capacity_and_empty_projections(ddb):
    out = ddb.transact_write_items(ReturnConsumedCapacity="INDEXES", TransactItems=[put({"S": "c1"}), put({"S": "c2"})])
    assert out["ConsumedCapacity"] == [{"TableName": "txv", "CapacityUnits": 4.0,
                                        "Table": {"CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}}]
    get = lambda pk, **extra: {"Get": {"TableName": "txv", "Key": {"pk": {"S": pk}}, **extra}}  # noqa: E731
    out = ddb.transact_get_items(ReturnConsumedCapacity="INDEXES", TransactItems=[get("c1"), get("missing")])
    assert out["ConsumedCapacity"] == [{"TableName": "txv", "CapacityUnits": 4.0,
                                        "Table": {"CapacityUnits": 4.0, "ReadCapacityUnits": 4.0}}]
    out = ddb.transact_get_items(ReturnConsumedCapacity="TOTAL", TransactItems=[get("c1")])
    assert out["ConsumedCapacity"] == [{"TableName": "txv", "CapacityUnits": 2.0}]
    # a projection that leaves nothing of a present item answers as for a missing one
    out = ddb.transact_get_items(TransactItems=[get("held", ProjectionExpression="#x",
                                                    ExpressionAttributeNames={"#x": "absent"})])
    assert out["Responses"] == [{}]
    out = ddb.transact_get_items(TransactItems=[get("held", ProjectionExpression="v")])
    assert out["Responses"] == [{"Item": {"v": {"S": "x"}}}]
