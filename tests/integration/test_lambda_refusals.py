"""Lambda's refusals (code, status, message) for names it cannot reach, event invoke configs,
aliases, provisioned and reserved concurrency, tags and function URLs; a refusal changes nothing."""

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from lambda_helpers import create, make_zip

ARN = "arn:aws:lambda:us-east-1:000000000000:function:"
IPV, RNF, VE = "InvalidParameterValueException", "ResourceNotFoundException", "ValidationException"
OTHER_REGION = "Functions from 'eu-central-1' are not reachable in this region ('us-east-1')"
NO_FUNCTION = "The function doesn't exist."


def refusal(call, **params) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as exc:
        call(**params)
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def raw_client(cloudlet):
    """A client that sends what it is given (the service, not botocore, judges the input)."""
    return cloudlet.client("lambda", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def fn(cloudlet):
    """Function f (version 1, alias live -> 1) and function other."""
    lam = cloudlet.client("lambda")
    create(lam, "f", Publish=True)
    create(lam, "other")
    lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    return lam


@pytest.mark.parametrize("op, extra", [
    ("get_function", {}), ("get_function_configuration", {}), ("delete_function", {}), ("invoke", {}),
    ("get_function_concurrency", {}), ("get_function_event_invoke_config", {}), ("get_function_url_config", {}),
    ("get_policy", {}), ("list_versions_by_function", {}), ("list_aliases", {}),
])
def test_other_region_is_unreachable(cloudlet, fn, op, extra):
    arn = "arn:aws:lambda:eu-central-1:000000000000:function:f"
    assert refusal(getattr(fn, op), FunctionName=arn, **extra) == (RNF, 404, OTHER_REGION)
    assert fn.get_function(FunctionName="f")["Configuration"]["FunctionName"] == "f"


def test_other_account_is_denied(cloudlet, fn):
    other = "arn:aws:lambda:us-east-1:123456789012:function:f"
    base = dict(Role="arn:aws:iam::000000000000:role/r", Handler="app.handler", Runtime="python3.12",
                Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return e\n"})})
    for call, params in ((fn.get_function, {}), (fn.invoke, {}), (fn.create_function, base)):
        code, status, _ = refusal(call, FunctionName=other, **params)
        assert (code, status) == ("AccessDeniedException", 403)
    assert [f["FunctionName"] for f in fn.list_functions()["Functions"]] == ["f", "other"]


def test_event_invoke_config_refusals(cloudlet, fn):
    lam = raw_client(cloudlet)
    put, update = lam.put_function_event_invoke_config, lam.update_function_event_invoke_config
    missing_eic = "The function {} doesn't have an EventInvokeConfig"
    cases = [
        (put, dict(FunctionName="doesnotexist", MaximumRetryAttempts=1), (RNF, 404, NO_FUNCTION)),
        (put, dict(FunctionName=ARN + "doesnotexist", MaximumRetryAttempts=1), (RNF, 404, NO_FUNCTION)),
        (put, dict(FunctionName="f", Qualifier="nope", MaximumRetryAttempts=1), (RNF, 404, NO_FUNCTION)),
        (put, dict(FunctionName="doesnotexist"),
         (IPV, 400, "You must specify at least one of error handling or destination setting.")),
        (put, dict(FunctionName="f", DestinationConfig={"OnSuccess": {"Destination": ARN + "doesnotexist"}}),
         (IPV, 400, f"The destination ARN {ARN}doesnotexist is invalid.")),
        (put, dict(FunctionName="f", DestinationConfig={"OnSuccess": {"Destination": ARN + "f"}}),
         (IPV, 400, "You can't specify the function as a destination for itself.")),
        (put, dict(FunctionName="f", DestinationConfig={"OnSuccess": {"Destination": "arn:aws:iam:us-east-1:000000000000:function:f"}}),
         (IPV, 400, "The provided destination config DestinationConfig(onSuccess=OnSuccess(destination="
                    "arn:aws:iam:us-east-1:000000000000:function:f), onFailure=null) is invalid.")),
        (put, dict(FunctionName="f:1", Qualifier="live", MaximumRetryAttempts=1),
         (IPV, 400, "The derived qualifier from the function name does not match the specified qualifier.")),
        (update, dict(FunctionName="doesnotexist", MaximumRetryAttempts=0), (RNF, 404, NO_FUNCTION)),
        (update, dict(FunctionName=ARN + "f:live", MaximumRetryAttempts=0), (RNF, 404, missing_eic.format(ARN + "f:live"))),
        (lam.get_function_event_invoke_config, dict(FunctionName="doesnotexist"),
         (RNF, 404, missing_eic.format(ARN + "doesnotexist:$LATEST"))),
        (lam.get_function_event_invoke_config, dict(FunctionName="f", Qualifier="1221"),
         (RNF, 404, missing_eic.format(ARN + "f:1221"))),
        (lam.delete_function_event_invoke_config, dict(FunctionName="doesnotexist"),
         (RNF, 404, missing_eic.format(ARN + "doesnotexist:$LATEST"))),
        (lam.delete_function_event_invoke_config, dict(FunctionName="f"), (RNF, 404, missing_eic.format(ARN + "f:$LATEST"))),
        (lam.list_function_event_invoke_configs, dict(FunctionName="doesnotexist"), (RNF, 404, NO_FUNCTION)),
    ]
    for call, params, expected in cases:
        assert refusal(call, **params) == expected, params
    code, status, message = refusal(put, FunctionName="f", DestinationConfig={
        "OnFailure": {"Destination": "arn:aws:_-/!lambda:us-east-1:000000000000:function:f"}})
    assert (code, status) == (VE, 400) and message.startswith(
        "1 validation error detected: Value 'arn:aws:_-/!lambda:us-east-1:000000000000:function:f' at "
        "'destinationConfig.onFailure.destination' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: ")
    assert lam.list_function_event_invoke_configs(FunctionName="f")["FunctionEventInvokeConfigs"] == []
    done = put(FunctionName="f", DestinationConfig={"OnSuccess": {"Destination": ARN + "other"}})
    assert done["DestinationConfig"] == {"OnSuccess": {"Destination": ARN + "other"}, "OnFailure": {}}


def test_alias_refusals(cloudlet, fn):
    lam = raw_client(cloudlet)
    fn.update_function_configuration(FunctionName="f", Description="two")
    fn.publish_version(FunctionName="f")
    weights = "1 validation error detected: Value '{}' at 'routingConfig.additionalVersionWeights' failed to satisfy " \
              "constraint: "
    values = ("Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must "
              "have value greater than or equal to 0.0, Member must not be null]")
    keys = ("Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have "
            "length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, Member must "
            "not be null]")
    cases = [
        (dict(FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 2}}),
         (VE, 400, weights.format("{2=2.0}") + values)),
        (dict(FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": -1}}),
         (VE, 400, weights.format("{2=-1.0}") + values)),
        (dict(FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"$LATEST": 0.5}}),
         (VE, 400, weights.format("{$LATEST=0.5}") + keys)),
        (dict(FunctionVersion="10", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}}),
         (RNF, 404, f"Function not found: {ARN}f:10")),
        (dict(FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"10": 0.5}}),
         (RNF, 404, f"Function not found: {ARN}f:10")),
        (dict(FunctionName="f-unknown", FunctionVersion="1"), (RNF, 404, f"Function not found: {ARN}f-unknown:1")),
        (dict(FunctionVersion="$LATEST", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}}),
         (IPV, 400, "$LATEST is not supported for an alias pointing to more than 1 version")),
    ]
    for params, expected in cases:
        assert refusal(lam.create_alias, **{"FunctionName": "f", "Name": "custom", **params}) == expected, params
    with pytest.raises(ClientError) as exc:
        lam.create_alias(FunctionName="f", Name="custom", FunctionVersion="$LATEST",
                         RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    assert "Type" not in exc.value.response  # this one refusal of Lambda's carries no Type
    assert [a["Name"] for a in lam.list_aliases(FunctionName="f")["Aliases"]] == ["live"]


def test_provisioned_concurrency_refusals(cloudlet, fn):
    lam = raw_client(cloudlet)
    get, put = lam.get_provisioned_concurrency_config, lam.put_provisioned_concurrency_config
    delete = lam.delete_provisioned_concurrency_config
    not_alias = "Cannot find alias arn: {}"
    unpublished = "The function resource provided must be an alias or a published version."
    cases = [
        (get, dict(FunctionName="doesnotexist", Qualifier="noalias"), (RNF, 404, not_alias.format(ARN + "doesnotexist:noalias"))),
        (get, dict(FunctionName="f", Qualifier="noalias"), (RNF, 404, not_alias.format(ARN + "f:noalias"))),
        (get, dict(FunctionName="f", Qualifier="10"), (RNF, 404, f"Function not found: {ARN}f:10")),
        (get, dict(FunctionName="f", Qualifier="$LATEST"), (IPV, 400, unpublished)),
        (delete, dict(FunctionName="doesnotexist", Qualifier="1"), (RNF, 404, f"Function not found: {ARN}doesnotexist:1")),
        (delete, dict(FunctionName="f", Qualifier="noalias"), (RNF, 404, not_alias.format(ARN + "f:noalias"))),
        (delete, dict(FunctionName="f", Qualifier="$LATEST"), (IPV, 400, unpublished)),
        (put, dict(FunctionName="doesnotexist", Qualifier="noalias", ProvisionedConcurrentExecutions=1),
         (RNF, 404, not_alias.format(ARN + "doesnotexist:noalias"))),
        (put, dict(FunctionName="f", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1),
         (IPV, 400, "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")),
        (put, dict(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1001),
         (IPV, 400, "Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [1000].")),
        (put, dict(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1000),
         (IPV, 400, "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
                    "below its minimum value of [100].")),
    ]
    for call, params, expected in cases:
        assert refusal(call, **params) == expected, params
    assert delete(FunctionName="f", Qualifier="1")["ResponseMetadata"]["HTTPStatusCode"] == 204  # nothing to delete
    assert lam.list_provisioned_concurrency_configs(FunctionName="f")["ProvisionedConcurrencyConfigs"] == []
    placed = put(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1)
    assert placed["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert refusal(put, FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=1) == (
        "ResourceConflictException", 409,
        "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version")
    delete(FunctionName="f", Qualifier="1")
    put(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=1)
    assert refusal(put, FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1) == (
        "ResourceConflictException", 409, "Version is pointed by a Provisioned Concurrency alias")
    lam.delete_alias(FunctionName="f", Name="live")
    assert refusal(get, FunctionName="f", Qualifier="live") == (RNF, 404, not_alias.format(ARN + "f:live"))
    assert lam.list_provisioned_concurrency_configs(FunctionName="f")["ProvisionedConcurrencyConfigs"] == []


def test_reserved_concurrency_refusals(cloudlet, fn):
    put = fn.put_function_concurrency
    assert refusal(put, FunctionName="doesnotexist", ReservedConcurrentExecutions=1) == (
        RNF, 404, f"Function not found: {ARN}doesnotexist:$LATEST")
    assert refusal(put, FunctionName=ARN + "f:$LATEST", ReservedConcurrentExecutions=0) == (
        IPV, 400, "This operation is permitted on Lambda functions only. Aliases and versions do not support this "
                  "operation. Please specify either a function name or an unqualified function ARN.")
    assert refusal(fn.get_function_concurrency, FunctionName="doesnotexist") == (
        RNF, 404, f"Function not found: {ARN}doesnotexist")
    assert "ReservedConcurrentExecutions" not in fn.get_function_concurrency(FunctionName="f")


def test_tag_and_url_refusals(cloudlet, fn):
    lam = raw_client(cloudlet)
    versions = "Tags on function aliases and versions are not supported. Please specify a function ARN."
    for arn in (ARN + "f:1", ARN + "f:$LATEST", ARN + "f:live"):
        assert refusal(lam.tag_resource, Resource=arn, Tags={"a": "b"}) == (IPV, 400, versions)
    assert refusal(lam.tag_resource, Resource=ARN + "f", Tags={}) == (
        IPV, 400, "An error occurred and the request cannot be processed.")
    assert refusal(lam.tag_resource, Resource=ARN + "doesnotexist", Tags={"a": "b"}) == (
        RNF, 404, f"Function not found: {ARN}doesnotexist")
    assert lam.list_tags(Resource=ARN + "f")["Tags"] == {}
    no_function, no_resource = (RNF, 404, "Function does not exist"), (RNF, 404, "The resource you requested does not exist.")
    for name, qualifier in (("doesnotexist", None), (ARN + "doesnotexist", None), ("f", "nosuchalias")):
        extra = {"Qualifier": qualifier} if qualifier else {}
        assert refusal(lam.create_function_url_config, FunctionName=name, AuthType="NONE", **extra) == no_function
        assert refusal(lam.update_function_url_config, FunctionName=name, AuthType="NONE", **extra) == no_function
        assert refusal(lam.get_function_url_config, FunctionName=name, **extra) == no_resource
        assert refusal(lam.delete_function_url_config, FunctionName=name, **extra) == no_resource
    assert refusal(lam.list_function_url_configs, FunctionName="doesnotexist") == no_function
    assert lam.list_function_url_configs(FunctionName="f")["FunctionUrlConfigs"] == []


def test_permission_refusals(cloudlet, fn):
    lam = raw_client(cloudlet)
    s3 = dict(Action="lambda:InvokeFunction", StatementId="s3", Principal="s3.amazonaws.com",
              SourceArn="arn:aws:s3:::test-bucket")
    add, remove = lam.add_permission, lam.remove_permission
    cases = [
        (add, dict(FunctionName="f:$LATEST", Qualifier="$LATEST", **s3),
         (IPV, 400, "We currently do not support adding policies for $LATEST.")),
        (add, dict(FunctionName="f", **dict(s3, Principal="invalid.nonaws.com")),
         (IPV, 400, "The provided principal was invalid. Please check the principal and try again.")),
        (add, dict(FunctionName="doesnotexist", **s3), (RNF, 404, f"Function not found: {ARN}doesnotexist")),
        (add, dict(FunctionName="f:alias-doesnotexist", **s3),
         (RNF, 404, f"Cannot find alias arn: {ARN}f:alias-doesnotexist")),
        (add, dict(FunctionName="f", Qualifier="42", **s3), (RNF, 404, f"Function not found: {ARN}f:42")),
        (add, dict(FunctionName="f", Qualifier="valid-with-$-but-doesnotexist", **s3),
         (RNF, 404, f"Function not found: {ARN}f:valid-with-$-but-doesnotexist")),
        (remove, dict(FunctionName="f", StatementId="s3"), (RNF, 404, "No policy is associated with the given resource.")),
        (remove, dict(FunctionName="doesnotexist", StatementId="s3"), (RNF, 404, f"No policy found for: {ARN}doesnotexist")),
        (remove, dict(FunctionName="f", StatementId="s3", Qualifier="alias-doesnotexist"),
         (RNF, 404, f"Cannot find alias arn: {ARN}f:alias-doesnotexist")),
        (lam.get_policy, dict(FunctionName="doesnotexist"), (RNF, 404, f"Function not found: {ARN}doesnotexist")),
        (lam.get_policy, dict(FunctionName="f", Qualifier="77"), (RNF, 404, "The resource you requested does not exist.")),
    ]
    for call, params, expected in cases:
        assert refusal(call, **params) == expected, params
    add(FunctionName="f", **s3)
    assert refusal(add, FunctionName="f", **s3) == (
        "ResourceConflictException", 409,
        "The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement.")
    assert refusal(remove, FunctionName="f", StatementId="non-existent") == (
        RNF, 404, "Statement non-existent is not found in resource policy.")
    for principal in ("*", "000000000000", "arn:aws:iam::000000000000:user/u", "alexa-appkit.amazon.com"):
        add(FunctionName="f", Action="lambda:InvokeFunction", StatementId=f"p{len(principal)}", Principal=principal)
    assert len(json.loads(lam.get_policy(FunctionName="f")["Policy"])["Statement"]) == 5


def test_layer_refusals_and_empty_lists(cloudlet):
    lam = raw_client(cloudlet)
    content = {"ZipFile": make_zip({"python/x.py": "X = 1"})}
    for call in (lam.get_layer_version, lam.delete_layer_version):
        for version in (0, -1):
            assert refusal(call, LayerName="l", VersionNumber=version) == (IPV, 400, "Layer Version Cannot be less than 1")
    assert refusal(lam.get_layer_version, LayerName="l", VersionNumber=1) == (
        RNF, 404, "The resource you requested does not exist.")
    for version in (1, 9):  # deleting what is not there is nothing to do
        assert lam.delete_layer_version(LayerName="l", VersionNumber=version)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_layer_versions(LayerName="l")["LayerVersions"] == []
    published = lam.publish_layer_version(LayerName="l", Content=content, CompatibleRuntimes=[],
                                          CompatibleArchitectures=[])
    assert (published["CompatibleRuntimes"], published["CompatibleArchitectures"]) == ([], [])
    listed = lam.list_layer_versions(LayerName="l")["LayerVersions"][0]
    assert (listed["CompatibleRuntimes"], listed["CompatibleArchitectures"]) == ([], [])
    plain = lam.publish_layer_version(LayerName="l", Content=content)
    assert "CompatibleRuntimes" not in plain and "CompatibleArchitectures" not in plain


def test_runtime_and_architecture_values(cloudlet, fn):
    lam = raw_client(cloudlet)
    base = dict(FunctionName="new", Role="arn:aws:iam::000000000000:role/r", Handler="app.handler",
                Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return e\n"})})
    for call, params in ((lam.create_function, base), (lam.update_function_configuration, {"FunctionName": "f"})):
        for runtime in ("non-existent-runtime", "PYTHON3.9"):
            code, status, message = refusal(call, **params, Runtime=runtime)
            assert (code, status) == (IPV, 400)
            assert message.startswith(f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must "
                                      "satisfy enum value set: [") and message.endswith("] or be a valid ARN")
            assert "python3.12" in message and "python2.7" not in message  # the runtimes accepted today
    assert refusal(lam.create_function, **base, Runtime="python3.12", Architectures=["X86_64"]) == (
        VE, 400, "1 validation error detected: Value '[X86_64]' at 'architectures' failed to satisfy constraint: "
                 "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must "
                 "not be null]")
    code, status, message = refusal(lam.publish_layer_version, LayerName="l", Content={"ZipFile": base["Code"]["ZipFile"]},
                                    CompatibleRuntimes=["invalidruntime", "nodejs20.x"],
                                    CompatibleArchitectures=["invalidarch", "x86_64"])
    assert (code, status) == (VE, 400)
    assert message.startswith("2 validation errors detected: Value '[invalidruntime, nodejs20.x]' at "
                              "'compatibleRuntimes' failed to satisfy constraint: Member must satisfy enum value set: [")
    assert message.endswith("; Value '[invalidarch, x86_64]' at 'compatibleArchitectures' failed to satisfy "
                            "constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
                            "[x86_64, arm64]]")
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["f", "other"]
    assert lam.list_layers()["Layers"] == []
    assert lam.get_function_configuration(FunctionName="f")["Runtime"] == "python3.12"


def test_layer_permission_and_function_layer_refusals(cloudlet, fn):
    lam = raw_client(cloudlet)
    content = {"ZipFile": make_zip({"python/x.py": "X = 1"})}
    arns = [lam.publish_layer_version(LayerName="l", Content=content)["LayerVersionArn"] for _ in range(2)]
    layer = "arn:aws:lambda:us-east-1:000000000000:layer:"
    grant = dict(Action="lambda:GetLayerVersion", Principal="*")
    revision = ("The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to "
                "retrieve the latest Revision Id")
    assert refusal(lam.get_layer_version_policy, LayerName="l", VersionNumber=1) == (
        RNF, 404, "No policy is associated with the given resource.")
    lam.add_layer_version_permission(LayerName="l", VersionNumber=1, StatementId="s1", **grant)
    cases = [
        (lam.add_layer_version_permission, dict(LayerName="l", VersionNumber=1, StatementId="s2", RevisionId="wrong", **grant),
         ("PreconditionFailedException", 412, revision)),
        (lam.remove_layer_version_permission, dict(LayerName="l", VersionNumber=1, StatementId="s1", RevisionId="wrong"),
         ("PreconditionFailedException", 412, revision)),
        (lam.remove_layer_version_permission, dict(LayerName="l", VersionNumber=1, StatementId="nope"),
         (RNF, 404, "Statement nope is not found in resource policy.")),
    ]
    for name, version in (("nope", 1), ("l", 9)):
        missing = (RNF, 404, f"Layer version {layer}{name}:{version} does not exist.")
        cases += [
            (lam.add_layer_version_permission, dict(LayerName=name, VersionNumber=version, StatementId="s3", **grant), missing),
            (lam.get_layer_version_policy, dict(LayerName=name, VersionNumber=version), missing),
            (lam.remove_layer_version_permission, dict(LayerName=name, VersionNumber=version, StatementId="s1"), missing),
        ]
    update = lam.update_function_configuration
    two = "Two different versions of the same layer are not allowed to be referenced in the same function. {} and {} " \
          "are versions of the same layer."
    cases += [
        (update, dict(FunctionName="f", Layers=arns), (IPV, 400, two.format(*arns))),
        (update, dict(FunctionName="f", Layers=[arns[0], arns[0]]), (IPV, 400, two.format(arns[0], arns[0]))),
        (update, dict(FunctionName="f", Layers=[layer + "l:9"]), (IPV, 400, f"Layer version {layer}l:9 does not exist.")),
        (update, dict(FunctionName="f", Layers=["arn:aws:lambda:eu-west-1:000000000000:layer:l:1"]),
         (IPV, 400, "Layers are not in the same region as the function. Layers are expected to be in region us-east-1.")),
    ]
    for call, params, expected in cases:
        assert refusal(call, **params) == expected, params
    code, status, message = refusal(update, FunctionName="f", Layers=[layer + "l"])
    assert (code, status) == (VE, 400) and message.startswith(
        f"1 validation error detected: Value '[{layer}l]' at 'layers' failed to satisfy constraint: Member must "
        "satisfy constraint: [Member must have length less than or equal to ")
    policy = json.loads(lam.get_layer_version_policy(LayerName="l", VersionNumber=1)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["s1"]
    assert "Layers" not in lam.get_function_configuration(FunctionName="f")
