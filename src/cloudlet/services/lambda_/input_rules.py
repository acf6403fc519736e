"""Request rules Lambda checks before it looks anything up, in Lambda's words.

The generic model validation would word these differently (one problem per map entry) or not
check them at all (patterns of nested members, members that are each optional but not all).
"""

from __future__ import annotations

import functools
import re

from botocore.model import OperationModel

from cloudlet.aws.validate import InputValidationError
from cloudlet.services.lambda_ import errors
from cloudlet.services.lambda_.configuration import DEPRECATED_RUNTIMES

_WEIGHT_KEYS = re.compile(r"[0-9]+")
_KEY_RULES = ("Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must "
              "have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, "
              "Member must not be null]")
_VALUE_RULES = ("Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must "
                "have value greater than or equal to 0.0, Member must not be null]")
_EVENT_INVOKE_OPS = ("PutFunctionEventInvokeConfig", "UpdateFunctionEventInvokeConfig")
_EVENT_INVOKE_SETTINGS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
# operations none of these rules concern (the invocations: the hot path)
_UNCONCERNED = frozenset(("Invoke", "InvokeAsync", "InvokeWithResponseStream"))


def check(op: OperationModel, params: dict) -> None:
    """Raise the error Lambda answers for `params` of `op`, if any of these rules is broken."""
    if op.name in _UNCONCERNED:
        return
    _check_enum_lists(op, params)
    _check_layer_arns(op, params.get("Layers"))
    position = params.get("StartingPosition")
    if "StartingPosition" in op.input_shape.members and isinstance(position, str) \
            and position not in _enum(op, "StartingPosition"):  # Lambda lists the positions in its own order
        raise InputValidationError([("startingPosition", position, "Member must satisfy enum value set: "
                                     "[LATEST, AT_TIMESTAMP, TRIM_HORIZON]")])
    _check_weights(params.get("RoutingConfig"))
    if "LayerName" in op.input_shape.members and isinstance(params.get("VersionNumber"), int) \
            and params["VersionNumber"] < 1:
        raise errors.invalid("Layer Version Cannot be less than 1")
    if op.name in _EVENT_INVOKE_OPS:
        if not any(params.get(key) is not None for key in _EVENT_INVOKE_SETTINGS):
            raise errors.invalid("You must specify at least one of error handling or destination setting.")
        _check_destination_arns(op, params.get("DestinationConfig"))


def _check_enum_lists(op: OperationModel, params: dict) -> None:
    """Runtimes and architectures: Lambda names the whole value and lists the runtimes it accepts today."""
    members = op.input_shape.members
    runtime = params.get("Runtime")
    if "Runtime" in members and isinstance(runtime, str) and runtime not in _enum(op, "Runtime"):
        raise errors.invalid(f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum "
                             f"value set: [{', '.join(_current_runtimes(op))}] or be a valid ARN")
    problems = []
    runtimes = params.get("CompatibleRuntimes")
    if "CompatibleRuntimes" in members and isinstance(runtimes, list) and \
            any(r not in _enum(op, "CompatibleRuntimes") for r in runtimes):
        problems.append(("compatibleRuntimes", runtimes,
                         f"Member must satisfy enum value set: [{', '.join(_current_runtimes(op))}]"))
    for name, path, tail in (("Architectures", "architectures", ", Member must not be null"),
                             ("CompatibleArchitectures", "compatibleArchitectures", "")):
        given = params.get(name)
        if name in members and isinstance(given, list) and any(a not in _enum(op, name) for a in given):
            problems.append((path, given, "Member must satisfy constraint: [Member must satisfy enum value set: "
                                          f"[{', '.join(_enum(op, name))}]{tail}]"))
    if problems:
        raise InputValidationError(problems)


@functools.cache
def _enum(op: OperationModel, name: str) -> tuple[str, ...]:
    shape = op.input_shape.members[name]
    return tuple((shape.member if shape.type_name == "list" else shape).enum)


@functools.cache
def _current_runtimes(op: OperationModel) -> tuple[str, ...]:
    """The runtimes Lambda accepts for new code (the model's, less the deprecated ones)."""
    name = "Runtime" if "Runtime" in op.input_shape.members else "CompatibleRuntimes"
    return tuple(r for r in _enum(op, name) if r not in DEPRECATED_RUNTIMES and r != "custom")


def _check_layer_arns(op: OperationModel, arns) -> None:
    """Layer version ARNs: one that breaks the pattern (a layer ARN without its version) names the whole list."""
    if "Layers" not in op.input_shape.members or not isinstance(arns, list):
        return
    member = op.input_shape.members["Layers"].member.metadata
    pattern = re.compile(member["pattern"])
    if any(not isinstance(a, str) or not member["min"] <= len(a) <= member["max"] or not pattern.fullmatch(a)
           for a in arns):
        raise InputValidationError([("layers", arns, "Member must satisfy constraint: [Member must have length less "
                                     f"than or equal to {member['max']}, Member must have length greater than or "
                                     f"equal to {member['min']}, Member must satisfy regular expression pattern: "
                                     f"{pattern.pattern}, Member must not be null]")])


def _check_weights(routing) -> None:
    """AdditionalVersionWeights: the whole map is the value Lambda names, keys before values."""
    weights = (routing or {}).get("AdditionalVersionWeights") if isinstance(routing, dict) else None
    if not isinstance(weights, dict) or not weights:
        return
    shown = {k: float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for k, v in weights.items()}
    path = "routingConfig.additionalVersionWeights"
    if any(not isinstance(k, str) or len(k) > 1024 or not _WEIGHT_KEYS.fullmatch(k) for k in weights):
        raise InputValidationError([(path, shown, _KEY_RULES)])
    if any(not isinstance(v, int | float) or isinstance(v, bool) or not 0.0 <= v <= 1.0 for v in weights.values()):
        raise InputValidationError([(path, shown, _VALUE_RULES)])


def _check_destination_arns(op: OperationModel, config) -> None:
    if not isinstance(config, dict):
        return
    pattern = _destination_pattern(op)
    for which in ("OnSuccess", "OnFailure"):
        target = (config.get(which) or {}).get("Destination")
        if isinstance(target, str) and pattern.fullmatch(target) is None:
            path = f"destinationConfig.{which[0].lower()}{which[1:]}.destination"
            raise InputValidationError([(path, target, "Member must satisfy regular expression pattern: "
                                         + pattern.pattern)])


@functools.cache
def _destination_pattern(op: OperationModel) -> re.Pattern:
    shape = op.input_shape.members["DestinationConfig"].members["OnSuccess"].members["Destination"]
    return re.compile(shape.metadata["pattern"])
