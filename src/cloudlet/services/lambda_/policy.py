"""Resource-based policies as Lambda builds them from AddPermission / AddLayerVersionPermission.

Statements are stored and returned; they are not evaluated (cloudlet has no IAM evaluation yet),
except by url_access.py for callers of function URLs.
"""

from __future__ import annotations

import re
import uuid

import orjson

from cloudlet.services.lambda_ import errors

# "*", an account, an ARN, or an AWS service principal (name.amazonaws.com, alexa-appkit.amazon.com, ...)
_VALID_PRINCIPAL = re.compile(r"\*|\d{12}|arn:.+|[a-zA-Z0-9.-]+\.(amazonaws\.com|amazon\.com)(\.cn)?")


def principal(value: str) -> dict | str:
    if value == "*":
        return "*"
    if value.isdigit() and len(value) == 12:
        return {"AWS": f"arn:aws:iam::{value}:root"}
    if value.startswith("arn:"):
        return {"AWS": value}
    return {"Service": value}


def function_statement(params: dict, resource: str) -> dict:
    if not _VALID_PRINCIPAL.fullmatch(params["Principal"]):
        raise errors.invalid("The provided principal was invalid. Please check the principal and try again.")
    statement = {"Sid": params["StatementId"], "Effect": "Allow", "Principal": principal(params["Principal"]),
                 "Action": params["Action"], "Resource": resource}
    condition: dict = {}
    if params.get("SourceAccount"):
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = params["SourceAccount"]
    if params.get("EventSourceToken"):
        condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = params["EventSourceToken"]
    if params.get("PrincipalOrgID"):
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
    if params.get("FunctionUrlAuthType"):
        condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = params["FunctionUrlAuthType"]
    if params.get("InvokedViaFunctionUrl"):
        condition.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = "true"
    if params.get("SourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": params["SourceArn"]}
    if condition:
        statement["Condition"] = condition
    return statement


def layer_statement(params: dict, resource: str) -> dict:
    statement = {"Sid": params["StatementId"], "Effect": "Allow", "Principal": principal(params["Principal"]),
                 "Action": params["Action"], "Resource": resource}
    if params.get("OrganizationId"):
        statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": params["OrganizationId"]}}
    return statement


class PolicyDoc:
    """A policy kept as {"statements": [...], "revision": id} inside a stored document.

    A layer version's policy has a revision of its own; a function's shares the RevisionId of the
    version or alias it belongs to (the registry checks and renews that one)."""

    def __init__(self, holder: dict, layer: bool = False) -> None:
        self.holder = holder
        self.layer = layer  # a layer version's policy: Lambda words its refusals differently

    def add(self, statement: dict, revision_id: str | None = None) -> None:
        self._check_revision(revision_id)
        statements = self.holder.setdefault("statements", [])
        if any(s["Sid"] == statement["Sid"] for s in statements):
            raise errors.conflict("The statement id (" + statement["Sid"] + ") provided already exists. "
                                  "Please provide a new statement id, or remove the existing statement.")
        statements.append(statement)
        self.holder["revision"] = str(uuid.uuid4())

    def remove(self, sid: str, revision_id: str | None = None) -> None:
        self._check_revision(revision_id)
        statements = self.holder.get("statements", [])
        kept = [s for s in statements if s["Sid"] != sid]
        if len(kept) == len(statements):
            raise errors.not_found(f"Statement {sid} is not found in resource policy.")
        self.holder["statements"] = kept
        self.holder["revision"] = str(uuid.uuid4())

    def _check_revision(self, revision_id: str | None) -> None:
        if revision_id and revision_id != self.holder.get("revision"):
            raise errors.precondition_failed("GetLayerPolicy" if self.layer else "GetFunction/GetAlias")

    def document(self) -> tuple[str, str]:
        """(policy JSON, RevisionId); ResourceNotFoundException when there are no statements."""
        if not self.holder.get("statements"):
            raise errors.not_found("No policy is associated with the given resource." if self.layer
                                   else "The resource you requested does not exist.")
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": self.holder["statements"]}
        return orjson.dumps(policy).decode(), self.holder["revision"]
