"""The AWS CLI against DynamoDB backups and point-in-time recovery: its paginated list-backups and
both restores."""

import json
import os
import subprocess
import sys


def aws(cloudlet, *args: str) -> dict:
    env = {**os.environ, **cloudlet.env(), "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    done = subprocess.run([sys.executable, "-m", "awscli", "dynamodb", *args, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


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
