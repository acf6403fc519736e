// An ES module handler importing the runtime's SDK v3, as Lambda's console templates do.
import {SQSClient, ListQueuesCommand} from "@aws-sdk/client-sqs";

const sqs = new SQSClient({});

export const handler = async () => {
  const listed = await sqs.send(new ListQueuesCommand({}));
  return {queues: (listed.QueueUrls ?? []).map((url) => url.split("/").pop())};
};
