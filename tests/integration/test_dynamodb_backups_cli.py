"""The AWS CLI against DynamoDB backups and point-in-time recovery: its paginated list-backups and
both restores."""

from cli_helpers import aws_cli


def aws(cloudlet, *args: str) -> dict:
    return aws_cli(cloudlet, "dynamodb", *args)


def test_cli_backs_up_lists_and_restores(cloudlet):
    ddb = cloudlet.client("dynamodb")
    ddb.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}})
    arns = [ddb.create_backup(TableName="tbl", BackupName=f"bk{i}")["BackupDetails"]["BackupArn"] for i in range(2)]
    arns.append(aws(cloudlet, "create-backup", "--table-name", "tbl", "--backup-name", "cli")["BackupDetails"]["BackupArn"])
    # The CLI follows LastEvaluatedBackupArn over pages of one.
    listed = aws(cloudlet, "list-backups", "--table-name", "tbl", "--page-size", "1")["BackupSummaries"]
    assert sorted(b["BackupArn"] for b in listed) == sorted(arns)
    restored = aws(cloudlet, "restore-table-from-backup", "--target-table-name", "copy", "--backup-arn", arns[2])
    assert restored["TableDescription"]["RestoreSummary"]["SourceBackupArn"] == arns[2]
    ddb.update_continuous_backups(TableName="tbl", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    aws(cloudlet, "restore-table-to-point-in-time", "--source-table-name", "tbl", "--target-table-name", "latest",
        "--use-latest-restorable-time")
    assert ddb.scan(TableName="latest")["Items"] == ddb.scan(TableName="copy")["Items"] == [{"pk": {"S": "a"}}]
