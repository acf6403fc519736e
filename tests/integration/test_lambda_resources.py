"""Layers, resource policies, tags and hot-reloaded code directories."""

import json
import os
import time

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import ROLE, create, invoke, make_zip

LAYER_USER = """
import sys
sys.path.insert(0, "/opt/python")
import shared
def handler(e, c):
    return [shared.NAME, open("/opt/data.txt").read()]
"""
ARN = "arn:aws:lambda:us-east-1:000000000000:"


def error(exc_info) -> tuple[str, int]:
    response = exc_info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def publish(lam, name: str, files: dict, **kwargs) -> dict:
    return lam.publish_layer_version(LayerName=name, Content={"ZipFile": make_zip(files)}, **kwargs)


def test_layers_merge_in_order_into_opt(cloudlet):
    lam = cloudlet.client("lambda")
    base = publish(lam, "base", {"python/shared.py": "NAME = 'base'", "data.txt": "base data"},
                   CompatibleRuntimes=["python3.12"], Description="b")
    assert base["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert base["LayerVersionArn"] == ARN + "layer:base:1" and base["Version"] == 1
    over = publish(lam, "over", {"python/shared.py": "NAME = 'over'"})
    create(lam, "uses", source=LAYER_USER, Layers=[base["LayerVersionArn"], over["LayerVersionArn"]])
    assert invoke(lam, "uses")[1] == ["over", "base data"]
    conf = lam.get_function_configuration(FunctionName="uses")
    assert [layer["Arn"] for layer in conf["Layers"]] == [base["LayerVersionArn"], over["LayerVersionArn"]]
    lam.update_function_configuration(FunctionName="uses", Layers=[over["LayerVersionArn"], base["LayerVersionArn"]])
    assert invoke(lam, "uses")[1] == ["base", "base data"]
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName="uses", Layers=[base["LayerVersionArn"]] * 6)
    assert error(exc) == ("InvalidParameterValueException", 400)


def test_layer_versions_listing_and_deletion(cloudlet):
    lam = cloudlet.client("lambda")
    publish(lam, "lib", {"a.txt": "1"}, CompatibleRuntimes=["python3.12"])
    publish(lam, "lib", {"a.txt": "2"}, CompatibleRuntimes=["nodejs20.x"])
    publish(lam, "other", {"a.txt": "3"})
    got = lam.get_layer_version(LayerName="lib", VersionNumber=2)
    assert got["Content"]["CodeSize"] > 0 and got["Content"]["Location"].startswith(cloudlet.endpoint)
    assert lam.get_layer_version_by_arn(Arn=ARN + "layer:lib:1")["Version"] == 1
    versions = lam.list_layer_versions(LayerName="lib")["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="lib", CompatibleRuntime="python3.12")[
        "LayerVersions"]] == [1]
    layers = lam.list_layers()["Layers"]
    assert [(layer["LayerName"], layer["LatestMatchingVersion"]["Version"]) for layer in layers] == [
        ("lib", 2), ("other", 1)]
    assert lam.delete_layer_version(LayerName="lib", VersionNumber=2)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        lam.get_layer_version(LayerName="lib", VersionNumber=2)
    assert error(exc) == ("ResourceNotFoundException", 404)
    assert publish(lam, "lib", {"a.txt": "4"})["Version"] == 3  # numbers are never reused
    with pytest.raises(ClientError) as exc:
        publish(lam, "bad", {"../x": "y"})
    assert error(exc) == ("InvalidParameterValueException", 400)
    assert [layer["LayerName"] for layer in lam.list_layers()["Layers"]] == ["lib", "other"]


