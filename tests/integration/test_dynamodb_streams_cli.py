"""The AWS CLI against DynamoDB Streams: list, describe, iterate and read a table's stream."""

import json
import os
import subprocess
import sys

from ddbstreams_helpers import make_table


def aws(cloudlet, *args: str) -> dict:
    env = {**os.environ, **cloudlet.env(), "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    done = subprocess.run([sys.executable, "-m", "awscli", "dynamodbstreams", *args, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cli_reads_a_stream(cloudlet):
    ddb = cloudlet.client("dynamodb")
    arn = make_table(ddb, view="NEW_IMAGE")["LatestStreamArn"]
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}})
    assert [s["StreamArn"] for s in aws(cloudlet, "list-streams", "--table-name", "tbl")["Streams"]] == [arn]
    shard = aws(cloudlet, "describe-stream", "--stream-arn", arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = aws(cloudlet, "get-shard-iterator", "--stream-arn", arn, "--shard-id", shard,
                   "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    [record] = aws(cloudlet, "get-records", "--shard-iterator", iterator)["Records"]
    assert record["eventName"] == "INSERT" and record["dynamodb"]["NewImage"] == {"pk": {"S": "a"}}
