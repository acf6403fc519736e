"""Lambda's answers checked value by value against AWS's: refusals (code, status, message, body) and
the shapes of less travelled responses. A refused request leaves stored state as it was."""

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import ECHO, ROLE, create, make_zip

ARN = "arn:aws:lambda:us-east-1:000000000000:function:"
DEPRECATED = ("The runtime parameter of {} is no longer supported for creating or updating AWS Lambda functions. "
              "We recommend you use the new runtime ({}) while creating or updating functions.")


def refusal(exc_info) -> tuple[str, int, str]:
    response = exc_info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def base(**changes) -> dict:
    params = {"FunctionName": "f", "Runtime": "python3.12", "Role": ROLE, "Handler": "app.handler",
              "Code": {"ZipFile": make_zip({"app.py": ECHO})}}
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


IPV = "InvalidParameterValueException"
MANDATORY = "Runtime and Handler are mandatory parameters for functions created with deployment packages."


@pytest.mark.parametrize("params, code, status, message", [
    (base(Runtime=None), IPV, 400, MANDATORY),
    (base(Handler=None), IPV, 400, MANDATORY),
    (base(Code={"ImageUri": "000000000000.dkr.ecr.us-east-1.amazonaws.com/app:1"}), IPV, 400,
     "Please provide a source for function code."),
    (base(Runtime="python2.7"), IPV, 400, DEPRECATED.format("python2.7", "python3.13")),
    (base(Runtime="nodejs16.x"), IPV, 400, DEPRECATED.format("nodejs16.x", "nodejs22.x")),
    (base(Runtime="go1.x"), IPV, 400, DEPRECATED.format("go1.x", "provided.al2023")),
    (base(EphemeralStorage={"Size": 10241}), "ValidationException", 400,
     "1 validation error detected: Value '10241' at 'ephemeralStorage.size' failed to satisfy constraint: "
     "Member must have value less than or equal to 10240"),
    (base(Timeout=901, MemorySize=10241), "ValidationException", 400,
     "2 validation errors detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value "
     "less than or equal to 900; Value '10241' at 'memorySize' failed to satisfy constraint: Member must have value "
     "less than or equal to 10240"),
    # Lambda measures the variables as one JSON object: 4088 bytes of value and 9 bytes of JSON are too many
    (base(Environment={"Variables": {"AB": "x" * 4088}}), IPV, 400,
     "Lambda was unable to configure your environment variables because the environment variables you have "
     "provided exceeded the 4KB limit. String measured: {\"AB\":\"" + "x" * 4088 + "\"}"),
    (base(FunctionName="n" * 65), IPV, 400,
     f"1 validation error detected: Value '{'n' * 65}' at 'functionName' failed to satisfy constraint: "
     "Member must have length less than or equal to 64"),
    (base(PackageType="Image"), IPV, 400,
     "Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image."),
    (base(PackageType="Image", Runtime=None, Handler=None, Code={"ZipFile": b"PK"}), IPV, 400,
     "Please provide ImageUri when the intended function PackageType is Image."),
])
def test_create_function_refusals(cloudlet, params, code, status, message):
    lam = cloudlet.client("lambda")
    with pytest.raises(ClientError) as exc:
        lam.create_function(**params)
    assert refusal(exc) == (code, status, message)
    assert lam.list_functions()["Functions"] == []


def test_update_refusals_keep_the_function(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "f")
    revision = lam.get_function_configuration(FunctionName="f")["RevisionId"]
    cases = [
        (lambda: lam.update_function_configuration(FunctionName="f", Runtime="python3.8"),
         (IPV, 400, DEPRECATED.format("python3.8", "python3.13"))),
        (lambda: lam.update_function_configuration(FunctionName="f", EphemeralStorage={"Size": 20000}),
         ("ValidationException", 400, "1 validation error detected: Value '20000' at 'ephemeralStorage.size' failed "
                                      "to satisfy constraint: Member must have value less than or equal to 10240")),
        (lambda: lam.update_function_code(FunctionName="f", ImageUri="000000000000.dkr.ecr.us-east-1.amazonaws.com/a:1"),
         (IPV, 400, "Please don't provide ImageUri when updating a function with packageType Zip.")),
        (lambda: lam.update_function_code(FunctionName="f:1", ZipFile=make_zip({"app.py": ECHO})),
         (IPV, 400, "Current operation does not support versions other than $LATEST")),
        (lambda: lam.update_function_configuration(FunctionName=f"{ARN}f:live", Timeout=9),
         (IPV, 400, "Current operation does not support versions other than $LATEST")),
    ]
    for call, expected in cases:
        with pytest.raises(ClientError) as exc:
            call()
        assert refusal(exc) == expected
    config = lam.get_function_configuration(FunctionName="f")
    assert (config["RevisionId"], config["Runtime"], config["EphemeralStorage"]) == (revision, "python3.12",
                                                                                     {"Size": 512})
    fits = {"AB": "x" * 4087}  # {"AB":"…"} is 4096 bytes
    assert lam.update_function_configuration(FunctionName="f", Environment={"Variables": fits})["Environment"] == {
        "Variables": fits}


