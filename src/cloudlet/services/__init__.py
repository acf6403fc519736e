"""One package per AWS service; REGISTRY names the class that serves each one."""

REGISTRY: dict[str, str] = {
    "dynamodb": "cloudlet.services.dynamodb.api:DynamoDB",
    "dynamodbstreams": "cloudlet.services.dynamodbstreams.api:DynamoDBStreams",
    "lambda": "cloudlet.services.lambda_.api:Lambda",
    "logs": "cloudlet.services.logs.api:Logs",
    "sqs": "cloudlet.services.sqs.api:SQS",
    "sts": "cloudlet.services.sts.api:STS",
}
