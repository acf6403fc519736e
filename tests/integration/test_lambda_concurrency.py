"""Reserved and provisioned concurrency, account settings."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from lambda_helpers import create, invoke, wait_for
from polling import Window

from cloudlet.testing.pytest_plugin import CloudletHandle, start_server

INIT_TYPE = "import os\ndef handler(e, c):\n    return os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\n"


def error(exc_info) -> tuple[str, int]:
    response = exc_info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_reserved_concurrency_and_account_settings(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "r1")
    create(lam, "r2")
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000
    assert settings["AccountUsage"]["FunctionCount"] == 2
    assert settings["AccountUsage"]["TotalCodeSize"] > 0
    assert lam.get_function_concurrency(FunctionName="r1").get("ReservedConcurrentExecutions") is None
    lam.put_function_concurrency(FunctionName="r1", ReservedConcurrentExecutions=200)
    assert lam.get_function_concurrency(FunctionName="r1")["ReservedConcurrentExecutions"] == 200
    assert lam.get_function(FunctionName="r1")["Concurrency"] == {"ReservedConcurrentExecutions": 200}
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 800
    with pytest.raises(ClientError) as exc:
        lam.put_function_concurrency(FunctionName="r2", ReservedConcurrentExecutions=750)
    assert error(exc) == ("InvalidParameterValueException", 400)
    assert lam.get_function_concurrency(FunctionName="r2").get("ReservedConcurrentExecutions") is None
    lam.delete_function_concurrency(FunctionName="r1")
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000
    with pytest.raises(ClientError) as exc:
        lam.put_function_concurrency(FunctionName="missing", ReservedConcurrentExecutions=1)
    assert error(exc) == ("ResourceNotFoundException", 404)


def test_provisioned_concurrency_prewarms(cloudlet):
    lam = cloudlet.client("lambda")
    create(lam, "pc", source=INIT_TYPE, Publish=True)
    lam.create_alias(FunctionName="pc", Name="live", FunctionVersion="1")
    with pytest.raises(ClientError) as exc:
        lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="$LATEST",
                                               ProvisionedConcurrentExecutions=1)
    assert error(exc) == ("InvalidParameterValueException", 400)
    out = lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="live",
                                                 ProvisionedConcurrentExecutions=2)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert out["Status"] == "IN_PROGRESS" and out["RequestedProvisionedConcurrentExecutions"] == 2
    ready = wait_for(lambda: (c := lam.get_provisioned_concurrency_config(FunctionName="pc", Qualifier="live"))[
        "Status"] == "READY" and c, timeout=30)
    assert ready["AvailableProvisionedConcurrentExecutions"] == 2
    pool = cloudlet.platform.loaded_service("lambda").runner.pool
    assert len([e for e in pool.environments() if e.config.name == "pc" and e.provisioned]) == 2
    response, body = invoke(lam, "pc", Qualifier="live")
    assert body == "provisioned-concurrency"
    assert response["ExecutedVersion"] == "1"
    listed = lam.list_provisioned_concurrency_configs(FunctionName="pc")["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"] for c in listed] == ["arn:aws:lambda:us-east-1:000000000000:function:pc:live"]
    lam.delete_provisioned_concurrency_config(FunctionName="pc", Qualifier="live")
    with pytest.raises(ClientError) as exc:
        lam.get_provisioned_concurrency_config(FunctionName="pc", Qualifier="live")
    assert error(exc) == ("ProvisionedConcurrencyConfigNotFoundException", 404)
    wait_for(lambda: not [e for e in pool.environments() if e.config.name == "pc" and e.provisioned])


SLEEP = "import time\ndef handler(e, c):\n    time.sleep(e.get('s', 0))\n    return 'done'\n"


def test_account_limit_is_configurable_and_enforced():
    server = start_server(extra={"lambda_account_concurrency": 2})
    try:
        handle = CloudletHandle(server)
        lam = handle.client("lambda", config=BotoConfig(retries={"total_max_attempts": 1}))  # no retry of 429
        settings = lam.get_account_settings()["AccountLimit"]
        assert (settings["ConcurrentExecutions"], settings["UnreservedConcurrentExecutions"]) == (2, 2)
        create(lam, "slow", source=SLEEP, Timeout=10)

        def call(_):
            try:
                return invoke(lam, "slow", {"s": 1.5})[1]
            except ClientError as exc:
                return (exc.response["Error"]["Code"], exc.response["Reason"])
        inflight = handle.platform.loaded_service("lambda").runner.pool.inflight_account
        with ThreadPoolExecutor(3) as pool:
            first = [pool.submit(call, i) for i in range(2)]
            wait_for(lambda: inflight.get("000000000000") == 2, what="the first two invocations in flight")
            window = Window(1.5)  # each of them runs at least this long
            third = pool.submit(call, 2).result()
            window.check("the third invocation")
            results = [f.result() for f in first]
        assert results == ["done", "done"]
        assert third == ("TooManyRequestsException", "ConcurrentInvocationLimitExceeded")
    finally:
        server.stop()


def test_idle_environments_and_unused_templates_are_reaped():
    keep_alive = 1.0
    server = start_server(extra={"lambda_keep_alive_s": keep_alive, "lambda_reap_interval_s": 0.1})
    try:
        handle = CloudletHandle(server)
        lam = handle.client("lambda")
        lam.list_functions()  # services load on first use
        pool = handle.platform.loaded_service("lambda").runner.pool
        create(lam, "unused")
        wait_for(lambda: pool._zygotes.zygotes)  # the new configuration's template starts ahead
        wait_for(lambda: not pool._zygotes.zygotes, timeout=10)  # nobody invoked it: it goes
        create(lam, "used")
        invoke(lam, "used")
        window = Window(keep_alive)
        invoke(lam, "used")  # warm: the environment idles from its end, after the window's start
        with window.inside("looking for the idle environment"):
            assert pool.environments()
        wait_for(lambda: not pool.environments(), timeout=10)  # scale to zero
    finally:
        server.stop()
