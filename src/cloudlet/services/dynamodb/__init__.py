"""DynamoDB: tables, items, indexes and expressions on the cloudlet store."""
