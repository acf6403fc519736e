"""What DescribeTable and UpdateTable report with boto3: the warm throughput every table and GSI
has (on-demand defaults, provisioned capacity, never decreasing), and the answers of UpdateTable
requests that change the encryption or deletion protection (done in place: the table stays ACTIVE)."""

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error

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


def _provisioned_and_on_demand(ddb, table_capacity, index_capacity):
    """Tables "prov" (provisioned, with a provisioned GSI) and "ondemand" (with an on-demand GSI)."""
    ddb.create_table(TableName="prov", KeySchema=HASH, AttributeDefinitions=ATTRS,
                     ProvisionedThroughput=_capacity(*table_capacity), GlobalSecondaryIndexes=[_gsi(index_capacity)])
    ddb.create_table(TableName="ondemand", KeySchema=HASH, AttributeDefinitions=ATTRS, BillingMode="PAY_PER_REQUEST",
                     GlobalSecondaryIndexes=[_gsi()])


def test_every_table_and_gsi_describes_its_warm_throughput(cloudlet):
    ddb = cloudlet.client("dynamodb")
    _provisioned_and_on_demand(ddb, (5, 6), (2, 3))

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


def test_encryption_changes_are_answered_as_updating_in_place(cloudlet):
    ddb = cloudlet.client("dynamodb")
    created = ddb.create_table(TableName="enc", KeySchema=HASH, AttributeDefinitions=ATTRS[:1],
                               ProvisionedThroughput=_capacity(5, 5),
                               SSESpecification={"Enabled": True})["TableDescription"]
    sse = created["SSEDescription"]
    assert sse["Status"] == "ENABLED" and sse["SSEType"] == "KMS"
    # Other changes leave the encryption as it is.
    out = ddb.update_table(TableName="enc", ProvisionedThroughput=_capacity(6, 6))["TableDescription"]
    assert out["SSEDescription"] == sse

    def update(spec):
        return ddb.update_table(TableName="enc", SSESpecification=spec)["TableDescription"]

    # Turning it off: the answer still names the key, being updated; afterwards the table has none.
    out = update({"Enabled": False})
    assert (out["TableStatus"], out["SSEDescription"]) == ("ACTIVE", {**sse, "Status": "UPDATING"})
    table = ddb.describe_table(TableName="enc")["Table"]
    assert "SSEDescription" not in table and "SSESpecification" not in table
    # Turning it on: the answer names no key yet; DescribeTable then shows the managed key.
    out = update({"Enabled": True, "SSEType": "KMS"})
    assert (out["TableStatus"], out["SSEDescription"]) == ("ACTIVE", {"Status": "UPDATING"})
    assert ddb.describe_table(TableName="enc")["Table"]["SSEDescription"] == sse
    # Re-sending {Enabled: true} re-encrypts with the same key (accepted); the key's exact ARN is refused.
    assert update({"Enabled": True})["SSEDescription"] == {**sse, "Status": "UPDATING"}
    with pytest.raises(ClientError) as excinfo:
        update({"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": sse["KMSMasterKeyArn"]})
    assert error(excinfo) == ("ValidationException", "One or more parameter values were invalid: Table is already "
                              "encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you want to "
                              "change Master Key", 400)
    # A key change: the answer shows the old key being updated, DescribeTable the new one.
    key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert update({"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key})["SSEDescription"] == {
        **sse, "Status": "UPDATING"}
    assert ddb.describe_table(TableName="enc")["Table"]["SSEDescription"] == {**sse, "KMSMasterKeyArn": key}
    # Deletion protection also changes in place; capacity changes answer UPDATING.
    out = ddb.update_table(TableName="enc", DeletionProtectionEnabled=True)["TableDescription"]
    assert (out["TableStatus"], out["DeletionProtectionEnabled"]) == ("ACTIVE", True)
    assert ddb.update_table(TableName="enc", ProvisionedThroughput=_capacity(7, 7))["TableDescription"][
        "TableStatus"] == "UPDATING"
    assert ddb.describe_table(TableName="enc")["Table"]["TableStatus"] == "ACTIVE"


def test_encryption_specification_without_enabled(cloudlet):
    ddb = cloudlet.client("dynamodb")
    managed = None
    for name, spec, encrypted in [("empty", {}, False), ("kms", {"SSEType": "KMS"}, True),
                                  ("keyed", {"SSEType": "KMS", "KMSMasterKeyId": "alias/aws/dynamodb"}, True)]:
        ddb.create_table(TableName=name, KeySchema=HASH, AttributeDefinitions=ATTRS[:1],
                         BillingMode="PAY_PER_REQUEST", SSESpecification=spec)
        sse = ddb.describe_table(TableName=name)["Table"].get("SSEDescription")
        assert (sse is not None) == encrypted
        if name == "kms":
            managed = sse
            assert sse["Status"] == "ENABLED" and sse["SSEType"] == "KMS"
    assert ddb.describe_table(TableName="keyed")["Table"]["SSEDescription"] == managed  # the alias resolved
    assert managed["KMSMasterKeyArn"].startswith("arn:aws:kms:us-east-1:000000000000:key/")


def test_index_updates_and_on_demand_limits_are_answered_in_place(cloudlet):
    ddb = cloudlet.client("dynamodb")
    _provisioned_and_on_demand(ddb, (1, 1), (1, 1))

    def update(name, **kwargs):
        out = ddb.update_table(TableName=name, **kwargs)["TableDescription"]
        return out, out["GlobalSecondaryIndexes"][0]

    # A GSI capacity change: the index is UPDATING and still shows its old capacity; the table stays ACTIVE.
    out, gsi = update("prov", GlobalSecondaryIndexUpdates=[
        {"Update": {"IndexName": "by-g", "ProvisionedThroughput": _capacity(2, 3)}}])
    assert (out["TableStatus"], gsi["IndexStatus"]) == ("ACTIVE", "UPDATING")
    assert (gsi["ProvisionedThroughput"]["ReadCapacityUnits"], gsi["ProvisionedThroughput"]["WriteCapacityUnits"]) == (1, 1)
    described = ddb.describe_table(TableName="prov")["Table"]["GlobalSecondaryIndexes"][0]
    assert described["IndexStatus"] == "ACTIVE"
    assert described["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    # A GSI on-demand limit: the index is UPDATING, with its new limit.
    limits = {"MaxReadRequestUnits": 50, "MaxWriteRequestUnits": 60}
    out, gsi = update("ondemand", GlobalSecondaryIndexUpdates=[
        {"Update": {"IndexName": "by-g", "OnDemandThroughput": limits}}])
    assert (out["TableStatus"], gsi["IndexStatus"], gsi["OnDemandThroughput"]) == ("ACTIVE", "UPDATING", limits)
    # A GSI warm throughput raise: the index stays ACTIVE, its old warm throughput shown as UPDATING.
    out, gsi = update("ondemand", GlobalSecondaryIndexUpdates=[
        {"Update": {"IndexName": "by-g", "WarmThroughput": {"ReadUnitsPerSecond": 13000}}}])
    assert (out["TableStatus"], gsi["IndexStatus"]) == ("ACTIVE", "ACTIVE")
    assert gsi["WarmThroughput"] == {**ON_DEMAND, "Status": "UPDATING"}
    assert ddb.describe_table(TableName="ondemand")["Table"]["GlobalSecondaryIndexes"][0]["WarmThroughput"] == _warm(
        13000, 4000)
    # The table's on-demand limits change at once: ACTIVE, with the new limits.
    out = ddb.update_table(TableName="ondemand", OnDemandThroughput=limits)["TableDescription"]
    assert (out["TableStatus"], out["OnDemandThroughput"]) == ("ACTIVE", limits)
    # A billing switch is not in place.
    out = ddb.update_table(TableName="ondemand", BillingMode="PROVISIONED", ProvisionedThroughput=_capacity(1, 1),
                           GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g",
                                                                    "ProvisionedThroughput": _capacity(1, 1)}}])
    assert out["TableDescription"]["TableStatus"] == "UPDATING"