def test_a_malformed_name_in_the_path_is_a_validation_error(cloudlet):
    lam = cloudlet.client("lambda")
    for call in (lambda: lam.get_function(FunctionName="bad name"),
                 lambda: lam.invoke(FunctionName="bad name"),
                 lambda: lam.delete_function(FunctionName="f;x")):
        with pytest.raises(ClientError) as exc:
            call()
        code, status, message = refusal(exc)
        assert (code, status) == ("ValidationException", 400)
        assert message.startswith("1 validation error detected: Value '") and "at 'functionName'" in message


def test_missing_aliases(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "f", Publish=True)
    with pytest.raises(ClientError) as exc:
        lam.update_alias(FunctionName="f", Name="nope", FunctionVersion="1")
    assert refusal(exc) == ("ResourceNotFoundException", 404, f"Alias not found: {ARN}f:nope")
    with pytest.raises(ClientError) as exc:
        lam.get_alias(FunctionName="f", Name="nope")
    assert refusal(exc) == ("ResourceNotFoundException", 404, f"Cannot find alias arn: {ARN}f:nope")
    lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    with pytest.raises(ClientError) as exc:
        lam.delete_function(FunctionName="f", Qualifier="live")
    assert refusal(exc) == (IPV, 400, "Deletion of aliases is not currently supported.")
    lam.delete_alias(FunctionName="f", Name="live")
    # deleting an alias that is not there succeeds, as on Lambda
    assert lam.delete_alias(FunctionName="f", Name="nope")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_aliases(FunctionName="f")["Aliases"] == []


def test_error_bodies_carry_type_and_message(cloudlet):
    """Lambda's errors: x-amzn-ErrorType names the code, the body has Type "User" and the model's
    message member (Message for ResourceNotFoundException, message for the others)."""
    def raw(method: str, path: str, body: bytes | None = None) -> tuple[int, dict, dict]:
        request = urllib.request.Request(cloudlet.endpoint + path, data=body, method=method, headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request, "
                             "SignedHeaders=host, Signature=0"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), json.loads(exc.read())

    status, headers, body = raw("GET", "/2015-03-31/functions/missing")
    assert (status, headers["x-amzn-ErrorType"]) == (404, "ResourceNotFoundException")
    assert body["Type"] == "User" and body["Message"] == f"Function not found: {ARN}missing"
    create(cloudlet.client("lambda"), "f")
    status, headers, body = raw("POST", "/2015-03-31/functions/f/invocations", b"{not json")
    assert (status, headers["x-amzn-ErrorType"]) == (400, "InvalidRequestContentException")
    assert body["Type"] == "User" and body["message"].startswith("Could not parse request body into json")


def test_event_invoke_config_destinations(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "f")
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=1)
    queue = "arn:aws:sqs:us-east-1:000000000000:failures"
    out = lam.update_function_event_invoke_config(FunctionName="f",
                                                  DestinationConfig={"OnFailure": {"Destination": queue}})
    assert out["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": queue}}
    assert out["MaximumRetryAttempts"] == 1  # an update keeps what it does not name
    with pytest.raises(ClientError) as exc:
        lam.put_function_event_invoke_config(FunctionName="f", DestinationConfig={
            "OnSuccess": {"Destination": "arn:aws:s3:::bucket"}})
    assert refusal(exc)[:2] == (IPV, 400)
    kept = lam.get_function_event_invoke_config(FunctionName="f")
    assert kept["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": queue}}


