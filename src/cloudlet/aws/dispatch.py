"""The AWS API request path: identify, authenticate, parse, validate, run, serialize."""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING

import orjson

from cloudlet.aws import ids, models, protocols
from cloudlet.aws.context import RequestContext
from cloudlet.aws.errors import AWSError, internal_failure
from cloudlet.aws.http import HttpRequest, HttpResponse
from cloudlet.aws.identify import Router, Target

if TYPE_CHECKING:
    from cloudlet.platform import Platform

log = logging.getLogger("cloudlet.aws")


class Dispatcher:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.router = Router(platform.service_names)
        self._handlers: dict[tuple[int, str], tuple] = {}

    async def handle(self, req: HttpRequest) -> HttpResponse:
        request_id = ids.request_id()
        target: Target | None = None
        ctx = RequestContext(
            self.platform.config.account_id, self.platform.config.region, request_id, http=req
        )
        try:
            target = await self._identify(req, ctx)
            ctx.service, ctx.operation, ctx.protocol = target.service, target.operation, target.protocol
            await self.platform.auth.authenticate(req, ctx)
            op = models.operation_model(target.service, target.operation)
            if op is None:
                raise _unknown_operation(target)
            protocol = protocols.get(target.protocol)
            params = protocol.parse(op, req, target.uri_params)
            service = await self.platform.service(target.service)
            service.prepare(ctx, op, params)
            service.validate(op, params)
            handler, is_coroutine = self._handler(service, target.operation)
            if is_coroutine:
                output = await handler(ctx, params)
            else:
                output = await self.platform.run_sync(handler, ctx, params)
            if isinstance(output, HttpResponse):
                return output
            return protocol.serialize(op, output, ctx)
        except AWSError as err:
            return self._error(target, err, ctx)
        except Exception:
            log.exception("internal failure in %s.%s (request %s)", ctx.service, ctx.operation, request_id)
            return self._error(target, internal_failure(), ctx)

    def _handler(self, service, operation: str):
        """The bound method serving an operation and whether it is a coroutine (cached)."""
        key = (id(service), operation)
        found = self._handlers.get(key)
        if found is None:
            handler = service.handler(operation)
            if handler is None:
                raise AWSError(
                    "NotImplemented", f"{operation} is not yet supported by cloudlet.", 501, sender_fault=False
                )
            found = self._handlers[key] = (handler, inspect.iscoroutinefunction(handler))
        return found

    async def _identify(self, req: HttpRequest, ctx: RequestContext) -> Target:
        try:
            return self.router.identify(req)
        except AWSError:
            # In strict mode an unauthenticated caller learns nothing about routing.
            if self.platform.auth.mode == "strict":
                await self.platform.auth.authenticate(req, ctx)
            raise

    def _error(self, target: Target | None, err: AWSError, ctx: RequestContext) -> HttpResponse:
        if target is None:
            body = orjson.dumps({"__type": err.code, "message": err.message})
            return HttpResponse(
                err.status,
                {
                    "Content-Type": "application/json",
                    "x-amzn-RequestId": ctx.request_id,
                    "x-amzn-ErrorType": err.code,
                },
                body,
            )
        service = models.service_model(target.service)
        return protocols.get(target.protocol).serialize_error(service, err, ctx)


def _unknown_operation(target: Target) -> AWSError:
    if target.protocol == "query":
        return AWSError(
            "InvalidAction", f"The action {target.operation} is not valid for this endpoint.", 400
        )
    return AWSError("UnknownOperationException", f"Unknown operation {target.operation}", 400)
