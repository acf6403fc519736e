// SQS through @aws-sdk/client-sqs: the calls an application makes, with the SDK's MD5 checks.
"use strict";
const sqs = require("@aws-sdk/client-sqs");
const {recordRequests, expectError, collect, main} = require("./common");

main(async () => {
  const client = new sqs.SQSClient({});  // endpoint, region and keys from the environment
  const wire = recordRequests(client);
  const out = {};
  const {QueueUrl: url} = await client.send(new sqs.CreateQueueCommand({
    QueueName: "orders", Attributes: {VisibilityTimeout: "5"}, tags: {team: "a"}}));
  out.url = url;
  out.getUrl = (await client.send(new sqs.GetQueueUrlCommand({QueueName: "orders"}))).QueueUrl;
  const attrs = {
    Kind: {DataType: "String", StringValue: "new ünïcode"},
    Count: {DataType: "Number", StringValue: "42"},
    Raw: {DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 255])},
    Custom: {DataType: "String.custom", StringValue: "x"},
  };
  // the SDK compares MD5OfMessageBody and MD5OfMessageAttributes with its own digests
  const sent = await client.send(new sqs.SendMessageCommand({QueueUrl: url, MessageBody: "héllo wörld",
                                                             MessageAttributes: attrs}));
  out.sent = {id: Boolean(sent.MessageId), md5Body: sent.MD5OfMessageBody, md5Attrs: sent.MD5OfMessageAttributes};
  const batch = await client.send(new sqs.SendMessageBatchCommand({QueueUrl: url, Entries: [
    {Id: "a", MessageBody: "one", MessageAttributes: {N: {DataType: "Number", StringValue: "1"}}},
    {Id: "b", MessageBody: "two"},
  ]}));
  out.batch = {ok: batch.Successful.map((e) => e.Id).sort(), failed: batch.Failed || []};
  const got = await client.send(new sqs.ReceiveMessageCommand({QueueUrl: url, MaxNumberOfMessages: 10,
    MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"], AttributeNames: ["All"],
    WaitTimeSeconds: 1}));  // SDK releases before 3.446 know only AttributeNames
  out.received = got.Messages.map((m) => ({
    body: m.Body, md5: m.MD5OfBody, receiveCount: m.Attributes.ApproximateReceiveCount,
    attrs: Object.fromEntries(Object.entries(m.MessageAttributes || {}).map(([k, v]) =>
      [k, [v.DataType, v.StringValue ?? Array.from(v.BinaryValue)]])),
  })).sort((a, b) => a.body.localeCompare(b.body));
  const first = got.Messages[0];
  out.first = first.Body;
  await client.send(new sqs.ChangeMessageVisibilityCommand({QueueUrl: url, ReceiptHandle: first.ReceiptHandle,
                                                            VisibilityTimeout: 0}));
  const deleted = await client.send(new sqs.DeleteMessageBatchCommand({QueueUrl: url,
    Entries: got.Messages.slice(1).map((m, i) => ({Id: `d${i}`, ReceiptHandle: m.ReceiptHandle}))}));
  out.deleted = deleted.Successful.length;
  const again = await client.send(new sqs.ReceiveMessageCommand({QueueUrl: url, WaitTimeSeconds: 2}));
  out.again = again.Messages.map((m) => m.Body);
  await client.send(new sqs.DeleteMessageCommand({QueueUrl: url, ReceiptHandle: again.Messages[0].ReceiptHandle}));
  const empty = await client.send(new sqs.ReceiveMessageCommand({QueueUrl: url, WaitTimeSeconds: 0}));
  out.emptyMessages = empty.Messages === undefined ? "undefined" : empty.Messages;
  const qa = await client.send(new sqs.GetQueueAttributesCommand({QueueUrl: url, AttributeNames: ["All"]}));
  out.attributes = {vt: qa.Attributes.VisibilityTimeout, arn: qa.Attributes.QueueArn,
                    visible: qa.Attributes.ApproximateNumberOfMessages};
  out.tags = (await client.send(new sqs.ListQueueTagsCommand({QueueUrl: url}))).Tags;

  const fifo = (await client.send(new sqs.CreateQueueCommand({QueueName: "steps.fifo",
    Attributes: {FifoQueue: "true", ContentBasedDeduplication: "true"}}))).QueueUrl;
  const f1 = await client.send(new sqs.SendMessageCommand({QueueUrl: fifo, MessageBody: "s1", MessageGroupId: "g"}));
  const f2 = await client.send(new sqs.SendMessageCommand({QueueUrl: fifo, MessageBody: "s1", MessageGroupId: "g"}));
  out.fifo = {dedup: f1.MessageId === f2.MessageId, seq: /^\d+$/.test(f1.SequenceNumber)};

  for (let i = 0; i < 5; i++) await client.send(new sqs.CreateQueueCommand({QueueName: `page-${i}`}));
  out.pages = await collect(sqs.paginateListQueues({client, pageSize: 2}, {QueueNamePrefix: "page-"}),
                            (p) => p.QueueUrls.map((u) => u.split("/").pop()));
  out.missing = await expectError(client.send(new sqs.GetQueueUrlCommand({QueueName: "nope"})));
  out.missingIsClass = await client.send(new sqs.GetQueueUrlCommand({QueueName: "nope"}))
    .catch((e) => e instanceof sqs.QueueDoesNotExist);
  out.badBatch = await expectError(client.send(new sqs.SendMessageBatchCommand({QueueUrl: url, Entries: [
    {Id: "same", MessageBody: "x"}, {Id: "same", MessageBody: "y"}]})));
  out.badVisibility = await expectError(client.send(new sqs.ChangeMessageVisibilityCommand({
    QueueUrl: url, ReceiptHandle: "garbage", VisibilityTimeout: 10})));
  await client.send(new sqs.PurgeQueueCommand({QueueUrl: url}));
  await client.send(new sqs.DeleteQueueCommand({QueueUrl: fifo}));
  out.afterDelete = await expectError(client.send(new sqs.GetQueueUrlCommand({QueueName: "steps.fifo"})));
  out.wire = wire.slice(0, 2);
  return out;
});
