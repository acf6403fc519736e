// Lambda through @aws-sdk/client-lambda: create, waiters, invoke (sync, async, streamed), versions, aliases,
// paginators and errors; then a function that itself uses the bundled SDK against DynamoDB and SQS.
"use strict";
const fs = require("fs");
const lambda = require("@aws-sdk/client-lambda");
const ddb = require("@aws-sdk/client-dynamodb");
const sqs = require("@aws-sdk/client-sqs");
const {expectError, collect, main} = require("./common");

const ROLE = "arn:aws:iam::000000000000:role/lambda-role";
const decode = (bytes) => JSON.parse(Buffer.from(bytes).toString("utf8"));
const encode = (value) => Buffer.from(JSON.stringify(value));

main(async () => {
  const client = new lambda.LambdaClient({});
  const zip = fs.readFileSync(process.argv[2]);
  const out = {};
  const create = (name, handler) => client.send(new lambda.CreateFunctionCommand({FunctionName: name,
    Runtime: "nodejs20.x", Role: ROLE, Handler: handler, Code: {ZipFile: zip}, Timeout: 10}));
  const created = await create("app", "app.handler");
  out.created = {state: created.State, runtime: created.Runtime, arn: created.FunctionArn};
  const active = await lambda.waitUntilFunctionActiveV2({client, maxWaitTime: 30, minDelay: 1}, {FunctionName: "app"});
  out.active = {state: active.state, fnState: active.reason.Configuration.State};
  await create("echo", "app.echo");
  await create("fail", "app.fail");
  await lambda.waitUntilFunctionActiveV2({client, maxWaitTime: 30, minDelay: 1}, {FunctionName: "fail"});

  const echoed = await client.send(new lambda.InvokeCommand({FunctionName: "echo", Payload: encode({a: [1, "ü"]}),
                                                              LogType: "Tail"}));
  out.echo = {status: echoed.StatusCode, http: echoed.$metadata.httpStatusCode, payload: decode(echoed.Payload),
              version: echoed.ExecutedVersion, error: echoed.FunctionError ?? null,
              log: Buffer.from(echoed.LogResult, "base64").toString("utf8")};
  const failed = await client.send(new lambda.InvokeCommand({FunctionName: "fail", Payload: encode({})}));
  const failure = decode(failed.Payload);
  out.fail = {status: failed.StatusCode, error: failed.FunctionError, type: failure.errorType,
              message: failure.errorMessage};
  const queued = await client.send(new lambda.InvokeCommand({FunctionName: "echo", InvocationType: "Event",
                                                              Payload: encode({})}));
  out.event = {status: queued.StatusCode, http: queued.$metadata.httpStatusCode};
  const dry = await client.send(new lambda.InvokeCommand({FunctionName: "echo", InvocationType: "DryRun"}));
  out.dryRun = dry.StatusCode;

  const streamed = await client.send(new lambda.InvokeWithResponseStreamCommand({FunctionName: "echo",
    Payload: encode({streamed: true})}));
  const chunks = [];
  const kinds = [];
  let complete = null;
  for await (const event of streamed.EventStream) {
    kinds.push(Object.keys(event)[0]);
    if (event.PayloadChunk) chunks.push(Buffer.from(event.PayloadChunk.Payload));
    if (event.InvokeComplete) complete = event.InvokeComplete;
  }
  out.stream = {status: streamed.StatusCode, kinds: [...new Set(kinds)], payload: decode(Buffer.concat(chunks)),
                complete: {errorCode: complete.ErrorCode ?? null, details: complete.ErrorDetails ?? null}};

  await client.send(new lambda.UpdateFunctionConfigurationCommand({FunctionName: "echo",
    Environment: {Variables: {GREETING: "hi"}}}));
  const updated = await lambda.waitUntilFunctionUpdatedV2({client, maxWaitTime: 30, minDelay: 1},
                                                          {FunctionName: "echo"});
  out.updated = {state: updated.state, status: updated.reason.Configuration.LastUpdateStatus};
  const version = await client.send(new lambda.PublishVersionCommand({FunctionName: "echo"}));
  await client.send(new lambda.CreateAliasCommand({FunctionName: "echo", Name: "live",
                                                   FunctionVersion: version.Version}));
  const viaAlias = await client.send(new lambda.InvokeCommand({FunctionName: "echo", Qualifier: "live",
                                                               Payload: encode(1)}));
  out.alias = {version: version.Version, executed: viaAlias.ExecutedVersion, payload: decode(viaAlias.Payload)};
  out.pages = await collect(lambda.paginateListFunctions({client, pageSize: 2}, {}),
                            (p) => p.Functions.map((f) => f.FunctionName));
  out.missing = await expectError(client.send(new lambda.GetFunctionCommand({FunctionName: "nope"})));
  out.missingIsClass = await client.send(new lambda.GetFunctionCommand({FunctionName: "nope"}))
    .catch((e) => e instanceof lambda.ResourceNotFoundException);
  out.conflict = await expectError(create("echo", "app.echo"));

  // a throttled invoke (no concurrency reserved) is retried by the SDK's standard retry strategy
  await client.send(new lambda.PutFunctionConcurrencyCommand({FunctionName: "fail", ReservedConcurrentExecutions: 0}));
  const retrying = new lambda.LambdaClient({maxAttempts: 2, retryMode: "standard"});
  out.throttled = await retrying.send(new lambda.InvokeCommand({FunctionName: "fail"})).then(() => null, (e) => ({
    name: e.name, status: e.$metadata.httpStatusCode, attempts: e.$metadata.attempts, reason: e.Reason,
    retried: e.$metadata.totalRetryDelay > 0, type: e.Type}));

  // the function below reaches DynamoDB and SQS through AWS_ENDPOINT_URL, which cloudlet sets
  const table = new ddb.DynamoDBClient({});
  await table.send(new ddb.CreateTableCommand({TableName: "things", BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{AttributeName: "pk", AttributeType: "S"}],
    KeySchema: [{AttributeName: "pk", KeyType: "HASH"}]}));
  await ddb.waitUntilTableExists({client: table, maxWaitTime: 20, minDelay: 1}, {TableName: "things"});
  const queues = new sqs.SQSClient({});
  const {QueueUrl} = await queues.send(new sqs.CreateQueueCommand({QueueName: "things"}));
  const app = await client.send(new lambda.InvokeCommand({FunctionName: "app", LogType: "Tail",
    Payload: encode({table: "things", queue: "things", id: "t-1"})}));
  out.app = {error: app.FunctionError ?? null, payload: decode(app.Payload),
             log: Buffer.from(app.LogResult, "base64").toString("utf8")};
  await create("esm", "esm.handler");
  await lambda.waitUntilFunctionActiveV2({client, maxWaitTime: 30, minDelay: 1}, {FunctionName: "esm"});
  const esm = await client.send(new lambda.InvokeCommand({FunctionName: "esm"}));
  out.esm = {error: esm.FunctionError ?? null, payload: decode(esm.Payload)};
  const message = await queues.send(new sqs.ReceiveMessageCommand({QueueUrl, WaitTimeSeconds: 1}));
  out.appMessage = message.Messages.map((m) => ({id: m.MessageId, body: JSON.parse(m.Body)}));
  return out;
});
