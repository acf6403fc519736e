"""The DynamoDB control plane with boto3: create/describe/update/delete, waiters, paging, indexes,
TTL, tags, limits and endpoints, with the errors AWS answers."""

import os
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from ddb_helpers import error
from polling import wait_for

HASH = [{"AttributeName": "pk", "KeyType": "HASH"}]
HASH_S = [{"AttributeName": "pk", "AttributeType": "S"}]


def create(ddb, name="tbl", **kwargs):
    kwargs.setdefault("KeySchema", HASH)
    kwargs.setdefault("AttributeDefinitions", HASH_S)
    if "ProvisionedThroughput" not in kwargs:
        kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
    return ddb.create_table(TableName=name, **kwargs)["TableDescription"]


def test_create_describe_waiters_delete(cloudlet):
    ddb = cloudlet.client("dynamodb")
    started = time.monotonic()
    created = create(ddb, ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 6},
                     Tags=[{"Key": "team", "Value": "core"}])
    assert created["TableStatus"] == "CREATING"
    assert created["TableArn"] == "arn:aws:dynamodb:us-east-1:000000000000:table/tbl"
    ddb.get_waiter("table_exists").wait(TableName="tbl", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    table = ddb.describe_table(TableName="tbl")["Table"]
    assert table["TableStatus"] == "ACTIVE" and table["ItemCount"] == 0 and table["TableSizeBytes"] == 0
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["KeySchema"] == HASH and table["AttributeDefinitions"] == HASH_S
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "v": {"S": "xyz"}})
    table = ddb.describe_table(TableName=table["TableArn"])["Table"]
    assert table["ItemCount"] == 1 and table["TableSizeBytes"] == 2 + 1 + 1 + 3
    assert ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == [{"Key": "team", "Value": "core"}]
    with pytest.raises(ClientError) as excinfo:
        create(ddb)
    assert error(excinfo) == ("ResourceInUseException", "Table already exists: tbl", 400)
    deleted = ddb.delete_table(TableName="tbl")["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
    ddb.get_waiter("table_not_exists").wait(TableName="tbl", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    assert time.monotonic() - started < 5
    with pytest.raises(ClientError) as excinfo:
        ddb.describe_table(TableName="tbl")
    assert error(excinfo) == ("ResourceNotFoundException", "Requested resource not found: Table: tbl not found", 400)
    # the items went with the table
    create(ddb)
    assert ddb.scan(TableName="tbl")["Count"] == 0


def test_create_table_errors(cloudlet):
    ddb = cloudlet.client("dynamodb")
    cases = [
        (dict(KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}]),
         "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
        (dict(AttributeDefinitions=[]), "Invalid KeySchema: Some index key attribute have no definition"),
        (dict(AttributeDefinitions=HASH_S + [{"AttributeName": "x", "AttributeType": "S"}]),
         "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number "
         "of attributes defined in AttributeDefinitions"),
        (dict(KeySchema=[{"AttributeName": "q", "KeyType": "HASH"}]),
         "One or more parameter values were invalid: Some index key attributes are not defined in "
         "AttributeDefinitions. Keys: [q], AttributeDefinitions: [pk]"),
        (dict(BillingMode="PROVISIONED"),
         "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified "
         "when BillingMode is PROVISIONED"),
        (dict(LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": HASH + [{"AttributeName": "pk", "KeyType": "RANGE"}],
                                      "Projection": {"ProjectionType": "ALL"}}]), None),
    ]
    for kwargs, message in cases:
        with pytest.raises(ClientError) as excinfo:
            create(ddb, **kwargs)
        code, got, status = error(excinfo)
        assert (code, status) == ("ValidationException", 400), kwargs
        if message:
            assert got == message
    with pytest.raises(ClientError) as excinfo:
        create(ddb, name="bad name!")
    assert error(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value 'bad name!' at 'tableName' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        create(ddb, BillingMode="FREE")
    assert error(excinfo)[0] == "ValidationException" and "enum value set" in error(excinfo)[1]
    assert ddb.list_tables()["TableNames"] == []


def test_list_tables_paging(cloudlet):
    ddb = cloudlet.client("dynamodb")
    names = [f"t{i:02d}x" for i in range(7)]
    for name in reversed(names):
        create(ddb, name=name)
    page = ddb.list_tables(Limit=3)
    assert page["TableNames"] == names[:3] and page["LastEvaluatedTableName"] == names[2]
    page = ddb.list_tables(Limit=3, ExclusiveStartTableName=names[2])
    assert page["TableNames"] == names[3:6]
    page = ddb.list_tables(Limit=3, ExclusiveStartTableName=names[5])
    assert page["TableNames"] == names[6:] and "LastEvaluatedTableName" not in page
    # a page that ends on the last table does not name it, even when full; past the last one is empty
    page = ddb.list_tables(Limit=1, ExclusiveStartTableName=names[5])
    assert page == {"TableNames": names[6:], "ResponseMetadata": page["ResponseMetadata"]}
    assert "LastEvaluatedTableName" not in ddb.list_tables(Limit=7)
    assert ddb.list_tables(Limit=6)["LastEvaluatedTableName"] == names[5]
    assert ddb.list_tables(Limit=1, ExclusiveStartTableName=names[6])["TableNames"] == []
    assert ddb.list_tables(ExclusiveStartTableName="t03")["TableNames"] == names[3:]  # no such table: still a cursor
    everything = [n for p in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2})
                  for n in p["TableNames"]]
    assert everything == names
    raw = cloudlet.client("dynamodb", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        raw.list_tables(ExclusiveStartTableName="a;")
    assert error(excinfo) == (
        "ValidationException",
        "2 validation errors detected: Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: Member "
        "must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a;' at 'exclusiveStartTableName' failed to "
        "satisfy constraint: Member must have length greater than or equal to 3", 400)
    # unlike TableName, the cursor is a name: a table ARN is refused by its pattern
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/" + names[0]
    with pytest.raises(ClientError) as excinfo:
        ddb.list_tables(ExclusiveStartTableName=arn)
    assert error(excinfo) == (
        "ValidationException",
        f"1 validation error detected: Value '{arn}' at 'exclusiveStartTableName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", 400)


def test_update_table_throughput_billing_and_gsi_backfill(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    for i in range(5):
        item = {"pk": {"S": f"k{i}"}}
        if i % 2 == 0:
            item["g"] = {"S": "even"}
        ddb.put_item(TableName="tbl", Item=item)
    before = time.time()
    out = ddb.update_table(TableName="tbl", ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})
    throughput = out["TableDescription"]["ProvisionedThroughput"]
    # As in AWS, the answer shows the capacity before the change, with the change's LastIncreaseDateTime.
    assert throughput["WriteCapacityUnits"] == 1 and throughput["LastIncreaseDateTime"].timestamp() >= before - 1
    assert "LastDecreaseDateTime" not in throughput and throughput["NumberOfDecreasesToday"] == 0
    assert ddb.describe_table(TableName="tbl")["Table"]["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    out = ddb.update_table(TableName="tbl", ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 4})
    answered = out["TableDescription"]["ProvisionedThroughput"]
    assert (answered["ReadCapacityUnits"], answered["NumberOfDecreasesToday"]) == (3, 0)  # the old count too
    assert "LastDecreaseDateTime" in answered
    throughput = ddb.describe_table(TableName="tbl")["Table"]["ProvisionedThroughput"]
    assert throughput["ReadCapacityUnits"] == 2 and throughput["NumberOfDecreasesToday"] == 1
    assert throughput["LastDecreaseDateTime"] >= throughput["LastIncreaseDateTime"]
    ddb.update_table(TableName="tbl", BillingMode="PAY_PER_REQUEST")
    table = ddb.describe_table(TableName="tbl")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    out = ddb.update_table(
        TableName="tbl",
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}}],
    )
    assert out["TableDescription"]["TableStatus"] == "UPDATING"
    assert out["TableDescription"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    table = ddb.describe_table(TableName="tbl")["Table"]
    [gsi] = table["GlobalSecondaryIndexes"]
    assert gsi["IndexStatus"] == "ACTIVE" and gsi["ItemCount"] == 3
    out = ddb.query(TableName="tbl", IndexName="by-g", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "even"}})
    assert sorted(i["pk"]["S"] for i in out["Items"]) == ["k0", "k2", "k4"]
    out = ddb.update_table(TableName="tbl", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}])
    [deleting] = out["TableDescription"]["GlobalSecondaryIndexes"]
    assert deleting["IndexName"] == "by-g" and deleting["IndexStatus"] == "DELETING"
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName="tbl")["Table"]
    with pytest.raises(ClientError) as excinfo:
        ddb.query(TableName="tbl", IndexName="by-g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "even"}})
    assert error(excinfo) == ("ValidationException", "The table does not have the specified index: by-g", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.update_table(TableName="nope", BillingMode="PAY_PER_REQUEST")
    assert error(excinfo)[0] == "ResourceNotFoundException"


def test_stream_specification_is_stored(cloudlet):
    ddb = cloudlet.client("dynamodb")
    created = create(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    assert created["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert created["LatestStreamArn"].startswith(created["TableArn"] + "/stream/")
    cases = [
        ({"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}, "Table already has an enabled stream: TableName: tbl"),
        ({"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"},
         "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be "
         "specified"),
    ]
    for spec, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.update_table(TableName="tbl", StreamSpecification=spec)
        assert error(excinfo) == ("ValidationException", message, 400)
    ddb.update_table(TableName="tbl", StreamSpecification={"StreamEnabled": False})
    # a disabled stream stays readable: DescribeTable still names it, without a StreamSpecification
    table = ddb.describe_table(TableName="tbl")["Table"]
    assert "StreamSpecification" not in table and table["LatestStreamArn"] == created["LatestStreamArn"]
    with pytest.raises(ClientError) as excinfo:
        ddb.update_table(TableName="tbl", StreamSpecification={"StreamEnabled": False})
    assert error(excinfo) == ("ValidationException", "Table has no stream to disable: TableName: tbl", 400)


def test_time_to_live(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb)
    assert ddb.describe_time_to_live(TableName="tbl")["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    now = int(time.time())
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "old"}, "exp": {"N": str(now - 10)}})
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "new"}, "exp": {"N": str(now + 3600)}})
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "none"}, "exp": {"S": "not a number"}})
    out = ddb.update_time_to_live(TableName="tbl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "exp"}
    assert ddb.describe_time_to_live(TableName="tbl")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    with pytest.raises(ClientError) as excinfo:
        ddb.update_time_to_live(TableName="tbl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert error(excinfo) == ("ValidationException", "TimeToLive is already enabled", 400)
    for enabled in (True, False):
        with pytest.raises(ClientError) as excinfo:
            ddb.update_time_to_live(TableName="tbl", TimeToLiveSpecification={"Enabled": enabled, "AttributeName": "other"})
        assert error(excinfo) == (
            "ValidationException", "TimeToLive is active on a different AttributeName: current AttributeName is exp", 400)
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "later"}, "exp": {"N": str(now - 5)}})
    service = cloudlet.platform.loaded_service("dynamodb")
    service.set_ttl_interval(0.05)
    wait_for(lambda: sorted(i["pk"]["S"] for i in ddb.scan(TableName="tbl")["Items"]) == ["new", "none"],
             what="the TTL sweep deleting the expired items")
    service.set_ttl_interval(5)
    out = ddb.update_time_to_live(TableName="tbl", TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    assert out["TimeToLiveSpecification"] == {"Enabled": False}
    assert ddb.describe_time_to_live(TableName="tbl")["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    raw = cloudlet.client("dynamodb", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        raw.update_time_to_live(TableName="tbl", TimeToLiveSpecification={"Enabled": True, "AttributeName": ""})
    assert error(excinfo) == ("ValidationException", "TimeToLiveSpecification.AttributeName must be non empty", 400)


def test_tags(cloudlet):
    ddb = cloudlet.client("dynamodb")
    arn = create(ddb)["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as excinfo:
        ddb.list_tags_of_resource(ResourceArn=arn + "x")
    assert error(excinfo)[0] == "ResourceNotFoundException"
    # up to 50 tags, all in one answer (DynamoDB does not page them); the aws: prefix is AWS's own
    many = [{"Key": f"k{i:02d}", "Value": str(i)} for i in range(49)]
    ddb.tag_resource(ResourceArn=arn, Tags=many)
    out = ddb.list_tags_of_resource(ResourceArn=arn)
    assert out["Tags"] == [{"Key": "b", "Value": "2"}, *many] and "NextToken" not in out
    cases = [
        ([{"Key": "one-too-many", "Value": "x"}], "Number of Tags exceed the current limit for the provided ResourceArn"),
        ([{"Key": "aws:owner", "Value": "x"}], "Tag Key cannot be prefixed with aws:, Key: aws:owner"),
        ([{"Key": "k00", "Value": "x"}, {"Key": "k00", "Value": "y"}],
         "Duplicate Tag Keys provided as input: Duplicate Tag Key found k00"),
        ([{"Key": "bad*key", "Value": "x"}], "The Tag Key provided is invalid, Key: bad*key"),
        ([], "Atleast one Tag needs to be provided as Input."),
    ]
    for tags, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.tag_resource(ResourceArn=arn, Tags=tags)
        assert error(excinfo) == ("ValidationException", message, 400), tags
    arns = [
        ("nope", "One or more parameter values were invalid: ARNs must start with 'arn:': nope"),
        ("arn:aws:sqs:us-east-1:000000000000:q", "One or more parameter values were invalid: Provided Arn is not a "
                                                 "DynamoDB resource arn: arn:aws:sqs:us-east-1:000000000000:q"),
        (arn + "/index/by-g", "One or more parameter values were invalid: Invalid resource arn provided, only table or "
                              f"stream is accepted. Provided resource arn: {arn}/index/by-g"),
    ]
    for bad, message in arns:
        with pytest.raises(ClientError) as excinfo:
            ddb.list_tags_of_resource(ResourceArn=bad)
        assert error(excinfo) == ("ValidationException", message, 400), bad
    assert len(ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]) == 50
    with pytest.raises(ClientError) as excinfo:
        create(ddb, name="other", Tags=[{"Key": "AWS:x", "Value": "1"}])
    assert error(excinfo)[0::2] == ("ValidationException", 400)
    assert ddb.list_tables()["TableNames"] == ["tbl"]


def test_limits_endpoints_and_backups(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb)
    backups = ddb.describe_continuous_backups(TableName="tbl")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    with pytest.raises(ClientError) as excinfo:
        ddb.describe_continuous_backups(TableName="nope")
    assert error(excinfo) == ("TableNotFoundException", "Table not found: nope", 400)
    limits = ddb.describe_limits()
    assert limits["TableMaxReadCapacityUnits"] == 40000 and limits["AccountMaxWriteCapacityUnits"] == 80000
    [endpoint] = ddb.describe_endpoints()["Endpoints"]
    assert endpoint["CachePeriodInMinutes"] == 1440 and endpoint["Address"]


def test_error_type_is_namespaced(cloudlet):
    import json
    import urllib.request

    request = urllib.request.Request(
        cloudlet.endpoint + "/", method="POST", data=json.dumps({"TableName": "missing"}).encode(),
        headers={"X-Amz-Target": "DynamoDB_20120810.DescribeTable", "Content-Type": "application/x-amz-json-1.0"},
    )
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request)
    body = json.loads(excinfo.value.read())
    assert excinfo.value.code == 400
    assert body["__type"] == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"


def test_tables_and_items_survive_a_restart(tmp_path):
    from cloudlet.testing.pytest_plugin import CloudletHandle, start_server

    if os.environ.get("CLOUDLET_TEST_STORE"):
        pytest.skip("restart is exercised on the embedded store")
    for round_ in range(2):
        server = start_server(data_dir=str(tmp_path))
        try:
            ddb = CloudletHandle(server).client("dynamodb")
            if round_ == 0:
                create(ddb)
                ddb.put_item(TableName="tbl", Item={"pk": {"S": "kept"}, "n": {"N": "1.50"}})
            else:
                assert ddb.list_tables()["TableNames"] == ["tbl"]
                assert ddb.get_item(TableName="tbl", Key={"pk": {"S": "kept"}})["Item"]["n"] == {"N": "1.5"}
        finally:
            server.stop()


def test_malformed_body_is_a_serialization_error(cloudlet):
    import json
    import urllib.request

    ddb = cloudlet.client("dynamodb")
    create(ddb)
    request = urllib.request.Request(
        cloudlet.endpoint + "/", method="POST", data=b'{"TableName": "tbl", "Item": {',
        headers={"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0"},
    )
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request)
    body = json.loads(excinfo.value.read())
    assert excinfo.value.code == 400 and body["__type"].endswith("#SerializationException")
    assert ddb.scan(TableName="tbl")["Count"] == 0


