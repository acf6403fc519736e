"""CreateFunction, GetFunction, ListFunctions, updates, DeleteFunction through boto3."""

import base64
import hashlib
import io
import shutil
import stat
import urllib.request
import zipfile

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from lambda_helpers import ECHO, ROLE, create, invoke, make_zip


def error(exc_info) -> tuple[str, int]:
    response = exc_info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_reports_pending_then_the_waiter_sees_active(cloudlet):
    lam = cloudlet.client("lambda")
    package = make_zip({"app.py": ECHO})
    out = lam.create_function(FunctionName="echo", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                              Code={"ZipFile": package}, Description="d", Timeout=5, MemorySize=256,
                              Environment={"Variables": {"AB": "1"}}, Tags={"team": "x"},
                              EphemeralStorage={"Size": 1024})
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert out["State"] == "Pending"
    assert out["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:echo"
    assert out["CodeSha256"] == base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert out["CodeSize"] == len(package)
    assert (out["Version"], out["Timeout"], out["MemorySize"], out["Description"]) == ("$LATEST", 5, 256, "d")
    assert out["Environment"] == {"Variables": {"AB": "1"}}
    assert out["EphemeralStorage"] == {"Size": 1024}
    assert out["PackageType"] == "Zip" and out["Handler"] == "app.handler" and out["Role"] == ROLE
    lam.get_waiter("function_active_v2").wait(FunctionName="echo", WaiterConfig={"Delay": 0.05, "MaxAttempts": 5})
    got = lam.get_function(FunctionName="echo")
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Configuration"]["RevisionId"] != out["RevisionId"]  # becoming Active renews it, as on Lambda
    assert got["Tags"] == {"team": "x"}
    with urllib.request.urlopen(got["Code"]["Location"], timeout=10) as response:
        assert response.read() == package
    assert lam.get_function_configuration(FunctionName="echo")["CodeSha256"] == out["CodeSha256"]


def test_code_url_refuses_forged_signatures(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "f")
    location = lam.get_function(FunctionName="f")["Code"]["Location"]
    forged = location[:-4] + ("0000" if not location.endswith("0000") else "1111")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(forged, timeout=10)
    assert exc.value.code == 403


def test_names_arns_and_partial_arns_all_resolve(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "named")
    for name in ("named", "arn:aws:lambda:us-east-1:000000000000:function:named", "000000000000:function:named"):
        assert lam.get_function_configuration(FunctionName=name)["FunctionName"] == "named"
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName="arn:aws:lambda:us-east-1:111111111111:function:named")
    assert error(exc) == ("AccessDeniedException", 403)  # another account's function, as Lambda answers


def test_create_twice_is_a_conflict_and_keeps_the_first(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "dup")
    first = lam.get_function_configuration(FunctionName="dup")
    with pytest.raises(ClientError) as exc:
        create(lam, "dup", runtime="python3.11")
    assert error(exc) == ("ResourceConflictException", 409)
    assert exc.value.response["Error"]["Message"] == "Function already exist: dup"
    assert lam.get_function_configuration(FunctionName="dup")["RevisionId"] == first["RevisionId"]


@pytest.mark.parametrize("change, code", [
    ({"MemorySize": 64}, "ValidationException"),
    ({"MemorySize": 10241}, "ValidationException"),
    ({"Timeout": 0}, "ValidationException"),
    ({"Timeout": 901}, "ValidationException"),
    ({"Role": "not-a-role"}, "ValidationException"),
    ({"Runtime": "python2.7"}, "InvalidParameterValueException"),
    ({"Runtime": "cobol"}, "InvalidParameterValueException"),  # Lambda words unknown runtimes itself
    ({"FunctionName": "bad name!"}, "ValidationException"),
    ({"EphemeralStorage": {"Size": 100}}, "ValidationException"),
    ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, "InvalidParameterValueException"),
    ({"Layers": ["arn:aws:lambda:us-east-1:000000000000:layer:nope:1"]}, "InvalidParameterValueException"),
])
def test_bad_settings_are_refused_and_nothing_is_created(cloudlet, change, code):
    lam = cloudlet.client("lambda", config=BotoConfig(parameter_validation=False, retries={"max_attempts": 1}))
    params = {"FunctionName": "bad", "Runtime": "python3.12", "Role": ROLE, "Handler": "app.handler",
              "Code": {"ZipFile": make_zip({"app.py": ECHO})}}
    params.update(change)
    with pytest.raises(ClientError) as exc:
        lam.create_function(**params)
    assert error(exc) == (code, 400)
    assert lam.list_functions()["Functions"] == []


def _link_zip(name: str, target: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, target)
    return buf.getvalue()


@pytest.mark.parametrize("package", [
    b"this is not a zip",
    make_zip({"../escape.py": "x"}),
    make_zip({"/abs.py": "x"}),
    _link_zip("app.py", "../../../etc/passwd"),
    make_zip({"bomb.bin": bytes(20 * 1024 * 1024)}),
], ids=["corrupt", "traversal", "absolute", "symlink-outside", "zip-bomb"])
def test_hostile_packages_are_invalid_parameter_values_and_store_nothing(cloudlet, package):
    lam = cloudlet.client("lambda")
    code_root = cloudlet.platform.config.data_path / "compute" / "code"
    before = set(code_root.iterdir()) if code_root.exists() else set()
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="evil", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": package})
    assert error(exc) == ("InvalidParameterValueException", 400)
    assert lam.list_functions()["Functions"] == []
    assert set(code_root.iterdir()) == before


