"""DynamoDB on-demand backups, restores and point-in-time recovery with boto3: what is copied and
restored (items, indexes, the definition), the point in time chosen, listing and paging, the
SYSTEM backup of a deleted table, history pruning, and the errors AWS answers."""

import re
import threading
import time

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error
from polling import wait_for

KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
DEFS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
        {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "l", "AttributeType": "S"}]
GSI = {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
       "Projection": {"ProjectionType": "ALL"}}
LSI = {"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                          {"AttributeName": "l", "KeyType": "RANGE"}],
       "Projection": {"ProjectionType": "KEYS_ONLY"}}
ARN_RE = re.compile(r"arn:aws:dynamodb:us-east-1:000000000000:table/src/backup/\d{14}-[0-9a-f]{8}")


def make_table(ddb, name="src", **kwargs):
    kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
    return ddb.create_table(TableName=name, KeySchema=KEYS, AttributeDefinitions=DEFS, GlobalSecondaryIndexes=[GSI],
                            LocalSecondaryIndexes=[LSI], **kwargs)["TableDescription"]


def item(pk, sk, **attrs):
    out = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
    out.update({k: {"S": v} for k, v in attrs.items()})
    return out


def scan_all(ddb, table):
    items = ddb.scan(TableName=table)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], int(i["sk"]["N"])))


def fill(ddb, table="src", n=5):
    for i in range(n):
        ddb.put_item(TableName=table, Item=item("p", i, g=f"g{i % 2}", l=f"l{i}", v=f"v{i}"))


def pitr_on(ddb, table="src", **spec):
    return ddb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, **spec})