def _gsi(name="by-g", attr="g", throughput=None):
    spec = {"IndexName": name, "KeySchema": [{"AttributeName": attr, "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}
    if throughput:
        spec["ProvisionedThroughput"] = {"ReadCapacityUnits": throughput, "WriteCapacityUnits": throughput}
    return spec


def test_create_table_index_rules(cloudlet):
    ddb = cloudlet.client("dynamodb", config=Config(parameter_validation=False))
    g_s = HASH_S + [{"AttributeName": "g", "AttributeType": "S"}]
    provisioned = {"ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}
    invalid = "One or more parameter values were invalid: "
    cases = [
        (dict(AttributeDefinitions=g_s + [{"AttributeName": "x", "AttributeType": "N"}], GlobalSecondaryIndexes=[_gsi()]),
         invalid + "Some AttributeDefinitions are not used. AttributeDefinitions: [pk, g, x], keys used: [pk, g]"),
        (dict(AttributeDefinitions=g_s, GlobalSecondaryIndexes=[_gsi()], **provisioned),
         invalid + "ProvisionedThroughput is not specified for index: by-g"),
        (dict(AttributeDefinitions=g_s, GlobalSecondaryIndexes=[_gsi(throughput=2)]),
         invalid + "ProvisionedThroughput should not be specified for index: by-g when BillingMode is PAY_PER_REQUEST"),
        (dict(AttributeDefinitions=g_s, GlobalSecondaryIndexes=[_gsi(), _gsi()]), invalid + "Duplicate index name: by-g"),
        (dict(KeySchema=HASH * 3),
         "1 validation error detected: Value '[KeySchemaElement(attributeName=pk, keyType=HASH), "
         "KeySchemaElement(attributeName=pk, keyType=HASH), KeySchemaElement(attributeName=pk, keyType=HASH)]' at "
         "'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2"),
        (dict(AttributeDefinitions=g_s, GlobalSecondaryIndexes=[
            {**_gsi(), "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}] * 3}]),
         "Invalid KeySchema: Duplicate attribute names in the KeySchema"),  # a GSI key may have several HASH keys
        (dict(KeySchema=HASH + [{"AttributeName": "s", "KeyType": "RANGE"}]),
         "Invalid KeySchema: Some index key attribute have no definition"),
        (dict(KeySchema=HASH * 2, AttributeDefinitions=g_s),
         "Both the Hash Key and the Range Key element in the KeySchema have the same name"),
        (dict(KeySchema=HASH + [{"AttributeName": "g", "KeyType": "HASH"}], AttributeDefinitions=g_s),
         "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"),
        (dict(ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1_000_000_000_001}),
         "Given value 1000000000001 for WriteCapacityUnits is out of bounds"),
        (dict(AttributeDefinitions=g_s, GlobalSecondaryIndexes=[
            {**_gsi(), "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "z", "KeyType": "RANGE"}]}]),
         invalid + "Some index key attributes are not defined in AttributeDefinitions. Keys: [z], AttributeDefinitions: "
         "[g, pk]"),
        (dict(KeySchema=HASH + [{"AttributeName": "g", "KeyType": "RANGE"}],
              AttributeDefinitions=g_s + [{"AttributeName": "l", "AttributeType": "S"}],
              LocalSecondaryIndexes=[{"IndexName": "by-l", "KeySchema": [{"AttributeName": "l", "KeyType": "HASH"}],
                                      "Projection": {"ProjectionType": "ALL"}}]),
         invalid + "Index KeySchema does not have a range key for index: by-l"),
        (dict(AttributeDefinitions=g_s, GlobalSecondaryIndexes=[_gsi("by g!")]),
         "1 validation error detected: Value 'by g!' at 'globalSecondaryIndexes.1.member.indexName' failed to satisfy "
         "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ClientError) as excinfo:
            create(ddb, **kwargs)
        assert error(excinfo) == ("ValidationException", message, 400), kwargs
    assert ddb.list_tables()["TableNames"] == []
    create(ddb, name="tbl")
    with pytest.raises(ClientError) as excinfo:
        ddb.query(TableName="tbl", IndexName="no such!", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "a"}})
    assert error(excinfo) == (
        "ValidationException", "1 validation error detected: Value 'no such!' at 'indexName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", 400)
    ddb.delete_table(TableName="tbl")
    table = create(ddb, AttributeDefinitions=g_s, GlobalSecondaryIndexes=[_gsi(throughput=3)], **provisioned)
    assert table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0, "ReadCapacityUnits": 3, "WriteCapacityUnits": 3}
    assert "BillingModeSummary" not in table  # never on-demand


def test_update_table_index_rules_and_billing_switches(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb, AttributeDefinitions=HASH_S + [{"AttributeName": "g", "AttributeType": "S"}],
           GlobalSecondaryIndexes=[_gsi()])
    h_s = [{"AttributeName": "h", "AttributeType": "S"}, {"AttributeName": "i", "AttributeType": "S"}]
    invalid = "One or more parameter values were invalid: "
    cases = [
        (dict(AttributeDefinitions=h_s, GlobalSecondaryIndexUpdates=[{"Create": _gsi("by-h", "h")},
                                                                      {"Create": _gsi("by-i", "i")}]),
         ("LimitExceededException",
          "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table", 400)),
        (dict(AttributeDefinitions=h_s, GlobalSecondaryIndexUpdates=[{"Create": _gsi("by-h", "h")},
                                                                      {"Delete": {"IndexName": "by-g"}}]),
         ("LimitExceededException",
          "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table", 400)),
        (dict(AttributeDefinitions=h_s[:1], GlobalSecondaryIndexUpdates=[{"Create": _gsi("by-h", "h", throughput=1)}]),
         ("ValidationException", invalid + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for "
          "index: by-h when BillingMode is PAY_PER_REQUEST", 400)),
        (dict(BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
         ("ValidationException", invalid + "ProvisionedThroughput must be specified for index: by-g", 400)),
        (dict(GlobalSecondaryIndexUpdates=[{}]),
         ("ValidationException", invalid + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
          "GlobalSecondaryIndexUpdate.Delete must not be null", 400)),
        (dict(GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}, {"Delete": {"IndexName": "by-g"}}]),
         ("ValidationException", invalid + "Only one global secondary index update per index is allowed "
          "simultaneously. Index: by-g", 400)),
    ]
    before = ddb.describe_table(TableName="tbl")["Table"]
    for kwargs, expected in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.update_table(TableName="tbl", **kwargs)
        assert error(excinfo) == expected, kwargs
    assert ddb.describe_table(TableName="tbl")["Table"] == before
    on_demand_since = before["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"]
    # to provisioned: the GSI's throughput comes in the same request
    out = ddb.update_table(
        TableName="tbl", BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 2},
        GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g", "ProvisionedThroughput": {
            "ReadCapacityUnits": 4, "WriteCapacityUnits": 5}}}],
    )["TableDescription"]
    assert out["BillingModeSummary"] == {"BillingMode": "PROVISIONED"}  # when, once the switch is done
    assert out["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["WriteCapacityUnits"] == 5
    assert ddb.describe_table(TableName="tbl")["Table"]["BillingModeSummary"] == {
        "BillingMode": "PROVISIONED", "LastUpdateToPayPerRequestDateTime": on_demand_since}
    # on a provisioned table a new GSI needs its own throughput
    with pytest.raises(ClientError) as excinfo:
        ddb.update_table(TableName="tbl", AttributeDefinitions=h_s[:1],
                         GlobalSecondaryIndexUpdates=[{"Create": _gsi("by-h", "h")}])
    assert error(excinfo) == ("ValidationException", invalid + "ProvisionedThroughput must be specified for index: by-h",
                              400)
    ddb.update_table(TableName="tbl", AttributeDefinitions=h_s[:1],
                     GlobalSecondaryIndexUpdates=[{"Create": _gsi("by-h", "h", throughput=1)}])
    assert [i["IndexName"] for i in ddb.describe_table(TableName="tbl")["Table"]["GlobalSecondaryIndexes"]] == [
        "by-g", "by-h"]


def test_point_in_time_recovery(cloudlet):
    ddb = cloudlet.client("dynamodb")
    arn = create(ddb)["TableArn"]
    disabled = {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": {
        "PointInTimeRecoveryStatus": "DISABLED"}}
    assert ddb.describe_continuous_backups(TableName="tbl")["ContinuousBackupsDescription"] == disabled
    before = time.time()
    out = ddb.update_continuous_backups(
        TableName=arn, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    recovery = out["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED" and recovery["RecoveryPeriodInDays"] == 35
    assert before - 1 <= recovery["EarliestRestorableDateTime"].timestamp() <= time.time() + 1
    assert recovery["LatestRestorableDateTime"] >= recovery["EarliestRestorableDateTime"]
    ddb.update_continuous_backups(
        TableName="tbl", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7})
    described = ddb.describe_continuous_backups(TableName="tbl")["ContinuousBackupsDescription"]
    assert described["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 7
    assert described["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"] == recovery["EarliestRestorableDateTime"]
    with pytest.raises(ClientError) as excinfo:
        ddb.update_continuous_backups(
            TableName="tbl", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 36})
    assert error(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '36' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to "
        "satisfy constraint: Member must have value less than or equal to 35", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.update_continuous_backups(TableName="nope", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    assert error(excinfo) == ("TableNotFoundException", "Table not found: nope", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.update_continuous_backups(TableName="tbl", PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 7})
    assert error(excinfo) == ("ValidationException", "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling "
                              "point-in-time recovery.", 400)
    out = ddb.update_continuous_backups(TableName="tbl", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    assert out["ContinuousBackupsDescription"] == disabled


def test_encryption_and_on_demand_limits_are_described(cloudlet):
    ddb = cloudlet.client("dynamodb")
    plain = create(ddb, name="plain")
    assert "SSEDescription" not in plain and "OnDemandThroughput" not in plain  # the AWS owned key
    # As in AWS, CreateTable's answer has no warm throughput (none was asked for) and does not say since
    # when the table is on-demand; DescribeTable has both.
    assert "WarmThroughput" not in plain and plain["BillingModeSummary"] == {"BillingMode": "PAY_PER_REQUEST"}
    described = ddb.describe_table(TableName="plain")["Table"]
    assert described["WarmThroughput"] == {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    assert "LastUpdateToPayPerRequestDateTime" in described["BillingModeSummary"]
    assert "TableClassSummary" not in plain  # never given
    assert create(ddb, name="standard", TableClass="STANDARD")["TableClassSummary"] == {"TableClass": "STANDARD"}
    out = ddb.update_table(TableName="plain", TableClass="STANDARD_INFREQUENT_ACCESS")["TableDescription"]
    assert "TableClassSummary" not in out  # the answer shows the class before the switch: none given
    out = ddb.describe_table(TableName="plain")["Table"]
    assert out["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert "LastUpdateDateTime" in out["TableClassSummary"]
    created = create(ddb, SSESpecification={"Enabled": True},
                     OnDemandThroughput={"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50})
    sse = created["SSEDescription"]
    assert sse["Status"] == "ENABLED" and sse["SSEType"] == "KMS"
    assert sse["KMSMasterKeyArn"].startswith("arn:aws:kms:us-east-1:000000000000:key/")
    table = ddb.describe_table(TableName="tbl")["Table"]
    assert table["SSEDescription"] == sse
    assert table["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}
    key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    out = ddb.update_table(TableName="tbl", SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key})
    assert out["TableDescription"]["SSEDescription"] == {**sse, "Status": "UPDATING"}  # the old key, changing
    assert ddb.describe_table(TableName="tbl")["Table"]["SSEDescription"]["KMSMasterKeyArn"] == key
    ddb.update_table(TableName="tbl", SSESpecification={"Enabled": False})
    assert "SSEDescription" not in ddb.describe_table(TableName="tbl")["Table"]


def test_update_table_request_rules(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb, KeySchema=HASH + [{"AttributeName": "s", "KeyType": "RANGE"}],
           AttributeDefinitions=HASH_S + [{"AttributeName": "s", "AttributeType": "S"},
                                          {"AttributeName": "g", "AttributeType": "S"},
                                          {"AttributeName": "l", "AttributeType": "S"}],
           GlobalSecondaryIndexes=[_gsi()],
           LocalSecondaryIndexes=[{"IndexName": "by-l", "KeySchema": HASH + [{"AttributeName": "l", "KeyType": "RANGE"}],
                                   "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    invalid = "One or more parameter values were invalid: "
    h_s = [{"AttributeName": "h", "AttributeType": "S"}]
    throughput = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    stream = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    cases = [
        (dict(), "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, "
                 "SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, "
                 "MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass "
                 "is required"),
        (dict(DeletionProtectionEnabled=True, GlobalSecondaryIndexUpdates=[]),
         invalid + "List of GlobalSecondaryIndexUpdates is empty"),
        (dict(DeletionProtectionEnabled=True, TableClass="STANDARD"),
         invalid + "TableClass modification must be the only operation in the request"),
        (dict(SSESpecification={"Enabled": True}, DeletionProtectionEnabled=True),
         invalid + "Server-Side Encryption modification must be the only operation in the request"),
        (dict(StreamSpecification=stream, AttributeDefinitions=h_s,
              GlobalSecondaryIndexUpdates=[{"Create": _gsi("by-h", "h")}]),
         invalid + "You cannot create or delete index while changing stream status"),
        (dict(GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g", "ProvisionedThroughput": throughput},
                                            "Delete": {"IndexName": "by-g"}}]),
         invalid + "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object"),
        (dict(AttributeDefinitions=h_s, GlobalSecondaryIndexUpdates=[{"Create": _gsi("by-g", "h")}]),
         "Attempting to create an index which already exists"),
        (dict(GlobalSecondaryIndexUpdates=[{"Create": _gsi("by-h", "h")}]),
         invalid + "AttributeDefinitions is not specified for index: by-h"),
        (dict(GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-l"}}]),
         "Cannot delete an index that is not a GlobalSecondaryIndex: by-l"),
        (dict(GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g", "ProvisionedThroughput": throughput}}]),
         invalid + "The only Updates for index: by-g when TableThroughputMode is PAY_PER_REQUEST can be to "
                   "OnDemandThroughput, WarmThroughput"),
        (dict(StreamSpecification={"StreamEnabled": True}),
         invalid + "If stream is being enabled then UpdateViewType is required"),
        (dict(SSESpecification={"Enabled": False}), invalid + "Table is already encrypted by default"),
        (dict(BillingMode="PROVISIONED"), invalid + "ProvisionedThroughput must be specified when BillingMode is "
                                                    "PROVISIONED"),
    ]
    before = ddb.describe_table(TableName="tbl")["Table"]
    for kwargs, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.update_table(TableName="tbl", **kwargs)
        assert error(excinfo) == ("ValidationException", message, 400), kwargs
    assert ddb.describe_table(TableName="tbl")["Table"] == before
    with pytest.raises(ClientError) as excinfo:
        ddb.update_table(TableName="tbl", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "ghost"}}])
    assert error(excinfo) == ("ResourceNotFoundException", "Requested resource not found: Index ghost for table tbl", 400)
    # AttributeDefinitions that no new index needs are ignored, even with another type
    ddb.update_table(TableName="tbl", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}],
                     StreamSpecification=stream)
    table = ddb.describe_table(TableName="tbl")["Table"]
    assert table["AttributeDefinitions"] == sorted(before["AttributeDefinitions"], key=lambda d: d["AttributeName"])
    # the index key of a provisioned index that does not change
    ddb.update_table(TableName="tbl", BillingMode="PROVISIONED", ProvisionedThroughput=throughput,
                     GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g", "ProvisionedThroughput": throughput}}])
    with pytest.raises(ClientError) as excinfo:
        ddb.update_table(TableName="tbl", GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": "by-g", "ProvisionedThroughput": throughput}}])
    assert error(excinfo)[1].startswith("The provisioned throughput for the index by-g will not change. The requested "
                                        "value equals the current value. Current ReadCapacityUnits provisioned for "
                                        "index by-g: 1.")
    with pytest.raises(ClientError) as excinfo:
        ddb.update_table(TableName="tbl", OnDemandThroughput={"MaxReadRequestUnits": 10})
    assert error(excinfo) == ("ValidationException", invalid + "MaxReadRequestUnits for OnDemandThroughput cannot be "
                              "specified when the table BillingMode is PROVISIONED", 400)


def test_create_table_definition_stream_and_encryption_rules(cloudlet):
    ddb = cloudlet.client("dynamodb", config=Config(parameter_validation=False))
    g_s = HASH_S + [{"AttributeName": "g", "AttributeType": "S"}]
    invalid = "One or more parameter values were invalid: "
    cases = [
        (dict(AttributeDefinitions=HASH_S * 2), "Attribute Name is duplicated: pk"),
        # unused definitions are reported before any index rule
        (dict(AttributeDefinitions=g_s + [{"AttributeName": "x", "AttributeType": "S"}],
              GlobalSecondaryIndexes=[{**_gsi(), "Projection": {}}]),
         invalid + "Some AttributeDefinitions are not used. AttributeDefinitions: [pk, g, x], keys used: [pk, g]"),
        (dict(AttributeDefinitions=g_s, GlobalSecondaryIndexes=[
            {**_gsi(), "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "a"]}}]),
         invalid + "Duplicate element in NonKeyAttributes: a"),
        (dict(StreamSpecification={"StreamEnabled": True}),
         invalid + "Table is being created with a stream enabled, UpdateViewType is required"),
        (dict(StreamSpecification={"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"}),
         invalid + "Table is being created with a stream disabled, UpdateViewType should not be specified"),
        (dict(SSESpecification={"Enabled": False, "SSEType": "KMS"}), invalid + "SSEType can not be specified if "
                                                                              "Enabled is false"),
        (dict(SSESpecification={"Enabled": True, "SSEType": "AES256"}), invalid + "SSEType AES256 is not supported"),
        (dict(SSESpecification={"Enabled": True, "KMSMasterKeyId": "alias/mine"}),
         invalid + "SSEType KMS is required if KMSMasterKeyId is specified"),
        (dict(TableClass="GLACIER"), "Invalid table-class parameter provided. Please try again with a valid "
                                     "table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS]."),
        (dict(ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
              OnDemandThroughput={"MaxWriteRequestUnits": 5}),
         invalid + "MaxWriteRequestUnits for OnDemandThroughput cannot be specified when table BillingMode is "
                   "PROVISIONED."),
        (dict(OnDemandThroughput={"MaxReadRequestUnits": -1}),
         invalid + "Requested MaxReadRequestUnits for OnDemandThroughput for table is outside of valid range"),
        (dict(AttributeDefinitions=[*HASH_S, {"AttributeName": "g", "AttributeType": "S"}],
              GlobalSecondaryIndexes=[{**_gsi(), "OnDemandThroughput": {"MaxWriteRequestUnits": 0}}]),
         invalid + "Requested MaxWriteRequestUnits for OnDemandThroughput for index : by-g is outside of valid range"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ClientError) as excinfo:
            create(ddb, **kwargs)
        assert error(excinfo) == ("ValidationException", message, 400), kwargs
    assert ddb.list_tables()["TableNames"] == []
    # AWS describes AttributeDefinitions and NonKeyAttributes sorted by name
    table = create(ddb, AttributeDefinitions=[{"AttributeName": "z", "AttributeType": "S"}, *HASH_S],
                   GlobalSecondaryIndexes=[{**_gsi("by-z", "z"),
                                            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["b", "a"]}}])
    assert [d["AttributeName"] for d in table["AttributeDefinitions"]] == ["pk", "z"]
    assert table["GlobalSecondaryIndexes"][0]["Projection"]["NonKeyAttributes"] == ["a", "b"]


def test_warm_throughput_rules(cloudlet):
    ddb = cloudlet.client("dynamodb")
    invalid = "One or more parameter values were invalid: "
    initial = ("is lower than initial throughput for OnDemand. See: https://docs.aws.amazon.com/amazondynamodb/latest/"
               "developerguide/on-demand-capacity-mode.html#on-demand-capacity-mode-initial")
    attrs = [*HASH_S, {"AttributeName": "g", "AttributeType": "S"}]
    refused = [
        ({"WarmThroughput": {"ReadUnitsPerSecond": 1, "WriteUnitsPerSecond": 1}},
         f"Requested ReadUnitsPerSecond for WarmThroughput for table {initial}"),
        ({"WarmThroughput": {"WriteUnitsPerSecond": 3999}},
         f"Requested WriteUnitsPerSecond for WarmThroughput for table {initial}"),
        ({"ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": 10},
          "WarmThroughput": {"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 5}},
         "Requested ReadUnitsPerSecond for WarmThroughput for table is lower than ReadCapacityUnits of "
         "ProvisionedThroughput"),
        ({"AttributeDefinitions": attrs,
          "GlobalSecondaryIndexes": [{**_gsi(), "WarmThroughput": {"ReadUnitsPerSecond": 5}}]},
         f"Requested ReadUnitsPerSecond for WarmThroughput for index by-g {initial}"),
    ]
    for kwargs, message in refused:
        with pytest.raises(ClientError) as excinfo:
            create(ddb, **kwargs)
        assert error(excinfo) == ("ValidationException", invalid + message, 400)

    created = create(ddb, AttributeDefinitions=attrs, WarmThroughput={"ReadUnitsPerSecond": 12001},
                     GlobalSecondaryIndexes=[{**_gsi(), "WarmThroughput": {"WriteUnitsPerSecond": 4500}}])
    # Warm throughput asked for at creation is answered as being applied, then described ACTIVE.
    assert created["WarmThroughput"] == {"ReadUnitsPerSecond": 12001, "WriteUnitsPerSecond": 4000, "Status": "UPDATING"}
    assert created["GlobalSecondaryIndexes"][0]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4500, "Status": "UPDATING"}
    described = ddb.describe_table(TableName="tbl")["Table"]
    assert described["WarmThroughput"] == {"ReadUnitsPerSecond": 12001, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    assert described["GlobalSecondaryIndexes"][0]["WarmThroughput"]["Status"] == "ACTIVE"
    decrease = "for WarmThroughput for {} is lower than current WarmThroughput, decreasing WarmThroughput is not supported"
    refused_updates = [
        ({"WarmThroughput": {"ReadUnitsPerSecond": 12000}}, "Requested ReadUnitsPerSecond " + decrease.format("table")),
        ({"GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "by-g", "WarmThroughput": {"WriteUnitsPerSecond": 4000}}}]},
         "Requested WriteUnitsPerSecond " + decrease.format("index by-g")),
        ({"WarmThroughput": {"ReadUnitsPerSecond": 13000}, "BillingMode": "PAY_PER_REQUEST"},
         "WarmThroughput must be the only operation in the request"),
        ({"WarmThroughput": {"ReadUnitsPerSecond": 13000}, "AttributeDefinitions": attrs,
          "GlobalSecondaryIndexUpdates": [{"Create": _gsi("other")}]},
         "Create global secondary index cannot be specified when updating WarmThroughput"),
    ]
    for kwargs, message in refused_updates:
        with pytest.raises(ClientError) as excinfo:
            ddb.update_table(TableName="tbl", **kwargs)
        assert error(excinfo) == ("ValidationException", invalid + message, 400)
    ddb.update_table(TableName="tbl", WarmThroughput={"ReadUnitsPerSecond": 12001, "WriteUnitsPerSecond": 5000},
                     GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g",
                                                              "WarmThroughput": {"ReadUnitsPerSecond": 20000}}}])
    table = ddb.describe_table(TableName="tbl")["Table"]
    assert table["WarmThroughput"] == {"ReadUnitsPerSecond": 12001, "WriteUnitsPerSecond": 5000, "Status": "ACTIVE"}
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 4500, "Status": "ACTIVE"}
    # Warm throughput does not fall when the table leaves on-demand mode.
    ddb.update_table(TableName="tbl", BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
                     GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g", "ProvisionedThroughput": {
                         "ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}}])
    assert ddb.describe_table(TableName="tbl")["Table"]["WarmThroughput"]["WriteUnitsPerSecond"] == 5000

    provisioned = create(ddb, name="prov", ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 10})
    assert "WarmThroughput" not in provisioned
    with pytest.raises(ClientError) as excinfo:
        ddb.update_table(TableName="prov", WarmThroughput={"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 50})
    assert error(excinfo)[1] == invalid + "Requested ReadUnitsPerSecond " + decrease.format("table")
    out = ddb.update_table(TableName="prov", WarmThroughput={"ReadUnitsPerSecond": 50, "WriteUnitsPerSecond": 50})
    # The answer shows the warm throughput before the change, being updated; the table stays ACTIVE.
    assert out["TableDescription"]["TableStatus"] == "ACTIVE"
    assert out["TableDescription"]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 10, "WriteUnitsPerSecond": 10, "Status": "UPDATING"}
    assert ddb.describe_table(TableName="prov")["Table"]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 50, "WriteUnitsPerSecond": 50, "Status": "ACTIVE"}


def test_on_demand_limits_of_tables_and_indexes(cloudlet):
    ddb = cloudlet.client("dynamodb")
    attrs = [*HASH_S, {"AttributeName": "g", "AttributeType": "S"}]
    created = create(ddb, AttributeDefinitions=attrs, OnDemandThroughput={"MaxReadRequestUnits": 100},
                     GlobalSecondaryIndexes=[{**_gsi(), "OnDemandThroughput": {"MaxWriteRequestUnits": 50}}])
    assert created["OnDemandThroughput"] == {"MaxReadRequestUnits": 100}
    assert created["GlobalSecondaryIndexes"][0]["OnDemandThroughput"] == {"MaxWriteRequestUnits": 50}
    ddb.update_table(TableName="tbl", OnDemandThroughput={"MaxWriteRequestUnits": 10})
    ddb.update_table(TableName="tbl", GlobalSecondaryIndexUpdates=[
        {"Update": {"IndexName": "by-g", "OnDemandThroughput": {"MaxReadRequestUnits": 7}}}])
    table = ddb.describe_table(TableName="tbl")["Table"]
    assert table["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 10}
    assert table["GlobalSecondaryIndexes"][0]["OnDemandThroughput"] == {"MaxReadRequestUnits": 7, "MaxWriteRequestUnits": 50}
    # On UpdateTable, -1 removes a limit; 0 is out of range.
    ddb.update_table(TableName="tbl", OnDemandThroughput={"MaxReadRequestUnits": -1})
    assert ddb.describe_table(TableName="tbl")["Table"]["OnDemandThroughput"] == {"MaxWriteRequestUnits": 10}
    with pytest.raises(ClientError) as excinfo:
        ddb.update_table(TableName="tbl", OnDemandThroughput={"MaxWriteRequestUnits": 0})
    assert error(excinfo)[1] == ("One or more parameter values were invalid: Requested MaxWriteRequestUnits for "
                                 "OnDemandThroughput for table is outside of valid range")
    # Leaving on-demand mode drops the limits of the table and of its indexes.
    ddb.update_table(TableName="tbl", BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
                     GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g", "ProvisionedThroughput": {
                         "ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}}])
    table = ddb.describe_table(TableName="tbl")["Table"]
    assert "OnDemandThroughput" not in table and "OnDemandThroughput" not in table["GlobalSecondaryIndexes"][0]
    with pytest.raises(ClientError) as excinfo:
        ddb.update_table(TableName="tbl", GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": "by-g", "OnDemandThroughput": {"MaxReadRequestUnits": 7}}}])
    assert error(excinfo)[1] == ("One or more parameter values were invalid: MaxReadRequestUnits for OnDemandThroughput "
                                 "for index : by-g cannot be specified when the table BillingMode is PROVISIONED")
