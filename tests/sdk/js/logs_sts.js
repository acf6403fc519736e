// CloudWatch Logs and STS through @aws-sdk/client-cloudwatch-logs and client-sts.
"use strict";
const logs = require("@aws-sdk/client-cloudwatch-logs");
const sts = require("@aws-sdk/client-sts");
const {recordRequests, expectError, collect, main} = require("./common");

main(async () => {
  const out = {};
  const stsClient = new sts.STSClient({});
  const stsWire = recordRequests(stsClient);
  const me = await stsClient.send(new sts.GetCallerIdentityCommand({}));
  out.identity = {account: me.Account, arn: me.Arn, user: me.UserId, http: me.$metadata.httpStatusCode};
  const assumed = await stsClient.send(new sts.AssumeRoleCommand({
    RoleArn: "arn:aws:iam::000000000000:role/app", RoleSessionName: "js", DurationSeconds: 900}));
  out.assumed = {arn: assumed.AssumedRoleUser.Arn, key: assumed.Credentials.AccessKeyId.slice(0, 4),
                 expires: assumed.Credentials.Expiration instanceof Date,
                 seconds: Math.round((assumed.Credentials.Expiration - Date.now()) / 1000)};
  // the temporary credentials sign the next call
  const asRole = new sts.STSClient({credentials: {accessKeyId: assumed.Credentials.AccessKeyId,
    secretAccessKey: assumed.Credentials.SecretAccessKey, sessionToken: assumed.Credentials.SessionToken}});
  out.roleIdentity = (await asRole.send(new sts.GetCallerIdentityCommand({}))).Arn;
  out.stsWire = stsWire[0];
  out.stsError = await expectError(stsClient.send(new sts.AssumeRoleCommand({RoleArn: "arn:aws:iam::000000000000:role/app",
    RoleSessionName: "js", DurationSeconds: 60})));

  const client = new logs.CloudWatchLogsClient({});
  await client.send(new logs.CreateLogGroupCommand({logGroupName: "/app/web", tags: {env: "dev"}}));
  await client.send(new logs.CreateLogStreamCommand({logGroupName: "/app/web", logStreamName: "s1"}));
  const now = Date.now();
  await client.send(new logs.PutLogEventsCommand({logGroupName: "/app/web", logStreamName: "s1", logEvents: [
    {timestamp: now - 2, message: "first ERROR"}, {timestamp: now - 1, message: "second"},
    {timestamp: now, message: "third ERROR"}]}));
  const got = await client.send(new logs.GetLogEventsCommand({logGroupName: "/app/web", logStreamName: "s1",
                                                             startFromHead: true}));
  out.events = got.events.map((e) => e.message);
  out.forwardToken = got.nextForwardToken.startsWith("f/");
  out.filtered = (await collect(logs.paginateFilterLogEvents({client}, {logGroupName: "/app/web",
    filterPattern: "ERROR"}), (p) => p.events.map((e) => e.message))).flat();
  for (let i = 0; i < 3; i++) await client.send(new logs.CreateLogGroupCommand({logGroupName: `/app/g${i}`}));
  out.groupPages = await collect(logs.paginateDescribeLogGroups({client, pageSize: 2},
    {logGroupNamePrefix: "/app/"}), (p) => p.logGroups.map((g) => g.logGroupName));
  out.exists = await expectError(client.send(new logs.CreateLogGroupCommand({logGroupName: "/app/web"})));
  out.missing = await expectError(client.send(new logs.GetLogEventsCommand({logGroupName: "/nope",
                                                                           logStreamName: "s1"})));
  return out;
});