def test_list_functions_pages_in_name_order(cloudlet):
    lam = cloudlet.client("lambda")
    names = [f"fn-{i:02d}" for i in range(7)]
    for name in reversed(names):
        create(lam, name)
    seen, marker = [], None
    while True:
        page = lam.list_functions(MaxItems=3, **({"Marker": marker} if marker else {}))
        seen += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert seen == names
    paginated = [f["FunctionName"] for p in lam.get_paginator("list_functions").paginate(
        PaginationConfig={"PageSize": 2}) for f in p["Functions"]]
    assert paginated == names


def test_update_code_and_configuration_change_revision_and_behaviour(cloudlet):
    lam = cloudlet.client("lambda")
    created = create(lam, "upd", source="def handler(e, c):\n    return 1\n")
    assert invoke(lam, "upd")[1] == 1
    new_package = make_zip({"app.py": "def handler(e, c):\n    return 2\n"})
    updated = lam.update_function_code(FunctionName="upd", ZipFile=new_package)
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["RevisionId"] != created["RevisionId"]
    assert updated["CodeSha256"] == base64.b64encode(hashlib.sha256(new_package).digest()).decode()
    lam.get_waiter("function_updated_v2").wait(FunctionName="upd", WaiterConfig={"Delay": 0.05, "MaxAttempts": 5})
    assert invoke(lam, "upd")[1] == 2
    assert lam.get_function(FunctionName="upd")["Configuration"]["RevisionId"] != updated["RevisionId"]
    conf = lam.update_function_configuration(FunctionName="upd", MemorySize=512, Timeout=30,
                                             Environment={"Variables": {"KEY": "v"}}, Description="new")
    assert (conf["MemorySize"], conf["Timeout"], conf["Description"]) == (512, 30, "new")
    assert conf["RevisionId"] != updated["RevisionId"]
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName="upd", MemorySize=1024, RevisionId=created["RevisionId"])
    assert error(exc) == ("PreconditionFailedException", 412)
    assert lam.get_function_configuration(FunctionName="upd")["MemorySize"] == 512


def test_update_with_a_hostile_package_keeps_the_old_code(cloudlet):
    lam = cloudlet.client("lambda")
    created = create(lam, "keep", source="def handler(e, c):\n    return 'old'\n")
    with pytest.raises(ClientError) as exc:
        lam.update_function_code(FunctionName="keep", ZipFile=make_zip({"../x": "y"}))
    assert error(exc) == ("InvalidParameterValueException", 400)
    assert lam.get_function_configuration(FunctionName="keep")["CodeSha256"] == created["CodeSha256"]
    assert invoke(lam, "keep")[1] == "old"


def test_delete_function_then_everything_is_not_found(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "gone")
    invoke(lam, "gone")
    assert cloudlet.platform.loaded_service("lambda").runner.pool.environments()
    out = lam.delete_function(FunctionName="gone")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204  # as Lambda answers (the model says 200)
    assert not [e for e in cloudlet.platform.loaded_service("lambda").runner.pool.environments()
                if e.config.name == "gone"]
    for call, suffix in ((lambda: lam.get_function(FunctionName="gone"), ""),
                         (lambda: lam.delete_function(FunctionName="gone"), ""),
                         (lambda: lam.invoke(FunctionName="gone"), ":$LATEST")):  # Invoke names the version
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc) == ("ResourceNotFoundException", 404)
        assert exc.value.response["Error"]["Message"] == (
            "Function not found: arn:aws:lambda:us-east-1:000000000000:function:gone" + suffix)


def test_list_functions_all_versions(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "a", Publish=True)
    create(lam, "b")
    lam.publish_version(FunctionName="b")
    lam.update_function_configuration(FunctionName="b", Description="x")
    lam.publish_version(FunctionName="b")
    everything = [(f["FunctionName"], f["Version"]) for f in lam.list_functions(FunctionVersion="ALL")["Functions"]]
    assert everything == [("a", "$LATEST"), ("a", "1"), ("b", "$LATEST"), ("b", "1"), ("b", "2")]
    paged = [(f["FunctionName"], f["Version"]) for p in lam.get_paginator("list_functions").paginate(
        FunctionVersion="ALL", PaginationConfig={"PageSize": 2}) for f in p["Functions"]]
    assert paged == everything
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["a", "b"]


NODE = "exports.handler = async (event) => ({ node: process.version.startsWith('v'), got: event.x });\n"


def test_a_nodejs_function_runs(cloudlet):
    if shutil.which("node") is None:
        pytest.skip("no node on this host")
    lam = cloudlet.client("lambda")
    create(lam, "js", runtime="nodejs22.x", files={"index.js": NODE}, Handler="index.handler")
    assert invoke(lam, "js", {"x": 3})[1] == {"node": True, "got": 3}


@pytest.mark.parametrize("change, code, status", [
    ({"MemorySize": 20000}, "ValidationException", 400),
    ({"Timeout": 1000}, "ValidationException", 400),
    ({"Runtime": "java21"}, "InvalidParameterValueException", 400),
    ({"Environment": {"Variables": {"AWS_LAMBDA_FUNCTION_NAME": "x"}}}, "InvalidParameterValueException", 400),
    ({"RevisionId": "stale", "Description": "x"}, "PreconditionFailedException", 412),
    ({"FunctionName": "missing", "Description": "x"}, "ResourceNotFoundException", 404),
])
def test_bad_updates_leave_the_configuration_intact(cloudlet, change, code, status):
    lam = cloudlet.client("lambda", config=BotoConfig(parameter_validation=False, retries={"max_attempts": 1}))
    create(lam, "intact")
    before = lam.get_function_configuration(FunctionName="intact")
    params = {"FunctionName": "intact", **change}
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(**params)
    assert error(exc) == (code, status)
    after = lam.get_function_configuration(FunctionName="intact")
    assert (after["RevisionId"], after["MemorySize"], after["Timeout"], after["Runtime"]) == (
        before["RevisionId"], before["MemorySize"], before["Timeout"], before["Runtime"])
