// A nodejs20.x function that uses the SDK v3 the runtime provides, with no endpoint configuration.
"use strict";
const {DynamoDBClient} = require("@aws-sdk/client-dynamodb");
const {DynamoDBDocumentClient, PutCommand, GetCommand} = require("@aws-sdk/lib-dynamodb");
const {SQSClient, GetQueueUrlCommand, SendMessageCommand} = require("@aws-sdk/client-sqs");

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sqs = new SQSClient({});

exports.handler = async (event, context) => {
  await doc.send(new PutCommand({TableName: event.table, Item: {pk: event.id, by: context.functionName}}));
  const item = (await doc.send(new GetCommand({TableName: event.table, Key: {pk: event.id}}))).Item;
  const {QueueUrl} = await sqs.send(new GetQueueUrlCommand({QueueName: event.queue}));
  const sent = await sqs.send(new SendMessageCommand({QueueUrl, MessageBody: JSON.stringify(item)}));
  console.log("stored", event.id);
  return {item, messageId: sent.MessageId, sdk: require.resolve("@aws-sdk/client-sqs")};
};

exports.echo = async (event) => ({echo: event, env: process.env.GREETING || null});

exports.fail = async () => { throw new RangeError("out of range"); };
