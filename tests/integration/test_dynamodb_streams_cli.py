"""The AWS CLI against DynamoDB Streams: list, describe, iterate and read a table's stream."""

from cli_helpers import aws_cli
from ddbstreams_helpers import make_table


def aws(cloudlet, *args: str) -> dict:
    return aws_cli(cloudlet, "dynamodbstreams", *args)


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
