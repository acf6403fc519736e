"""The values compute/ exchanges with its callers: function configuration, invocation, result."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace
from functools import cached_property

PYTHON_RUNTIMES = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13")
NODE_RUNTIMES = ("nodejs18.x", "nodejs20.x", "nodejs22.x")
PROVIDED_RUNTIMES = ("provided.al2", "provided.al2023", "provided")
RUNTIMES = PYTHON_RUNTIMES + NODE_RUNTIMES + PROVIDED_RUNTIMES


@dataclass(frozen=True)
class Credentials:
    """The execution role's credentials handed to the function's environment."""

    access_key_id: str
    secret_access_key: str
    session_token: str = ""


@dataclass(frozen=True)
class LogSettings:
    """A function's LoggingConfig: format ("Text" or "JSON"), the levels of JSON logs and the log group
    ("" for Lambda's default /aws/lambda/<name>)."""

    format: str = "Text"
    application_level: str = "INFO"
    system_level: str = "INFO"
    group: str = ""


@dataclass(frozen=True)
class FunctionConfig:
    """What an execution environment is built from: one published version of a function.

    `code_sha256` names a package in the CodeStore (or `code_dir` a local directory used as is,
    for development); `layers` are CodeStore hashes merged in order into /opt.
    """

    name: str
    runtime: str
    handler: str
    code_sha256: str = ""
    code_dir: str = ""
    layers: tuple[str, ...] = ()
    version: str = "$LATEST"
    account_id: str = "000000000000"
    region: str = "us-east-1"
    memory_mb: int = 128
    timeout_s: float = 3.0
    ephemeral_mb: int = 512
    environment: tuple[tuple[str, str], ...] = ()
    reserved_concurrency: int | None = None
    credentials: Credentials | None = None
    revision: str = ""  # changes whenever the configuration changes: old environments retire
    logging: LogSettings = LogSettings()
    runtime_version_arn: str = ""  # what INIT_START names ("" for the runtime's own version)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.name}"

    @property
    def qualified_arn(self) -> str:
        return f"{self.arn}:{self.version}"

    @property
    def log_group(self) -> str:
        return self.logging.group or f"/aws/lambda/{self.name}"

    @cached_property
    def key(self) -> str:
        """Environments are shared only between invocations of configs with the same key.

        Credentials are not part of it: rotating role credentials reach new environments, and
        running ones keep the credentials they started with, as on Lambda."""
        return hashlib.sha256(repr(replace(self, credentials=None)).encode()).hexdigest()[:24]


@dataclass
class InvocationMeta:
    """Per-invocation facts the Runtime API hands to the function."""

    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    trace_id: str = ""
    client_context: str = ""  # base64 JSON, as the Invoke API receives it
    cognito_identity: str = ""  # JSON
    invoked_function_arn: str = ""  # the ARN the caller used (may carry an alias)
    log_tail: bool = False


@dataclass
class Metering:
    """What one invocation cost, as Lambda bills and reports it."""

    duration_ms: float
    billed_ms: int
    memory_mb: int
    max_memory_mb: int
    init_duration_ms: float | None = None

    @property
    def gb_seconds(self) -> float:
        return self.memory_mb / 1024 * self.billed_ms / 1000


@dataclass
class InvocationResult:
    """The outcome of one invocation.

    `function_error` is None on success, else "Unhandled" (Lambda's X-Amz-Function-Error) and
    `payload` is the error document {errorMessage, errorType, stackTrace}.
    """

    request_id: str
    payload: bytes
    function_error: str | None = None
    executed_version: str = "$LATEST"
    log_tail: str = ""  # last 4 KB of this invocation's log when InvocationMeta.log_tail
    metering: Metering | None = None
    cold_start: bool = False