def test_billing_and_class_switches_answer_the_state_before_them(cloudlet):
    ddb = cloudlet.client("dynamodb")
    ddb.create_table(TableName="tbl", KeySchema=HASH, AttributeDefinitions=ATTRS[:1], ProvisionedThroughput=_capacity(1, 1))
    assert "BillingModeSummary" not in ddb.describe_table(TableName="tbl")["Table"]  # never on-demand
    # A billing switch answers the new mode only; when it happened shows once it is done.
    out = ddb.update_table(TableName="tbl", BillingMode="PAY_PER_REQUEST")["TableDescription"]
    assert (out["TableStatus"], out["BillingModeSummary"]) == ("UPDATING", {"BillingMode": "PAY_PER_REQUEST"})
    summary = ddb.describe_table(TableName="tbl")["Table"]["BillingModeSummary"]
    assert summary["BillingMode"] == "PAY_PER_REQUEST" and "LastUpdateToPayPerRequestDateTime" in summary
    out = ddb.update_table(TableName="tbl", BillingMode="PROVISIONED", ProvisionedThroughput=_capacity(1, 1))
    assert out["TableDescription"]["BillingModeSummary"] == {"BillingMode": "PROVISIONED"}
    assert ddb.describe_table(TableName="tbl")["Table"]["BillingModeSummary"] == {**summary, "BillingMode": "PROVISIONED"}
    # A class switch answers the class before it: none the first time, then the previous one.
    out = ddb.update_table(TableName="tbl", TableClass="STANDARD_INFREQUENT_ACCESS")["TableDescription"]
    assert out["TableStatus"] == "UPDATING" and "TableClassSummary" not in out
    first = ddb.describe_table(TableName="tbl")["Table"]["TableClassSummary"]
    assert first["TableClass"] == "STANDARD_INFREQUENT_ACCESS" and "LastUpdateDateTime" in first
    out = ddb.update_table(TableName="tbl", TableClass="STANDARD")["TableDescription"]
    assert out["TableClassSummary"] == first
    assert ddb.describe_table(TableName="tbl")["Table"]["TableClassSummary"]["TableClass"] == "STANDARD"
