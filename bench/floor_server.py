"""The floor: a bare asyncio + httptools HTTP server answering each call with a fixed valid response.

    python bench/floor_server.py PORT

It does the least any server must do (parse HTTP, pick a canned body by X-Amz-Target, write the
response), so a benchmark's ratio against it shows what cloudlet's own work costs.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys

import httptools
import orjson

BODY = "x" * 100
MD5 = hashlib.md5(BODY.encode()).hexdigest()


def canned(port: int) -> dict[str, bytes]:
    url = f"http://127.0.0.1:{port}/000000000000/bench"
    message = {
        "MessageId": "2c1b5a6e-0000-4000-8000-000000000000",
        "ReceiptHandle": "rh",
        "MD5OfBody": MD5,
        "Body": BODY,
    }
    return {
        "AmazonSQS.CreateQueue": orjson.dumps({"QueueUrl": url}),
        "AmazonSQS.GetQueueUrl": orjson.dumps({"QueueUrl": url}),
        "AmazonSQS.SendMessage": orjson.dumps({"MD5OfMessageBody": MD5, "MessageId": message["MessageId"]}),
        "AmazonSQS.SendMessageBatch": orjson.dumps(
            {
                "Successful": [
                    {"Id": str(i), "MessageId": message["MessageId"], "MD5OfMessageBody": MD5}
                    for i in range(10)
                ]
            }
        ),
        "AmazonSQS.ReceiveMessage": orjson.dumps({"Messages": [message]}),
        "AmazonSQS.DeleteMessage": b"{}",
        "AmazonSQS.PurgeQueue": b"{}",
        "DynamoDB_20120810.GetItem": orjson.dumps({"Item": {"pk": {"S": "k"}, "v": {"S": BODY}}}),
        "DynamoDB_20120810.PutItem": b"{}",
        "DynamoDB_20120810.UpdateItem": b"{}",
        "DynamoDB_20120810.Query": orjson.dumps(
            {
                "Items": [{"pk": {"S": "k"}, "sk": {"N": str(i)}} for i in range(10)],
                "Count": 10,
                "ScannedCount": 10,
            }
        ),
    }


class FloorProtocol(asyncio.Protocol):
    responses: dict[str, bytes] = {}

    def connection_made(self, transport):
        self.transport = transport
        self.parser = httptools.HttpRequestParser(self)
        self.target = ""

    def data_received(self, data):
        self.parser.feed_data(data)

    def on_message_begin(self):
        self.target = ""

    def on_header(self, name, value):
        if name.lower() == b"x-amz-target":
            self.target = value.decode()

    def on_message_complete(self):
        body = self.responses.get(self.target, b"{}")
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: r\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )


async def main(port: int) -> None:
    FloorProtocol.responses = canned(port)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(FloorProtocol, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(int(sys.argv[1])))
