"""DynamoDB Streams: change records of DynamoDB tables, written with the item and read by shard."""
