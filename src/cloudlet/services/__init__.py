"""One package per AWS service; REGISTRY names the class that serves each one."""

REGISTRY: dict[str, str] = {
    "lambda": "cloudlet.services.lambda_.api:Lambda",
    "logs": "cloudlet.services.logs.api:Logs",
    "sqs": "cloudlet.services.sqs.api:SQS",
    "sts": "cloudlet.services.sts.api:STS",
}

# Services with background duties (queued work that must resume after a restart) load when the
# platform starts rather than on their first request.
BACKGROUND: tuple[str, ...] = ("lambda",)
