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
    # other operations report a missing table name as a broken constraint
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(Item={"pk": {"S": "a"}})
    assert error(excinfo) == ("ValidationException", ONE + "Value null at 'tableName' failed to satisfy constraint: "
                              "Member must not be null", 400)


def test_single_item_writes_wrap_request_problems_in_the_envelope(ddb):
    ddb.create_table(TableName="env", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    key = {"pk": {"S": "k"}}
    invalid = "One or more parameter values were invalid: "
    common = [
        ({"ExpressionAttributeValues": {":v": {"S": "x"}}},
         "ExpressionAttributeValues can only be specified when using expressions"),
        ({"ExpressionAttributeNames": {"#a": "a"}}, "ExpressionAttributeNames can only be specified when using expressions"),
        ({"Expected": {"a": {"Exists": False}}, "ExpressionAttributeNames": {"#a": "a"}},
         "ExpressionAttributeNames can only be specified when using expressions"),
        ({"ConditionExpression": "attribute_exists(a)", "ExpressionAttributeValues": {}},
         "ExpressionAttributeValues must not be empty"),
        ({"ConditionExpression": "attribute_exists(a)", "ExpressionAttributeNames": {}},
         "ExpressionAttributeNames must not be empty"),
        ({"ConditionExpression": ""}, "Invalid ConditionExpression: The expression can not be empty;"),
        ({"Expected": {"a": {"Exists": True}}}, invalid + "Value must be provided when Exists is true for Attribute: a"),
        ({"Expected": {"a": {"Exists": False, "Value": {"S": "x"}}}},
         invalid + "Value cannot be used when Exists is false for Attribute: a"),
        ({"Expected": {"a": {"ComparisonOperator": "EQ"}}},
         invalid + "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
        ({"Expected": {"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "x"}]}}},
         invalid + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ]
    calls = {
        "put": (lambda **kw: ddb.put_item(TableName="env", Item=key, **kw),
                [({"ReturnValues": "ALL_NEW"}, "ReturnValues can only be ALL_OLD or NONE")]),
        "delete": (lambda **kw: ddb.delete_item(TableName="env", Key=key, **kw),
                   [({"ReturnValues": "UPDATED_NEW"}, "ReturnValues can only be ALL_OLD or NONE")]),
        "update": (lambda **kw: ddb.update_item(TableName="env", Key=key, **kw),
                   [({"UpdateExpression": "SET b = :w", "ConditionExpression": "a = :v",
                      "ExpressionAttributeValues": {":w": {"S": "x"}}},
                     "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
                     "attribute value: :v")]),
    }
    for name, (call, own) in calls.items():
        for kwargs, message in common + own:
            with pytest.raises(ClientError) as excinfo:
                call(**kwargs)
            assert error(excinfo) == ("ValidationException", ONE + message, 400), (name, kwargs)
    # problems found against the table or the item stay bare
    with pytest.raises(ClientError) as excinfo:
        ddb.update_item(TableName="env", Key=key, UpdateExpression="SET pk = :v",
                        ExpressionAttributeValues={":v": {"S": "x"}})
    assert error(excinfo)[1] == invalid + "Cannot update attribute pk. This attribute is part of the key"
    with pytest.raises(ClientError) as excinfo:
        ddb.delete_item(TableName="env", Key={"pk": {"N": "1"}})
    assert error(excinfo)[1] == "The provided key element does not match the schema"
    assert ddb.scan(TableName="env")["Count"] == 0


def test_which_member_problems_are_reported_together(ddb):
    empty_name = "Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1"
    no_key = "Value null at 'key' failed to satisfy constraint: Member must not be null"
    rcc = ("Value 'INVALID' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value "
           "set: [INDEXES, TOTAL, NONE]")
    update = {"UpdateExpression": "SET a = :a", "ExpressionAttributeValues": {":a": {"S": "x"}}}
    cases = [
        # a bad table name is reported alone while every required member is there
        (ddb.put_item, {"TableName": "", "Item": {}, "ReturnValues": "INVALID"}, ONE + empty_name),
        (ddb.delete_item, {"TableName": "", "Key": {}}, ONE + empty_name),
        (ddb.update_item, {"TableName": "", "Key": {}}, ONE + empty_name),
        # UpdateItem reports its first problem, in DynamoDB's member order ...
        (ddb.update_item, {"TableName": "absent", "Key": {"pk": {"S": "a"}}, "ReturnValues": "INVALID",
                           "ReturnConsumedCapacity": "INVALID"}, ONE + rcc),
        # ... unless the key is missing: then every problem, in that order
        (ddb.update_item, {"TableName": "", **update}, f"2 validation errors detected: {empty_name}; {no_key}"),
        (ddb.update_item, {"TableName": "", **update, "ReturnConsumedCapacity": "INVALID", "ReturnValues": "INVALID"},
         f"4 validation errors detected: {rcc}; {empty_name}; Value 'INVALID' at 'returnValues' failed to satisfy "
         "constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]; "
         + no_key),
        (ddb.update_item, {"TableName": "absent", "AttributeUpdates": {"x": {"Action": "PUT", "Value": {"S": "1"}}},
                           "Expected": {"a": {"Exists": False}, "b": {"Exists": False}}, "ConditionalOperator": "XOR"},
         "2 validation errors detected: Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member "
         "must satisfy enum value set: [OR, AND]; " + no_key),
        # other operations join their enum problems
        (ddb.put_item, {"TableName": "absent", "Item": {"pk": {"S": "a"}}, "ReturnConsumedCapacity": "INVALID",
                        "ReturnItemCollectionMetrics": "INVALID", "ReturnValues": "INVALID"}, None),
        (ddb.query, {"TableName": "absent", "ConditionalOperator": "XOR", "Select": "BOGUS",
                     "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
                     "QueryFilter": {"b": {"ComparisonOperator": "NULL"}, "c": {"ComparisonOperator": "NULL"}}},
         "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]"),
    ]
    for call, kwargs, message in cases:
        with pytest.raises(ClientError) as excinfo:
            call(**kwargs)
        code, got, status = error(excinfo)
        assert (code, status) == ("ValidationException", 400), kwargs
        if message is None:
            assert got.startswith("3 validation errors detected: "), got
        else:
            assert got == message, kwargs


def test_value_errors_are_worded_by_each_operations_layer(ddb):
    ddb.create_table(TableName="layers", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    t, pk = "layers", {"pk": {"S": "k"}}
    invalid = "One or more parameter values were invalid: "
    # an empty number, then a string set, a binary set and a number set sent with a repeated member
    values = [{"N": ""}, {"SS": ["b", "a", "b"]}, {"BS": [b"\xff", b"\x00", b"\x00"]}, {"NS": ["2", "1", "2"]}]
    current = ["The parameter cannot be converted to a numeric value: ",
               invalid + 'Input collection ["a", "b", "b"] contains duplicates.',
               invalid + 'Input collection ["AA==","/w==","AA=="]of type BS contains duplicates.',
               invalid + "Input collection contains duplicates."]
    older = ["The parameter cannot be converted to a numeric value",
             invalid + "Input collection [b, a, b] contains duplicates.",
             invalid + "Input collection [/w==, AA==, AA==]of type BS contains duplicates.",
             "Input collection contains duplicates"]
    cond = {"ConditionExpression": "attribute_not_exists(pk) OR v = :v"}
    surfaces = [
        (lambda v: ddb.put_item(TableName=t, Item={**pk, "v": v}), [ONE + m for m in current]),
        (lambda v: ddb.put_item(TableName=t, Item=pk, **cond, ExpressionAttributeValues={":v": v}),
         [ONE + m for m in current]),
        (lambda v: ddb.update_item(TableName=t, Key=pk, AttributeUpdates={"v": {"Action": "PUT", "Value": v}}),
         [ONE + m for m in current]),
        (lambda v: ddb.delete_item(TableName=t, Key=pk, Expected={"v": {"Value": v}}), [ONE + m for m in current]),
        (lambda v: ddb.get_item(TableName=t, Key={"pk": v}), current),
        (lambda v: ddb.query(TableName=t, KeyConditionExpression="pk = :p", FilterExpression="v = :v",
                             ExpressionAttributeValues={":p": {"S": "k"}, ":v": v}), current),
        (lambda v: ddb.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": {**pk, "v": v}}}]}), older),
        (lambda v: ddb.scan(TableName=t, FilterExpression="v = :v", ExpressionAttributeValues={":v": v}),
         [f"ExpressionAttributeValues contains invalid value: {m} for key :v" for m in older]),
        (lambda v: ddb.transact_write_items(TransactItems=[{"Update": {
            "TableName": t, "Key": pk, "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": v}}}]),
         [f"ExpressionAttributeValues contains invalid value: {m} for key :v" for m in older]),
    ]
    for i, (send, messages) in enumerate(surfaces):
        for value, message in zip(values, messages, strict=True):
            with pytest.raises(ClientError) as excinfo:
                send(value)
            assert error(excinfo) == ("ValidationException", message, 400), (i, value)
    assert ddb.scan(TableName=t)["Count"] == 0


def test_read_member_messages(ddb):
    ddb.create_table(TableName="reads", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    key_condition = {"KeyConditionExpression": "pk = :v", "ExpressionAttributeValues": {":v": {"S": "a"}}}
    cases = [
        (ddb.query, {**key_condition, "Select": "INVALID_VALUE"},
         ONE + "Value 'INVALID_VALUE' at 'select' failed to satisfy constraint: Member must satisfy enum value set: "
               "[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"),
        # Query names its Limit in the newer form, Scan its value in the older one
        (ddb.query, {**key_condition, "Limit": 0},
         ONE + "Value at 'Limit' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        (ddb.scan, {"Limit": 0},
         ONE + "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"),
    ]
    for call, kwargs, message in cases:
        with pytest.raises(ClientError) as excinfo:
            call(TableName="reads", **kwargs)
        assert error(excinfo) == ("ValidationException", message, 400), kwargs


def test_number_exponents(ddb):
    ddb.create_table(TableName="numbers", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}])
    overflow = "Number overflow. Attempting to store a number with magnitude larger than supported range"
    underflow = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    cases = {
        "1e99999999999": overflow, "1e-99999999999": underflow, "1e2147483648": overflow,
        "1e9223372036854775807": overflow,
        # an exponent past a 64-bit integer is not a number at all
        "1e9223372036854775808": "The parameter cannot be converted to a numeric value: 1e9223372036854775808",
        # zero is range-checked by the exponent it is written with
        "0e126": overflow, "0e-131": underflow,
    }
    for text, message in cases.items():
        with pytest.raises(ClientError) as excinfo:
            ddb.put_item(TableName="numbers", Item={"pk": {"N": "1"}, "v": {"N": text}})
        assert error(excinfo) == ("ValidationException", ONE + message, 400), text
        with pytest.raises(ClientError) as excinfo:
            ddb.get_item(TableName="numbers", Key={"pk": {"N": text}})
        assert error(excinfo) == ("ValidationException", message, 400), text
    ddb.put_item(TableName="numbers", Item={"pk": {"N": "0e125"}, "v": {"N": "-0e-130"}})
    assert ddb.get_item(TableName="numbers", Key={"pk": {"N": "0"}})["Item"] == {"pk": {"N": "0"}, "v": {"N": "0"}}


def test_index_key_errors_name_the_first_index_by_name(ddb):
    gsi = lambda name: {"IndexName": name, "Projection": {"ProjectionType": "ALL"},  # noqa: E731
                        "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}
    ddb.create_table(TableName="named", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[gsi("zeta"), gsi("alpha"), gsi("mid")])
    mismatch = ("One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N "
                "IndexName: alpha")
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName="named", Item={"pk": {"S": "a"}, "g": {"N": "1"}})
    assert error(excinfo) == ("ValidationException", mismatch, 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.update_item(TableName="named", Key={"pk": {"S": "a"}}, UpdateExpression="SET g = :v",
                        ExpressionAttributeValues={":v": {"N": "1"}})
    assert error(excinfo) == ("ValidationException", mismatch, 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName="named", Item={"pk": {"S": "a"}, "g": {"S": ""}})
    assert error(excinfo)[1].endswith("IndexName: alpha, IndexKey: g")


def test_tags_of_another_accounts_table_are_denied(ddb):
    ddb.create_table(TableName="mine", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    own = ddb.describe_table(TableName="mine")["Table"]["TableArn"]
    account = own.split(":")[4]
    foreign = own.replace(f":{account}:", ":123456789012:")
    with pytest.raises(ClientError) as excinfo:
        ddb.list_tags_of_resource(ResourceArn=foreign)
    code, message, status = error(excinfo)
    assert (code, status) == ("AccessDeniedException", 400)
    assert message.endswith(f"is not authorized to perform: dynamodb:ListTagsOfResource on resource: {foreign} "
                            "because no resource-based policy allows the dynamodb:ListTagsOfResource action")
    with pytest.raises(ClientError) as excinfo:
        ddb.tag_resource(ResourceArn=foreign, Tags=[{"Key": "a", "Value": "b"}])
    assert error(excinfo)[0] == "AccessDeniedException"
    # a table of the caller's own account that does not exist is not found
    with pytest.raises(ClientError) as excinfo:
        ddb.list_tags_of_resource(ResourceArn=own + "-gone")
    assert error(excinfo) == ("ResourceNotFoundException",
                              f"Requested resource not found: ResourceArn: {own}-gone not found", 400)
    assert ddb.list_tags_of_resource(ResourceArn=own)["Tags"] == []
