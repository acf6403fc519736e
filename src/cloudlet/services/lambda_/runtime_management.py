"""Runtime management: Get/PutRuntimeManagementConfig and the RuntimeVersionConfig of a version.

cloudlet runs one runtime version per runtime identifier (compute/runtimes: `runtime_version`), so the
update modes change nothing that runs; what they change is which runtime version ARN the function
reports, in GetFunctionConfiguration's RuntimeVersionConfig and in its INIT_START lines: the runtime's
own ARN, or with UpdateRuntimeOn Manual the ARN the request pinned. The setting lives in the version's
document (`_runtime_management`), so a published version keeps the one $LATEST had.
"""

from __future__ import annotations

import uuid

from cloudlet.compute.runtimes import runtime_version_arn
from cloudlet.services.lambda_ import errors
from cloudlet.services.lambda_.registry import LATEST

KEY = "_runtime_management"


def version_config(doc: dict) -> dict:
    """The RuntimeVersionConfig a version document reports."""
    setting = doc.get(KEY) or {}
    if setting.get("UpdateRuntimeOn") == "Manual":
        return {"RuntimeVersionArn": setting["RuntimeVersionArn"]}
    region = doc["FunctionArn"].split(":")[3]
    return {"RuntimeVersionArn": runtime_version_arn(region, doc["Runtime"])}


def describe(doc: dict) -> dict:
    """Get/PutRuntimeManagementConfig's answer for a version document (Auto when never set)."""
    setting = doc.get(KEY) or {"UpdateRuntimeOn": "Auto"}
    out = {"UpdateRuntimeOn": setting["UpdateRuntimeOn"], "FunctionArn": doc["FunctionArn"]}
    if "RuntimeVersionArn" in setting:
        out["RuntimeVersionArn"] = setting["RuntimeVersionArn"]
    return out


def check(params: dict) -> dict:
    """The setting a PutRuntimeManagementConfig request asks for: a runtime version ARN with Manual only."""
    mode, arn = params["UpdateRuntimeOn"], params.get("RuntimeVersionArn")
    if mode == "Manual" and not arn:
        raise errors.invalid("RuntimeVersionArn must be specified when UpdateRuntimeOn is Manual.")
    if mode != "Manual" and arn:
        raise errors.invalid(f"RuntimeVersionArn can only be specified when UpdateRuntimeOn is Manual, not {mode}.")
    return {"UpdateRuntimeOn": mode, **({"RuntimeVersionArn": arn} if arn else {})}


class RuntimeManagementOps:
    """The two operations, mixed into the Lambda service."""

    def _runtime_ref(self, ctx, params: dict):
        ref = self._ref(ctx, params, qualified=True)
        qualifier = ref.qualifier or LATEST
        if qualifier != LATEST and not qualifier.isdigit():  # versions only: an alias has no runtime of its own
            raise errors.function_not_found(ref.qualified_arn(qualifier))
        return ref, qualifier

    def get_runtime_management_config(self, ctx, params: dict) -> dict:
        ref, qualifier = self._runtime_ref(ctx, params)
        doc = self.registry.get_version(ref, qualifier)
        if doc is None:
            raise errors.function_not_found(ref.qualified_arn(qualifier) if ref.qualifier else ref.arn)
        return describe(doc)

    def put_runtime_management_config(self, ctx, params: dict) -> dict:
        ref, qualifier = self._runtime_ref(ctx, params)
        setting = check(params)

        def change(doc: dict) -> dict:
            doc[KEY] = setting
            doc["RuntimeVersionConfig"] = version_config(doc)
            doc["_config_rev"] = str(uuid.uuid4())  # new environments start with the runtime version it names
            return doc

        doc = self.registry.update_version(ref, qualifier, change)
        self.runner.retire(ref.account_id, ref.name)
        return describe(doc)
