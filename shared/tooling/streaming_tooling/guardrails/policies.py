"""The CrossGuard policies every preview and deploy runs, mandatory by default.

The same policy objects run in three places: in the policy pack (`shared/policy_pack/`) that
every preview and deploy passes to Pulumi, in the offline plan of every layer (`nox -s plan`,
which fails on a violation), and in the test suite (`offline.evaluate`). Each violation message
says how to fix it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from streaming_shared.config import is_disposable

from ..aws_types import args_class, wire_properties
from . import iam

Report = Callable[[str, str | None], None]

REQUIRED_TAGS = ("Environment", "Project", "ManagedBy", "Layer")
OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
DEFAULT_RESERVED_CONCURRENCY_CAP = 100

BUCKET = "aws:s3/bucket:Bucket"
LAMBDA = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KMS_KEY = "aws:kms/key:Key"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
ROTATABLE_KEY_SPEC = "SYMMETRIC_DEFAULT"
STATE_MACHINE_LOG_LEVELS = ("ALL", "ERROR", "FATAL")


def _json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _fix(report: Report, problem: str, fix: str, urn: str | None = None) -> None:
    report(f"{problem}. Fix: {fix}", urn)


def stack_of(urn: str) -> str:
    """The stack name in a resource URN (`urn:pulumi:<stack>::<project>::<type>::<name>`)."""
    return urn.removeprefix("urn:pulumi:").split("::", 1)[0]


def _resource_policy(
    name: str,
    description: str,
    types: Iterable[str],
    check: Callable[[ResourceValidationArgs, Report], None],
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report: Report) -> None:
        if not wanted or args.resource_type in wanted:
            check(args, report)

    return ResourceValidationPolicy(name=name, description=description, validate=validate, config_schema=config_schema)


# -- encryption at rest -------------------------------------------------------------------------


def _kinesis_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    if args.props.get("encryptionType") != "KMS" or not args.props.get("kmsKeyId"):
        _fix(report, "the Kinesis stream is not encrypted", "set encryption_type='KMS' and kms_key_id")


def _queue_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    if not args.props.get("sqsManagedSseEnabled") and not args.props.get("kmsMasterKeyId"):
        _fix(report, "the SQS queue is not encrypted", "set sqs_managed_sse_enabled=True or kms_master_key_id")


def _topic_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    if not args.props.get("kmsMasterKeyId"):
        _fix(report, "the SNS topic is not encrypted", "set kms_master_key_id to a KMS key CloudWatch may use")


def _table_encrypted_with_pitr(args: ResourceValidationArgs, report: Report) -> None:
    if not (args.props.get("serverSideEncryption") or {}).get("enabled"):
        _fix(
            report,
            "the DynamoDB table has no server-side encryption with KMS",
            "set server_side_encryption.enabled=True",
        )
    if not (args.props.get("pointInTimeRecovery") or {}).get("enabled"):
        _fix(report, "the DynamoDB table has no point-in-time recovery", "set point_in_time_recovery.enabled=True")


# -- Lambda ----------------------------------------------------------------------------------------


def _lambda_in_vpc(args: ResourceValidationArgs, report: Report) -> None:
    vpc = args.props.get("vpcConfig") or {}
    if not vpc.get("subnetIds") or not vpc.get("securityGroupIds"):
        _fix(
            report,
            "the Lambda function does not run in the VPC",
            "set vpc_config with the network layer's private_subnet_ids and lambda_security_group_id",
        )


def _reserved_concurrency_capped(args: ResourceValidationArgs, report: Report) -> None:
    reserved = args.props.get("reservedConcurrentExecutions")
    maximum = int(args.get_config().get("maximum", DEFAULT_RESERVED_CONCURRENCY_CAP))
    if reserved is not None and reserved > maximum:
        _fix(
            report,
            f"the Lambda function reserves {reserved} concurrent executions, above the cap of {maximum}",
            "lower the stage's reserved concurrency (a new account's whole quota can be 10) or raise the "
            "policy's `maximum` config",
        )


# -- network -------------------------------------------------------------------------------------


def _open_cidrs(rule: Mapping[str, Any]) -> set[str]:
    blocks = [
        rule.get("cidrIpv4"),
        rule.get("cidrIpv6"),
        *(rule.get("cidrBlocks") or []),
        *(rule.get("ipv6CidrBlocks") or []),
    ]
    return {str(block) for block in blocks if block in OPEN_CIDRS}


def _rules(args: ResourceValidationArgs, direction: str) -> list[Mapping[str, Any]]:
    kind = args.resource_type
    if kind in ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        return list(args.props.get(direction) or [])
    if kind == f"aws:vpc/securityGroup{direction.capitalize()}Rule:SecurityGroup{direction.capitalize()}Rule":
        return [args.props]
    if kind == "aws:ec2/securityGroupRule:SecurityGroupRule" and args.props.get("type") == direction:
        return [args.props]
    return []


def _no_open_ingress(args: ResourceValidationArgs, report: Report) -> None:
    for rule in _rules(args, "ingress"):
        if _open_cidrs(rule):
            _fix(
                report,
                "a security group admits traffic from the whole internet",
                "allow the VPC CIDR or a security group",
            )


def _no_open_egress(args: ResourceValidationArgs, report: Report) -> None:
    for rule in _rules(args, "egress"):
        if _open_cidrs(rule):
            _fix(
                report,
                "a security group allows egress to the whole internet in a VPC with no route out",
                "allow HTTPS to the VPC endpoints' security group and the S3/DynamoDB prefix lists",
            )


# -- IAM, tags, alarms -------------------------------------------------------------------------


def _iam_no_wildcards(args: ResourceValidationArgs, report: Report) -> None:
    for document in iam.documents(args.resource_type, args.name, args.props):
        for problem in iam.wildcard_problems(document.document):
            _fix(
                report,
                f"{document.property}: {problem}",
                "grant exactly the actions the code calls, on the ARNs it uses",
            )


def _iam_no_open_principals(args: ResourceValidationArgs, report: Report) -> None:
    for document in iam.documents(args.resource_type, args.name, args.props):
        for problem in iam.open_principal_problems(document.document):
            _fix(report, f"{document.property}: {problem}", "name the principals, or limit them with a condition")


def _iam_confused_deputy(args: ResourceValidationArgs, report: Report) -> None:
    for document in iam.documents(args.resource_type, args.name, args.props):
        for problem in iam.confused_deputy_problems(document):
            _fix(
                report,
                f"{document.property}: {problem}",
                "add Condition StringEquals aws:SourceAccount (this account) and ArnLike aws:SourceArn "
                "(the resources that call)",
            )


def _iam_no_broad_managed_policies(args: ResourceValidationArgs, report: Report) -> None:
    for arn in iam.managed_policy_arns(args.resource_type, args.props):
        reason = iam.broad_managed_policy(arn)
        if reason:
            _fix(
                report,
                f"attaches the AWS managed policy {arn}, which {reason}",
                "grant exactly the actions the code calls in an inline policy (or a narrow service-role policy)",
            )


def _iam_parliament(args: ResourceValidationArgs, report: Report) -> None:
    for document in iam.documents(args.resource_type, args.name, args.props):
        for finding in iam.lint(document):
            _fix(
                report,
                f"{document.property}: parliament {finding}",
                "correct the statement, or add an AcceptedFinding with its reason in guardrails/iam.py",
            )


def _taggable(resource_type: str) -> bool:
    args = args_class(resource_type)
    return args is not None and "tags" in wire_properties(args)


def _required_tags(args: ResourceValidationArgs, report: Report) -> None:
    if not args.resource_type.startswith("aws:") or not _taggable(args.resource_type):
        return
    provider_tags = (_json(args.provider.props.get("defaultTags")) or {}).get("tags", {}) if args.provider else {}
    tags = {**(_json(provider_tags) or {}), **(args.props.get("tags") or {})}
    missing = [key for key in REQUIRED_TAGS if not tags.get(key)]
    if missing:
        _fix(
            report,
            f"the resource lacks the tags {', '.join(missing)}",
            "create it with the layer's provider (streaming_shared.provider.aws_provider), whose default_tags set them",
        )


def _alarm_has_actions_and_dimensions(args: ResourceValidationArgs, report: Report) -> None:
    if not args.props.get("alarmActions"):
        _fix(report, "the alarm notifies nobody", "set alarm_actions (and ok_actions) to the alarm topic")
    metrics = (
        [args.props]
        if args.props.get("metricName")
        else [query.get("metric") or {} for query in args.props.get("metricQueries") or [] if query.get("metric")]
    )
    if not metrics or any(not metric.get("dimensions") for metric in metrics):
        _fix(
            report,
            "the alarm watches a metric without dimensions, which AWS never publishes for these services",
            "set dimensions naming the stream, function, queue, table or state machine",
        )


# -- keys, logs, state machines, endpoints --------------------------------------------------------


def _key_rotation(args: ResourceValidationArgs, report: Report) -> None:
    spec = args.props.get("customerMasterKeySpec") or ROTATABLE_KEY_SPEC
    if spec == ROTATABLE_KEY_SPEC and args.props.get("enableKeyRotation") is not True:
        _fix(report, "the customer-managed KMS key does not rotate", "set enable_key_rotation=True")


def _log_group_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    stack = stack_of(args.urn)
    if not is_disposable(stack) and not args.props.get("kmsKeyId"):
        _fix(
            report,
            f"the log group is not encrypted with a KMS key on stack {stack!r}, which is not disposable",
            "set kms_key_id to a customer-managed key whose policy lets logs.<region>.amazonaws.com use it",
        )


def _state_machine_logging(args: ResourceValidationArgs, report: Report) -> None:
    logging = args.props.get("loggingConfiguration") or {}
    if logging.get("level") not in STATE_MACHINE_LOG_LEVELS or not logging.get("logDestination"):
        _fix(
            report,
            "the state machine does not log its executions",
            "set logging_configuration with level ERROR (or FATAL, ALL) and a log_destination log group",
        )


def _vpc_endpoint_policy_scoped(args: ResourceValidationArgs, report: Report) -> None:
    documents = iam.documents(args.resource_type, args.name, args.props)
    if args.resource_type == "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy" and not documents:
        _fix(report, "the endpoint policy resource sets no policy", "set policy to a JSON policy document")
    for document in documents:
        problems = iam.wildcard_problems(document.document, principal_statements=True)
        problems += iam.open_principal_problems(document.document)
        for problem in problems:
            _fix(
                report,
                f"the VPC endpoint policy is not limited: {problem}",
                "allow only the actions the functions call, on this stack's resource ARNs, with "
                "aws:PrincipalAccount and aws:ResourceAccount conditions",
            )


# -- stack-level: controls that are separate resources -----------------------------------------


def _attached(control: PolicyResource, target: PolicyResource, prop: str, key: str) -> bool:
    by_dependency = any(dep.urn == target.urn for dep in control.property_dependencies.get(prop, []))
    value = control.props.get(prop)
    return by_dependency or (value is not None and value in {target.props.get(key), target.props.get("id")})


def _bucket_check(
    control_type: str, is_good: Callable[[PolicyResource], bool], problem: str, fix: str
) -> Callable[[StackValidationArgs, Report], None]:
    def validate(args: StackValidationArgs, report: Report) -> None:
        controls = [r for r in args.resources if r.resource_type == control_type]
        for bucket in (r for r in args.resources if r.resource_type == BUCKET):
            if not any(_attached(c, bucket, "bucket", "bucket") and is_good(c) for c in controls):
                _fix(report, f"bucket {bucket.name!r}: {problem}", fix, bucket.urn)

    return validate


def _blocks_everything(control: PolicyResource) -> bool:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    return all(control.props.get(flag) is True for flag in flags)


def _encrypts(control: PolicyResource) -> bool:
    rules = control.props.get("rules") or []
    return any((rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") for rule in rules)


def _denies_insecure_transport(control: PolicyResource) -> bool:
    document = _json(control.props.get("policy")) or {}
    for statement in iam.as_list(document.get("Statement") if isinstance(document, dict) else None):
        condition = (statement.get("Condition") or {}).get("Bool") or {}
        if statement.get("Effect") == "Deny" and str(condition.get("aws:SecureTransport")).lower() == "false":
            return True
    return False


def _versioned(control: PolicyResource) -> bool:
    return (control.props.get("versioningConfiguration") or {}).get("status") == "Enabled"


def _lambda_log_group_with_retention(args: StackValidationArgs, report: Report) -> None:
    groups = [r for r in args.resources if r.resource_type == LOG_GROUP]
    for function in (r for r in args.resources if r.resource_type == LAMBDA):
        logging = function.props.get("loggingConfig") or {}
        named = logging.get("logGroup")
        target = [g for g in groups if named and g.props.get("name") == named] or [
            dep for dep in function.property_dependencies.get("loggingConfig", []) if dep.resource_type == LOG_GROUP
        ]
        if not target:
            _fix(
                report,
                f"function {function.name!r} writes to a log group this stack does not manage",
                "create /aws/lambda/<name> with retention first and point logging_config.log_group at it",
                function.urn,
            )
        elif not all(group.props.get("retentionInDays") for group in target):
            _fix(
                report,
                f"the log group of function {function.name!r} keeps logs forever",
                "set retention_in_days",
                function.urn,
            )


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    _resource_policy(
        "kinesis-stream-encrypted",
        "Kinesis streams are encrypted with KMS.",
        ["aws:kinesis/stream:Stream"],
        _kinesis_encrypted,
    ),
    _resource_policy("sqs-queue-encrypted", "SQS queues are encrypted.", ["aws:sqs/queue:Queue"], _queue_encrypted),
    _resource_policy(
        "sns-topic-encrypted", "SNS topics are encrypted with KMS.", ["aws:sns/topic:Topic"], _topic_encrypted
    ),
    _resource_policy(
        "dynamodb-table-encrypted-with-pitr",
        "DynamoDB tables have SSE and point-in-time recovery.",
        ["aws:dynamodb/table:Table"],
        _table_encrypted_with_pitr,
    ),
    _resource_policy("lambda-in-vpc", "Lambda functions run in the VPC's private subnets.", [LAMBDA], _lambda_in_vpc),
    _resource_policy(
        "lambda-reserved-concurrency-capped",
        "No Lambda function reserves more concurrency than the cap.",
        [LAMBDA],
        _reserved_concurrency_capped,
        PolicyConfigSchema(
            properties={"maximum": {"type": "integer", "minimum": 0, "default": DEFAULT_RESERVED_CONCURRENCY_CAP}}
        ),
    ),
    _resource_policy("no-open-ingress", "No security group admits 0.0.0.0/0 or ::/0.", [], _no_open_ingress),
    _resource_policy(
        "no-open-egress", "No security group (Lambda's included) sends to 0.0.0.0/0 or ::/0.", [], _no_open_egress
    ),
    _resource_policy(
        "iam-no-wildcards",
        "IAM policies grant no `*` action and no `*` resource for actions that can be scoped.",
        list(iam.DOCUMENT_PROPERTIES),
        _iam_no_wildcards,
    ),
    _resource_policy(
        "iam-no-open-principals",
        "Resource, trust and endpoint policies allow no principal `*` (or NotPrincipal) unless a condition limits "
        "it to an account, organization or source.",
        list(iam.DOCUMENT_PROPERTIES),
        _iam_no_open_principals,
    ),
    _resource_policy(
        "iam-confused-deputy",
        "A service principal in a resource policy is limited by aws:SourceAccount or aws:SourceArn.",
        list(iam.DOCUMENT_PROPERTIES),
        _iam_confused_deputy,
    ),
    _resource_policy(
        "iam-no-broad-managed-policies",
        "No role attaches AdministratorAccess, PowerUserAccess, a *FullAccess, ReadOnlyAccess or a job-function "
        "AWS managed policy.",
        list(iam.MANAGED_POLICY_PROPERTIES),
        _iam_no_broad_managed_policies,
    ),
    _resource_policy(
        "iam-parliament",
        "parliament finds nothing above LOW severity in any IAM document (accepted findings aside).",
        list(iam.DOCUMENT_PROPERTIES),
        _iam_parliament,
    ),
    _resource_policy(
        "kms-key-rotation",
        "Every symmetric customer-managed KMS key rotates.",
        [KMS_KEY],
        _key_rotation,
    ),
    _resource_policy(
        "log-group-encrypted",
        "On stacks that are not disposable, every log group is encrypted with a KMS key.",
        [LOG_GROUP],
        _log_group_encrypted,
    ),
    _resource_policy(
        "step-functions-logging",
        "Every state machine logs its executions (level ERROR, FATAL or ALL, to a log group).",
        [STATE_MACHINE],
        _state_machine_logging,
    ),
    _resource_policy(
        "vpc-endpoint-policy-scoped",
        "Every VPC endpoint policy a stack sets names the actions, the resources and the account; that every "
        "endpoint has one is the offline plan's cross-layer rule.",
        sorted(iam.ENDPOINT_POLICY_TYPES),
        _vpc_endpoint_policy_scoped,
    ),
    _resource_policy("required-tags", f"Taggable resources carry {', '.join(REQUIRED_TAGS)}.", [], _required_tags),
    _resource_policy(
        "alarm-has-actions-and-dimensions",
        "Alarms notify someone and watch a metric with dimensions.",
        ["aws:cloudwatch/metricAlarm:MetricAlarm"],
        _alarm_has_actions_and_dimensions,
    ),
    StackValidationPolicy(
        name="s3-public-access-blocked",
        description="Every S3 bucket has a public access block with all four flags on.",
        validate=_bucket_check(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            _blocks_everything,
            "public access is not fully blocked",
            "add an s3.BucketPublicAccessBlock with all four flags True",
        ),
    ),
    StackValidationPolicy(
        name="s3-encrypted",
        description="Every S3 bucket has a server-side encryption configuration.",
        validate=_bucket_check(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            _encrypts,
            "no default encryption",
            "add an s3.BucketServerSideEncryptionConfiguration (SSE-S3 or SSE-KMS)",
        ),
    ),
    StackValidationPolicy(
        name="s3-tls-only",
        description="Every S3 bucket's policy denies requests not made over TLS.",
        validate=_bucket_check(
            "aws:s3/bucketPolicy:BucketPolicy",
            _denies_insecure_transport,
            "requests without TLS are not denied",
            "add a bucket policy statement denying s3:* when aws:SecureTransport is false",
        ),
    ),
    StackValidationPolicy(
        name="s3-bucket-versioning",
        description="Every S3 bucket has versioning enabled.",
        validate=_bucket_check(
            "aws:s3/bucketVersioning:BucketVersioning",
            _versioned,
            "versioning is not enabled",
            "add an s3.BucketVersioning with versioning_configuration status 'Enabled'",
        ),
    ),
    StackValidationPolicy(
        name="lambda-log-group-with-retention",
        description="Every Lambda function logs to a log group the stack manages, with retention.",
        validate=_lambda_log_group_with_retention,
    ),
]

POLICY_CONFIG: dict[str, dict[str, Any]] = {
    "lambda-reserved-concurrency-capped": {"maximum": DEFAULT_RESERVED_CONCURRENCY_CAP},
}
ENFORCEMENT = EnforcementLevel.MANDATORY
