"""What DescribeTable and UpdateTable report with boto3: the warm throughput every table and GSI
has (on-demand defaults, provisioned capacity, never decreasing), and the answer of an UpdateTable
that turns KMS encryption off."""

HASH = [{"AttributeName": "pk", "KeyType": "HASH"}]
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}]
ON_DEMAND = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}


def _gsi(throughput=None):
    spec = {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}
    if throughput:
        spec["ProvisionedThroughput"] = {"ReadCapacityUnits": throughput[0], "WriteCapacityUnits": throughput[1]}
    return spec


def _warm(read, write):
    return {"ReadUnitsPerSecond": read, "WriteUnitsPerSecond": write, "Status": "ACTIVE"}


def _capacity(read, write):
    return {"ReadCapacityUnits": read, "WriteCapacityUnits": write}


def test_every_table_and_gsi_describes_its_warm_throughput(cloudlet):
    ddb = cloudlet.client("dynamodb")
    ddb.create_table(TableName="prov", KeySchema=HASH, AttributeDefinitions=ATTRS,
                     ProvisionedThroughput=_capacity(5, 6), GlobalSecondaryIndexes=[_gsi((2, 3))])
    ddb.create_table(TableName="ondemand", KeySchema=HASH, AttributeDefinitions=ATTRS, BillingMode="PAY_PER_REQUEST",
                     GlobalSecondaryIndexes=[_gsi()])

    def warm_of(name):
        table = ddb.describe_table(TableName=name)["Table"]
        return table.get("WarmThroughput"), [g.get("WarmThroughput") for g in table["GlobalSecondaryIndexes"]]

    assert warm_of("prov") == (_warm(5, 6), [_warm(2, 3)])  # a provisioned table starts at its capacity
    assert warm_of("ondemand") == (ON_DEMAND, [ON_DEMAND])
    # Warm throughput follows the highest capacity ever provisioned: raised with it, kept when it falls.
    ddb.update_table(TableName="prov", ProvisionedThroughput=_capacity(8, 9))
    ddb.update_table(TableName="prov", GlobalSecondaryIndexUpdates=[
        {"Update": {"IndexName": "by-g", "ProvisionedThroughput": _capacity(4, 4)}}])
    assert warm_of("prov") == (_warm(8, 9), [_warm(4, 4)])
    ddb.update_table(TableName="prov", ProvisionedThroughput=_capacity(1, 1))
    ddb.update_table(TableName="prov", GlobalSecondaryIndexUpdates=[
        {"Update": {"IndexName": "by-g", "ProvisionedThroughput": _capacity(1, 1)}}])
    table = ddb.describe_table(TableName="prov")["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 1
    assert (table["WarmThroughput"], table["GlobalSecondaryIndexes"][0]["WarmThroughput"]) == (_warm(8, 9), _warm(4, 4))
    # On-demand mode raises it to the on-demand defaults, which stay after going back to provisioned.
    ddb.update_table(TableName="prov", BillingMode="PAY_PER_REQUEST")
    assert warm_of("prov") == (ON_DEMAND, [ON_DEMAND])
    ddb.update_table(TableName="prov", BillingMode="PROVISIONED", ProvisionedThroughput=_capacity(1, 1),
                     GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g",
                                                              "ProvisionedThroughput": _capacity(1, 1)}}])
    assert warm_of("prov") == (ON_DEMAND, [ON_DEMAND])
    # ListTables and the other tables are untouched by these reads.
    assert ddb.list_tables()["TableNames"] == ["ondemand", "prov"]


def test_turning_kms_encryption_off_is_answered_as_updating(cloudlet):
    ddb = cloudlet.client("dynamodb")
    created = ddb.create_table(TableName="enc", KeySchema=HASH, AttributeDefinitions=ATTRS[:1],
                               ProvisionedThroughput=_capacity(5, 5),
                               SSESpecification={"Enabled": True})["TableDescription"]
    sse = created["SSEDescription"]
    assert sse["Status"] == "ENABLED" and sse["SSEType"] == "KMS"
    # Other changes leave the encryption as it is.
    out = ddb.update_table(TableName="enc", ProvisionedThroughput=_capacity(6, 6))["TableDescription"]
    assert out["SSEDescription"] == sse
    # Turning it off: the answer still names the key, being updated; afterwards the table has none.
    out = ddb.update_table(TableName="enc", SSESpecification={"Enabled": False})["TableDescription"]
    assert out["SSEDescription"] == {**sse, "Status": "UPDATING"}
    table = ddb.describe_table(TableName="enc")["Table"]
    assert "SSEDescription" not in table and "SSESpecification" not in table
