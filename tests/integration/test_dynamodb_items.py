"""PutItem, GetItem, UpdateItem, DeleteItem with boto3 against a live server: values, conditions,
ReturnValues, capacity and every class of bad input (error code, HTTP status, state left intact)."""

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error

ENVELOPE = "1 validation error detected: "  # PutItem, UpdateItem and DeleteItem wrap request problems in it


@pytest.fixture
def ddb(cloudlet):
    client = cloudlet.client("dynamodb")
    client.create_table(
        TableName="items",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client




KEY = {"pk": {"S": "a"}, "sk": {"N": "1"}}


def get(ddb, key=KEY, **kwargs):
    return ddb.get_item(TableName="items", Key=key, ConsistentRead=True, **kwargs).get("Item")


def test_put_get_round_trips_every_type(ddb):
    item = {
        **KEY,
        "s": {"S": "héllo"}, "e": {"S": ""}, "n": {"N": "-12.50"}, "b": {"B": b"\x00\xff"}, "eb": {"B": b""},
        "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.0"]}, "bs": {"BS": [b"a", b"b"]},
        "m": {"M": {"in": {"L": [{"N": "1"}, {"NULL": True}, {"BOOL": False}]}}}, "t": {"BOOL": True},
    }
    ddb.put_item(TableName="items", Item=item)
    got = get(ddb)
    assert got["s"] == {"S": "héllo"} and got["e"] == {"S": ""} and got["eb"] == {"B": b""}
    assert got["n"] == {"N": "-12.5"}  # canonical form
    assert sorted(got["ns"]["NS"]) == ["1", "2"]
    assert got["m"] == item["m"] and got["b"] == {"B": b"\x00\xff"} and got["t"] == {"BOOL": True}


def test_numbers_canonical_form_and_limits(ddb):
    cases = {"1E+2": "100", "0.000": "0", "-0": "0", "1.5e-3": "0.0015", "00012": "12",
             "9.9999999999999999999999999999999999999E+125": "99999999999999999999999999999999999999" + "0" * 88,
             "1E-130": "0." + "0" * 129 + "1"}
    for i, (given, expected) in enumerate(cases.items()):
        key = {"pk": {"S": "n"}, "sk": {"N": str(i)}}
        ddb.put_item(TableName="items", Item={**key, "v": {"N": given}})
        assert get(ddb, key)["v"] == {"N": expected}
    bad = {
        "1E+126": "Number overflow. Attempting to store a number with magnitude larger than supported range",
        "1E-131": "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        "1.2345678901234567890123456789012345678901": "Attempting to store more than 38 significant digits in a Number",
        "abc": "The parameter cannot be converted to a numeric value: abc",
    }
    for given, message in bad.items():
        with pytest.raises(ClientError) as excinfo:
            ddb.put_item(TableName="items", Item={**KEY, "v": {"N": given}})
        assert error(excinfo) == ("ValidationException", ENVELOPE + message, 400)
    assert get(ddb) is None


