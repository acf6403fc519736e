"""CloudWatch Logs log groups: create, delete, describe (prefix, pattern, paging), retention, tags."""

from logs_helpers import expect_error, make_stream, put, raw_client

ARN = "arn:aws:logs:us-east-1:000000000000:log-group:"


def test_create_describe_delete(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/fn", logGroupClass="INFREQUENT_ACCESS", kmsKeyId="k1")
    (group,) = logs.describe_log_groups()["logGroups"]
    assert group["logGroupName"] == "/aws/lambda/fn"
    assert group["arn"] == ARN + "/aws/lambda/fn:*"
    assert group["logGroupArn"] == ARN + "/aws/lambda/fn"
    assert group["storedBytes"] == 0
    assert group["metricFilterCount"] == 0
    assert group["logGroupClass"] == "INFREQUENT_ACCESS"
    assert group["kmsKeyId"] == "k1"
    assert "retentionInDays" not in group
    assert group["creationTime"] > 1_600_000_000_000
    logs.delete_log_group(logGroupName="/aws/lambda/fn")
    assert logs.describe_log_groups()["logGroups"] == []


def test_create_twice_is_already_exists_and_keeps_the_group(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g", tags={"k": "v"})
    message = expect_error(logs.create_log_group, "ResourceAlreadyExistsException", logGroupName="g")
    assert message == "The specified log group already exists"
    assert logs.list_tags_log_group(logGroupName="g")["tags"] == {"k": "v"}


def test_delete_missing_group_is_not_found(cloudlet):
    logs = cloudlet.client("logs")
    message = expect_error(logs.delete_log_group, "ResourceNotFoundException", logGroupName="nope")
    assert message == "The specified log group does not exist."


def test_delete_group_deletes_its_streams_and_events(cloudlet):
    logs = cloudlet.client("logs")
    make_stream(logs, "g", "s")
    put(logs, "g", "s", ["a", "b"])
    logs.delete_log_group(logGroupName="g")
    logs.create_log_group(logGroupName="g")
    assert logs.describe_log_streams(logGroupName="g")["logStreams"] == []
    assert logs.filter_log_events(logGroupName="g")["events"] == []


def test_bad_names_are_invalid_parameter_and_store_nothing(cloudlet):
    logs = raw_client(cloudlet)
    message = expect_error(logs.create_log_group, "InvalidParameterException", logGroupName="bad:name")
    assert "logGroupName" in message and "regular expression pattern" in message
    expect_error(logs.create_log_group, "InvalidParameterException", logGroupName="")
    expect_error(logs.create_log_group, "InvalidParameterException", logGroupName="x" * 513)
    for reserved in ("aws/reserved", "AWS/reserved", "Aws/x"):
        message = expect_error(logs.create_log_group, "InvalidParameterException", logGroupName=reserved)
        assert message == "Log groups starting with AWS/ are reserved for AWS."
    expect_error(logs.create_log_group, "InvalidParameterException", logGroupName="g", logGroupClass="GOLD")
    expect_error(logs.create_log_group, "SerializationException", logGroupName=5)
    expect_error(logs.create_log_group, "InvalidParameterException")
    assert logs.describe_log_groups()["logGroups"] == []


def test_describe_orders_by_name_with_prefix_and_pattern(cloudlet):
    logs = cloudlet.client("logs")
    for name in ["b/DataLogs", "DataLogs", "a", "GroupDataLogs", "datalogs", "Data/log/s", "Z"]:
        logs.create_log_group(logGroupName=name)
    names = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    assert names == ["Data/log/s", "DataLogs", "GroupDataLogs", "Z", "a", "b/DataLogs", "datalogs"]
    by_prefix = logs.describe_log_groups(logGroupNamePrefix="Data")["logGroups"]
    assert [g["logGroupName"] for g in by_prefix] == ["Data/log/s", "DataLogs"]
    by_pattern = logs.describe_log_groups(logGroupNamePattern="DataLogs")["logGroups"]
    assert [g["logGroupName"] for g in by_pattern] == ["DataLogs", "GroupDataLogs", "b/DataLogs"]
    # with a pattern neither sizes nor retention nor deletion protection are returned
    assert set(by_pattern[0]) == {
        "arn", "creationTime", "logGroupName", "logGroupArn", "logGroupClass", "metricFilterCount"
    }
    expect_error(
        logs.describe_log_groups,
        "InvalidParameterException",
        logGroupNamePrefix="a",
        logGroupNamePattern="b",
    )


def test_describe_by_identifiers_and_class(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="one")
    logs.create_log_group(logGroupName="two", logGroupClass="INFREQUENT_ACCESS")
    logs.create_log_group(logGroupName="three")
    found = logs.describe_log_groups(logGroupIdentifiers=["one", ARN + "three"])["logGroups"]
    assert [g["logGroupName"] for g in found] == ["one", "three"]
    found = logs.describe_log_groups(logGroupClass="INFREQUENT_ACCESS")["logGroups"]
    assert [g["logGroupName"] for g in found] == ["two"]


def test_describe_pages_with_limit_and_paginator(cloudlet):
    logs = cloudlet.client("logs")
    names = sorted(f"g{i:03d}" for i in range(57))
    for name in names:
        logs.create_log_group(logGroupName=name)
    first = logs.describe_log_groups(limit=20)
    assert [g["logGroupName"] for g in first["logGroups"]] == names[:20]
    second = logs.describe_log_groups(limit=20, nextToken=first["nextToken"])
    assert [g["logGroupName"] for g in second["logGroups"]] == names[20:40]
    default = logs.describe_log_groups()
    assert len(default["logGroups"]) == 50 and "nextToken" in default
    pages = list(logs.get_paginator("describe_log_groups").paginate(PaginationConfig={"PageSize": 25}))
    assert [len(p["logGroups"]) for p in pages] == [25, 25, 7]
    assert "nextToken" not in pages[-1]
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == names
    expect_error(logs.describe_log_groups, "InvalidParameterException", nextToken="garbage!")
    expect_error(raw_client(cloudlet).describe_log_groups, "InvalidParameterException", limit=51)


def test_retention_policy(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g")
    logs.put_retention_policy(logGroupName="g", retentionInDays=3653)
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 3653
    logs.put_retention_policy(logGroupName="g", retentionInDays=1)
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 1
    for bad in (0, 2, 4000, -1):
        message = expect_error(
            logs.put_retention_policy, "InvalidParameterException", logGroupName="g", retentionInDays=bad
        )
        assert "retentionInDays" in message and "enum value set" in message
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 1
    logs.delete_retention_policy(logGroupName="g")
    assert "retentionInDays" not in logs.describe_log_groups()["logGroups"][0]
    expect_error(logs.put_retention_policy, "ResourceNotFoundException", logGroupName="x", retentionInDays=1)
    expect_error(logs.delete_retention_policy, "ResourceNotFoundException", logGroupName="x")


def test_tag_log_group_api(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g", tags={"team": "a"})
    logs.tag_log_group(logGroupName="g", tags={"env": "dev", "team": "b"})
    assert logs.list_tags_log_group(logGroupName="g")["tags"] == {"env": "dev", "team": "b"}
    logs.untag_log_group(logGroupName="g", tags=["team", "absent"])
    assert logs.list_tags_log_group(logGroupName="g")["tags"] == {"env": "dev"}
    for call, kwargs in [
        (logs.tag_log_group, {"tags": {"a": "b"}}),
        (logs.untag_log_group, {"tags": ["a"]}),
        (logs.list_tags_log_group, {}),
    ]:
        expect_error(call, "ResourceNotFoundException", logGroupName="missing", **kwargs)


def test_tag_resource_api(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g")
    logs.tag_resource(resourceArn=ARN + "g", tags={"a": "1", "b": "2"})
    assert logs.list_tags_for_resource(resourceArn=ARN + "g")["tags"] == {"a": "1", "b": "2"}
    # the ':*' form of the ARN is not a resource ARN
    expect_error(logs.list_tags_for_resource, "InvalidParameterException", resourceArn=ARN + "g:*")
    logs.untag_resource(resourceArn=ARN + "g", tagKeys=["a"])
    assert logs.list_tags_for_resource(resourceArn=ARN + "g")["tags"] == {"b": "2"}
    assert logs.list_tags_log_group(logGroupName="g")["tags"] == {"b": "2"}
    expect_error(logs.list_tags_for_resource, "ResourceNotFoundException", resourceArn=ARN + "missing")
    expect_error(
        logs.tag_resource,
        "ResourceNotFoundException",
        resourceArn="arn:aws:logs:us-east-1:000000000000:destination:d",
        tags={"a": "b"},
    )
    expect_error(
        logs.list_tags_for_resource,
        "ResourceNotFoundException",
        resourceArn="arn:aws:logs:eu-west-1:000000000000:log-group:g",
    )
    expect_error(logs.list_tags_for_resource, "InvalidParameterException", resourceArn="not-an-arn")


def test_tag_limits_and_bad_tags_leave_tags_intact(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g", tags={f"k{i}": "v" for i in range(45)})
    expect_error(
        logs.tag_resource,
        "TooManyTagsException",
        resourceArn=ARN + "g",
        tags={f"n{i}": "v" for i in range(6)},
    )
    expect_error(
        logs.tag_log_group,
        "InvalidParameterException",
        logGroupName="g",
        tags={f"n{i}": "v" for i in range(6)},
    )
    # overwriting existing keys does not count against the limit
    logs.tag_resource(resourceArn=ARN + "g", tags={f"k{i}": "w" for i in range(10)} | {"n": "v"})
    expect_error(logs.tag_resource, "InvalidParameterException", resourceArn=ARN + "g", tags={"bad*key": "v"})
    expect_error(logs.tag_resource, "InvalidParameterException", resourceArn=ARN + "g", tags={"aws:x": "v"})
    expect_error(
        logs.create_log_group, "InvalidParameterException", logGroupName="h", tags={"k": "bad!value"}
    )
    tags = logs.list_tags_log_group(logGroupName="g")["tags"]
    assert len(tags) == 46 and tags["k0"] == "w" and tags["k20"] == "v"
    assert [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]] == ["g"]


def test_groups_are_scoped_to_region(cloudlet):
    east = cloudlet.client("logs")
    west = cloudlet.client("logs", region_name="eu-west-1")
    east.create_log_group(logGroupName="g")
    assert west.describe_log_groups()["logGroups"] == []
    west.create_log_group(logGroupName="g")
    assert (
        west.describe_log_groups()["logGroups"][0]["arn"]
        == "arn:aws:logs:eu-west-1:000000000000:log-group:g:*"
    )


def test_deletion_protection_blocks_deleting_the_group_and_its_streams(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g", deletionProtectionEnabled=True)
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    assert logs.describe_log_groups()["logGroups"][0]["deletionProtectionEnabled"] is True
    message = expect_error(logs.delete_log_group, "ValidationException", logGroupName="g")
    assert message.startswith("Cannot delete log group with deletion protection enabled")
    expect_error(logs.delete_log_stream, "ValidationException", logGroupName="g", logStreamName="s")
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="g")["logStreams"]] == ["s"]
    logs.put_log_group_deletion_protection(logGroupIdentifier=ARN + "g", deletionProtectionEnabled=False)
    assert logs.describe_log_groups()["logGroups"][0]["deletionProtectionEnabled"] is False
    logs.delete_log_stream(logGroupName="g", logStreamName="s")
    logs.delete_log_group(logGroupName="g")
    assert logs.describe_log_groups()["logGroups"] == []
    expect_error(
        logs.put_log_group_deletion_protection,
        "ResourceNotFoundException",
        logGroupIdentifier="g",
        deletionProtectionEnabled=True,
    )
