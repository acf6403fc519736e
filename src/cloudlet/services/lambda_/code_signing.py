"""Code signing configurations: the eight operations, and CreateFunction's CodeSigningConfigArn.

Accepted, not enforced: configurations are stored, attached to functions and returned as Lambda
returns them, but no deployment package is checked against a signing profile (cloudlet has no
AWS Signer), so UntrustedArtifactOnDeployment Enforce refuses nothing. A configuration is one row of
`lambda_code_signing` (its own migration owner); which function uses which lives in the function's
meta document (`code_signing`), so it goes with the function.
"""

from __future__ import annotations

import secrets
import string

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.services.lambda_ import errors, paging
from cloudlet.services.lambda_.configuration import now_text

MIGRATIONS = ["""
    CREATE TABLE lambda_code_signing (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        id TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (account_id, region, id)
    )
"""]
_ID_CHARS = string.ascii_lowercase + string.digits


def missing(arn: str, code: str = "ResourceNotFoundException") -> AWSError:
    """A configuration that does not exist: ResourceNotFoundException, or the code an operation names for it."""
    return AWSError(code, f"The code signing configuration cannot be found. Check that the provided configuration "
                          f"is not deleted: {arn}.", 404, fields={"Type": "User"})


def _publishers(value: dict) -> dict:
    return {"SigningProfileVersionArns": list(value["SigningProfileVersionArns"])}


def _policies(value: dict | None) -> dict:
    return {"UntrustedArtifactOnDeployment": (value or {}).get("UntrustedArtifactOnDeployment", "Warn")}


class CodeSigningOps:
    """The operations, mixed into the Lambda service."""

    def _csc_id(self, ctx, arn: str, code: str = "ResourceNotFoundException") -> str:
        """The id an ARN names in this account and region (else the not-found error `code`)."""
        prefix = f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:code-signing-config:"
        if not arn.startswith(prefix):
            raise missing(arn, code)
        return arn[len(prefix):]

    def _csc(self, conn, ctx, arn: str, code: str = "ResourceNotFoundException") -> dict:
        row = conn.one("SELECT doc FROM lambda_code_signing WHERE account_id = ? AND region = ? AND id = ?",
                       (ctx.account_id, ctx.region, self._csc_id(ctx, arn, code)))
        if row is None:
            raise missing(arn, code)
        return orjson.loads(row[0])

    def _csc_put(self, conn, ctx, doc: dict) -> None:
        conn.execute("DELETE FROM lambda_code_signing WHERE account_id = ? AND region = ? AND id = ?",
                     (ctx.account_id, ctx.region, doc["CodeSigningConfigId"]))
        conn.execute("INSERT INTO lambda_code_signing (account_id, region, id, doc) VALUES (?, ?, ?, ?)",
                     (ctx.account_id, ctx.region, doc["CodeSigningConfigId"], orjson.dumps(doc).decode()))

    def _csc_users(self, ctx, arn: str) -> list[str]:
        """The ARNs of the functions using a configuration, in name order."""
        return sorted(f"arn:aws:lambda:{region}:{account}:function:{name}"
                      for account, region, name, meta in self.registry.all_meta()
                      if (account, region) == (ctx.account_id, ctx.region) and meta.get("code_signing") == arn)

    def checked_code_signing_arn(self, ctx, arn: str) -> str:
        """CreateFunction's CodeSigningConfigArn: it must name an existing configuration."""
        with self.store.read() as conn:
            self._csc(conn, ctx, arn, "CodeSigningConfigNotFoundException")
        return arn

    # -- configurations ----------------------------------------------------------------------------
    def create_code_signing_config(self, ctx, params: dict) -> dict:
        csc_id = "csc-" + "".join(secrets.choice(_ID_CHARS) for _ in range(17))
        doc = {"CodeSigningConfigId": csc_id,
               "CodeSigningConfigArn": f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:code-signing-config:{csc_id}",
               "Description": params.get("Description", ""),
               "AllowedPublishers": _publishers(params["AllowedPublishers"]),
               "CodeSigningPolicies": _policies(params.get("CodeSigningPolicies")),
               "LastModified": now_text()}
        with self.store.tx() as conn:
            self._csc_put(conn, ctx, doc)
        return {"CodeSigningConfig": doc}

    def get_code_signing_config(self, ctx, params: dict) -> dict:
        with self.store.read() as conn:
            return {"CodeSigningConfig": self._csc(conn, ctx, params["CodeSigningConfigArn"])}

    def update_code_signing_config(self, ctx, params: dict) -> dict:
        with self.store.tx() as conn:
            doc = self._csc(conn, ctx, params["CodeSigningConfigArn"])
            if "Description" in params:
                doc["Description"] = params["Description"]
            if "AllowedPublishers" in params:
                doc["AllowedPublishers"] = _publishers(params["AllowedPublishers"])
            if "CodeSigningPolicies" in params:
                doc["CodeSigningPolicies"] = _policies(params["CodeSigningPolicies"])
            doc["LastModified"] = now_text()
            self._csc_put(conn, ctx, doc)
        return {"CodeSigningConfig": doc}

    def delete_code_signing_config(self, ctx, params: dict) -> dict:
        arn = params["CodeSigningConfigArn"]
        with self.store.tx() as conn:
            doc = self._csc(conn, ctx, arn)
            if self._csc_users(ctx, arn):
                raise errors.conflict(f"The code signing configuration {arn} cannot be deleted because it is used "
                                      f"by one or more functions.")
            conn.execute("DELETE FROM lambda_code_signing WHERE account_id = ? AND region = ? AND id = ?",
                         (ctx.account_id, ctx.region, doc["CodeSigningConfigId"]))
        return {}

    def list_code_signing_configs(self, ctx, params: dict) -> dict:
        with self.store.read() as conn:
            rows = conn.all("SELECT doc FROM lambda_code_signing WHERE account_id = ? AND region = ?",
                            (ctx.account_id, ctx.region))
        docs = [orjson.loads(r[0]) for r in rows]
        return paging.page(docs, params, "CodeSigningConfigs", lambda d: d["CodeSigningConfigId"], lambda d: d)

    def list_functions_by_code_signing_config(self, ctx, params: dict) -> dict:
        arn = params["CodeSigningConfigArn"]
        with self.store.read() as conn:
            self._csc(conn, ctx, arn)
        return paging.page(self._csc_users(ctx, arn), params, "FunctionArns", lambda a: a, lambda a: a)

    # -- functions ---------------------------------------------------------------------------------
    def put_function_code_signing_config(self, ctx, params: dict) -> dict:
        ref = self._latest_ref(ctx, params)
        arn = params["CodeSigningConfigArn"]
        with self.store.tx() as conn:  # one transaction: a delete of the configuration cannot slip between
            self._csc(conn, ctx, arn, "CodeSigningConfigNotFoundException")
            self.registry.update_meta(ref, lambda meta: meta.__setitem__("code_signing", arn))
        return {"CodeSigningConfigArn": arn, "FunctionName": ref.name}

    def get_function_code_signing_config(self, ctx, params: dict) -> dict:
        ref = self._latest_ref(ctx, params)
        return {"CodeSigningConfigArn": self.registry.meta(ref).get("code_signing", ""), "FunctionName": ref.name}

    def delete_function_code_signing_config(self, ctx, params: dict) -> dict:
        ref = self._latest_ref(ctx, params)
        self.registry.update_meta(ref, lambda meta: meta.pop("code_signing", None))
        return {}
