"""Wire-layer cost of the hot path: SQS SendMessage (awsJson 1.0) identify + parse + validate +
serialize, in microseconds per call, beside a floor measured in the same run (orjson decoding
the request body and encoding the response: the least any JSON server does). For comparison the
same for S3 GetObject (rest-xml, routed among S3's 100+ routes) and CloudWatch PutMetricData
(rpc-v2-cbor).

Run: python bench/protocols.py [iterations]
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import cbor2
import orjson

from cloudlet.aws import models, protocols
from cloudlet.aws.context import RequestContext
from cloudlet.aws.http import HttpRequest
from cloudlet.aws.identify import Router
from cloudlet.aws.validate import validate_input

BODY = orjson.dumps(
    {
        "QueueUrl": "http://127.0.0.1:4566/000000000000/orders",
        "MessageBody": '{"order": 1234, "items": ["a", "b", "c"], "total": 12.5}',
        "DelaySeconds": 0,
        "MessageAttributes": {
            "source": {"DataType": "String", "StringValue": "web"},
            "blob": {"DataType": "Binary", "BinaryValue": "aGVsbG8="},
        },
    }
)
HEADERS = {
    "host": "127.0.0.1:4566",
    "content-type": "application/x-amz-json-1.0",
    "x-amz-target": "AmazonSQS.SendMessage",
    "authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sqs/aws4_request, "
    "SignedHeaders=host;x-amz-target, Signature=00",
}
OUTPUT = {
    "MD5OfMessageBody": "0f3f7ab8b2b4ff6bbd3e4b4a0d6f8a11",
    "MD5OfMessageAttributes": "5d41402abc4b2a76b9719d911017c592",
    "MessageId": "6a1f1e3e-8f5e-4d8c-9b3a-1c2d3e4f5a6b",
}


def wire_path(router: Router, ctx: RequestContext) -> None:
    req = HttpRequest("POST", "/", "", HEADERS, BODY)
    target = router.identify(req)
    op = models.operation_model(target.service, target.operation)
    proto = protocols.get(target.protocol)
    params = proto.parse(op, req, target.uri_params)
    validate_input(op, params)
    proto.serialize(op, OUTPUT, ctx)


S3_HEADERS = {
    "host": "127.0.0.1:4566",
    "authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=00",
    "range": "bytes=0-99",
}
S3_OUTPUT = {"Body": b"x" * 100, "ContentLength": 100, "ETag": '"abc"', "ContentType": "text/plain"}
CBOR_BODY = cbor2.dumps(
    {
        "Namespace": "app",
        "MetricData": [
            {
                "MetricName": "latency",
                "Value": 12.5,
                "Unit": "Milliseconds",
                "Timestamp": dt.datetime.now(dt.UTC),
            }
        ],
    },
    datetime_as_timestamp=True,
)
CBOR_HEADERS = {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}


def request_path(router: Router, ctx: RequestContext, req: HttpRequest, output: dict) -> None:
    target = router.identify(req)
    op = models.operation_model(target.service, target.operation)
    proto = protocols.get(target.protocol)
    params = proto.parse(op, req, target.uri_params)
    validate_input(op, params)
    proto.serialize(op, output, ctx)


def floor() -> None:
    orjson.loads(BODY)
    orjson.dumps(OUTPUT)


def per_call_us(fn, n: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    return best


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    router = Router(["sqs", "sts", "s3", "lambda", "dynamodb", "cloudwatch"])
    ctx = RequestContext("000000000000", "us-east-1", "00000000-0000-0000-0000-000000000000")
    wire_path(router, ctx)  # warm caches (models, plans, routes)
    wire = per_call_us(lambda: wire_path(router, ctx), n)
    base = per_call_us(floor, n)
    print(f"SQS SendMessage identify+parse+validate+serialize: {wire:7.2f} µs/call")
    print(f"floor (orjson loads body + dumps output):          {base:7.2f} µs/call")
    print(f"ratio wire/floor: {wire / base:.1f}x   budget 200 µs/request: {wire / 200:.1%} used")
    s3 = per_call_us(
        lambda: request_path(
            router, ctx, HttpRequest("GET", "/bucket/some/key.txt", "", S3_HEADERS), S3_OUTPUT
        ),
        n // 4,
    )
    print(f"S3 GetObject (rest-xml) same path:                 {s3:7.2f} µs/call  ({s3 / base:.1f}x floor)")
    cbor = per_call_us(
        lambda: request_path(
            router,
            ctx,
            HttpRequest(
                "POST",
                "/service/GraniteServiceVersion20100801/operation/PutMetricData",
                "",
                CBOR_HEADERS,
                CBOR_BODY,
            ),
            {},
        ),
        n // 4,
    )
    print(
        f"CloudWatch PutMetricData (rpc-v2-cbor) same path:  {cbor:7.2f} µs/call  ({cbor / base:.1f}x floor)"
    )


if __name__ == "__main__":
    main()
