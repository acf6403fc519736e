"""PublishVersion, ListVersionsByFunction, aliases with weighted routing, qualifiers."""

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import ECHO, create, invoke, make_zip

V = "def handler(e, c):\n    return {}\n"


def error(exc_info) -> tuple[str, int]:
    response = exc_info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_publish_freezes_a_version_and_latest_moves_on(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "v", source=V.replace("{}", "'one'"))
    v1 = lam.publish_version(FunctionName="v", Description="first")
    assert v1["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (v1["Version"], v1["Description"]) == ("1", "first")
    assert v1["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:v:1"
    assert lam.publish_version(FunctionName="v")["Version"] == "1"  # nothing changed: the same version
    lam.update_function_code(FunctionName="v", ZipFile=make_zip({"app.py": V.replace("{}", "'two'")}))
    v2 = lam.publish_version(FunctionName="v")
    assert v2["Version"] == "2"
    assert invoke(lam, "v", Qualifier="1")[1] == "one"
    assert invoke(lam, "v:2")[1] == "two"
    response, _ = invoke(lam, "v", Qualifier="1")
    assert response["ExecutedVersion"] == "1"
    assert lam.get_function(FunctionName="v", Qualifier="1")["Configuration"]["Version"] == "1"
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName="v")["Versions"]]
    assert versions == ["$LATEST", "1", "2"]
    pages = list(lam.get_paginator("list_versions_by_function").paginate(FunctionName="v",
                                                                         PaginationConfig={"PageSize": 1}))
    assert [v["Version"] for p in pages for v in p["Versions"]] == ["$LATEST", "1", "2"]


def test_publish_checks_code_sha_and_revision(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "chk")
    created = lam.get_function_configuration(FunctionName="chk")
    with pytest.raises(ClientError) as exc:
        lam.publish_version(FunctionName="chk", CodeSha256="AAAA")
    assert error(exc) == ("InvalidParameterValueException", 400)
    with pytest.raises(ClientError) as exc:
        lam.publish_version(FunctionName="chk", RevisionId="nope")
    assert error(exc) == ("PreconditionFailedException", 412)
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="chk")["Versions"]] == ["$LATEST"]
    out = lam.publish_version(FunctionName="chk", CodeSha256=created["CodeSha256"], RevisionId=created["RevisionId"])
    assert out["Version"] == "1"


def test_create_with_publish_and_delete_a_version(cloudlet):
    lam = cloudlet.client("lambda")
    out = create(lam, "pub", Publish=True)
    assert out["Version"] == "1"
    lam.delete_function(FunctionName="pub", Qualifier="1")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="pub")["Versions"]] == ["$LATEST"]
    assert lam.publish_version(FunctionName="pub")["Version"] == "2"  # numbers are never reused


def test_alias_lifecycle_and_invocation(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "al", source=ECHO, Publish=True)
    alias = lam.create_alias(FunctionName="al", Name="live", FunctionVersion="1", Description="prod")
    assert alias["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert alias["AliasArn"] == "arn:aws:lambda:us-east-1:000000000000:function:al:live"
    with pytest.raises(ClientError) as exc:
        lam.create_alias(FunctionName="al", Name="live", FunctionVersion="1")
    assert error(exc) == ("ResourceConflictException", 409)
    response, body = invoke(lam, "al", Qualifier="live")
    assert response["ExecutedVersion"] == "1"
    assert body["version"] == "1"
    assert body["arn"] == "arn:aws:lambda:us-east-1:000000000000:function:al:live"
    got = lam.get_alias(FunctionName="al", Name="live")
    assert (got["FunctionVersion"], got["Description"]) == ("1", "prod")
    through_alias = lam.get_function_configuration(FunctionName="al", Qualifier="live")
    assert through_alias["Version"] == "1"
    assert through_alias["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:al:live"
    with pytest.raises(ClientError) as exc:
        lam.update_alias(FunctionName="al", Name="live", FunctionVersion="9")
    assert error(exc) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as exc:
        lam.update_alias(FunctionName="al", Name="live", Description="x", RevisionId="stale")
    assert error(exc) == ("PreconditionFailedException", 412)
    assert lam.get_alias(FunctionName="al", Name="live")["Description"] == "prod"
    with pytest.raises(ClientError) as exc:
        lam.delete_function(FunctionName="al", Qualifier="1")
    assert error(exc) == ("ResourceConflictException", 409)
    assert [a["Name"] for a in lam.list_aliases(FunctionName="al")["Aliases"]] == ["live"]
    assert lam.delete_alias(FunctionName="al", Name="live")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        lam.get_alias(FunctionName="al", Name="live")
    assert error(exc) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName="al", Qualifier="live")
    assert error(exc) == ("ResourceNotFoundException", 404)


def test_routing_weights_split_invocations(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "split", source=ECHO, Publish=True)
    lam.update_function_configuration(FunctionName="split", Description="second")
    lam.publish_version(FunctionName="split")
    lam.create_alias(FunctionName="split", Name="canary", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}})
    counts = {"1": 0, "2": 0}
    for _ in range(200):
        response, body = invoke(lam, "split", Qualifier="canary")
        assert response["ExecutedVersion"] == body["version"]
        counts[body["version"]] += 1
    assert 30 <= counts["2"] <= 95, counts  # expected 60 of 200
    with pytest.raises(ClientError) as exc:
        lam.update_alias(FunctionName="split", Name="canary",
                         RoutingConfig={"AdditionalVersionWeights": {"7": 0.5}})
    assert error(exc) == ("ResourceNotFoundException", 404)  # the missing version is not found, as on Lambda
    assert lam.get_alias(FunctionName="split", Name="canary")["RoutingConfig"] == {
        "AdditionalVersionWeights": {"2": 0.3}}


def test_an_invocation_right_after_a_change_runs_the_changed_function(cloudlet):
    """Invocations resolve versions and aliases through a cache; every change must reach them at once."""
    lam = cloudlet.client("lambda")
    create(lam, "fresh", source=V.replace("{}", "'one'"))
    assert invoke(lam, "fresh")[1] == "one"
    lam.update_function_code(FunctionName="fresh", ZipFile=make_zip({"app.py": V.replace("{}", "'two'")}))
    lam.get_waiter("function_updated_v2").wait(FunctionName="fresh")
    assert invoke(lam, "fresh")[1] == "two"
    lam.publish_version(FunctionName="fresh")
    lam.create_alias(FunctionName="fresh", Name="live", FunctionVersion="1")
    assert invoke(lam, "fresh", Qualifier="live")[1] == "two"
    lam.update_function_code(FunctionName="fresh", ZipFile=make_zip({"app.py": V.replace("{}", "'three'")}))
    lam.get_waiter("function_updated_v2").wait(FunctionName="fresh")
    lam.publish_version(FunctionName="fresh")
    lam.update_alias(FunctionName="fresh", Name="live", FunctionVersion="2")
    assert invoke(lam, "fresh", Qualifier="live")[1] == "three"
    lam.delete_alias(FunctionName="fresh", Name="live")
    with pytest.raises(ClientError) as err:
        invoke(lam, "fresh", Qualifier="live")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    lam.delete_function(FunctionName="fresh")
    with pytest.raises(ClientError) as err:
        invoke(lam, "fresh")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
