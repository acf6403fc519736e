"""url_access.py: which resource-policy statements let a caller through a function URL."""

from __future__ import annotations

from cloudlet.services.lambda_.url_access import may_invoke


def statement(action, principal="*", condition=None, effect="Allow") -> dict:
    out = {"Sid": action, "Effect": effect, "Principal": principal, "Action": action, "Resource": "arn"}
    if condition:
        out["Condition"] = condition
    return out


URL_NONE = statement("lambda:InvokeFunctionUrl", condition={"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}})
VIA_URL = statement("lambda:InvokeFunction", condition={"Bool": {"lambda:InvokedViaFunctionUrl": "true"}})


def test_both_actions_are_needed():
    assert may_invoke([URL_NONE, VIA_URL], "NONE")
    assert not may_invoke([URL_NONE], "NONE")
    assert not may_invoke([VIA_URL], "NONE")
    assert not may_invoke([], "NONE")


def test_conditions_are_read_for_the_url_request():
    assert not may_invoke([URL_NONE, VIA_URL], "AWS_IAM")  # the auth type condition names NONE
    unconditioned = [statement("lambda:InvokeFunctionUrl"), statement("lambda:InvokeFunction")]
    assert may_invoke(unconditioned, "NONE") and may_invoke(unconditioned, "AWS_IAM")
    like = statement("lambda:InvokeFunctionUrl", condition={"StringLike": {"lambda:FunctionUrlAuthType": "N*"}})
    assert may_invoke([like, VIA_URL], "NONE")
    # keys a URL request does not carry never hold
    source = statement("lambda:InvokeFunction", condition={"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}})
    assert not may_invoke([URL_NONE, source], "NONE")
    account = statement("lambda:InvokeFunction", condition={"StringEquals": {"AWS:SourceAccount": "1"}})
    assert not may_invoke([URL_NONE, account], "NONE")
    listed = statement("lambda:InvokeFunctionUrl", condition={"StringEquals": {
        "lambda:FunctionUrlAuthType": ["AWS_IAM", "NONE"]}})
    assert may_invoke([listed, VIA_URL], "NONE")


def test_wildcard_actions_and_lists():
    assert may_invoke([statement("lambda:*")], "NONE")
    assert may_invoke([statement(["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"])], "NONE")
    assert not may_invoke([statement("lambda:GetFunction"), VIA_URL], "NONE")
    assert not may_invoke([statement("lambda:*", effect="Deny")], "NONE")


def test_principals():
    caller = {"arn:aws:iam::222222222222:root", "222222222222"}
    for principal in ({"AWS": "arn:aws:iam::222222222222:root"}, {"AWS": ["x", "222222222222"]}, {"AWS": "*"}):
        assert may_invoke([statement("lambda:*", principal)], "AWS_IAM", caller), principal
    assert not may_invoke([statement("lambda:*", {"AWS": "arn:aws:iam::333333333333:root"})], "AWS_IAM", caller)
    assert not may_invoke([statement("lambda:*", {"Service": "s3.amazonaws.com"})], "NONE")
    assert not may_invoke([statement("lambda:*", {"AWS": "222222222222"})], "NONE")  # anonymous is no account