def test_listing_pages_hold_at_most_fifty_in_version_order(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "v")
    for i in range(51):
        lam.update_function_configuration(FunctionName="v", Description=str(i))
        lam.publish_version(FunctionName="v")
    expected = ["$LATEST"] + [str(n) for n in range(1, 52)]
    page = lam.list_versions_by_function(FunctionName="v", MaxItems=1000)
    assert [v["Version"] for v in page["Versions"]] == expected[:50] and page["NextMarker"]
    page = lam.list_functions(FunctionVersion="ALL", MaxItems=1000)
    assert [v["Version"] for v in page["Functions"]] == expected[:50] and page["NextMarker"]
    walked, marker = [], None
    while True:  # small pages keep numeric order across the marker (10 after 9, not after 1)
        page = lam.list_versions_by_function(FunctionName="v", MaxItems=7, **({"Marker": marker} if marker else {}))
        walked += [v["Version"] for v in page["Versions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert walked == expected


def test_a_zip_over_the_upload_limit_is_too_large(cloudlet):
    lam = cloudlet.client("lambda")
    oversized = b"\0" * (52_428_800 + 1)
    with pytest.raises(ClientError) as exc:
        lam.create_function(**base(Code={"ZipFile": oversized}))
    assert refusal(exc) == ("RequestEntityTooLargeException", 413,
                            "Request must be smaller than 69905067 bytes for the CreateFunction operation")
    assert lam.list_functions()["Functions"] == []


def test_a_policy_shares_the_revision_of_its_version_or_alias(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "f", Publish=True)
    before = lam.get_function_configuration(FunctionName="f")["RevisionId"]
    grant = {"Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com"}
    lam.add_permission(FunctionName="f", StatementId="s3", RevisionId=before, **grant)  # the function's own id
    after = lam.get_function_configuration(FunctionName="f")["RevisionId"]
    assert after != before and lam.get_policy(FunctionName="f")["RevisionId"] == after
    with pytest.raises(ClientError) as exc:
        lam.remove_permission(FunctionName="f", StatementId="s3", RevisionId=before)
    assert refusal(exc)[:2] == ("PreconditionFailedException", 412)
    assert len(json.loads(lam.get_policy(FunctionName="f")["Policy"])["Statement"]) == 1
    # a policy change is not a change of code or configuration: nothing new to publish
    assert lam.publish_version(FunctionName="f")["Version"] == "1"
    alias = lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    lam.add_permission(FunctionName="f", Qualifier="live", StatementId="a", RevisionId=alias["RevisionId"], **grant)
    moved = lam.get_alias(FunctionName="f", Name="live")["RevisionId"]
    assert moved != alias["RevisionId"]
    assert lam.get_policy(FunctionName="f", Qualifier="live")["RevisionId"] == moved
    lam.remove_permission(FunctionName="f", StatementId="s3", RevisionId=after)
    with pytest.raises(ClientError) as exc:
        lam.get_policy(FunctionName="f")
    assert refusal(exc) == ("ResourceNotFoundException", 404, "The resource you requested does not exist.")


def test_list_functions_returns_the_documented_subset(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "f")
    full = lam.get_function(FunctionName="f")["Configuration"]
    listed = lam.list_functions()["Functions"][0]
    left_out = {"State", "LastUpdateStatus", "RuntimeVersionConfig"}
    assert left_out <= set(full) and not left_out & set(listed)
    assert listed == {k: v for k, v in full.items() if k not in left_out}


def test_settings_kept_and_returned_though_not_enforced(cloudlet):
    lam = cloudlet.client("lambda")
    kms = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"
    out = create(lam, "f", VpcConfig={"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}, KMSKeyArn=kms,
                 LoggingConfig={"LogFormat": "JSON"}, SnapStart={"ApplyOn": "PublishedVersions"})
    assert out["VpcConfig"] == {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"],
                                "Ipv6AllowedForDualStack": False}
    assert out["KMSKeyArn"] == kms
    assert out["LoggingConfig"] == {"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO",
                                    "LogGroup": "/aws/lambda/f"}
    assert out["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"}
    lam.update_function_configuration(FunctionName="f", VpcConfig={"SubnetIds": [], "SecurityGroupIds": []},
                                      LoggingConfig={"LogFormat": "Text", "LogGroup": "/custom"})
    config = lam.get_function_configuration(FunctionName="f")
    assert config["VpcConfig"] == {"SubnetIds": [], "SecurityGroupIds": [], "VpcId": "",  # detached, as on Lambda
                                   "Ipv6AllowedForDualStack": False}
    assert config["KMSKeyArn"] == kms
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/custom"}
    assert lam.publish_version(FunctionName="f")["LoggingConfig"] == config["LoggingConfig"]


def test_tags_on_functions_and_event_source_mappings(cloudlet):
    lam, sqs = cloudlet.client("lambda"), cloudlet.client("sqs")
    function_arn = create(lam, "f", Tags={"team": "a"})["FunctionArn"]
    queue_url = sqs.create_queue(QueueName="q")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mapping = lam.create_event_source_mapping(FunctionName="f", EventSourceArn=queue_arn, Tags={"kind": "sqs"})
    mapping_arn = mapping["EventSourceMappingArn"]
    assert lam.list_tags(Resource=mapping_arn)["Tags"] == {"kind": "sqs"}
    for arn in (function_arn, mapping_arn):
        lam.tag_resource(Resource=arn, Tags={"stage": "dev"})
        lam.untag_resource(Resource=arn, TagKeys=["team", "kind", "absent"])
        assert lam.list_tags(Resource=arn)["Tags"] == {"stage": "dev"}
        with pytest.raises(ClientError) as exc:
            lam.tag_resource(Resource=arn, Tags={f"k{i}": "v" for i in range(50)})
        assert refusal(exc)[:2] == (IPV, 400)
        assert lam.list_tags(Resource=arn)["Tags"] == {"stage": "dev"}
    assert lam.get_function(FunctionName="f")["Tags"] == {"stage": "dev"}
    unknown = mapping_arn[:-12] + "000000000000"
    with pytest.raises(ClientError) as exc:
        lam.list_tags(Resource=unknown)
    assert refusal(exc)[:2] == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as exc:
        lam.tag_resource(Resource=function_arn + ":1", Tags={"a": "b"})
    assert refusal(exc)[:2] == (IPV, 400)


def test_publish_version_publishes_only_changed_code_or_configuration(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "f", Timeout=5, Publish=True)
    lam.update_function_configuration(FunctionName="f", Timeout=5)  # a write that changes nothing
    same = lam.get_function_configuration(FunctionName="f")
    assert lam.publish_version(FunctionName="f", Description="again")["Version"] == "1"
    assert lam.get_function_configuration(FunctionName="f")["RevisionId"] == same["RevisionId"]
    lam.update_function_configuration(FunctionName="f", Timeout=6)
    changed = lam.get_function_configuration(FunctionName="f")
    assert lam.publish_version(FunctionName="f", RevisionId=changed["RevisionId"])["Version"] == "2"
    # publishing renews $LATEST's RevisionId: the one the update answered is stale now
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName="f", Timeout=7, RevisionId=changed["RevisionId"])
    assert refusal(exc)[:2] == ("PreconditionFailedException", 412)
    latest = lam.get_function_configuration(FunctionName="f")
    assert latest["RevisionId"] != changed["RevisionId"] and latest["Timeout"] == 6
    changed = make_zip({"app.py": ECHO + "\n# changed\n"})
    assert lam.update_function_code(FunctionName="f", ZipFile=changed, Architectures=["arm64"])["Architectures"] == [
        "arm64"]
    assert lam.publish_version(FunctionName="f")["Version"] == "3"
    lam.update_function_code(FunctionName="f", ZipFile=changed)  # the same package again
    assert lam.publish_version(FunctionName="f")["Version"] == "3"
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="f")["Versions"]] == [
        "$LATEST", "1", "2", "3"]


