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
aws.s3.BucketVersioning(
    "suspended-versioning", bucket=bucket.bucket, versioning_configuration={"status": "Suspended"}, opts=with_tags
)
aws.s3.BucketPolicy(
    "open-bucket-policy",
    bucket=bucket.bucket,
    policy=bucket.arn.apply(
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"}],
            }
        )
    ),
    opts=with_tags,
)
aws.kms.Key(
    "open-key",
    enable_key_rotation=True,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}],
        }
    ),
    opts=with_tags,
)
aws.kms.Key("unrotated-key", opts=with_tags)
aws.iam.Role(
    "open-trust-role",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}}],
        }
    ),
    opts=with_tags,
)
topic = aws.sns.Topic("alarm-topic", kms_master_key_id="alias/aws/sns", opts=with_tags)
aws.sns.TopicPolicy(
    "deputy-topic-policy",
    arn=topic.arn,
    policy=topic.arn.apply(
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": arn,
                    }
                ],
            }
        )
    ),
    opts=with_tags,
)
aws.iam.RolePolicyAttachment(
    "admin-attachment",
    role=role.name,
    policy_arn="arn:aws:iam::aws:policy/AdministratorAccess",
    opts=with_tags,
)
aws.iam.RolePolicy(
    "mismatched-policy",
    role=role.id,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::streaming-dev-bare"}],
        }
    ),
    opts=with_tags,
)
aws.cloudwatch.LogGroup("plain-log-group", retention_in_days=7, opts=with_tags)
aws.sfn.StateMachine(
    "silent-state-machine",
    role_arn=role.arn,
    type="EXPRESS",
    definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
    opts=with_tags,
)
aws.ec2.VpcEndpointPolicy(
    "open-endpoint-policy",
    vpc_endpoint_id="vpce-0open",
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
        }
    ),
    opts=with_tags,
)
# The counterpart every endpoint policy should look like: this one passes every policy.
aws.ec2.VpcEndpointPolicy(
    "scoped-endpoint-policy",
    vpc_endpoint_id="vpce-0scoped",
    policy=bucket.arn.apply(
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": ["s3:GetObject", "s3:PutObject"],
                        "Resource": f"{arn}/*",
                        "Condition": {
                            "StringEquals": {
                                "aws:PrincipalAccount": "123456789012",
                                "aws:ResourceAccount": "123456789012",
                            }
                        },
                    }
                ],
            }
        )
    ),
    opts=with_tags,
)
# Asymmetric keys cannot rotate: kms-key-rotation leaves this one alone.
aws.kms.Key("signing-key", customer_master_key_spec="RSA_2048", key_usage="SIGN_VERIFY", opts=with_tags)
