"""AWS Lambda: the API over compute/ (functions, versions, aliases, invoke, async queue, layers)."""
