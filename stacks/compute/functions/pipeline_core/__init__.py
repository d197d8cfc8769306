"""What every stage of the data plane shares: the record model, table and S3 writes, chunking, the
loop of the middle stages (`steps`), observability.

Copied into every function's deployment package (at the zip root, next to `handler.py`), so it
must stay small and depend only on the Lambda runtime's boto3, the pinned layer
(`aws-lambda-powertools`, `fastjsonschema`, `orjson`) and `streaming_shared.record_store`, which
packaging copies in beside it.
"""
