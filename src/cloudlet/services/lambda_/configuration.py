"""FunctionConfiguration documents: built from CreateFunction, changed by the Update operations."""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from datetime import UTC, datetime

import orjson
from botocore.model import OperationModel

from cloudlet.aws.validate import InputValidationError
from cloudlet.compute.model import RUNTIMES
from cloudlet.services.lambda_ import errors, logging_config, runtime_management
from cloudlet.services.lambda_.registry import LATEST, Ref

MAX_TIMEOUT = 900
MAX_MEMORY = 10240
MAX_EPHEMERAL = 10240
MAX_LAYERS = 5
ENV_LIMIT = 4096  # bytes of the variables as one compact JSON object, as Lambda measures them
RESERVED_ENV = frozenset((
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
))
# Runtimes Lambda no longer accepts for new or updated functions, and the one it recommends instead.
_NEWEST = {"python": "python3.13", "nodejs": "nodejs22.x", "java": "java21", "dotnet": "dotnet8", "go": "provided.al2023",
           "ruby": "ruby3.3"}
DEPRECATED_RUNTIMES = {
    **dict.fromkeys(("python2.7", "python3.6", "python3.7", "python3.8"), _NEWEST["python"]),
    **dict.fromkeys(("nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x",
                     "nodejs14.x", "nodejs16.x"), _NEWEST["nodejs"]),
    "java8": _NEWEST["java"], "go1.x": _NEWEST["go"],
    **dict.fromkeys(("dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6"), _NEWEST["dotnet"]),
    **dict.fromkeys(("ruby2.5", "ruby2.7"), _NEWEST["ruby"]),
}
# Settings UpdateFunctionConfiguration may change, and how each lands in the document.
UPDATABLE = ("Role", "Handler", "Description", "Timeout", "MemorySize", "Environment", "Runtime",
             "DeadLetterConfig", "EphemeralStorage", "TracingConfig", "Layers", "VpcConfig", "KMSKeyArn",
             "LoggingConfig", "SnapStart", "FileSystemConfigs")


def now_text() -> str:
    """Lambda's LastModified format: 2024-01-01T00:00:00.000+0000."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"


def check_patterns(op: OperationModel, params: dict) -> None:
    """The model's patterns for the top-level string members (names, ARNs, handler, role)."""
    problems = []
    for name, pattern in _patterns(op):
        value = params.get(name)
        if isinstance(value, str) and pattern.fullmatch(value) is None:
            problems.append((name[:1].lower() + name[1:], value,
                             f"Member must satisfy regular expression pattern: {pattern.pattern}"))
    if problems:
        raise InputValidationError(problems)


@functools.cache
def _patterns(op: OperationModel) -> tuple[tuple[str, re.Pattern], ...]:
    """An operation's top-level members with a pattern Python's re can compile (URI labels included: Lambda
    answers a malformed function name in the path with ValidationException too)."""
    found = []
    for name, shape in op.input_shape.members.items():
        pattern = shape.metadata.get("pattern")
        if pattern and shape.type_name == "string":
            try:
                found.append((name, re.compile(pattern)))
            except re.error:
                continue
    return tuple(found)


def check_settings(params: dict) -> None:
    """What the model cannot say: Lambda's ceilings, runtimes cloudlet runs, environment rules."""
    problems = []
    for path, value, ceiling in (("timeout", params.get("Timeout"), MAX_TIMEOUT),
                                 ("memorySize", params.get("MemorySize"), MAX_MEMORY),
                                 ("ephemeralStorage.size", (params.get("EphemeralStorage") or {}).get("Size"),
                                  MAX_EPHEMERAL)):
        if value is not None and value > ceiling:
            problems.append((path, value, f"Member must have value less than or equal to {ceiling}"))
    if problems:
        raise InputValidationError(problems)
    runtime = params.get("Runtime")
    if runtime in DEPRECATED_RUNTIMES:
        raise errors.invalid(f"The runtime parameter of {runtime} is no longer supported for creating or updating "
                             f"AWS Lambda functions. We recommend you use the new runtime "
                             f"({DEPRECATED_RUNTIMES[runtime]}) while creating or updating functions.")
    if runtime is not None and runtime not in RUNTIMES:
        raise errors.invalid(f"The runtime parameter of {runtime} is not supported by cloudlet. "
                             f"Supported runtimes: {', '.join(RUNTIMES)}.")
    variables = (params.get("Environment") or {}).get("Variables") or {}
    reserved = sorted(k for k in variables if k in RESERVED_ENV)
    if reserved:
        raise errors.invalid(f"Lambda was unable to configure your environment variables because the environment "
                             f"variables you have provided contains reserved keys that are currently not supported "
                             f"for modification. Reserved keys used in this request: {', '.join(reserved)}")
    measured = orjson.dumps(variables).decode()
    if len(measured.encode()) > ENV_LIMIT:
        raise errors.invalid("Lambda was unable to configure your environment variables because the environment "
                             f"variables you have provided exceeded the 4KB limit. String measured: {measured}")
    for key in variables:
        if not re.fullmatch(r"[a-zA-Z]([a-zA-Z0-9_])+", key):
            raise InputValidationError([("environment.variables", "<sensitive>",
                                         "Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+")])
    layers = params.get("Layers")
    if layers is not None:
        if len(layers) > MAX_LAYERS:
            raise errors.invalid(f"Cannot reference more than {MAX_LAYERS} layers.")
        seen: dict[str, str] = {}
        for arn in layers:
            first = seen.setdefault(arn.rsplit(":", 1)[0], arn)
            if first is not arn:
                raise errors.invalid("Two different versions of the same layer are not allowed to be referenced in "
                                     f"the same function. {first} and {arn} are versions of the same layer.")


