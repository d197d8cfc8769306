"""The data layer: the Kinesis stream, the DynamoDB state table and the S3 archive bucket."""
