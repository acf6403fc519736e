"""Code signing configurations through boto3: stored, attached and returned (signatures are not checked)."""

import re

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import create

PROFILE = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/p/abcdef1234"
CSC_ARN = re.compile(r"arn:aws:lambda:us-east-1:000000000000:code-signing-config:(csc-[a-z0-9]{17})")
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:"


def error_of(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def new_config(lam, **kwargs) -> dict:
    return lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [PROFILE]},
                                          **kwargs)["CodeSigningConfig"]


def test_configurations_are_created_read_updated_listed_and_deleted(cloudlet):
    lam = cloudlet.client("lambda")
    created = lam.create_code_signing_config(Description="team",
                                             AllowedPublishers={"SigningProfileVersionArns": [PROFILE]})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    config = created["CodeSigningConfig"]
    match = CSC_ARN.fullmatch(config["CodeSigningConfigArn"])
    assert match and match.group(1) == config["CodeSigningConfigId"]
    assert config["Description"] == "team"
    assert config["AllowedPublishers"] == {"SigningProfileVersionArns": [PROFILE]}
    assert config["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Warn"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", config["LastModified"])
    arn = config["CodeSigningConfigArn"]
    assert lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"] == config
    updated = lam.update_code_signing_config(CodeSigningConfigArn=arn, CodeSigningPolicies={
        "UntrustedArtifactOnDeployment": "Enforce"})["CodeSigningConfig"]
    assert updated["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Enforce"}
    assert updated["Description"] == "team" and updated["AllowedPublishers"] == config["AllowedPublishers"]
    others = [new_config(lam)["CodeSigningConfigId"] for _ in range(2)]
    ids = sorted([config["CodeSigningConfigId"], *others])
    first = lam.list_code_signing_configs(MaxItems=2)
    assert [c["CodeSigningConfigId"] for c in first["CodeSigningConfigs"]] == ids[:2]
    rest = lam.list_code_signing_configs(Marker=first["NextMarker"])
    assert [c["CodeSigningConfigId"] for c in rest["CodeSigningConfigs"]] == ids[2:] and "NextMarker" not in rest
    deleted = lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    for call in (lam.get_code_signing_config, lam.delete_code_signing_config, lam.list_functions_by_code_signing_config):
        assert error_of(call, CodeSigningConfigArn=arn) == ("ResourceNotFoundException", 404)
    assert error_of(lam.update_code_signing_config, CodeSigningConfigArn=arn,
                    Description="x") == ("ResourceNotFoundException", 404)
    assert len(lam.list_code_signing_configs()["CodeSigningConfigs"]) == 2
    # another account's or region's configurations are not visible
    west = cloudlet.client("lambda", region_name="us-west-2")
    assert west.list_code_signing_configs()["CodeSigningConfigs"] == []


def test_functions_use_configurations(cloudlet):
    lam = cloudlet.client("lambda")
    arn = new_config(lam)["CodeSigningConfigArn"]
    missing = arn[:-17] + "a" * 17
    assert error_of(create, client=lam, name="f", CodeSigningConfigArn=missing) == (
        "CodeSigningConfigNotFoundException", 404)
    assert error_of(lam.get_function, FunctionName="f") == ("ResourceNotFoundException", 404)  # nothing created
    create(lam, "f", CodeSigningConfigArn=arn)
    create(lam, "g")
    assert lam.get_function_code_signing_config(FunctionName="f")["CodeSigningConfigArn"] == arn
    got = lam.get_function_code_signing_config(FunctionName="g")
    assert (got["CodeSigningConfigArn"], got["FunctionName"]) == ("", "g")
    put = lam.put_function_code_signing_config(FunctionName="g", CodeSigningConfigArn=arn)
    assert (put["CodeSigningConfigArn"], put["FunctionName"]) == (arn, "g")
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == [
        FUNCTION + "f", FUNCTION + "g"]
    assert error_of(lam.put_function_code_signing_config, FunctionName="g",
                    CodeSigningConfigArn=missing) == ("CodeSigningConfigNotFoundException", 404)
    assert error_of(lam.put_function_code_signing_config, FunctionName="nope",
                    CodeSigningConfigArn=arn) == ("ResourceNotFoundException", 404)
    assert lam.get_function_code_signing_config(FunctionName="g")["CodeSigningConfigArn"] == arn  # unchanged
    # a configuration in use cannot go
    assert error_of(lam.delete_code_signing_config, CodeSigningConfigArn=arn) == ("ResourceConflictException", 409)
    lam.delete_function_code_signing_config(FunctionName="g")
    assert lam.get_function_code_signing_config(FunctionName="g")["CodeSigningConfigArn"] == ""
    lam.delete_function(FunctionName="f")  # the association goes with the function
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == []
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    assert error_of(lam.get_function_code_signing_config, FunctionName="nope") == ("ResourceNotFoundException", 404)