def test_layer_version_policy(cloudlet):
    lam = cloudlet.client("lambda")
    publish(lam, "shared", {"a.txt": "1"})
    out = lam.add_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="all",
                                           Action="lambda:GetLayerVersion", Principal="*")
    assert json.loads(out["Statement"]) == {"Sid": "all", "Effect": "Allow", "Principal": "*",
                                            "Action": "lambda:GetLayerVersion", "Resource": ARN + "layer:shared:1"}
    policy = json.loads(lam.get_layer_version_policy(LayerName="shared", VersionNumber=1)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["all"]
    lam.remove_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="all")
    with pytest.raises(ClientError) as exc:
        lam.get_layer_version_policy(LayerName="shared", VersionNumber=1)
    assert error(exc) == ("ResourceNotFoundException", 404)


def test_permissions_build_lambdas_policy_document(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "p")
    out = lam.add_permission(FunctionName="p", StatementId="s3", Action="lambda:InvokeFunction",
                             Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::bucket",
                             SourceAccount="000000000000")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 201
    statement = json.loads(out["Statement"])
    assert statement == {
        "Sid": "s3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction", "Resource": ARN + "function:p",
        "Condition": {"StringEquals": {"AWS:SourceAccount": "000000000000"},
                      "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"}}}
    lam.add_permission(FunctionName="p", StatementId="acct", Action="lambda:GetFunction", Principal="111122223333")
    with pytest.raises(ClientError) as exc:
        lam.add_permission(FunctionName="p", StatementId="acct", Action="lambda:GetFunction", Principal="*")
    assert error(exc) == ("ResourceConflictException", 409)
    got = lam.get_policy(FunctionName="p")
    policy = json.loads(got["Policy"])
    assert policy["Version"] == "2012-10-17" and policy["Id"] == "default"
    assert [s["Sid"] for s in policy["Statement"]] == ["s3", "acct"]
    assert policy["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    with pytest.raises(ClientError) as exc:
        lam.remove_permission(FunctionName="p", StatementId="s3", RevisionId="stale")
    assert error(exc) == ("PreconditionFailedException", 412)
    lam.remove_permission(FunctionName="p", StatementId="s3", RevisionId=got["RevisionId"])
    with pytest.raises(ClientError) as exc:
        lam.remove_permission(FunctionName="p", StatementId="s3")
    assert error(exc) == ("ResourceNotFoundException", 404)
    lam.remove_permission(FunctionName="p", StatementId="acct")
    with pytest.raises(ClientError) as exc:
        lam.get_policy(FunctionName="p")
    assert error(exc) == ("ResourceNotFoundException", 404)


def test_tags(cloudlet):
    lam = cloudlet.client("lambda")
    arn = create(lam, "t", Tags={"a": "1"})["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"b": "2", "a": "3"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "3", "b": "2"}
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}
    assert lam.get_function(FunctionName="t")["Tags"] == {"b": "2"}
    with pytest.raises(ClientError) as exc:
        lam.list_tags(Resource=ARN + "function:missing")
    assert error(exc) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as exc:
        lam.tag_resource(Resource=arn, Tags={f"k{i}": "v" for i in range(50)})
    assert error(exc) == ("InvalidParameterValueException", 400)
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}


def test_hot_reload_directory_changes_are_picked_up(cloudlet, tmp_path):
    lam = cloudlet.client("lambda")
    os.chmod(tmp_path, 0o755)
    source = tmp_path / "app.py"
    source.write_text("def handler(e, c):\n    return 'first'\n")
    lam.create_function(FunctionName="hot", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"S3Bucket": "hot-reload", "S3Key": str(tmp_path)})
    assert invoke(lam, "hot")[1] == "first"
    assert invoke(lam, "hot")[1] == "first"
    time.sleep(0.01)
    source.write_text("def handler(e, c):\n    return 'second'\n")
    assert invoke(lam, "hot")[1] == "second"
    assert lam.get_function(FunctionName="hot")["Code"]["Location"] == str(tmp_path)
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="cold", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"S3Bucket": "hot-reload", "S3Key": "relative/dir"})
    assert error(exc) == ("InvalidParameterValueException", 400)
