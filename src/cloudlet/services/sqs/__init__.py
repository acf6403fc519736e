"""SQS: standard and FIFO queues."""
