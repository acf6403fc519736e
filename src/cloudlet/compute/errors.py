"""Errors compute/ raises to its callers (the Lambda API maps them to AWS errors)."""

from __future__ import annotations


class ComputeError(Exception):
    """Base class of every error compute/ raises on purpose."""


class InvalidCode(ComputeError):
    """A deployment package or layer was refused (the API answers InvalidParameterValueException)."""


class Throttled(ComputeError):
    """No concurrency left for this invocation (the API answers 429 TooManyRequestsException).

    `reason` is Lambda's throttle reason: ReservedFunctionConcurrentInvocationLimitExceeded,
    ConcurrentInvocationLimitExceeded or FunctionConcurrentInvocationLimitExceeded.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class SandboxUnavailable(ComputeError):
    """The sandbox backend cannot run here (bubblewrap missing or user namespaces disabled)."""
