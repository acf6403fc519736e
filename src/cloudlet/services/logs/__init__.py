"""CloudWatch Logs: log groups, streams and events; the in-process log sink of other services."""
