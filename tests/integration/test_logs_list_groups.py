"""ListLogGroups: name regular expressions, class and tag filters, paging."""

import pytest
from logs_helpers import expect_error, raw_client

ARN = "arn:aws:logs:us-east-1:000000000000:log-group:"


@pytest.fixture
def groups(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/fn-a", tags={"env": "prod", "team": "x"})
    logs.create_log_group(logGroupName="/aws/lambda/fn-b", tags={"env": "Production"})
    logs.create_log_group(logGroupName="app-discovery", logGroupClass="INFREQUENT_ACCESS", tags={"env": "dev"})
    logs.create_log_group(logGroupName="other")
    return logs


def names(result) -> list[str]:
    return [g["logGroupName"] for g in result["logGroups"]]


def test_list_all_with_summary_fields(groups):
    result = groups.list_log_groups()
    assert names(result) == ["/aws/lambda/fn-a", "/aws/lambda/fn-b", "app-discovery", "other"]
    assert result["logGroups"][2] == {
        "logGroupName": "app-discovery",
        "logGroupArn": ARN + "app-discovery",
        "logGroupClass": "INFREQUENT_ACCESS",
    }
    assert "nextToken" not in result


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"logGroupNamePattern": "^/aws/lambda|discovery"}, ["/aws/lambda/fn-a", "/aws/lambda/fn-b", "app-discovery"]),
        ({"logGroupNamePattern": "^dis"}, []),
        ({"logGroupNamePattern": "fn-b"}, ["/aws/lambda/fn-b"]),
        ({"logGroupNamePattern": "FN-B"}, []),
        ({"logGroupClass": "INFREQUENT_ACCESS"}, ["app-discovery"]),
        ({"logGroupTags": [{"key": "env"}]}, ["/aws/lambda/fn-a", "/aws/lambda/fn-b", "app-discovery"]),
        ({"logGroupTags": [{"key": "env", "values": ["prod"]}]}, ["/aws/lambda/fn-a"]),
        ({"logGroupTags": [{"key": "env", "values": ["PROD*"]}]}, ["/aws/lambda/fn-a", "/aws/lambda/fn-b"]),
        ({"logGroupTags": [{"key": "env", "values": ["!prod"]}]}, ["/aws/lambda/fn-b", "app-discovery"]),
        ({"logGroupTags": [{"key": "env", "values": ["dev", "prod"]}, {"key": "team"}]}, ["/aws/lambda/fn-a"]),
        ({"logGroupNamePattern": "lambda", "logGroupTags": [{"key": "team"}]}, ["/aws/lambda/fn-a"]),
        ({"dataSources": [{"name": "x"}]}, []),
    ],
)
def test_filters(groups, kwargs, expected):
    assert names(groups.list_log_groups(**kwargs)) == expected


def test_paging(groups):
    seen, token = [], None
    while True:
        page = groups.list_log_groups(limit=3, **({"nextToken": token} if token else {}))
        seen += names(page)
        token = page.get("nextToken")
        if not token:
            break
    assert seen == ["/aws/lambda/fn-a", "/aws/lambda/fn-b", "app-discovery", "other"]
    assert names(groups.list_log_groups(limit=4)) == seen


def test_bad_input(cloudlet, groups):
    logs = raw_client(cloudlet)
    for kwargs in (
        {"limit": 0},
        {"limit": 1001},
        {"logGroupNamePattern": "ab"},
        {"logGroupNamePattern": "a*c"},
        {"logGroupNamePattern": "abc|de"},
        {"logGroupClass": "GOLD"},
        {"nextToken": "garbage"},
    ):
        expect_error(logs.list_log_groups, "InvalidParameterException", **kwargs)
