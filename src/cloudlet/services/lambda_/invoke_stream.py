"""InvokeWithResponseStream and the deprecated InvokeAsync, beside Invoke and on its path.

cloudlet's runtimes answer with one buffered payload, so a streamed invocation is that payload as
one PayloadChunk event, then InvokeComplete (with ErrorCode / ErrorDetails for a function error and
LogResult for LogType=Tail), in the event stream encoding of `aws/eventstream.py`.
"""

from __future__ import annotations

import base64

import orjson

from cloudlet.aws import eventstream
from cloudlet.aws.http import HttpResponse


class InvokeStreamOps:
    """Mixed into the Lambda service (uses its `_ref`, `resolve`, `checked_payload`,
    `invocation_meta`, `run_sync_invocation`, `invoke`)."""

    async def invoke_with_response_stream(self, ctx, params: dict):
        ref = self._ref(ctx, params, qualified=True)
        payload = self.checked_payload(bytes(params.get("Payload") or b""))
        doc, version = await self.resolve(ref)
        if params.get("InvocationType") == "DryRun":
            return {"StatusCode": 204}
        meta = self.invocation_meta(ctx, ref, params)
        result = await self.run_sync_invocation(ref, doc, payload, meta)
        complete: dict = {}
        events = []
        if result.function_error:
            complete["ErrorCode"], complete["ErrorDetails"] = _error_of(result.payload, result.function_error)
        else:
            events.append(eventstream.event("PayloadChunk", result.payload))
        if meta.log_tail:
            complete["LogResult"] = base64.b64encode(result.log_tail.encode()).decode()
        events.append(eventstream.event("InvokeComplete", orjson.dumps(complete), "application/json"))
        headers = {"Content-Type": eventstream.CONTENT_TYPE, "X-Amz-Executed-Version": version,
                   "x-amzn-RequestId": ctx.request_id}
        return HttpResponse(200, headers, b"".join(events))

    async def invoke_async(self, ctx, params: dict) -> dict:
        """Deprecated, still served: an Event invocation of the function (no qualifier but a name suffix)."""
        await self.invoke(ctx, {"FunctionName": params["FunctionName"], "InvocationType": "Event",
                                "Payload": bytes(params.get("InvokeArgs") or b"")})
        return {"Status": 202}


def _error_of(payload: bytes, function_error: str) -> tuple[str, str]:
    """InvokeComplete's ErrorCode and ErrorDetails: the error document's type and message."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("errorType"), str):
        return document["errorType"], str(document.get("errorMessage", ""))
    return function_error, payload.decode("utf-8", "replace")
