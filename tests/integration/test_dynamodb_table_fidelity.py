"""Control-plane details against a live server: TableId identity, deletion protection, projection
and stream specification errors of CreateTable."""

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error

KEY = {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
       "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
INVALID = "One or more parameter values were invalid: "


def _gsi(projection):
    return {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                        "Projection": projection}]}


def test_table_id_is_assigned_at_creation_and_stays(cloudlet):
    ddb = cloudlet.client("dynamodb")
    created = ddb.create_table(TableName="ident", **KEY)["TableDescription"]
    assert created["TableStatus"] == "CREATING" and created["TableId"]
    assert {ddb.describe_table(TableName="ident")["Table"]["TableId"] for _ in range(2)} == {created["TableId"]}


def test_deletion_protection_blocks_delete_table_until_disabled(cloudlet):
    ddb = cloudlet.client("dynamodb")
    ddb.create_table(TableName="guarded", DeletionProtectionEnabled=True, **KEY)
    with pytest.raises(ClientError) as excinfo:
        ddb.delete_table(TableName="guarded")
    assert error(excinfo) == ("ValidationException", "Resource cannot be deleted as it is currently protected against "
                              "deletion. Disable deletion protection first.", 400)
    assert ddb.describe_table(TableName="guarded")["Table"]["TableStatus"] == "ACTIVE"
    ddb.update_table(TableName="guarded", DeletionProtectionEnabled=False)
    assert ddb.delete_table(TableName="guarded")["TableDescription"]["TableStatus"] == "DELETING"


@pytest.mark.parametrize("extra, message", [
    (_gsi({"ProjectionType": "INCLUDE"}), INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified"),
    (_gsi({"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["x"]}),
     INVALID + "ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified"),
    ({"StreamSpecification": {"StreamEnabled": False, "StreamViewType": "NEW_IMAGE"}},
     INVALID + "Table is being created with a stream disabled, UpdateViewType should not be specified"),
])
def test_create_table_refuses_inconsistent_specifications(cloudlet, extra, message):
    ddb = cloudlet.client("dynamodb")
    with pytest.raises(ClientError) as excinfo:
        ddb.create_table(TableName="spec", **{**KEY, **extra})
    assert error(excinfo) == ("ValidationException", message, 400)
    assert ddb.list_tables()["TableNames"] == []