def test_backup_copies_items_and_definition_and_restores_them(cloudlet):
    ddb = cloudlet.client("dynamodb")
    created = make_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                         SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/k"},
                         Tags=[{"Key": "team", "Value": "core"}])
    ddb.update_time_to_live(TableName="src", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    fill(ddb)
    before = time.time()
    details = ddb.create_backup(TableName="src", BackupName="nightly")["BackupDetails"]
    assert ARN_RE.fullmatch(details["BackupArn"])
    assert details["BackupName"] == "nightly" and details["BackupStatus"] == "AVAILABLE"
    assert details["BackupType"] == "USER" and details["BackupSizeBytes"] > 0
    assert before - 1 <= details["BackupCreationDateTime"].timestamp() <= time.time() + 1
    assert int(details["BackupArn"].rsplit("/", 1)[1].split("-")[0]) == int(
        round(details["BackupCreationDateTime"].timestamp() * 1000))
    # Later writes are not in the backup.
    ddb.put_item(TableName="src", Item=item("p", 99, g="g9"))
    ddb.delete_item(TableName="src", Key={"pk": {"S": "p"}, "sk": {"N": "0"}})

    described = ddb.describe_backup(BackupArn=details["BackupArn"])["BackupDescription"]
    assert described["BackupDetails"] == details
    source = described["SourceTableDetails"]
    assert source["TableName"] == "src" and source["TableArn"] == created["TableArn"]
    assert source["TableId"] == created["TableId"] and source["ItemCount"] == 5
    assert source["TableSizeBytes"] == details["BackupSizeBytes"] and source["KeySchema"] == KEYS
    assert source["BillingMode"] == "PAY_PER_REQUEST"
    assert source["ProvisionedThroughput"] == {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
    assert source["TableCreationDateTime"] == created["CreationDateTime"]
    features = described["SourceTableFeatureDetails"]
    assert features["GlobalSecondaryIndexes"] == [{"IndexName": "by-g", "KeySchema": GSI["KeySchema"],
                                                   "Projection": {"ProjectionType": "ALL"}}]
    assert features["LocalSecondaryIndexes"] == [{"IndexName": "by-l", "KeySchema": LSI["KeySchema"],
                                                  "Projection": {"ProjectionType": "KEYS_ONLY"}}]
    assert features["StreamDescription"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert features["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    assert features["SSEDescription"] == {"Status": "ENABLED", "SSEType": "KMS",
                                          "KMSMasterKeyArn": "arn:aws:kms:us-east-1:000000000000:alias/k"}

    restored = ddb.restore_table_from_backup(TargetTableName="copy", BackupArn=details["BackupArn"])["TableDescription"]
    assert restored["TableStatus"] == "CREATING" and restored["TableName"] == "copy"
    assert restored["RestoreSummary"]["RestoreInProgress"] is True
    assert restored["RestoreSummary"]["SourceBackupArn"] == details["BackupArn"]
    ddb.get_waiter("table_exists").wait(TableName="copy", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    table = ddb.describe_table(TableName="copy")["Table"]
    assert table["TableStatus"] == "ACTIVE" and table["ItemCount"] == 5 and table["TableId"] != created["TableId"]
    assert table["RestoreSummary"] == {
        "SourceBackupArn": details["BackupArn"], "SourceTableArn": created["TableArn"],
        "RestoreDateTime": details["BackupCreationDateTime"], "RestoreInProgress": False}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["KMSMasterKeyArn"] == "arn:aws:kms:us-east-1:000000000000:alias/k"
    # As in DynamoDB, tags, stream and TTL settings are not restored.
    assert "StreamSpecification" not in table and "LatestStreamArn" not in table
    assert ddb.describe_time_to_live(TableName="copy")["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    assert ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == []
    assert [i["v"]["S"] for i in scan_all(ddb, "copy")] == [f"v{i}" for i in range(5)]
    # The indexes are rebuilt: a Query on the restored GSI and LSI.
    by_g = ddb.query(TableName="copy", IndexName="by-g", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "g0"}})["Items"]
    assert sorted(int(i["sk"]["N"]) for i in by_g) == [0, 2, 4]
    by_l = ddb.query(TableName="copy", IndexName="by-l", KeyConditionExpression="pk = :p AND l >= :l",
                     ExpressionAttributeValues={":p": {"S": "p"}, ":l": {"S": "l3"}})["Items"]
    assert [i["l"]["S"] for i in by_l] == ["l3", "l4"]
    assert ddb.describe_table(TableName="copy")["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"] == 5
    # The restored table is a table of its own.
    ddb.put_item(TableName="copy", Item=item("p", 7, g="g0"))
    assert len(scan_all(ddb, "src")) == 5 and len(scan_all(ddb, "copy")) == 6


def test_restore_overrides(cloudlet):
    ddb = cloudlet.client("dynamodb")
    make_table(ddb)
    fill(ddb, n=3)
    arn = ddb.create_backup(TableName="src", BackupName="bk1")["BackupDetails"]["BackupArn"]
    no_gsi_defs = [d for d in DEFS if d["AttributeName"] != "g"]
    out = ddb.restore_table_from_backup(
        TargetTableName="prov", BackupArn=arn, BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
        GlobalSecondaryIndexOverride=[], LocalSecondaryIndexOverride=[],
        SSESpecificationOverride={"Enabled": True})["TableDescription"]
    assert out["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    table = ddb.describe_table(TableName="prov")["Table"]
    assert "GlobalSecondaryIndexes" not in table and "LocalSecondaryIndexes" not in table
    assert table["AttributeDefinitions"] == sorted(no_gsi_defs[:2], key=lambda d: d["AttributeName"])
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 4 and "BillingModeSummary" not in table
    assert table["SSEDescription"]["SSEType"] == "KMS" and table["ItemCount"] == 3
    # A GSI override keeps the listed index only, with its own throughput limits.
    ddb.restore_table_from_backup(
        TargetTableName="gsi", BackupArn=arn, GlobalSecondaryIndexOverride=[
            {**GSI, "Projection": {"ProjectionType": "KEYS_ONLY"}, "OnDemandThroughput": {"MaxReadRequestUnits": 9}}],
        OnDemandThroughputOverride={"MaxWriteRequestUnits": 8})
    table = ddb.describe_table(TableName="gsi")["Table"]
    [gsi] = table["GlobalSecondaryIndexes"]
    assert gsi["Projection"] == {"ProjectionType": "KEYS_ONLY"} and gsi["OnDemandThroughput"] == {"MaxReadRequestUnits": 9}
    assert gsi["ItemCount"] == 3 and table["OnDemandThroughput"] == {"MaxWriteRequestUnits": 8}
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == ["by-l"]
    # Overrides are checked with CreateTable's rules; nothing is created when they are wrong.
    with pytest.raises(ClientError) as excinfo:
        ddb.restore_table_from_backup(TargetTableName="bad", BackupArn=arn, BillingModeOverride="PROVISIONED")
    assert error(excinfo) == ("ValidationException", "One or more parameter values were invalid: ReadCapacityUnits "
                              "and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.restore_table_from_backup(
            TargetTableName="bad", BackupArn=arn, GlobalSecondaryIndexOverride=[
                {"IndexName": "by-x", "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "ALL"}}])
    assert error(excinfo)[0] == "ValidationException" and "AttributeDefinitions" in error(excinfo)[1]
    assert "bad" not in ddb.list_tables()["TableNames"]


def test_backup_and_restore_errors_leave_state_intact(cloudlet):
    ddb = cloudlet.client("dynamodb")
    make_table(ddb)
    fill(ddb, n=2)
    missing = "arn:aws:dynamodb:us-east-1:000000000000:table/src/backup/01700000000000-deadbeef"
    with pytest.raises(ClientError) as excinfo:
        ddb.create_backup(TableName="nope", BackupName="bk1")
    assert error(excinfo) == ("TableNotFoundException", "Table not found: nope", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.create_backup(TableName="src", BackupName="bad$name")
    assert error(excinfo) == ("ValidationException", "1 validation error detected: Value 'bad$name' at 'backupName' failed "
                              "to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                              400)
    for call in (ddb.describe_backup, ddb.delete_backup):
        with pytest.raises(ClientError) as excinfo:
            call(BackupArn=missing)
        assert error(excinfo) == ("BackupNotFoundException", f"Backup not found: {missing}", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.restore_table_from_backup(TargetTableName="copy", BackupArn=missing)
    assert error(excinfo) == ("BackupNotFoundException", f"Backup not found: {missing}", 400)
    assert ddb.list_backups()["BackupSummaries"] == []
    arn = ddb.create_backup(TableName="src", BackupName="bk1")["BackupDetails"]["BackupArn"]
    with pytest.raises(ClientError) as excinfo:
        ddb.restore_table_from_backup(TargetTableName="src", BackupArn=arn)
    assert error(excinfo) == ("TableAlreadyExistsException", "Table already exists: src", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.restore_table_from_backup(TargetTableName="has space", BackupArn=arn)
    assert error(excinfo) == ("ValidationException", "1 validation error detected: Value 'has space' at "
                              "'targetTableName' failed to satisfy constraint: Member must satisfy regular "
                              "expression pattern: [a-zA-Z0-9_.-]+", 400)
    assert len(scan_all(ddb, "src")) == 2 and ddb.list_tables()["TableNames"] == ["src"]
    # A deleted backup is gone for good.
    deleted = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED" and deleted["SourceTableDetails"]["ItemCount"] == 2
    with pytest.raises(ClientError) as excinfo:
        ddb.describe_backup(BackupArn=arn)
    assert error(excinfo)[0] == "BackupNotFoundException"
    assert ddb.list_backups()["BackupSummaries"] == []


def test_backups_survive_the_table_and_list_with_filters_and_pages(cloudlet):
    ddb = cloudlet.client("dynamodb")
    make_table(ddb)
    make_table(ddb, name="other")
    fill(ddb, n=3)
    arns = []
    for i in range(5):
        arns.append(ddb.create_backup(TableName="src" if i != 2 else "other", BackupName=f"bk{i}")
                    ["BackupDetails"]["BackupArn"])
        time.sleep(0.003)
    listed = ddb.list_backups()["BackupSummaries"]
    assert [b["BackupArn"] for b in listed] == arns and "LastEvaluatedBackupArn" not in ddb.list_backups()
    assert listed[0]["TableName"] == "src" and listed[0]["BackupName"] == "bk0" and listed[0]["BackupType"] == "USER"
    assert listed[0]["BackupStatus"] == "AVAILABLE" and listed[0]["TableArn"].endswith(":table/src")
    assert [b["BackupName"] for b in ddb.list_backups(TableName="other")["BackupSummaries"]] == ["bk2"]
    by_arn = ddb.list_backups(TableName="arn:aws:dynamodb:us-east-1:000000000000:table/other")["BackupSummaries"]
    assert [b["BackupName"] for b in by_arn] == ["bk2"]
    # Paging: Limit and ExclusiveStartBackupArn / LastEvaluatedBackupArn.
    seen, start = [], {}
    while True:
        page = ddb.list_backups(Limit=2, **start)
        seen += [b["BackupArn"] for b in page["BackupSummaries"]]
        if "LastEvaluatedBackupArn" not in page:
            break
        assert len(page["BackupSummaries"]) == 2
        start = {"ExclusiveStartBackupArn": page["LastEvaluatedBackupArn"]}
    assert seen == arns
    # Time bounds: the lower one inclusive, the upper one exclusive.
    times = [b["BackupCreationDateTime"] for b in listed]
    ranged = ddb.list_backups(TimeRangeLowerBound=times[1], TimeRangeUpperBound=times[3])["BackupSummaries"]
    assert [b["BackupArn"] for b in ranged] == arns[1:3]
    assert ddb.list_backups(BackupType="SYSTEM")["BackupSummaries"] == []
    with pytest.raises(ClientError) as excinfo:
        ddb.list_backups(BackupType="NONE")
    assert error(excinfo)[0] == "ValidationException" and error(excinfo)[2] == 400
    with pytest.raises(ClientError) as excinfo:
        ddb.list_backups(Limit=101)
    assert error(excinfo)[0] == "ValidationException"
    bad_start = "arn:aws:dynamodb:us-east-1:000000000000:table/src/backup/latest"
    with pytest.raises(ClientError) as excinfo:
        ddb.list_backups(ExclusiveStartBackupArn=bad_start)
    assert error(excinfo) == ("ValidationException", f"Invalid BackupArn: {bad_start}", 400)
    # Backups outlive their table; without recovery DeleteTable takes no SYSTEM backup.
    ddb.delete_table(TableName="src")
    assert len(ddb.list_backups(TableName="src")["BackupSummaries"]) == 4
    assert ddb.list_backups(BackupType="ALL")["BackupSummaries"] == listed
    ddb.restore_table_from_backup(TargetTableName="src", BackupArn=arns[0])
    assert len(scan_all(ddb, "src")) == 3


def test_point_in_time_restore_to_the_time_chosen(cloudlet):
    ddb = cloudlet.client("dynamodb")
    created = make_table(ddb)
    ddb.put_item(TableName="src", Item=item("p", 0, g="g0", v="before-pitr"))
    pitr_on(ddb)
    fill(ddb, n=3)  # overwrites p/0
    time.sleep(0.05)
    noted = time.time()
    time.sleep(0.05)
    ddb.put_item(TableName="src", Item=item("p", 0, g="g1", v="changed"))
    ddb.update_item(TableName="src", Key={"pk": {"S": "p"}, "sk": {"N": "1"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"S": "updated"}})
    ddb.delete_item(TableName="src", Key={"pk": {"S": "p"}, "sk": {"N": "2"}})
    ddb.put_item(TableName="src", Item=item("p", 3, g="g1", v="new"))
    ddb.batch_write_item(RequestItems={"src": [{"PutRequest": {"Item": item("q", 1, g="g0")}}]})
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "src", "Item": item("q", 2, g="g0")}},
                                            {"Delete": {"TableName": "src", "Key": {"pk": {"S": "q"}, "sk": {"N": "1"}}}}])
    ddb.execute_statement(Statement="UPDATE src SET v = 'again' WHERE pk = 'p' AND sk = 0")
    now_items = scan_all(ddb, "src")

    out = ddb.restore_table_to_point_in_time(SourceTableName="src", TargetTableName="then",
                                             RestoreDateTime=noted)["TableDescription"]
    assert out["TableStatus"] == "CREATING" and out["RestoreSummary"]["RestoreInProgress"] is True
    summary = ddb.describe_table(TableName="then")["Table"]["RestoreSummary"]
    assert summary["SourceTableArn"] == created["TableArn"] and "SourceBackupArn" not in summary
    assert abs(summary["RestoreDateTime"].timestamp() - noted) < 0.002 and summary["RestoreInProgress"] is False
    assert [(i["sk"]["N"], i["v"]["S"]) for i in scan_all(ddb, "then")] == [("0", "v0"), ("1", "v1"), ("2", "v2")]
    by_g = ddb.query(TableName="then", IndexName="by-g", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "g0"}})["Items"]
    assert sorted(int(i["sk"]["N"]) for i in by_g) == [0, 2]
    # The latest restorable time is now: the table as it is.
    ddb.restore_table_to_point_in_time(SourceTableArn=created["TableArn"], TargetTableName="latest",
                                       UseLatestRestorableTime=True)
    assert scan_all(ddb, "latest") == now_items
    # The first instant recovery covers: the items as they were when it was enabled.
    earliest = ddb.describe_continuous_backups(TableName="src")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"]
    ddb.restore_table_to_point_in_time(SourceTableName="src", TargetTableName="first", RestoreDateTime=earliest)
    assert [i["v"]["S"] for i in scan_all(ddb, "first")] == ["before-pitr"]
    # The restored tables keep none of the source's recovery settings.
    restored = ddb.describe_continuous_backups(TableName="then")["ContinuousBackupsDescription"]
    assert restored["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


def test_point_in_time_errors_leave_state_intact(cloudlet):
    ddb = cloudlet.client("dynamodb")
    make_table(ddb)
    fill(ddb, n=2)
    with pytest.raises(ClientError) as excinfo:
        ddb.restore_table_to_point_in_time(SourceTableName="src", TargetTableName="tgt", UseLatestRestorableTime=True)
    assert error(excinfo) == ("PointInTimeRecoveryUnavailableException",
                              "Point in time recovery is not enabled for table 'src'", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.restore_table_to_point_in_time(SourceTableName="nope", TargetTableName="tgt", UseLatestRestorableTime=True)
    assert error(excinfo) == ("TableNotFoundException", "Table not found: nope", 400)
    enabled = pitr_on(ddb)["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    for bad in (enabled["EarliestRestorableDateTime"].timestamp() - 60, time.time() + 60):
        with pytest.raises(ClientError) as excinfo:
            ddb.restore_table_to_point_in_time(SourceTableName="src", TargetTableName="tgt", RestoreDateTime=bad)
        assert error(excinfo) == ("InvalidRestoreTimeException", "RestoreDateTime must be between "
                                  "EarliestRestorableDateTime and LatestRestorableDateTime", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.restore_table_to_point_in_time(SourceTableName="src", TargetTableName="src", UseLatestRestorableTime=True)
    assert error(excinfo) == ("TableAlreadyExistsException", "Table already exists: src", 400)
    for kwargs, message in (
        ({"UseLatestRestorableTime": True}, "Either SourceTableName or SourceTableArn must be specified"),
        ({"SourceTableName": "src"}, "Only one of RestoreDateTime or UseLatestRestorableTime must be specified"),
        ({"SourceTableName": "src", "UseLatestRestorableTime": True, "RestoreDateTime": time.time()},
         "Only one of RestoreDateTime or UseLatestRestorableTime must be specified"),
        ({"SourceTableName": "src", "SourceTableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/src",
          "UseLatestRestorableTime": True}, "Only one of SourceTableName or SourceTableArn can be specified"),
    ):
        with pytest.raises(ClientError) as excinfo:
            ddb.restore_table_to_point_in_time(TargetTableName="tgt", **kwargs)
        assert error(excinfo) == ("ValidationException", message, 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.restore_table_to_point_in_time(SourceTableName="src", TargetTableName="t!t", UseLatestRestorableTime=True)
    assert error(excinfo)[0] == "ValidationException" and "targetTableName" in error(excinfo)[1]
    assert ddb.list_tables()["TableNames"] == ["src"] and len(scan_all(ddb, "src")) == 2


def test_history_follows_the_recovery_setting(cloudlet):
    ddb = cloudlet.client("dynamodb")
    service = cloudlet.platform.loaded_service("dynamodb")
    store = service.store
    make_table(ddb)

    def history() -> int:
        with store.read() as conn:
            return conn.scalar("SELECT COUNT(*) FROM ddb_pitr_log")

    fill(ddb, n=3)
    assert history() == 0  # no history cost while recovery is off
    pitr_on(ddb, RecoveryPeriodInDays=1)
    fill(ddb, n=3)
    ddb.delete_item(TableName="src", Key={"pk": {"S": "p"}, "sk": {"N": "0"}})
    assert history() == 4
    # The sweep keeps what the recovery period covers and prunes what it no longer does.
    assert service.sweep_backups() == 0 and history() == 4
    assert service.sweep_backups(now=time.time() + 2 * 86400) == 4 and history() == 0
    ddb.put_item(TableName="src", Item=item("p", 9))
    assert history() == 1
    # Disabling recovery drops the history; enabling it again starts afresh.
    ddb.update_continuous_backups(TableName="src", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    assert history() == 0
    ddb.put_item(TableName="src", Item=item("p", 10))
    assert history() == 0
    again = pitr_on(ddb)["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert again["EarliestRestorableDateTime"].timestamp() > time.time() - 5


def test_deleting_a_table_with_recovery_keeps_a_system_backup(cloudlet):
    ddb = cloudlet.client("dynamodb")
    created = make_table(ddb)
    fill(ddb, n=3)
    pitr_on(ddb)
    ddb.put_item(TableName="src", Item=item("p", 0, g="g0", v="last"))
    ddb.delete_table(TableName="src")
    assert ddb.list_backups()["BackupSummaries"] == []
    [system] = ddb.list_backups(BackupType="SYSTEM")["BackupSummaries"]
    assert system["BackupName"] == "src$DeletedTableBackup" and system["BackupType"] == "SYSTEM"
    assert system["TableArn"] == created["TableArn"]
    expiry = system["BackupExpiryDateTime"].timestamp() - system["BackupCreationDateTime"].timestamp()
    assert abs(expiry - 35 * 86400) < 5
    assert ddb.list_backups(BackupType="ALL")["BackupSummaries"] == [system]
    with cloudlet.platform.loaded_service("dynamodb").store.read() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM ddb_pitr_log") == 0
    ddb.restore_table_from_backup(TargetTableName="src", BackupArn=system["BackupArn"])
    assert [i["v"]["S"] for i in scan_all(ddb, "src")] == ["last", "v1", "v2"]
    # The SYSTEM backup expires with its retention period.
    service = cloudlet.platform.loaded_service("dynamodb")
    assert service.sweep_backups(now=time.time() + 36 * 86400) == 1
    assert ddb.list_backups(BackupType="ALL")["BackupSummaries"] == []


def test_point_in_time_restore_of_a_plain_table(cloudlet):
    # A table without indexes or stream takes the single-statement PutItem path when recovery is off.
    ddb = cloudlet.client("dynamodb")
    arn = ddb.create_table(TableName="plain", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    ddb.put_item(TableName="plain", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    pitr_on(ddb, "plain")
    time.sleep(0.02)
    noted = time.time()
    time.sleep(0.02)
    ddb.put_item(TableName="plain", Item={"pk": {"S": "a"}, "v": {"N": "2"}})
    ddb.put_item(TableName="plain", Item={"pk": {"S": "b"}, "v": {"N": "3"}})
    ddb.restore_table_to_point_in_time(SourceTableArn=arn, TargetTableName="plain-then", RestoreDateTime=noted)
    assert ddb.scan(TableName="plain-then")["Items"] == [{"pk": {"S": "a"}, "v": {"N": "1"}}]
    backup = ddb.create_backup(TableName=arn, BackupName="by-arn")["BackupDetails"]
    assert backup["BackupArn"].startswith(f"{arn}/backup/")
    assert ddb.describe_backup(BackupArn=backup["BackupArn"])["BackupDescription"]["SourceTableDetails"][
        "ItemCount"] == 2


def test_the_backup_sweep_runs_in_the_background(cloudlet):
    ddb = cloudlet.client("dynamodb")
    make_table(ddb)  # loads the service
    service = cloudlet.platform.loaded_service("dynamodb")
    with service.store.tx() as conn:  # the history of a table that is gone
        conn.execute("INSERT INTO ddb_pitr_log (table_id, pk, sk, at, old) VALUES (?, ?, ?, ?, NULL)",
                     ("gone", b"k", b"", time.time()))
    service.set_backup_interval(0.05)
    def history_left() -> int:
        with service.store.read() as conn:
            return conn.scalar("SELECT COUNT(*) FROM ddb_pitr_log")
    try:
        wait_for(lambda: history_left() == 0, what="the backup sweep forgetting the history")
    finally:
        service.set_backup_interval(300)


def test_point_in_time_restore_under_concurrent_writers(cloudlet):
    ddb = cloudlet.client("dynamodb")
    make_table(ddb)
    pitr_on(ddb)
    writes: dict[str, list[tuple[float, float, int]]] = {}  # key -> (sent, answered, value written)

    def writer(key: str, client) -> None:
        log = writes.setdefault(key, [])
        for _ in range(25):
            sent = time.time()
            out = client.update_item(TableName="src", Key={"pk": {"S": key}, "sk": {"N": "0"}},
                                     UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}},
                                     ReturnValues="UPDATED_NEW")
            log.append((sent, time.time(), int(out["Attributes"]["n"]["N"])))

    # Clients are made here: a boto3 session does not make clients safely from several threads.
    threads = [threading.Thread(target=writer, args=(f"k{i}", cloudlet.client("dynamodb", region_name=cloudlet.region)))
               for i in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.15)
    noted = time.time()
    for thread in threads:
        thread.join()
    ddb.restore_table_to_point_in_time(SourceTableName="src", TargetTableName="then", RestoreDateTime=noted)
    restored = {i["pk"]["S"]: int(i["n"]["N"]) for i in ddb.scan(TableName="then")["Items"]}
    for key, log in writes.items():
        # Every write answered before the noted time is in, none sent after it.
        done = max((value for _, answered, value in log if answered < noted), default=0)
        later = min((value for sent, _, value in log if sent > noted), default=26)
        assert done <= restored.get(key, 0) < later, (key, restored, log)
