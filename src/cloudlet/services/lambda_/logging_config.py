"""A function's LoggingConfig: its rules, how a request changes it, and what compute makes of it."""

from __future__ import annotations

import re

from cloudlet.aws.validate import InputValidationError
from cloudlet.compute.model import LogSettings
from cloudlet.services.lambda_ import errors

LOG_GROUP = re.compile(r"[\.\-_/#A-Za-z0-9]+")
LEVEL_KEYS = ("ApplicationLogLevel", "SystemLogLevel")


def default(function_name: str) -> dict:
    """The LoggingConfig of a function created without one."""
    return {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function_name}"}


def merged(current: dict, given: dict, function_name: str) -> dict:
    """The LoggingConfig after a request sets `given` over `current`; levels exist for JSON logs only
    and default to INFO. Raises the error Lambda answers for levels asked of Text logs and for a log
    group name outside the model's pattern (which the generic validation does not check)."""
    log_format = given.get("LogFormat") or current.get("LogFormat") or "Text"
    if log_format != "JSON" and any(given.get(key) for key in LEVEL_KEYS):
        raise errors.invalid('LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your '
                             'request or change the LogFormat to "Json" and try again.')
    group = given.get("LogGroup")
    if group is not None and LOG_GROUP.fullmatch(group) is None:
        raise InputValidationError([("loggingConfig.logGroup", group,
                                     f"Member must satisfy regular expression pattern: {LOG_GROUP.pattern}")])
    logging = {"LogFormat": log_format}
    if log_format == "JSON":
        for key in LEVEL_KEYS:
            logging[key] = given.get(key) or current.get(key) or "INFO"
    logging["LogGroup"] = group or current.get("LogGroup") or f"/aws/lambda/{function_name}"
    return logging


def log_settings(logging: dict) -> LogSettings:
    """compute's LogSettings for a version's LoggingConfig."""
    if logging.get("LogFormat") != "JSON":
        return LogSettings(group=logging.get("LogGroup", ""))
    return LogSettings("JSON", logging.get("ApplicationLogLevel", "INFO"), logging.get("SystemLogLevel", "INFO"),
                       logging.get("LogGroup", ""))