def test_key_errors(ddb):
    cases = [
        ({"pk": {"S": "a"}}, "One or more parameter values were invalid: Missing the key sk in the item"),
        ({"pk": {"N": "1"}, "sk": {"N": "1"}},
         "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"),
        ({"pk": {"S": ""}, "sk": {"N": "1"}},
         "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
         "empty string value. Key: pk"),
        ({"pk": {"S": "x" * 2049}, "sk": {"N": "1"}},
         "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"),
    ]
    for item, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.put_item(TableName="items", Item=item)
        assert error(excinfo) == ("ValidationException", message, 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.get_item(TableName="items", Key={"pk": {"S": "a"}})
    assert error(excinfo) == ("ValidationException", "The provided key element does not match the schema", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.get_item(TableName="items", Key={**KEY, "x": {"S": "1"}})
    assert error(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        ddb.get_item(TableName="nothere", Key=KEY)
    assert error(excinfo) == ("ResourceNotFoundException", "Requested resource not found", 400)
    assert ddb.scan(TableName="items")["Count"] == 0


def test_attribute_value_errors(ddb):
    cases = [
        ({"SS": []}, "One or more parameter values were invalid: An string set  may not be empty"),
        ({"NS": ["1", "1.0"]}, "One or more parameter values were invalid: Input collection contains duplicates."),
        ({"SS": ["b", "a", "b"]}, 'One or more parameter values were invalid: Input collection ["a", "b", "b"] contains '
                                  "duplicates."),
        ({"BS": [b"\xff", b"\x00", b"\x00"]}, 'One or more parameter values were invalid: Input collection '
                                             '["AA==","/w==","AA=="]of type BS contains duplicates.'),
        ({"BS": []}, "One or more parameter values were invalid: Binary sets should not be empty"),
        ({"S": "a", "N": "1"}, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
                               "the supported datatypes"),
        ({"NULL": False}, "One or more parameter values were invalid: Null attribute value types must have the value of true"),
    ]
    for value, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.put_item(TableName="items", Item={**KEY, "v": value})
        assert error(excinfo) == ("ValidationException", ENVELOPE + message, 400)
        # values (and the item's size) are checked before the table is looked up, as AWS does
        with pytest.raises(ClientError) as excinfo:
            ddb.put_item(TableName="absent", Item={**KEY, "v": value})
        assert error(excinfo) == ("ValidationException", ENVELOPE + message, 400)
        # GetItem answers bare
        with pytest.raises(ClientError) as excinfo:
            ddb.get_item(TableName="absent", Key={**KEY, "v": value})
        assert error(excinfo) == ("ValidationException", message, 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.get_item(TableName="absent", Key={"pk": {"N": "x"}})
    assert error(excinfo) == ("ValidationException", "The parameter cannot be converted to a numeric value: x", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName="absent", Item={**KEY, "v": {"S": "x" * 410_000}})
    assert error(excinfo) == ("ValidationException", "Item size has exceeded the maximum allowed size", 400)
    # an empty string in a string set is allowed (only keys refuse empty strings)
    ddb.put_item(TableName="items", Item={**KEY, "v": {"SS": ["", "a"]}})
    assert sorted(get(ddb)["v"]["SS"]) == ["", "a"]


def test_nesting_depth_and_item_size(ddb):
    value = {"S": "x"}
    for _ in range(31):
        value = {"M": {"a": value}}
    ddb.put_item(TableName="items", Item={**KEY, "deep": value})  # 32 levels: allowed
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName="items", Item={**KEY, "deep": {"L": [value]}})
    assert error(excinfo) == ("ValidationException", ENVELOPE + "Nesting Levels have exceeded supported limits: "
                              "Attributes in the item have nested levels beyond supported limit", 400)
    # 400 KB counts names and values: pk(2+1) + sk(2+2) + "big"(3) + value
    room = 400 * 1024 - (3 + 4 + 3)
    ddb.put_item(TableName="items", Item={**KEY, "big": {"S": "x" * room}})
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName="items", Item={**KEY, "big": {"S": "x" * (room + 1)}})
    assert error(excinfo) == ("ValidationException", "Item size has exceeded the maximum allowed size", 400)
    assert len(get(ddb)["big"]["S"]) == room


def test_conditions_and_return_values_on_failure(ddb):
    ddb.put_item(TableName="items", Item={**KEY, "v": {"N": "1"}})
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName="items", Item={**KEY, "v": {"N": "2"}}, ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert error(excinfo) == ("ConditionalCheckFailedException", "The conditional request failed", 400)
    assert excinfo.value.response["Item"] == {**KEY, "v": {"N": "1"}}
    ddb.put_item(TableName="items", Item={**KEY, "v": {"N": "2"}}, ConditionExpression="v = :one",
                 ExpressionAttributeValues={":one": {"N": "1.0"}})
    assert get(ddb)["v"] == {"N": "2"}
    # <> on a missing attribute is true; = is false
    ddb.put_item(TableName="items", Item={**KEY, "v": {"N": "3"}}, ConditionExpression="nope <> :one",
                 ExpressionAttributeValues={":one": {"N": "1"}})
    with pytest.raises(ClientError):
        ddb.delete_item(TableName="items", Key=KEY, ConditionExpression="nope = :one",
                        ExpressionAttributeValues={":one": {"N": "1"}})
    assert get(ddb)["v"] == {"N": "3"}


def test_return_values(ddb):
    out = ddb.put_item(TableName="items", Item={**KEY, "a": {"S": "1"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in out
    out = ddb.put_item(TableName="items", Item={**KEY, "a": {"S": "2"}}, ReturnValues="ALL_OLD")
    assert out["Attributes"] == {**KEY, "a": {"S": "1"}}
    expr = {"UpdateExpression": "SET a = :v, b = :w", "ExpressionAttributeValues": {":v": {"S": "3"}, ":w": {"N": "7"}}}
    out = ddb.update_item(TableName="items", Key=KEY, ReturnValues="UPDATED_OLD", **expr)
    assert out["Attributes"] == {"a": {"S": "2"}}
    out = ddb.update_item(TableName="items", Key=KEY, ReturnValues="UPDATED_NEW", **expr)
    assert out["Attributes"] == {"a": {"S": "3"}, "b": {"N": "7"}}
    out = ddb.update_item(TableName="items", Key=KEY, ReturnValues="ALL_NEW", **expr)
    assert out["Attributes"] == {**KEY, "a": {"S": "3"}, "b": {"N": "7"}}
    out = ddb.delete_item(TableName="items", Key=KEY, ReturnValues="ALL_OLD")
    assert out["Attributes"]["b"] == {"N": "7"}
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName="items", Item=KEY, ReturnValues="ALL_NEW")
    assert error(excinfo) == ("ValidationException", ENVELOPE + "ReturnValues can only be ALL_OLD or NONE", 400)


def test_update_expression_actions(ddb):
    ddb.put_item(TableName="items", Item={
        **KEY, "n": {"N": "5"}, "l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}]},
        "m": {"M": {"x": {"N": "1"}}}, "s": {"SS": ["a", "b"]}, "s2": {"SS": ["a", "b"]}, "gone": {"S": "x"},
    })
    ddb.update_item(
        TableName="items", Key=KEY,
        UpdateExpression="SET n = n - :one, m.y = :one, l[9] = :z, c = if_not_exists(c, :one) + :one, "
                         "l2 = list_append(:pre, l) REMOVE gone, l[0], l[2] ADD s :ab, cnt :one DELETE s2 :a",
        ExpressionAttributeValues={":one": {"N": "1"}, ":z": {"S": "z"}, ":pre": {"L": [{"S": "p"}]},
                                   ":ab": {"SS": ["c"]}, ":a": {"SS": ["a"]}},
    )
    item = get(ddb)
    assert item["n"] == {"N": "4"} and item["c"] == {"N": "2"} and item["cnt"] == {"N": "1"}
    assert item["m"] == {"M": {"x": {"N": "1"}, "y": {"N": "1"}}}
    assert item["l"] == {"L": [{"S": "b"}, {"S": "d"}, {"S": "z"}]}
    assert item["l2"]["L"][0] == {"S": "p"} and len(item["l2"]["L"]) == 5
    assert sorted(item["s"]["SS"]) == ["a", "b", "c"] and item["s2"] == {"SS": ["b"]} and "gone" not in item
    # deleting every element removes the attribute
    ddb.update_item(TableName="items", Key=KEY, UpdateExpression="DELETE s2 :bc",
                    ExpressionAttributeValues={":bc": {"SS": ["b", "c"]}})
    assert "s2" not in get(ddb)


def test_update_creates_item_and_rejects_bad_updates(ddb):
    other = {"pk": {"S": "new"}, "sk": {"N": "2"}}
    ddb.update_item(TableName="items", Key=other, UpdateExpression="ADD c :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    assert get(ddb, other) == {**other, "c": {"N": "1"}}
    cases = [
        ("SET pk = :s", {":s": {"S": "x"}},
         "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"),
        ("SET c = c + :s", {":s": {"S": "x"}},
         "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand "
         "type: S"),
        ("SET c = list_append(c, :s)", {":s": {"M": {}}},
         "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: "
         "list_append, operand type: M"),
        ("ADD c :s", {":s": {"S": "x"}},
         "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: "
         "STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"),
        ("DELETE c :s", {":s": {"N": "1"}},
         "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: "
         "NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND"),
        ("SET c = if_not_exists(c)", None,
         "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: "
         "if_not_exists, number of operands: 1"),
        ("SET c = :s REMOVE c", {":s": {"S": "x"}},
         "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these "
         "paths; path one: [c], path two: [c]"),
        ("SET a.b = :s", {":s": {"S": "x"}}, "The document path provided in the update expression is invalid for update"),
        ("SET c = absent + :one", {":one": {"N": "1"}},
         "The provided expression refers to an attribute that does not exist in the item"),
        ("ADD c :s", {":s": {"SS": ["x"]}}, "An operand in the update expression has an incorrect data type"),
        ("SET c = :a SET d = :a", {":a": {"N": "1"}},
         'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'),
        ("SET c = :a", {":a": {"N": "1"}, ":b": {"N": "2"}},
         "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}"),
        ("SET c = :nope", {":a": {"N": "1"}},
         "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :nope"),
        ("SET size = :a", {":a": {"N": "1"}},
         "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: size"),
    ]
    for expression, values, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.update_item(TableName="items", Key=other, UpdateExpression=expression,
                            **({"ExpressionAttributeValues": values} if values else {}))
        # what is wrong with the expressions themselves comes in the validation envelope
        if message.startswith(("Invalid UpdateExpression", "Value provided")):
            message = ENVELOPE + message
        assert error(excinfo) == ("ValidationException", message, 400), expression
    assert get(ddb, other) == {**other, "c": {"N": "1"}}


def test_expression_attribute_names_and_syntax_errors(ddb):
    ddb.put_item(TableName="items", Item={**KEY, "status": {"S": "on"}})
    out = ddb.get_item(TableName="items", Key=KEY, ProjectionExpression="#s", ExpressionAttributeNames={"#s": "status"})
    assert out["Item"] == {"status": {"S": "on"}}
    cases = [
        ({"ProjectionExpression": "#s", "ExpressionAttributeNames": {"#s": "status", "#x": "y"}},
         "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}"),
        ({"ProjectionExpression": "#q"},
         "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; "
         "attribute name: #q"),
        ({"ProjectionExpression": "status"},
         "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status"),
        ({"ProjectionExpression": "a, a.b"},
         "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of "
         "these paths; path one: [a], path two: [a, b]"),
        ({"ProjectionExpression": "a,"}, 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","'),
        ({"ProjectionExpression": "", }, "Invalid ProjectionExpression: The expression can not be empty;"),
        ({"ProjectionExpression": "a", "AttributesToGet": ["a"]},
         "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: "
         "{AttributesToGet} Expression parameters: {ProjectionExpression}"),
        ({"ExpressionAttributeNames": {"#a": "a"}},
         "ExpressionAttributeNames can only be specified when using expressions"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.get_item(TableName="items", Key=KEY, **kwargs)
        assert error(excinfo) == ("ValidationException", message, 400), kwargs


def test_condition_expression_errors(ddb):
    values = {":v": {"N": "1"}, ":w": {"N": "0"}}
    cases = [
        ("a BETWEEN :v AND :w",
         "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower "
         "bound; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {N:0}"),
        ("begins_with(a, :v) OR a = :w",
         "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: "
         "begins_with, operand type: N"),
        ("nofunc(a) OR a = :v OR a = :w", "Invalid ConditionExpression: Invalid function name; function: nofunc"),
        ("size(a) OR a IN (:v, :w)",
         "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"),
        ("a = :v AND", None),
    ]
    for expression, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.put_item(TableName="items", Item=KEY, ConditionExpression=expression, ExpressionAttributeValues=values)
        code, got, status = error(excinfo)
        assert (code, status) == ("ValidationException", 400)
        if message:
            assert got == ENVELOPE + message
        else:
            assert got.startswith(ENVELOPE + "Invalid ConditionExpression: Syntax error; token: \"<EOF>\"")
    assert get(ddb) is None


def test_functions_in_conditions(ddb):
    ddb.put_item(TableName="items", Item={**KEY, "s": {"S": "hello"}, "l": {"L": [{"N": "1"}]}, "ss": {"SS": ["q"]}})
    ok = [
        ("begins_with(s, :he)", {":he": {"S": "he"}}),
        ("contains(s, :ll)", {":ll": {"S": "ll"}}),
        ("contains(l, :one)", {":one": {"N": "1"}}),
        ("contains(ss, :q)", {":q": {"S": "q"}}),
        ("size(s) = :five", {":five": {"N": "5"}}),
        ("attribute_type(l, :t)", {":t": {"S": "L"}}),
        ("s IN (:a, :b)", {":a": {"S": "x"}, ":b": {"S": "hello"}}),
        ("NOT s = :a AND (s > :a OR s < :a)", {":a": {"S": "a"}}),
    ]
    for expression, values in ok:
        ddb.update_item(TableName="items", Key=KEY, UpdateExpression="SET ok = :t1",
                        ConditionExpression=expression, ExpressionAttributeValues={**values, ":t1": {"BOOL": True}})


def test_consumed_capacity(ddb):
    out = ddb.put_item(TableName="items", Item={**KEY, "x": {"S": "x" * 3000}}, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": "items", "CapacityUnits": 3.0}
    out = ddb.get_item(TableName="items", Key=KEY, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": "items", "CapacityUnits": 0.5}
    out = ddb.get_item(TableName="items", Key=KEY, ReturnConsumedCapacity="INDEXES", ConsistentRead=True)
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0 and out["ConsumedCapacity"]["Table"] == {"CapacityUnits": 1.0}


def test_legacy_parameters(ddb):
    ddb.put_item(TableName="items", Item={**KEY, "v": {"N": "1"}}, Expected={"pk": {"Exists": False}})
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName="items", Item=KEY, Expected={"v": {"Value": {"N": "2"}}})
    assert error(excinfo)[0] == "ConditionalCheckFailedException"
    ddb.update_item(TableName="items", Key=KEY, AttributeUpdates={
        "v": {"Action": "ADD", "Value": {"N": "2"}}, "w": {"Action": "PUT", "Value": {"S": "x"}},
    }, Expected={"v": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}})
    assert ddb.get_item(TableName="items", Key=KEY, AttributesToGet=["v", "w"])["Item"] == {"v": {"N": "3"}, "w": {"S": "x"}}
    ddb.update_item(TableName="items", Key=KEY, AttributeUpdates={"w": {"Action": "DELETE"}})
    assert "w" not in get(ddb)
    with pytest.raises(ClientError) as excinfo:
        ddb.update_item(TableName="items", Key=KEY, AttributeUpdates={"v": {"Action": "ADD", "Value": {"NS": ["1"]}}})
    assert error(excinfo) == ("ValidationException", "Type mismatch for attribute to update", 400)
    out = ddb.query(TableName="items", KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
        "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "0"}, {"N": "5"}]},
    }, QueryFilter={"v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "2"}]}})
    assert out["Count"] == 1
    out = ddb.scan(TableName="items", ScanFilter={"v": {"ComparisonOperator": "NULL"}})
    assert out["Count"] == 0 and out["ScannedCount"] == 1
    # Expected: a Value is the argument of a ComparisonOperator; AWS's errors for the other mixes
    ddb.put_item(TableName="items", Item={**KEY, "v": {"N": "3"}},
                 Expected={"v": {"ComparisonOperator": "GT", "Value": {"N": "2"}}})
    invalid = "One or more parameter values were invalid: "
    cases = [
        ({}, "Value must be provided when Exists is null for Attribute: v"),
        ({"ComparisonOperator": "LT"}, "Value or AttributeValueList must be used with ComparisonOperator: LT for "
                                       "Attribute: v"),
        ({"Exists": True, "ComparisonOperator": "LT"}, "Exists and ComparisonOperator cannot be used together for "
                                                       "Attribute: v"),
        ({"ComparisonOperator": "LT", "Value": {"N": "1"}, "AttributeValueList": [{"N": "1"}]},
         "Value and AttributeValueList cannot be used together for Attribute: v"),
        ({"AttributeValueList": [{"N": "1"}]}, "AttributeValueList can only be used with a ComparisonOperator for "
                                               "Attribute: v"),
        ({"ComparisonOperator": "NULL", "Value": {"N": "1"}}, "Invalid number of argument(s) for the NULL "
                                                              "ComparisonOperator"),
    ]
    cases.append(({"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"S": "1"}]},
                  "AttributeValues inside AttributeValueList must be of same type"))
    for expected, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.put_item(TableName="items", Item=KEY, Expected={"v": expected})
        assert error(excinfo) == ("ValidationException", ENVELOPE + invalid + message, 400), expected
    assert get(ddb)["v"] == {"N": "3"}
    with pytest.raises(ClientError) as excinfo:
        ddb.get_item(TableName="items", Key=KEY, AttributesToGet=["v", "v"])
    assert error(excinfo) == ("ValidationException", invalid + "Duplicate value in attribute name: v", 400)


def test_resource_api(cloudlet, ddb):
    table = cloudlet.resource("dynamodb").Table("items")
    from decimal import Decimal

    table.put_item(Item={"pk": "r", "sk": 1, "price": Decimal("9.99"), "tags": {"a", "b"}, "doc": {"k": [1, "x"]}})
    item = table.get_item(Key={"pk": "r", "sk": 1})["Item"]
    assert item["price"] == Decimal("9.99") and item["tags"] == {"a", "b"} and item["doc"] == {"k": [1, "x"]}
    from boto3.dynamodb.conditions import Attr, Key

    table.update_item(Key={"pk": "r", "sk": 1}, UpdateExpression="SET price = price + :d",
                      ExpressionAttributeValues={":d": Decimal("0.01")}, ConditionExpression=Attr("price").lt(10))
    assert table.query(KeyConditionExpression=Key("pk").eq("r") & Key("sk").gte(1))["Items"][0]["price"] == Decimal("10")
    with table.batch_writer() as batch:
        for i in range(30):
            batch.put_item(Item={"pk": "batch", "sk": i})
    assert table.query(KeyConditionExpression=Key("pk").eq("batch"), Select="COUNT")["Count"] == 30


def test_legacy_comparison_operators_and_errors(ddb):
    ddb.put_item(TableName="items", Item={**KEY, "s": {"S": "hello"}, "ss": {"SS": ["a"]}, "n": {"N": "5"}})
    passing = [
        ({"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "he"}]}}, None),
        ({"ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "a"}]}}, None),
        ({"ss": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "b"}]}}, None),
        ({"n": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "4"}, {"N": "5"}]}}, None),
        ({"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "1"}]},
          "s": {"ComparisonOperator": "NOT_NULL"}}, "OR"),
    ]
    for expected, operator in passing:
        kwargs = {"ConditionalOperator": operator} if operator else {}
        ddb.update_item(TableName="items", Key=KEY, AttributeUpdates={"x": {"Action": "PUT", "Value": {"N": "1"}}},
                        Expected=expected, **kwargs)
    with pytest.raises(ClientError) as excinfo:
        ddb.update_item(TableName="items", Key=KEY, Expected={
            "n": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "1"}]}, "s": {"ComparisonOperator": "NOT_NULL"}})
    assert error(excinfo)[0] == "ConditionalCheckFailedException"
    with pytest.raises(ClientError) as excinfo:
        ddb.update_item(TableName="items", Key=KEY, Expected={"n": {"ComparisonOperator": "BETWEEN",
                                                                      "AttributeValueList": [{"N": "1"}]}})
    assert error(excinfo) == ("ValidationException", ENVELOPE + "One or more parameter values were invalid: Invalid "
                              "number of argument(s) for the BETWEEN ComparisonOperator", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.update_item(TableName="items", Key=KEY, UpdateExpression="SET x = :v",
                        ExpressionAttributeValues={":v": {"N": "2"}}, Expected={"n": {"Exists": False}})
    assert error(excinfo) == ("ValidationException", ENVELOPE + "Can not use both expression and non-expression "
                              "parameters in the same request: Non-expression parameters: {Expected} Expression "
                              "parameters: {UpdateExpression}", 400)
    assert get(ddb)["x"] == {"N": "1"}
