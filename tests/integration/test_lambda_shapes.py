"""Lambda's successful answers member by member: create, publish, qualified reads, version lists,
deletes of versions that are not there."""

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import ECHO, create, make_zip

ARN = "arn:aws:lambda:us-east-1:000000000000:function:"
STATE_KEYS = {"State", "StateReason", "StateReasonCode", "LastUpdateStatus", "LastUpdateStatusReason",
              "LastUpdateStatusReasonCode"}


def states(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k in STATE_KEYS}


def test_create_and_publish_answers(cloudlet):
    lam = cloudlet.client("lambda")
    created = create(lam, "plain")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert states(created) == {"State": "Pending", "StateReason": "The function is being created.",
                               "StateReasonCode": "Creating"}  # no update status on a new function
    published = create(lam, "pub", Publish=True)
    assert (published["Version"], published["FunctionArn"]) == ("1", ARN + "pub")  # the unqualified ARN
    assert states(published) == states(created)
    code = lam.update_function_code(FunctionName="pub", ZipFile=make_zip({"app.py": ECHO + "\n# 2"}), Publish=True)
    assert (code["Version"], code["FunctionArn"]) == ("2", ARN + "pub:2")
    assert states(code) == states(created)  # the new version is being created
    updated = lam.update_function_code(FunctionName="pub", ZipFile=make_zip({"app.py": ECHO + "\n# 3"}))
    assert states(updated) == {"State": "Active", "LastUpdateStatus": "InProgress",
                               "LastUpdateStatusReason": "The function is being created.",
                               "LastUpdateStatusReasonCode": "Creating"}
    current = lam.get_function(FunctionName="pub")["Configuration"]
    assert current["RevisionId"] != updated["RevisionId"]  # completing the update renews it, as on Lambda
    assert lam.get_function(FunctionName="pub", Qualifier="2")["Configuration"]["RevisionId"] == code["RevisionId"]
    assert lam.get_function(FunctionName="plain")["Configuration"]["RevisionId"] != created["RevisionId"]
    again = lam.publish_version(FunctionName="pub")
    assert states(again) == {"State": "Active", "LastUpdateStatus": "Successful"}
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 201


def test_qualified_reads_and_version_list(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "q", Publish=True)
    lam.create_alias(FunctionName="q", Name="live", FunctionVersion="1")
    for qualifier, arn in ((None, ARN + "q"), ("$LATEST", ARN + "q:$LATEST"), ("1", ARN + "q:1"),
                           ("live", ARN + "q:live")):
        extra = {"Qualifier": qualifier} if qualifier else {}
        assert lam.get_function(FunctionName="q", **extra)["Configuration"]["FunctionArn"] == arn
        assert lam.get_function_configuration(FunctionName="q", **extra)["FunctionArn"] == arn
    every = lam.list_functions(FunctionVersion="ALL")["Functions"]  # $LATEST under its qualified ARN here too
    assert [f["FunctionArn"] for f in every] == [ARN + "q:$LATEST", ARN + "q:1"]
    assert [f["FunctionArn"] for f in lam.list_functions()["Functions"]] == [ARN + "q"]
    versions = lam.list_versions_by_function(FunctionName="q")["Versions"]
    assert [(v["Version"], v["FunctionArn"]) for v in versions] == [("$LATEST", ARN + "q:$LATEST"), ("1", ARN + "q:1")]
    for version in versions:  # the listed subset, as ListFunctions lists it
        assert not set(version) & (STATE_KEYS | {"RuntimeVersionConfig"})
        assert version["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/q"}


def test_deleting_a_missing_version_is_nothing_to_do(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "d")
    for _ in range(2):
        out = lam.delete_function(FunctionName="d", Qualifier="1233")
        assert out["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.get_function(FunctionName="d")["Configuration"]["Version"] == "$LATEST"
    assert lam.delete_function(FunctionName="d")["ResponseMetadata"]["HTTPStatusCode"] == 204
    for extra in ({}, {"Qualifier": "1233"}):
        with pytest.raises(ClientError) as exc:
            lam.delete_function(FunctionName="d", **extra)
        error = exc.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Message"]) == (
            "ResourceNotFoundException", 404, f"Function not found: {ARN}d")


def test_alias_routing_can_be_removed(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "r", Publish=True)
    lam.update_function_configuration(FunctionName="r", Description="two")
    lam.publish_version(FunctionName="r")
    created = lam.create_alias(FunctionName="r", Name="a", FunctionVersion="1",
                               RoutingConfig={"AdditionalVersionWeights": {"2": 0.2}})
    assert created["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.2}}
    updated = lam.update_alias(FunctionName="r", Name="a", RoutingConfig={"AdditionalVersionWeights": {}})
    assert "RoutingConfig" not in updated and updated["RevisionId"] != created["RevisionId"]
    assert "RoutingConfig" not in lam.get_alias(FunctionName="r", Name="a")
    empty = lam.create_alias(FunctionName="r", Name="e", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {}})
    assert "RoutingConfig" not in empty


def test_account_code_size_counts_versions_and_layers(cloudlet):
    lam = cloudlet.client("lambda")
    usage = lambda: lam.get_account_settings()["AccountUsage"]  # noqa: E731
    assert usage() == {"TotalCodeSize": 0, "FunctionCount": 0}
    size = create(lam, "c")["CodeSize"]
    assert usage() == {"TotalCodeSize": size, "FunctionCount": 1}
    lam.publish_version(FunctionName="c")  # a version keeps its own copy of the code
    assert usage() == {"TotalCodeSize": 2 * size, "FunctionCount": 1}
    layer = lam.publish_layer_version(LayerName="lay", Content={"ZipFile": make_zip({"python/m.py": "M = 1"})})
    assert usage() == {"TotalCodeSize": 2 * size + layer["Content"]["CodeSize"], "FunctionCount": 1}
    lam.delete_layer_version(LayerName="lay", VersionNumber=1)
    assert usage()["TotalCodeSize"] == 2 * size


def test_tag_changes_renew_the_revision(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "t", Tags={"a": "1"})
    revision = lambda: lam.get_function(FunctionName="t")["Configuration"]["RevisionId"]  # noqa: E731
    first = revision()
    lam.tag_resource(Resource=ARN + "t", Tags={"b": "2"})
    second = revision()
    lam.untag_resource(Resource=ARN + "t", TagKeys=["a"])
    third = revision()
    assert len({first, second, third}) == 3
    assert lam.list_tags(Resource=ARN + "t")["Tags"] == {"b": "2"}
    assert lam.publish_version(FunctionName="t")["Version"] == "1"
    assert lam.publish_version(FunctionName="t")["Version"] == "1"  # a tag change is nothing new to publish
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName="t", Timeout=9, RevisionId=first)
    assert exc.value.response["Error"]["Code"] == "PreconditionFailedException"
