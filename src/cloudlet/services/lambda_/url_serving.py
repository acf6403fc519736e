"""Serving function URLs: find the URL, answer CORS preflights, authorize, invoke, map the answer.

Requests arrive from the edge in two forms: the host form `<url-id>.lambda-url.<region>.<anything>`
(any path) and the path form `/_cloudlet/lambda-url/<url-id>/<path>` on the server's own address,
which needs no DNS. The function runs on the Invoke path (`resolve`, `run_sync_invocation`), so
aliases with routing weights, concurrency limits and throttling, logs and metering all apply.

Answers for what fails, as Lambda's URL front end gives them: an unknown URL → 403
`{"Message":null}`; a caller the policy does not allow → 403 `{"Message":"Forbidden. For
troubleshooting Function URL authorization issues, see: …"}`; an unsigned request to an AWS_IAM URL →
403 `{"Message":"Forbidden"}`; a bad signature → 403 with the signature
error's message; an event over 6 MB → 413; throttling → 429 `{"Message":"Rate Exceeded."}`; a
function error, timeout or crash, or an answer that cannot be an HTTP response → 502
`Internal Server Error`.
"""

from __future__ import annotations

import logging
import secrets
import time

import orjson

from cloudlet.aws import ids
from cloudlet.aws.context import RequestContext
from cloudlet.aws.errors import AWSError
from cloudlet.aws.http import HttpRequest, HttpResponse
from cloudlet.compute.model import InvocationMeta
from cloudlet.services.lambda_ import url_access, url_cors
from cloudlet.services.lambda_.function_urls import UrlTarget
from cloudlet.services.lambda_.registry import LATEST, Ref
from cloudlet.services.lambda_.url_events import MalformedResponse, http_response, request_event
from cloudlet.services.lambda_.url_routing import host_name, locate

log = logging.getLogger("cloudlet.lambda")

EVENT_LIMIT = 6 * 1024 * 1024
FORBIDDEN = ("Forbidden. For troubleshooting Function URL authorization issues, see: "
             "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html")


class UrlServer:
    """Answers function URL requests for the Lambda service it belongs to."""

    def __init__(self, service) -> None:
        self.service = service
        self.platform = service.platform

    async def serve(self, req: HttpRequest) -> HttpResponse:
        request_id = ids.request_id()
        url_id, raw_path, region = locate(req)
        target = await self.platform.run_sync(self.service.urls.find, url_id) if url_id else None
        if target is None or region not in (None, target.ref.region):  # a URL answers in its own region only
            return _message(request_id, 403, None, "AccessDeniedException")
        cors = target.config.get("Cors")
        origin = req.headers.get("origin", "")
        if cors and url_cors.is_preflight(req.method, req.headers):
            headers = {"x-amzn-RequestId": request_id, **url_cors.preflight_headers(cors, origin)}
            return HttpResponse(200, headers, b"")
        try:
            response = await self._invoke(req, target, request_id, raw_path, region is not None)
        except AWSError as err:
            response = _message(request_id, err.status, err.message, err.code)
        if cors:
            response.headers.update(url_cors.response_headers(cors, origin))
        return response

    async def _invoke(self, req: HttpRequest, target: UrlTarget, request_id: str, raw_path: str,
                      host_form: bool) -> HttpResponse:
        ref = target.ref
        authorizer = await self._authorize(req, target, request_id)
        domain = host_name(req.host) if host_form else f"{target.url_id}.lambda-url.{ref.region}.localhost"
        trace = req.headers.get("x-amzn-trace-id", "")
        root = "" if trace else f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"
        event = request_event(req, url_id=target.url_id, domain=domain, account_id=ref.account_id,
                              raw_path=raw_path, request_id=request_id, authorizer=authorizer,
                              port=_port(req.host) or self.platform.config.port, trace_root=root)
        payload = orjson.dumps(event)
        if len(payload) > EVENT_LIMIT:
            return _message(request_id, 413, f"Request must be smaller than {EVENT_LIMIT} bytes for the "
                            "InvokeFunction operation", "RequestEntityTooLargeException")
        doc, version = await self.service.resolve(ref)
        meta = InvocationMeta(request_id=request_id, invoked_function_arn=ref.qualified_arn(),
                              trace_id=trace or f"{root};Parent={secrets.token_hex(8)};Sampled=0")
        result = await self.service.run_sync_invocation(ref, doc, payload, meta)
        if result.function_error:
            return _bad_gateway(request_id)
        try:
            response = http_response(result.payload)
        except MalformedResponse as exc:
            log.info("function URL %s: %s answered a malformed response: %s", target.url_id, ref.name, exc)
            return _bad_gateway(request_id)
        response.headers["x-amzn-RequestId"] = request_id
        response.headers["X-Amz-Executed-Version"] = version
        return response

    async def _authorize(self, req: HttpRequest, target: UrlTarget, request_id: str) -> dict | None:
        """Check the caller; returns the event's `authorizer` (AWS_IAM) or None. AWSError 403 refuses."""
        ref, auth_type = target.ref, target.config["AuthType"]
        function = Ref(ref.account_id, ref.region, ref.name)
        holder, _revision = await self.platform.run_sync(self.service.registry.policy, function,
                                                         ref.qualifier or LATEST)
        statements = holder.get("statements", [])
        if auth_type == "NONE":
            if not url_access.may_invoke(statements, auth_type):
                raise _forbidden()
            return None
        ctx = RequestContext(ref.account_id, ref.region, request_id, service="lambda", protocol="rest-json",
                             http=req)
        try:
            await self.platform.auth.authenticate(req, ctx)
        except AWSError as err:
            if err.code == "MissingAuthenticationTokenException":
                raise AWSError("AccessDeniedException", "Forbidden", 403) from None
            raise AWSError(err.code, err.message, 403) from None
        caller = ctx.extra["caller"]
        if caller.account_id != ref.account_id:
            principals = {caller.arn, caller.account_id, f"arn:aws:iam::{caller.account_id}:root"}
            if not url_access.may_invoke(statements, auth_type, principals):
                raise _forbidden()
        return {"iam": {"accessKey": caller.access_key, "accountId": caller.account_id, "callerId": caller.user_id,
                        "cognitoIdentity": None, "principalOrgId": None, "userArn": caller.arn,
                        "userId": caller.user_id}}


def _port(host: str) -> int:
    tail = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""
    return int(tail) if tail.isdigit() else 0


def _forbidden() -> AWSError:
    return AWSError("AccessDeniedException", FORBIDDEN, 403)


def _message(request_id: str, status: int, message: str | None, error_type: str) -> HttpResponse:
    return HttpResponse(status, {"Content-Type": "application/json", "x-amzn-RequestId": request_id,
                                 "x-amzn-ErrorType": error_type}, orjson.dumps({"Message": message}))


def _bad_gateway(request_id: str) -> HttpResponse:
    return HttpResponse(502, {"Content-Type": "application/json", "x-amzn-RequestId": request_id},
                        b"Internal Server Error")
