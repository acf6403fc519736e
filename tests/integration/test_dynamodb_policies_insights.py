"""DynamoDB resource policies (tables and streams) and contributor insights settings with boto3:
stored and returned with DynamoDB's revision rules, statuses and errors."""

import json
import time

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error

KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
DEFS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "g", "AttributeType": "S"}]
GSI = {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
       "Projection": {"ProjectionType": "ALL"}}
ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/tbl"


def policy(action="dynamodb:GetItem", resource=ARN) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": action,
         "Resource": resource}]})


def make_table(ddb, name="tbl", **kwargs):
    return ddb.create_table(TableName=name, KeySchema=KEYS, AttributeDefinitions=DEFS, BillingMode="PAY_PER_REQUEST",
                            GlobalSecondaryIndexes=[GSI], **kwargs)["TableDescription"]


def test_table_policy_put_get_delete_with_revisions(cloudlet):
    ddb = cloudlet.client("dynamodb")
    make_table(ddb)
    with pytest.raises(ClientError) as excinfo:
        ddb.get_resource_policy(ResourceArn=ARN)
    assert error(excinfo) == ("PolicyNotFoundException",
                              f"Resource-based policy not found for the provided ResourceArn: {ARN}", 400)
    first = ddb.put_resource_policy(ResourceArn=ARN, Policy=policy(), ExpectedRevisionId="NO_POLICY")["RevisionId"]
    assert first.isdigit()
    assert ddb.get_resource_policy(ResourceArn=ARN) | {"ResponseMetadata": None} == {
        "Policy": policy(), "RevisionId": first, "ResponseMetadata": None}
    # The same document keeps its revision; another gets a new one.
    assert ddb.put_resource_policy(ResourceArn=ARN, Policy=policy())["RevisionId"] == first
    with pytest.raises(ClientError) as excinfo:
        ddb.put_resource_policy(ResourceArn=ARN, Policy=policy("dynamodb:*"), ExpectedRevisionId="NO_POLICY")
    assert error(excinfo)[0] == "PolicyNotFoundException" and error(excinfo)[2] == 400
    with pytest.raises(ClientError) as excinfo:
        ddb.put_resource_policy(ResourceArn=ARN, Policy=policy("dynamodb:*"), ExpectedRevisionId="123")
    assert error(excinfo)[0] == "PolicyNotFoundException"
    assert ddb.get_resource_policy(ResourceArn=ARN)["Policy"] == policy()
    second = ddb.put_resource_policy(ResourceArn=ARN, Policy=policy("dynamodb:*"), ExpectedRevisionId=first,
                                     ConfirmRemoveSelfResourceAccess=True)["RevisionId"]
    assert second != first and int(second) > int(first)
    assert ddb.get_resource_policy(ResourceArn=ARN)["RevisionId"] == second
    with pytest.raises(ClientError) as excinfo:
        ddb.delete_resource_policy(ResourceArn=ARN, ExpectedRevisionId=first)
    assert error(excinfo)[0] == "PolicyNotFoundException"
    assert ddb.delete_resource_policy(ResourceArn=ARN, ExpectedRevisionId=second)["RevisionId"] == second
    with pytest.raises(ClientError) as excinfo:
        ddb.delete_resource_policy(ResourceArn=ARN)
    assert error(excinfo) == ("PolicyNotFoundException",
                              f"Resource-based policy not found for the provided ResourceArn: {ARN}", 400)


def test_policy_errors_leave_the_policy_intact(cloudlet):
    ddb = cloudlet.client("dynamodb")
    make_table(ddb)
    revision = ddb.put_resource_policy(ResourceArn=ARN, Policy=policy())["RevisionId"]
    for bad, message in (("{not json", "Resource-based policy document is not valid JSON"),
                         ("[1, 2]", "Resource-based policy document must be a JSON object"),
                         (json.dumps({"Statement": "x" * 21000}),
                          "Resource-based policy document size exceeds the limit of 20480 bytes")):
        with pytest.raises(ClientError) as excinfo:
            ddb.put_resource_policy(ResourceArn=ARN, Policy=bad)
        assert error(excinfo) == ("ValidationException", message, 400)
    missing = "arn:aws:dynamodb:us-east-1:000000000000:table/nope"
    for arn in (missing, "arn:aws:dynamodb:eu-west-1:000000000000:table/tbl",
                f"{ARN}/stream/2020-01-01T00:00:00.000"):
        with pytest.raises(ClientError) as excinfo:
            ddb.put_resource_policy(ResourceArn=arn, Policy=policy())
        assert error(excinfo) == ("ResourceNotFoundException", f"Requested resource not found: ResourceArn: {arn} "
                                  "not found", 400)
    for arn in (f"{ARN}/index/by-g", "arn:aws:sqs:us-east-1:000000000000:q"):
        with pytest.raises(ClientError) as excinfo:
            ddb.get_resource_policy(ResourceArn=arn)
        assert error(excinfo) == ("ValidationException", "One or more parameter values were invalid: Invalid resource "
                                  f"arn provided, only table or stream is accepted. Provided resource arn: {arn}", 400)
    assert ddb.get_resource_policy(ResourceArn=ARN) | {"ResponseMetadata": None} == {
        "Policy": policy(), "RevisionId": revision, "ResponseMetadata": None}


