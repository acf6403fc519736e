"""Metric filters: PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter, TestMetricFilter and
the group's metricFilterCount."""

from logs_helpers import expect_error, raw_client


def transformation(name="Errors", namespace="App", **extra) -> list[dict]:
    return [{"metricName": name, "metricNamespace": namespace, "metricValue": "1", **extra}]


def test_put_describe_replace_delete(cloudlet):
    logs = cloudlet.client("logs")
    logs.create_log_group(logGroupName="g")
    logs.put_metric_filter(
        logGroupName="g",
        filterName="errors",
        filterPattern="ERROR",
        metricTransformations=transformation(defaultValue=0.0, unit="Count", dimensions={"Svc": "$.svc"}),
    )
    (f,) = logs.describe_metric_filters(logGroupName="g")["metricFilters"]
    assert f["filterName"] == "errors" and f["logGroupName"] == "g" and f["filterPattern"] == "ERROR"
    assert f["metricTransformations"] == transformation(defaultValue=0.0, unit="Count", dimensions={"Svc": "$.svc"})
    assert f["creationTime"] > 1_600_000_000_000
    assert logs.describe_log_groups()["logGroups"][0]["metricFilterCount"] == 1

    logs.put_metric_filter(
        logGroupName="g", filterName="errors", filterPattern="?ERROR ?FATAL", metricTransformations=transformation()
    )
    (replaced,) = logs.describe_metric_filters(logGroupName="g")["metricFilters"]
    assert replaced["filterPattern"] == "?ERROR ?FATAL" and replaced["creationTime"] == f["creationTime"]

    logs.delete_metric_filter(logGroupName="g", filterName="errors")
    assert logs.describe_metric_filters(logGroupName="g")["metricFilters"] == []
    assert logs.describe_log_groups()["logGroups"][0]["metricFilterCount"] == 0
    message = expect_error(logs.delete_metric_filter, "ResourceNotFoundException", logGroupName="g", filterName="errors")
    assert message == "The specified metric filter does not exist."


def test_describe_filters_and_paging(cloudlet):
    logs = cloudlet.client("logs")
    for group in ("a", "b"):
        logs.create_log_group(logGroupName=group)
        for i in range(3):
            logs.put_metric_filter(
                logGroupName=group,
                filterName=f"f{i}",
                filterPattern="",
                metricTransformations=transformation(name=f"M{i}", namespace="N" if i else "Other"),
            )

    def listed(**kwargs):
        return [(f["logGroupName"], f["filterName"]) for f in logs.describe_metric_filters(**kwargs)["metricFilters"]]

    assert listed(logGroupName="b", filterNamePrefix="f1") == [("b", "f1")]
    assert listed(metricName="M1", metricNamespace="N") == [("a", "f1"), ("b", "f1")]
    assert listed(metricNamespace="N") == [("a", "f1"), ("a", "f2"), ("b", "f1"), ("b", "f2")]
    pages = logs.get_paginator("describe_metric_filters").paginate(PaginationConfig={"PageSize": 4})
    assert [(f["logGroupName"], f["filterName"]) for p in pages for f in p["metricFilters"]] == [
        (g, f"f{i}") for g in "ab" for i in range(3)
    ]
    first = logs.describe_metric_filters(metricNamespace="N", limit=3)
    assert len(first["metricFilters"]) == 3 and first["nextToken"]
    rest = logs.describe_metric_filters(metricNamespace="N", limit=3, nextToken=first["nextToken"])
    assert [f["filterName"] for f in rest["metricFilters"]] == ["f2"] and "nextToken" not in rest
    logs.delete_log_group(logGroupName="a")
    assert listed() == [("b", "f0"), ("b", "f1"), ("b", "f2")]


def test_bad_input_changes_nothing(cloudlet):
    logs = raw_client(cloudlet)
    expect_error(
        logs.put_metric_filter,
        "ResourceNotFoundException",
        logGroupName="missing",
        filterName="f",
        filterPattern="",
        metricTransformations=transformation(),
    )
    logs.create_log_group(logGroupName="g")
    for kwargs in (
        {"filterName": "a:b"},
        {"filterPattern": "{ $.a = "},
        {"metricTransformations": []},
        {"metricTransformations": transformation() * 2},
        {"metricTransformations": transformation(name="a:b")},
        {"metricTransformations": transformation(unit="Parsecs")},
    ):
        request = {
            "logGroupName": "g",
            "filterName": "f",
            "filterPattern": "",
            "metricTransformations": transformation(),
            **kwargs,
        }
        expect_error(logs.put_metric_filter, "InvalidParameterException", **request)
    expect_error(logs.describe_metric_filters, "InvalidParameterException", metricName="M")
    expect_error(logs.describe_metric_filters, "ResourceNotFoundException", logGroupName="missing")
    assert logs.describe_metric_filters()["metricFilters"] == []


def test_test_metric_filter(cloudlet):
    logs = cloudlet.client("logs")
    result = logs.test_metric_filter(
        filterPattern="ERROR -timeout", logEventMessages=["ERROR disk", "INFO ok", "ERROR timeout", "ERROR cpu"]
    )
    assert result["matches"] == [
        {"eventNumber": 0, "eventMessage": "ERROR disk", "extractedValues": {}},
        {"eventNumber": 3, "eventMessage": "ERROR cpu", "extractedValues": {}},
    ]
    line = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" {} 1534'
    result = logs.test_metric_filter(
        filterPattern="[ip, identity, user_id, timestamp, request, status_code = 200, size]",
        logEventMessages=[line.format(200), line.format(500)],
    )
    (match,) = result["matches"]
    assert match["eventNumber"] == 0
    assert match["extractedValues"] == {
        "$ip": "127.0.0.1",
        "$identity": "-",
        "$user_id": "frank",
        "$timestamp": "10/Oct/2000:13:25:15 -0700",
        "$request": "GET /apache_pb.gif HTTP/1.0",
        "$status_code": "200",
        "$size": "1534",
    }
    (match,) = logs.test_metric_filter(filterPattern="[..., code = 5*, size]", logEventMessages=[line.format(503)])[
        "matches"
    ]
    assert match["extractedValues"] == {"$code": "503", "$size": "1534"}
    expect_error(logs.test_metric_filter, "InvalidParameterException", filterPattern="{ $.a", logEventMessages=["x"])