def test_a_qualified_get_function_answers_for_the_version_only(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "f", Tags={"team": "a"}, Publish=True)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=5)
    whole = lam.get_function(FunctionName="f")
    assert whole["Tags"] == {"team": "a"} and whole["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    for kwargs in ({"Qualifier": "1"}, {"Qualifier": "$LATEST"}):
        version = lam.get_function(FunctionName="f", **kwargs)
        assert "Tags" not in version and "Concurrency" not in version
        assert version["Code"]["RepositoryType"] == "S3"


def test_recursion_config_is_kept(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "f")
    assert lam.get_function_recursion_config(FunctionName="f")["RecursiveLoop"] == "Terminate"
    assert lam.put_function_recursion_config(FunctionName="f", RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert lam.get_function_recursion_config(FunctionName=f"{ARN}f")["RecursiveLoop"] == "Allow"
    with pytest.raises(ClientError) as exc:
        lam.get_function_recursion_config(FunctionName="missing")
    assert refusal(exc) == ("ResourceNotFoundException", 404, f"Function not found: {ARN}missing")
    with pytest.raises(ClientError) as exc:
        lam.put_function_recursion_config(FunctionName="f", RecursiveLoop="Sometimes")
    assert refusal(exc)[:2] == ("ValidationException", 400)
