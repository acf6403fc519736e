"""The REST route index: its string pre-checks never turn away a path the route's regex accepts."""

from __future__ import annotations

import re

import pytest

from cloudlet.aws import models
from cloudlet.aws.identify import Router

ROUTER = Router(["s3", "lambda", "apigateway", "route53", "iam", "sqs"])
SERVICES = sorted(ROUTER._rest_routes)


def sample_paths(template: str) -> list[str]:
    """Paths a template describes: labels filled in (greedy ones with slashes), ± a trailing slash."""
    path = template.partition("?")[0]
    filled = re.sub(r"\{[^}]+\+\}", "a/b%2Fc", path)
    filled = re.sub(r"\{[^}]+\}", "x%20y", filled)
    return [filled, filled.rstrip("/") or "/", filled.rstrip("/") + "/"]


@pytest.mark.parametrize("service", SERVICES)
def test_string_prechecks_agree_with_the_route_regex(service) -> None:
    routes = [
        r
        for group in ROUTER._rest_routes[service].values()
        for r in group.plain + sum(group.keyed.values(), [])
    ]
    paths = {p for op in models.operations(service).values() for p in sample_paths(op.http["requestUri"])}
    paths |= {"/", "", "/x", "/2015-03-31/functions/f/invocations"}
    rejected = 0
    for route in routes:
        for path in paths:
            passes = path.startswith(route.prefix) and (not route.suffixes or path.endswith(route.suffixes))
            if route.pattern.fullmatch(path):
                assert passes, (route.operation, path, route.prefix, route.suffixes)
            rejected += not passes
    assert rejected  # the pre-checks do rule routes out


def test_lambda_invoke_and_its_neighbours_are_told_apart() -> None:
    from cloudlet.aws.http import HttpRequest

    for method, path, operation in [
        ("POST", "/2015-03-31/functions/fn/invocations", "Invoke"),
        ("POST", "/2015-03-31/functions/fn/invocations/", "Invoke"),
        ("GET", "/2015-03-31/functions/fn/configuration", "GetFunctionConfiguration"),
        ("GET", "/2015-03-31/functions/fn", "GetFunction"),
        ("GET", "/2015-03-31/functions/", "ListFunctions"),
        ("GET", "/2015-03-31/functions", "ListFunctions"),
        ("POST", "/2015-03-31/functions/fn/versions", "PublishVersion"),
    ]:
        assert ROUTER.identify(HttpRequest(method, path)).operation == operation, path


def test_remembered_targets_still_depend_on_method_path_query_and_required_headers() -> None:
    from cloudlet.aws.http import HttpRequest

    router = Router(["s3", "lambda"])
    put = HttpRequest("PUT", "/bucket/key")
    copy = HttpRequest("PUT", "/bucket/key", headers={"x-amz-copy-source": "/other/key"})
    for _ in range(2):  # the second round is answered from the cache
        assert router.identify(put).operation == "PutObject"
        assert router.identify(copy).operation == "CopyObject"
        assert router.identify(HttpRequest("PUT", "/bucket/key", "tagging")).operation == "PutObjectTagging"
        assert router.identify(HttpRequest("GET", "/bucket/key")).operation == "GetObject"
    target = router.identify(HttpRequest("POST", "/2015-03-31/functions/fn/invocations"))
    target.uri_params["FunctionName"] = "changed"  # a caller's change does not reach the cache
    again = router.identify(HttpRequest("POST", "/2015-03-31/functions/fn/invocations"))
    assert (again.operation, again.uri_params) == ("Invoke", {"FunctionName": "fn"})


def test_a_request_missing_a_required_member_still_reaches_its_operation() -> None:
    from cloudlet.aws.http import HttpRequest

    router = Router(["lambda"])  # (unsigned, an S3 DeleteObject would fit this path and win)
    arn = "arn:aws:lambda:us-east-1:000000000000:function:fn"
    target = router.identify(HttpRequest("DELETE", f"/2017-03-31/tags/{arn}"))  # no tagKeys
    assert (target.service, target.operation) == ("lambda", "UntagResource")
    assert router.identify(HttpRequest("DELETE", f"/2017-03-31/tags/{arn}", "tagKeys=a")).operation == "UntagResource"
    s3 = Router(["s3"])
    assert s3.identify(HttpRequest("PUT", "/bucket/key")).operation == "PutObject"  # complete matches first


def test_an_unknown_query_action_is_told_by_its_version_or_queue_path() -> None:
    from cloudlet.aws.http import HttpRequest

    router = Router(["sqs", "sts"])
    form = {"content-type": "application/x-www-form-urlencoded"}
    versioned = HttpRequest("POST", "/", headers=form, body=b"Action=Bogus&Version=2012-11-05")
    assert router.identify(versioned).service == "sqs"
    queue = HttpRequest("POST", "/000000000000/q1", headers=form, body=b"Action=Bogus")
    assert router.identify(queue).service == "sqs"
    with pytest.raises(Exception, match="not recognized"):
        router.identify(HttpRequest("POST", "/", headers=form, body=b"Action=Bogus"))