def check_package(params: dict) -> None:
    """CreateFunction's rules for what a Zip or an Image function names (cloudlet runs Zip functions only)."""
    code = params.get("Code") or {}
    if params.get("PackageType", "Zip") == "Image":
        if any(params.get(key) for key in ("Handler", "Runtime", "Layers")):
            raise errors.invalid("Please don't provide Handler or Runtime or Layer when the intended function "
                                 "PackageType is Image.")
        if not code.get("ImageUri"):
            raise errors.invalid("Please provide ImageUri when the intended function PackageType is Image.")
        raise errors.invalid("Container images are not supported by cloudlet yet.")
    if not params.get("Runtime") or not params.get("Handler"):
        raise errors.invalid("Runtime and Handler are mandatory parameters for functions created with deployment "
                             "packages.")
    if code.get("ImageUri") and code.get("ZipFile") is None and not code.get("S3Bucket"):
        raise errors.invalid("Please provide a source for function code.")


def new_function(ref: Ref, params: dict, code: dict, layers: list[dict]) -> dict:
    """The $LATEST document of a new function; `code` holds CodeSha256/CodeSize and private code keys."""
    doc = {
        "FunctionName": ref.name,
        "FunctionArn": ref.arn,
        "Runtime": params["Runtime"],
        "Role": params["Role"],
        "Handler": params["Handler"],
        "Description": params.get("Description", ""),
        "Timeout": params.get("Timeout", 3),
        "MemorySize": params.get("MemorySize", 128),
        "Version": LATEST,
        "TracingConfig": {"Mode": (params.get("TracingConfig") or {}).get("Mode", "PassThrough")},
        "PackageType": "Zip",
        "Architectures": params.get("Architectures") or ["x86_64"],
        "EphemeralStorage": {"Size": (params.get("EphemeralStorage") or {}).get("Size", 512)},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": logging_config.default(ref.name),
    }
    doc["RuntimeVersionConfig"] = runtime_management.version_config(doc)
    variables = (params.get("Environment") or {}).get("Variables")
    if variables is not None:
        doc["Environment"] = {"Variables": variables}
    if (params.get("DeadLetterConfig") or {}).get("TargetArn"):
        doc["DeadLetterConfig"] = {"TargetArn": params["DeadLetterConfig"]["TargetArn"]}
    _set_layers(doc, layers)
    _set_accepted(doc, params)
    doc.update(code)
    return touched(doc)


def touched(doc: dict) -> dict:
    """A changed document: new RevisionId and LastModified, Active and Successful.

    The package is unpacked before the call returns, so the function is ready at once: the
    waiters (function_active_v2, function_updated_v2) succeed on their first poll."""
    doc["LastModified"] = now_text()
    doc["RevisionId"] = doc["_config_rev"] = str(uuid.uuid4())
    doc["State"] = "Active"
    doc["LastUpdateStatus"] = "Successful"
    return doc


def config_revision(doc: dict) -> str:
    """The revision of the code and configuration alone: the RevisionId also moves when the
    version's resource policy changes (Lambda keeps the two in step), this one does not."""
    return doc.get("_config_rev", doc["RevisionId"])


# What changes with every write without being part of the code or configuration a version freezes.
_NOT_PUBLISHED = frozenset(("RevisionId", "LastModified", "State", "StateReason", "StateReasonCode", "LastUpdateStatus",
                            "LastUpdateStatusReason", "LastUpdateStatusReasonCode", "_config_rev", "_published_from"))


def published_state(latest: dict) -> str:
    """A digest of $LATEST's code and configuration: PublishVersion publishes only when it differs
    from the digest the last version was published from (an update that sets the same values, or
    a policy change, is nothing new to publish)."""
    kept = {k: v for k, v in latest.items() if k not in _NOT_PUBLISHED}
    return hashlib.sha256(orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)).hexdigest()


