"""One resource breaking each guardrail, named after what it breaks (see test_guardrails_policies)."""

import json

import pulumi
import pulumi_aws as aws

REGION = pulumi.Config("aws").require("region")
TAGS = {"Environment": "dev", "Project": "streaming-pipeline", "ManagedBy": "pulumi", "Layer": "probe"}
tagged = aws.Provider("tagged", region=REGION, default_tags={"tags": TAGS})
untagged = aws.Provider("untagged", region=REGION)
with_tags = pulumi.ResourceOptions(provider=tagged)

aws.kinesis.Stream("plain-stream", shard_count=1, opts=with_tags)
aws.sqs.Queue("plain-queue", opts=with_tags)
aws.sqs.Queue("untagged-queue", sqs_managed_sse_enabled=True, opts=pulumi.ResourceOptions(provider=untagged))
aws.sns.Topic("plain-topic", opts=with_tags)
aws.dynamodb.Table(
    "plain-table",
    attributes=[{"name": "PipelineId", "type": "S"}],
    hash_key="PipelineId",
    billing_mode="PAY_PER_REQUEST",
    opts=with_tags,
)
role = aws.iam.Role(
    "loose-role",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
            ],
        }
    ),
    opts=with_tags,
)
aws.iam.RolePolicy(
    "wildcard-policy",
    role=role.id,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "logs:*", "Resource": "*"},
                {"Effect": "Allow", "Action": ["kinesis:GetRecords"], "Resource": "*"},
            ],
        }
    ),
    opts=with_tags,
)
aws.lambda_.Function(
    "loose-function",
    role=role.arn,
    runtime="python3.13",
    handler="handler.handler",
    code=pulumi.AssetArchive({"handler.py": pulumi.StringAsset("def handler(event, context):\n    return event\n")}),
    reserved_concurrent_executions=500,
    opts=with_tags,
)
group = aws.ec2.SecurityGroup("open-group", description="probe", opts=with_tags)
aws.vpc.SecurityGroupIngressRule(
    "open-ingress",
    security_group_id=group.id,
    ip_protocol="tcp",
    from_port=22,
    to_port=22,
    cidr_ipv4="0.0.0.0/0",
    opts=with_tags,
)
aws.vpc.SecurityGroupEgressRule(
    "open-egress", security_group_id=group.id, ip_protocol="-1", cidr_ipv6="::/0", opts=with_tags
)
aws.cloudwatch.MetricAlarm(
    "blind-alarm",
    metric_name="Errors",
    namespace="AWS/Lambda",
    statistic="Sum",
    period=60,
    evaluation_periods=1,
    threshold=0,
    comparison_operator="GreaterThanThreshold",
    opts=with_tags,
)
bucket = aws.s3.Bucket("bare-bucket", bucket="streaming-dev-bare", opts=with_tags)
aws.s3.BucketPublicAccessBlock(
    "half-open-block",
    bucket=bucket.bucket,
    block_public_acls=True,
    block_public_policy=False,
    ignore_public_acls=True,
    restrict_public_buckets=True,
    opts=with_tags,
)
