"""botocore's service models, loaded once and on demand."""

from __future__ import annotations

import threading
from functools import cache

from botocore.loaders import create_loader
from botocore.model import OperationModel, ServiceModel

_lock = threading.Lock()


@cache
def _loader():
    return create_loader()


@cache
def _load(name: str) -> ServiceModel:
    data = _loader().load_service_model(name, "service-2")
    return ServiceModel(data, service_name=name)


def service_model(name: str) -> ServiceModel:
    """The botocore ServiceModel for a service name such as 'sqs' (thread-safe, cached)."""
    with _lock:
        return _load(name)


@cache
def _operations(name: str) -> dict[str, OperationModel]:
    model = service_model(name)
    return {op: model.operation_model(op) for op in model.operation_names}


def operation_model(service: str, operation: str) -> OperationModel | None:
    return _operations(service).get(operation)


def operations(service: str) -> dict[str, OperationModel]:
    """All operation models of a service, by operation name."""
    return _operations(service)
