"""Uses deprecated pulumi-aws pieces in every way the harness must notice."""

import pulumi_aws as aws

# A deprecated argument passed as a keyword: pulumi-aws itself stays silent about this one.
aws.s3.Bucket("keyword-acl", acl="private")
# A deprecated argument inside a nested input type.
aws.dynamodb.Table(
    "nested-gsi-keys",
    attributes=[{"name": "PipelineId", "type": "S"}, {"name": "Status", "type": "S"}],
    hash_key="PipelineId",
    billing_mode="PAY_PER_REQUEST",
    global_secondary_indexes=[{"name": "StatusIndex", "hash_key": "Status", "projection_type": "ALL"}],
)
# The same argument through the resource's Args class: the one way pulumi-aws warns about an argument.
aws.s3.Bucket("args-acl", aws.s3.BucketArgs(acl="private"))
# A deprecated resource type.
aws.s3.BucketV2("old-bucket-type")
# And one that is fine.
aws.s3.BucketVersioning("current", bucket="b", versioning_configuration={"status": "Enabled"})
