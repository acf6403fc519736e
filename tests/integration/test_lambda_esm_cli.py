"""The AWS CLI against event source mappings: create with filter criteria, list, get, update, delete."""

import json

from cli_helpers import aws_cli
from ddbstreams_helpers import make_table
from esm_helpers import keys_seen, recorder
from lambda_helpers import wait_for


def aws(cloudlet, *args: str) -> dict:
    return aws_cli(cloudlet, "lambda", *args)


def test_cli_mapping_round_trip(cloudlet):
    ddb = cloudlet.client("dynamodb")
    arn = make_table(ddb)["LatestStreamArn"]
    recorder(cloudlet)
    criteria = json.dumps({"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]})
    created = aws(cloudlet, "create-event-source-mapping", "--function-name", "rec", "--event-source-arn", arn,
                  "--starting-position", "TRIM_HORIZON", "--batch-size", "5", "--filter-criteria", criteria)
    assert created["State"] == "Creating" and created["BatchSize"] == 5
    listed = aws(cloudlet, "list-event-source-mappings", "--function-name", "rec")["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [created["UUID"]]
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}})
    ddb.delete_item(TableName="tbl", Key={"pk": {"S": "a"}})
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "b"}})
    wait_for(lambda: [k for b in keys_seen(cloudlet) for k in b] == ["a", "b"])  # the REMOVE is filtered out
    disabled = aws(cloudlet, "update-event-source-mapping", "--uuid", created["UUID"], "--no-enabled")
    assert disabled["State"] == "Disabling"
    got = aws(cloudlet, "get-event-source-mapping", "--uuid", created["UUID"])
    assert json.loads(got["FilterCriteria"]["Filters"][0]["Pattern"]) == {"eventName": ["INSERT"]}
    assert aws(cloudlet, "delete-event-source-mapping", "--uuid", created["UUID"])["State"] == "Deleting"