def in_progress(doc: dict, create: bool) -> dict:
    """The document as the create/update call answers it (Lambda reports the change as started).

    $LATEST is answered with the RevisionId of that passing state: on Lambda the change completing
    (Pending to Active, InProgress to Successful) renews it, so GetFunction shows another one."""
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    if doc.get("Version") == LATEST:
        out["RevisionId"] = str(uuid.uuid4())
    if create:  # a new function (or the version a create or code update publishes) has no update status yet
        out.pop("LastUpdateStatus", None)
        out["State"], out["StateReason"], out["StateReasonCode"] = "Pending", (
            "The function is being created."), "Creating"
    else:
        out["LastUpdateStatus"], out["LastUpdateStatusReason"], out["LastUpdateStatusReasonCode"] = (
            "InProgress", "The function is being created.", "Creating")
    return out


def apply_update(doc: dict, params: dict, layers: list[dict] | None) -> dict:
    for key in ("Role", "Handler", "Description", "Timeout", "MemorySize", "Runtime"):
        if key in params:
            doc[key] = params[key]
    if "Runtime" in params:
        doc["RuntimeVersionConfig"] = runtime_management.version_config(doc)
    if "Environment" in params:
        doc["Environment"] = {"Variables": (params["Environment"] or {}).get("Variables") or {}}
    if "EphemeralStorage" in params:
        doc["EphemeralStorage"] = {"Size": params["EphemeralStorage"]["Size"]}
    if "TracingConfig" in params:
        doc["TracingConfig"] = {"Mode": params["TracingConfig"].get("Mode", "PassThrough")}
    if "DeadLetterConfig" in params:
        target = (params["DeadLetterConfig"] or {}).get("TargetArn")
        if target:
            doc["DeadLetterConfig"] = {"TargetArn": target}
        else:
            doc.pop("DeadLetterConfig", None)
    if layers is not None:
        _set_layers(doc, layers)
    _set_accepted(doc, params)
    return touched(doc)


def _set_accepted(doc: dict, params: dict) -> None:
    """Settings cloudlet keeps and returns as Lambda does but does not act on (VPC, KMS key, SnapStart,
    file systems), and the logging configuration (which it does act on)."""
    if "VpcConfig" in params:
        vpc = params["VpcConfig"] or {}
        if vpc.get("SubnetIds") or vpc.get("SecurityGroupIds"):
            doc["VpcConfig"] = {"SubnetIds": list(vpc.get("SubnetIds") or []),
                                "SecurityGroupIds": list(vpc.get("SecurityGroupIds") or []),
                                "Ipv6AllowedForDualStack": bool(vpc.get("Ipv6AllowedForDualStack", False))}
        elif "VpcConfig" in doc:  # detached: Lambda keeps an empty configuration
            doc["VpcConfig"] = {"SubnetIds": [], "SecurityGroupIds": [], "VpcId": "", "Ipv6AllowedForDualStack": False}
    if "KMSKeyArn" in params:
        if params["KMSKeyArn"]:
            doc["KMSKeyArn"] = params["KMSKeyArn"]
        else:
            doc.pop("KMSKeyArn", None)
    if "LoggingConfig" in params:
        doc["LoggingConfig"] = logging_config.merged(doc.get("LoggingConfig") or {}, params["LoggingConfig"] or {},
                                                     doc["FunctionName"])
    if "SnapStart" in params:
        doc["SnapStart"] = {"ApplyOn": (params["SnapStart"] or {}).get("ApplyOn", "None"), "OptimizationStatus": "Off"}
    if "FileSystemConfigs" in params:
        if params["FileSystemConfigs"]:
            doc["FileSystemConfigs"] = [dict(c) for c in params["FileSystemConfigs"]]
        else:
            doc.pop("FileSystemConfigs", None)


def _set_layers(doc: dict, layers: list[dict]) -> None:
    if layers:
        doc["Layers"] = [{"Arn": layer["LayerVersionArn"], "CodeSize": layer["Content"]["CodeSize"]}
                         for layer in layers]
        doc["_layers"] = [layer["_sha"] for layer in layers]
    else:
        doc.pop("Layers", None)
        doc.pop("_layers", None)


def version_of(latest: dict, number: str, ref: Ref, description: str | None) -> dict:
    """A published version: a frozen copy of $LATEST."""
    doc = dict(latest)
    doc["Version"] = number
    doc["FunctionArn"] = f"{ref.arn}:{number}"
    doc["_published_from"] = published_state(latest)
    if description is not None:
        doc["Description"] = description
    doc["RevisionId"] = doc["_config_rev"] = str(uuid.uuid4())
    doc["LastModified"] = now_text()
    return doc