def test_stream_policy_and_create_table_policy(cloudlet):
    ddb = cloudlet.client("dynamodb")
    table = make_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
                       ResourcePolicy=policy())
    assert ddb.get_resource_policy(ResourceArn=ARN)["Policy"] == policy()
    stream = table["LatestStreamArn"]
    revision = ddb.put_resource_policy(ResourceArn=stream, Policy=policy(resource=stream))["RevisionId"]
    assert ddb.get_resource_policy(ResourceArn=stream) | {"ResponseMetadata": None} == {
        "Policy": policy(resource=stream), "RevisionId": revision, "ResponseMetadata": None}
    assert ddb.get_resource_policy(ResourceArn=ARN)["Policy"] == policy()
    # A bad CreateTable policy creates nothing.
    with pytest.raises(ClientError) as excinfo:
        make_table(ddb, name="other", ResourcePolicy="nope")
    assert error(excinfo) == ("ValidationException", "Resource-based policy document is not valid JSON", 400)
    assert ddb.list_tables()["TableNames"] == ["tbl"]
    # The table's policy goes with the table.
    ddb.delete_table(TableName="tbl")
    make_table(ddb)
    with pytest.raises(ClientError) as excinfo:
        ddb.get_resource_policy(ResourceArn=ARN)
    assert error(excinfo)[0] == "PolicyNotFoundException"


def test_contributor_insights_settings(cloudlet):
    ddb = cloudlet.client("dynamodb")
    created = make_table(ddb)
    make_table(ddb, name="other")
    assert ddb.describe_contributor_insights(TableName="tbl") | {"ResponseMetadata": None} == {
        "TableName": "tbl", "ContributorInsightsStatus": "DISABLED", "ResponseMetadata": None}
    assert ddb.list_contributor_insights()["ContributorInsightsSummaries"] == []
    before = time.time()
    out = ddb.update_contributor_insights(TableName="tbl", ContributorInsightsAction="ENABLE")
    assert out["ContributorInsightsStatus"] == "ENABLING" and out["TableName"] == "tbl"
    assert out["ContributorInsightsMode"] == "ACCESSED_AND_THROTTLED_KEYS"
    described = ddb.describe_contributor_insights(TableName=created["TableArn"])
    assert described["ContributorInsightsStatus"] == "ENABLED"
    assert before - 1 <= described["LastUpdateDateTime"].timestamp() <= time.time() + 1
    stamp = int(created["CreationDateTime"].timestamp() * 1000)
    assert described["ContributorInsightsRuleList"] == [
        f"DynamoDBContributorInsights-{kind}-tbl-{stamp}" for kind in ("PKC", "PKT", "SKC", "SKT")]
    out = ddb.update_contributor_insights(TableName="tbl", IndexName="by-g", ContributorInsightsAction="ENABLE",
                                          ContributorInsightsMode="THROTTLED_KEYS")
    assert out["IndexName"] == "by-g" and out["ContributorInsightsMode"] == "THROTTLED_KEYS"
    index = ddb.describe_contributor_insights(TableName="tbl", IndexName="by-g")
    assert index["ContributorInsightsRuleList"] == [f"DynamoDBContributorInsights-PKT-tbl-by-g-{stamp}"]
    listed = ddb.list_contributor_insights()["ContributorInsightsSummaries"]
    assert listed == [
        {"TableName": "tbl", "ContributorInsightsStatus": "ENABLED", "ContributorInsightsMode": "ACCESSED_AND_THROTTLED_KEYS"},
        {"TableName": "tbl", "IndexName": "by-g", "ContributorInsightsStatus": "ENABLED",
         "ContributorInsightsMode": "THROTTLED_KEYS"}]
    assert ddb.list_contributor_insights(TableName="other")["ContributorInsightsSummaries"] == [
        {"TableName": "other", "ContributorInsightsStatus": "DISABLED"},
        {"TableName": "other", "IndexName": "by-g", "ContributorInsightsStatus": "DISABLED"}]
    page = ddb.list_contributor_insights(MaxResults=1)
    assert len(page["ContributorInsightsSummaries"]) == 1
    rest = ddb.list_contributor_insights(MaxResults=1, NextToken=page["NextToken"])
    assert rest["ContributorInsightsSummaries"] == listed[1:] and "NextToken" not in rest
    out = ddb.update_contributor_insights(TableName="tbl", ContributorInsightsAction="DISABLE")
    assert out["ContributorInsightsStatus"] == "DISABLING"
    described = ddb.describe_contributor_insights(TableName="tbl")
    assert described["ContributorInsightsStatus"] == "DISABLED" and "ContributorInsightsRuleList" not in described
    assert [s.get("IndexName") for s in ddb.list_contributor_insights()["ContributorInsightsSummaries"]] == ["by-g"]


def test_contributor_insights_errors(cloudlet):
    ddb = cloudlet.client("dynamodb")
    make_table(ddb)
    with pytest.raises(ClientError) as excinfo:
        ddb.update_contributor_insights(TableName="nope", ContributorInsightsAction="ENABLE")
    assert error(excinfo) == ("ResourceNotFoundException", "Requested resource not found: Table: nope not found", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.describe_contributor_insights(TableName="tbl", IndexName="missing")
    assert error(excinfo) == ("ResourceNotFoundException",
                              "Requested resource not found: Index: missing not found for table: tbl", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.update_contributor_insights(TableName="tbl", ContributorInsightsAction="START")
    assert error(excinfo)[0] == "ValidationException" and error(excinfo)[2] == 400
    with pytest.raises(ClientError) as excinfo:
        ddb.list_contributor_insights(MaxResults=101)
    assert error(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        ddb.list_contributor_insights(NextToken="garbage")
    assert error(excinfo) == ("ValidationException", "Invalid NextToken: garbage", 400)
    assert ddb.describe_contributor_insights(TableName="tbl")["ContributorInsightsStatus"] == "DISABLED"
