"""SQS operations (placeholder until the engine lands)."""

from __future__ import annotations

from cloudlet.services.base import Service


class SQS(Service):
    name = "sqs"
