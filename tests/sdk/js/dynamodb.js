// DynamoDB through @aws-sdk/client-dynamodb, lib-dynamodb (DocumentClient) and client-dynamodb-streams.
"use strict";
const ddb = require("@aws-sdk/client-dynamodb");
const lib = require("@aws-sdk/lib-dynamodb");
const streams = require("@aws-sdk/client-dynamodb-streams");
const {unmarshall} = require("@aws-sdk/util-dynamodb");
const {recordRequests, expectError, collect, main} = require("./common");

main(async () => {
  const client = new ddb.DynamoDBClient({});
  const wire = recordRequests(client);
  const doc = lib.DynamoDBDocumentClient.from(client, {marshallOptions: {removeUndefinedValues: true}});
  const out = {};
  const created = await client.send(new ddb.CreateTableCommand({
    TableName: "orders", BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{AttributeName: "pk", AttributeType: "S"}, {AttributeName: "sk", AttributeType: "N"}],
    KeySchema: [{AttributeName: "pk", KeyType: "HASH"}, {AttributeName: "sk", KeyType: "RANGE"}],
    StreamSpecification: {StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES"},
  }));
  out.createdStatus = created.TableDescription.TableStatus;
  const waited = await ddb.waitUntilTableExists({client, maxWaitTime: 20, minDelay: 1}, {TableName: "orders"});
  out.waiter = {state: waited.state, status: waited.reason.Table.TableStatus};

  const item = {pk: "cust#1", sk: 1, name: "Ada", tags: new Set(["a", "b"]), nums: new Set([1, 2.5]),
                nested: {list: [1, "two", {three: true}], nil: null}, blob: new Uint8Array([1, 2, 3]),
                big: 12345678901234};
  await doc.send(new lib.PutCommand({TableName: "orders", Item: item}));
  const got = (await doc.send(new lib.GetCommand({TableName: "orders", Key: {pk: "cust#1", sk: 1},
                                                   ConsistentRead: true}))).Item;
  out.got = {...got, tags: [...got.tags].sort(), nums: [...got.nums].sort(), blob: Array.from(got.blob)};
  const updated = await doc.send(new lib.UpdateCommand({TableName: "orders", Key: {pk: "cust#1", sk: 1},
    UpdateExpression: "SET #n = :n, visits = if_not_exists(visits, :zero) + :one REMOVE nested.nil",
    ExpressionAttributeNames: {"#n": "name"}, ExpressionAttributeValues: {":n": "Ada L.", ":zero": 0, ":one": 1},
    ReturnValues: "UPDATED_NEW"}));
  out.updated = updated.Attributes;
  out.conditional = await expectError(doc.send(new lib.PutCommand({TableName: "orders", Item: {pk: "cust#1", sk: 1},
    ConditionExpression: "attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure: "ALL_OLD"})));
  out.conditionalItem = await doc.send(new lib.PutCommand({TableName: "orders", Item: {pk: "cust#1", sk: 1},
    ConditionExpression: "attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure: "ALL_OLD"}))
    .catch((e) => {
      const old = e instanceof ddb.ConditionalCheckFailedException ? unmarshall(e.Item) : {};
      return {name: old.name, visits: old.visits};
    });

  await doc.send(new lib.BatchWriteCommand({RequestItems: {orders: Array.from({length: 7}, (_, i) => (
    {PutRequest: {Item: {pk: "cust#2", sk: i, n: i * 10}}}))}}));
  const batch = await doc.send(new lib.BatchGetCommand({RequestItems: {orders: {
    Keys: [{pk: "cust#2", sk: 0}, {pk: "cust#2", sk: 6}, {pk: "cust#9", sk: 0}], ProjectionExpression: "sk, n"}}}));
  out.batchGet = batch.Responses.orders.sort((a, b) => a.sk - b.sk);
  out.unprocessed = batch.UnprocessedKeys;
  out.queryPages = await collect(lib.paginateQuery({client: doc, pageSize: 3}, {TableName: "orders",
    KeyConditionExpression: "pk = :p AND sk >= :s", ExpressionAttributeValues: {":p": "cust#2", ":s": 1},
    ScanIndexForward: false}), (p) => ({count: p.Count, sks: p.Items.map((i) => i.sk), more: Boolean(p.LastEvaluatedKey)}));
  out.scanTotal = (await collect(ddb.paginateScan({client, pageSize: 4}, {TableName: "orders"}),
                                 (p) => p.Count)).reduce((a, b) => a + b, 0);
  out.transactError = await doc.send(new lib.TransactWriteCommand({TransactItems: [
    {Put: {TableName: "orders", Item: {pk: "cust#3", sk: 0}}},
    {ConditionCheck: {TableName: "orders", Key: {pk: "cust#2", sk: 0}, ConditionExpression: "n = :x",
                      ExpressionAttributeValues: {":x": 99}}},
  ]})).then(() => null, (e) => ({name: e.name, status: e.$metadata.httpStatusCode,
                                  reasons: e.CancellationReasons.map((r) => r.Code)}));
  out.transactLeftNothing = (await doc.send(new lib.GetCommand({TableName: "orders", Key: {pk: "cust#3", sk: 0}})))
    .Item === undefined ? "absent" : "present";
  out.missingTable = await expectError(client.send(new ddb.DescribeTableCommand({TableName: "nope"})));
  out.validation = await expectError(doc.send(new lib.GetCommand({TableName: "orders", Key: {pk: "cust#1"}})));

  const desc = (await client.send(new ddb.DescribeTableCommand({TableName: "orders"}))).Table;
  const sc = new streams.DynamoDBStreamsClient({});
  const stream = (await sc.send(new streams.DescribeStreamCommand({StreamArn: desc.LatestStreamArn}))).StreamDescription;
  const iterator = (await sc.send(new streams.GetShardIteratorCommand({StreamArn: desc.LatestStreamArn,
    ShardId: stream.Shards[0].ShardId, ShardIteratorType: "TRIM_HORIZON"}))).ShardIterator;
  const records = (await sc.send(new streams.GetRecordsCommand({ShardIterator: iterator}))).Records;
  out.stream = {view: stream.StreamViewType, first: records.slice(0, 2).map((r) => ({
    event: r.eventName, keys: r.dynamodb.Keys, newName: r.dynamodb.NewImage && r.dynamodb.NewImage.name,
    oldName: r.dynamodb.OldImage && r.dynamodb.OldImage.name, created: r.dynamodb.ApproximateCreationDateTime instanceof Date}))};

  await client.send(new ddb.DeleteTableCommand({TableName: "orders"}));
  const gone = await ddb.waitUntilTableNotExists({client, maxWaitTime: 20, minDelay: 1}, {TableName: "orders"});
  out.deleted = gone.state;
  out.wire = wire[0];
  return out;
});
