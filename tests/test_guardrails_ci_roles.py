"""The CI roles and the permissions boundary as docs/iam/ gives them: valid IAM (parliament and
the repo's own IAM checks) and holding what docs/security.md promises.

The documents are templates (`${ACCOUNT_ID}`, `${ENVIRONMENT}`...: `envsubst` fills them in);
the tests fill them with the values the offline plan uses, so the boundary is compared with the
role policies the stacks really produce."""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import parliament
import pytest

from streaming_shared.catalogue import LAYERS
from streaming_shared.config import is_disposable
from streaming_shared.naming import region_code
from streaming_shared.roles import PERMISSIONS_BOUNDARY_NAME
from streaming_tooling import aws_types
from streaming_tooling.deploy.plan import Plan, build_plan
from streaming_tooling.guardrails import iam
from streaming_tooling.testing import ACCOUNT_ID, Resource, repo_root

from .iam_policy_evaluation import Request, allows

IAM_DOCS = repo_root() / "docs" / "iam"
BOUNDARY_NAME = PERMISSIONS_BOUNDARY_NAME
PLAN_STACK = "dev"
EXAMPLE = {
    "ACCOUNT_ID": ACCOUNT_ID,
    "REGION": "eu-west-1",
    "REGION_CODE": region_code("eu-west-1"),
    "ENVIRONMENT": PLAN_STACK,
    "GITHUB_REPOSITORY": "example-org/streaming-pipeline",
    "STATE_BUCKET": "example-pulumi-state",
    "PULUMI_SECRETS_KEY_ARN": f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
}
DATA_READS = (
    "s3:GetObject",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "sqs:ReceiveMessage",
    "kms:Decrypt",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "states:GetExecutionHistory",
)
"""Reads of record contents the preview role must never be able to make (issue 24, item 1)."""


def filled(name: str, environment: str = PLAN_STACK) -> dict[str, Any]:
    """The document with EXAMPLE's values, for the stack `environment`."""
    text = (IAM_DOCS / name).read_text()
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", text))
    assert placeholders <= set(EXAMPLE), f"{name}: unknown placeholders {placeholders - set(EXAMPLE)}"
    document: dict[str, Any] = json.loads(string.Template(text).substitute(EXAMPLE, ENVIRONMENT=environment))
    return document


def manifest() -> dict[str, dict[str, Any]]:
    roles: dict[str, dict[str, Any]] = json.loads((IAM_DOCS / "roles.json").read_text())
    return roles


def documents() -> list[tuple[str, str]]:
    """(file, property) of every document the manifest names: trust policies and permissions."""
    found = []
    for role in manifest().values():
        if "trust" in role:
            found.append((role["trust"], iam.TRUST_POLICY))
        for key in ("inline_policies", "self_managed_backend", "disposable_stacks"):
            found += [(name, "policy") for name in role.get(key, [])]
        if "managed_policy_document" in role:
            found.append((role["managed_policy_document"], "policy"))
    return found


def test_every_document_in_docs_iam_belongs_to_a_role():
    named = {name for name, _ in documents()} | {"roles.json"}
    assert named == {path.name for path in IAM_DOCS.glob("*.json")}


DEPLOY_ROLE_FINDINGS = {"RESOURCE_POLICY_PRIVILEGE_ESCALATION"}
"""parliament's findings the deploy role's policy keeps on purpose (docs/security.md says so): it
writes the bucket, key, queue and topic policies the stacks declare, so it could write one that
lets it read data. What those policies say is checked by the policy pack on every preview, and
only deploy-layer.yml of `main` can assume the role."""


@pytest.mark.parametrize(("name", "property_name"), documents())
def test_every_document_passes_parliament_and_the_repos_iam_checks(name, property_name):
    document = iam.Document("docs", name, property_name, property_name == iam.TRUST_POLICY, filled(name))
    kept = DEPLOY_ROLE_FINDINGS if name == "deploy-role-policy.json" else set()
    assert [str(finding) for finding in iam.lint(document) if finding.issue not in kept] == []
    assert iam.wildcard_problems(document.document) == []
    assert iam.open_principal_problems(document.document) == []
    assert iam.confused_deputy_problems(document) == []


def test_the_deploy_role_keeps_exactly_the_findings_it_is_said_to():
    document = iam.Document("docs", "deploy", "policy", False, filled("deploy-role-policy.json"))
    assert {finding.issue for finding in iam.lint(document)} == DEPLOY_ROLE_FINDINGS


def statements(name: str, effect: str = "Allow") -> list[dict[str, Any]]:
    return [statement for statement in filled(name)["Statement"] if statement["Effect"] == effect]


def allowed_actions(name: str) -> set[str]:
    return {action for statement in statements(name) for action in iam.as_list(statement["Action"])}


def grants(name: str, action: str, resource: str) -> bool:
    """Whether an Allow of the document names `action` on `resource` (IAM's glob rules)."""
    return any(
        any(parliament.is_glob_match(pattern.lower(), action.lower()) for pattern in iam.as_list(statement["Action"]))
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in iam.as_list(statement["Resource"]))
        for statement in statements(name)
    )


# -- trust -------------------------------------------------------------------------------------

OIDC = "token.actions.githubusercontent.com"


def test_the_deploy_role_trusts_only_deploy_layer_yml_and_promote_yml_of_main_in_the_stacks_environment():
    [statement] = filled("deploy-role-trust.json")["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{OIDC}"}
    repo = "example-org/streaming-pipeline"
    assert statement["Condition"] == {
        "StringEquals": {
            f"{OIDC}:aud": "sts.amazonaws.com",
            f"{OIDC}:sub": [
                f"repo:{repo}:environment:dev:job_workflow_ref:{repo}/.github/workflows/{workflow}@refs/heads/main"
                for workflow in ("deploy-layer.yml", "promote.yml")
            ],
        }
    }
    for workflow in ("deploy-layer.yml", "promote.yml"):
        assert (repo_root() / ".github" / "workflows" / workflow).exists()


def test_the_preview_role_trusts_pull_request_previews_and_the_drift_job_of_main_only():
    [statement] = filled("preview-role-trust.json")["Statement"]
    assert statement["Condition"]["StringEquals"] == {f"{OIDC}:aud": "sts.amazonaws.com"}
    subjects = statement["Condition"]["StringLike"][f"{OIDC}:sub"]
    repo = "example-org/streaming-pipeline"
    assert subjects == [
        f"repo:{repo}:environment:preview:job_workflow_ref:{repo}/.github/workflows/pull-request.yml@refs/pull/*/merge",
        f"repo:{repo}:environment:drift:job_workflow_ref:{repo}/.github/workflows/drift.yml@refs/heads/main",
    ]
    assert not any(fnmatch.fnmatchcase(f"repo:{repo}:environment:dev:job_workflow_ref:x", s) for s in subjects)


# -- permissions ---------------------------------------------------------------------------------


def test_the_preview_role_attaches_view_only_access_and_allows_reads_only():
    role = manifest()["github-streaming-preview"]
    assert role["managed_policies"] == ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]
    levels = {action: access_level(action) for action in allowed_actions("preview-role-policy.json")}
    assert {action: level for action, level in levels.items() if level not in ("Read", "List")} == {}


def access_level(action: str) -> str | None:
    """The action's access level in AWS's Service Authorization Reference (`Read`, `Write`...), None
    for an action it does not list."""
    prefix, _, name = action.partition(":")
    levels = [
        str(privilege["access_level"])
        for service in parliament.iam_definition
        if service["prefix"] == prefix
        for privilege in service["privileges"]
        if privilege["privilege"].lower() == name.lower()
    ]
    return levels[0] if levels else None


@pytest.mark.parametrize("action", DATA_READS)
def test_the_preview_role_denies_every_data_read(action):
    patterns = [pattern for deny in statements("preview-role-policy.json", "Deny") for pattern in deny["Action"]]
    assert any(parliament.is_glob_match(pattern.lower(), action.lower()) for pattern in patterns), action


IAM_ROLE_PERMISSION_WRITES = {
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
}


def test_the_deploy_role_writes_role_permissions_only_on_the_projects_roles_under_the_boundary():
    boundary = f"arn:aws:iam::{ACCOUNT_ID}:policy/{BOUNDARY_NAME}"
    for statement in statements("deploy-role-policy.json"):
        writes = IAM_ROLE_PERMISSION_WRITES & set(iam.as_list(statement["Action"]))
        if writes:
            assert statement["Resource"] == f"arn:aws:iam::{ACCOUNT_ID}:role/streaming-dev-euw1-*", writes
            assert statement["Condition"]["StringEquals"]["iam:PermissionsBoundary"] == boundary, writes
    allowed = {action for action in allowed_actions("deploy-role-policy.json") if action.startswith("iam:")}
    assert allowed >= IAM_ROLE_PERMISSION_WRITES
    [deny] = statements("deploy-role-policy.json", "Deny")
    assert {"iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion"} <= set(deny["Action"])
    assert boundary in deny["Resource"]


# -- the plans: what the stacks create -----------------------------------------------------------

WITH_KEYS = {"data": {"streamCustomerManagedKey": True, "archiveCustomerManagedKey": True}}
"""The data layer's customer-managed keys on, so the roles are granted their use too."""

NOT_DISPOSABLE_STACK = "prod"


@pytest.fixture(scope="module")
def dev_plan():
    plan = build_plan(PLAN_STACK, config_overrides=WITH_KEYS)
    assert plan.runs.keys() == set(LAYERS), plan.problems
    return plan


@pytest.fixture(scope="module")
def not_disposable_plan():
    """The plan of the layers' own `Pulumi.prod.yaml`: not disposable, so flow logs, access logs,
    customer-managed keys and the boundary by default, and a PROVISIONED table with its auto scaling."""
    assert not is_disposable(NOT_DISPOSABLE_STACK)
    plan = build_plan(NOT_DISPOSABLE_STACK)
    assert plan.runs.keys() == set(LAYERS), plan.problems
    assert plan.runs["data"].of_type("aws:appautoscaling/target:Target"), "the prod table is no longer PROVISIONED"
    return plan


PLANS = ("dev_plan", "not_disposable_plan")
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def cloud_resources(plan: Plan) -> list[Resource]:
    return [resource for run in plan.runs.values() for resource in run.cloud_resources]


def planned_roles(plan: Plan) -> list[Resource]:
    return [resource for resource in cloud_resources(plan) if resource.type == ROLE]


def trust_services(role: Resource) -> set[str]:
    """The service principals a planned role's trust policy admits (`lambda.amazonaws.com`...)."""
    [trust] = [document for document in iam.documents(role.type, role.name, role.inputs) if document.resource_policy]
    return {
        service
        for statement in iam.as_list(trust.document["Statement"])
        for service in iam.as_list((statement.get("Principal") or {}).get("Service"))
    }


# -- what pulumi-aws calls for each kind of resource ------------------------------------------------

ASSIGNED = "id-assigned-by-aws"
"""An id AWS picks at creation and the plan cannot know (a scalable target's, a target tracking
alarm's suffix): the policies scope those resources by pattern, so any value stands for it."""


@dataclass(frozen=True)
class Call:
    """An IAM action, and what it is authorized on: the resource itself (`on` empty), the resource
    an input names (`on="vpcId"`; several inputs joined by `+` name the resource that has the same
    values), or an ARN template (`on="arn:..."`). `context` adds condition keys to the request."""

    action: str
    on: str = ""
    context: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: Call | str) -> Call:
        if isinstance(spec, Call):
            return spec
        action, _, on = spec.partition("@")
        return cls(action, on)


@dataclass(frozen=True)
class Kind:
    """The calls pulumi-aws (the Terraform AWS provider it wraps) makes for one resource type.

    `create` holds the calls whose request makes the resource (authorized with the tags it will
    carry, `aws:RequestTag/...`); every other call acts on the resource as it exists
    (`aws:ResourceTag/...`): pulumi-aws's create also makes the update calls for the settings its
    create request cannot carry (a VPC's DNS attributes, a key's rotation). `arn` is the resource's
    own ARN template (`{id}`, `{name}`... are its resolved outputs), None for a setting of another
    resource (a bucket's versioning), whose calls all name that resource. `context` gives condition
    keys every request on the resource carries."""

    arn: str | None
    create: tuple[Call | str, ...] = ()
    read: tuple[Call | str, ...] = ()
    update: tuple[Call | str, ...] = ()
    delete: tuple[Call | str, ...] = ()
    context: Mapping[str, str] = field(default_factory=dict)


def _regional(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{{region}}:{{account}}:{resource}"


EC2_TAGS = ("ec2:CreateTags", "ec2:DeleteTags")
VPC_FUNCTION = ("ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs")
"""What Lambda asks of whoever creates or changes a function attached to a VPC (Lambda guide,
"Giving Lambda functions access to resources in an Amazon VPC")."""
LAMBDA_ROLE = Call("iam:PassRole", "role", {"iam:PassedToService": "lambda.amazonaws.com"})
STATES_ROLE = Call("iam:PassRole", "roleArn", {"iam:PassedToService": "states.amazonaws.com"})
FLOW_LOGS_ROLE = Call("iam:PassRole", "iamRoleArn", {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"})
DYNAMODB_SCALING_ROLE = Call(
    "iam:CreateServiceLinkedRole",
    "arn:aws:iam::{account}:role/aws-service-role/{serviceNamespace}.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    {"iam:AWSServiceName": "{serviceNamespace}.application-autoscaling.amazonaws.com"},
)
"""The first scalable target of a DynamoDB table creates this service-linked role when the account
has none (Application Auto Scaling guide, "Service-linked roles")."""
SCALED_TABLE = "arn:aws:dynamodb:{region}:{account}:{resourceId}"
"""Application Auto Scaling checks that whoever registers a target or puts a policy may change the
table (guide, "Permissions validation for API calls on target resources")."""
TARGET_TRACKING_ALARMS = _regional("cloudwatch", "alarm:TargetTracking-{resourceId}-" + ASSIGNED)
"""The alarms a target tracking policy creates; the caller must be allowed to manage them (same page)."""
SCALABLE_TARGET = "serviceNamespace+resourceId+scalableDimension"
BUCKET_SETTING = "bucket"

KINDS: Mapping[str, Kind] = {
    # network
    "aws:ec2/vpc:Vpc": Kind(
        _regional("ec2", "vpc/{id}"),
        create=("ec2:CreateVpc", "ec2:CreateTags"),
        read=(
            "ec2:DescribeVpcs",
            "ec2:DescribeVpcAttribute",
            "ec2:DescribeNetworkAcls",
            "ec2:DescribeRouteTables",
            "ec2:DescribeSecurityGroups",
        ),
        update=("ec2:ModifyVpcAttribute", *EC2_TAGS),
        delete=("ec2:DeleteVpc",),
    ),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": Kind(
        # Adopted, not created: pulumi-aws tags the VPC's default group, then revokes its rules.
        _regional("ec2", "security-group/{id}"),
        create=("ec2:CreateTags",),
        read=("ec2:DescribeSecurityGroups",),
        update=("ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", *EC2_TAGS),
    ),
    "aws:ec2/subnet:Subnet": Kind(
        _regional("ec2", "subnet/{id}"),
        create=("ec2:CreateSubnet", "ec2:CreateSubnet@vpcId", "ec2:CreateTags"),
        read=("ec2:DescribeSubnets",),
        update=("ec2:ModifySubnetAttribute", *EC2_TAGS),
        delete=("ec2:DeleteSubnet", "ec2:DescribeNetworkInterfaces"),
    ),
    "aws:ec2/routeTable:RouteTable": Kind(
        _regional("ec2", "route-table/{id}"),
        create=("ec2:CreateRouteTable", "ec2:CreateRouteTable@vpcId", "ec2:CreateTags"),
        read=("ec2:DescribeRouteTables",),
        update=EC2_TAGS,
        delete=("ec2:DeleteRouteTable",),
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Kind(
        None,
        create=("ec2:AssociateRouteTable@routeTableId", "ec2:AssociateRouteTable@subnetId"),
        read=("ec2:DescribeRouteTables",),
        update=("ec2:ReplaceRouteTableAssociation@routeTableId",),
        delete=("ec2:DisassociateRouteTable@routeTableId", "ec2:DisassociateRouteTable@subnetId"),
    ),
    "aws:ec2/securityGroup:SecurityGroup": Kind(
        _regional("ec2", "security-group/{id}"),
        create=("ec2:CreateSecurityGroup", "ec2:CreateSecurityGroup@vpcId", "ec2:CreateTags"),
        read=("ec2:DescribeSecurityGroups",),
        # A new group allows all egress; pulumi-aws revokes that rule when the group declares none.
        update=("ec2:RevokeSecurityGroupEgress", *EC2_TAGS),
        delete=("ec2:DeleteSecurityGroup", "ec2:DescribeNetworkInterfaces"),
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Kind(
        _regional("ec2", "security-group-rule/{id}"),
        create=("ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupIngress@securityGroupId"),
        read=("ec2:DescribeSecurityGroupRules",),
        update=("ec2:ModifySecurityGroupRules", "ec2:ModifySecurityGroupRules@securityGroupId", *EC2_TAGS),
        delete=("ec2:RevokeSecurityGroupIngress@securityGroupId",),
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": Kind(
        _regional("ec2", "security-group-rule/{id}"),
        create=("ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupEgress@securityGroupId"),
        read=("ec2:DescribeSecurityGroupRules",),
        update=("ec2:ModifySecurityGroupRules", "ec2:ModifySecurityGroupRules@securityGroupId", *EC2_TAGS),
        delete=("ec2:RevokeSecurityGroupEgress@securityGroupId",),
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Kind(
        _regional("ec2", "vpc-endpoint/{id}"),
        create=(
            "ec2:CreateVpcEndpoint",
            "ec2:CreateVpcEndpoint@vpcId",
            "ec2:CreateVpcEndpoint@subnetIds",
            "ec2:CreateVpcEndpoint@securityGroupIds",
            "ec2:CreateVpcEndpoint@routeTableIds",
            "ec2:CreateTags",
        ),
        read=("ec2:DescribeVpcEndpoints", "ec2:DescribePrefixLists"),
        update=(
            "ec2:ModifyVpcEndpoint",
            "ec2:ModifyVpcEndpoint@subnetIds",
            "ec2:ModifyVpcEndpoint@securityGroupIds",
            "ec2:ModifyVpcEndpoint@routeTableIds",
            *EC2_TAGS,
        ),
        delete=("ec2:DeleteVpcEndpoints",),
    ),
    "aws:ec2/flowLog:FlowLog": Kind(
        _regional("ec2", "vpc-flow-log/{id}"),
        create=("ec2:CreateFlowLogs", "ec2:CreateFlowLogs@vpcId", "ec2:CreateTags", FLOW_LOGS_ROLE),
        read=("ec2:DescribeFlowLogs",),
        update=EC2_TAGS,
        delete=("ec2:DeleteFlowLogs",),
    ),
    # data
    "aws:kinesis/stream:Stream": Kind(
        _regional("kinesis", "stream/{name}"),
        create=("kinesis:CreateStream", "kinesis:AddTagsToStream"),
        read=("kinesis:DescribeStreamSummary", "kinesis:ListTagsForStream"),
        update=(
            "kinesis:StartStreamEncryption",
            "kinesis:StartStreamEncryption@kmsKeyId",
            "kinesis:StopStreamEncryption",
            "kinesis:StopStreamEncryption@kmsKeyId",
            "kinesis:IncreaseStreamRetentionPeriod",
            "kinesis:DecreaseStreamRetentionPeriod",
            "kinesis:EnableEnhancedMonitoring",
            "kinesis:DisableEnhancedMonitoring",
            "kinesis:UpdateShardCount",
            "kinesis:UpdateStreamMode",
            "kinesis:AddTagsToStream",
            "kinesis:RemoveTagsFromStream",
        ),
        delete=("kinesis:DeleteStream",),
    ),
    "aws:dynamodb/table:Table": Kind(
        _regional("dynamodb", "table/{name}"),
        create=("dynamodb:CreateTable", "dynamodb:TagResource"),
        read=(
            "dynamodb:DescribeTable",
            "dynamodb:DescribeTimeToLive",
            "dynamodb:DescribeContinuousBackups",
            "dynamodb:ListTagsOfResource",
        ),
        update=(
            "dynamodb:UpdateTable",
            "dynamodb:UpdateTimeToLive",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:TagResource",
            "dynamodb:UntagResource",
        ),
        delete=("dynamodb:DeleteTable",),
    ),
    "aws:appautoscaling/target:Target": Kind(
        _regional("application-autoscaling", "scalable-target/" + ASSIGNED),
        create=(
            "application-autoscaling:RegisterScalableTarget",
            "application-autoscaling:TagResource",
            DYNAMODB_SCALING_ROLE,
            f"dynamodb:DescribeTable@{SCALED_TABLE}",
            f"dynamodb:UpdateTable@{SCALED_TABLE}",
        ),
        read=("application-autoscaling:DescribeScalableTargets", "application-autoscaling:ListTagsForResource"),
        update=(
            "application-autoscaling:RegisterScalableTarget",
            "application-autoscaling:TagResource",
            "application-autoscaling:UntagResource",
        ),
        delete=("application-autoscaling:DeregisterScalableTarget",),
    ),
    "aws:appautoscaling/policy:Policy": Kind(
        None,
        create=(
            f"application-autoscaling:PutScalingPolicy@{SCALABLE_TARGET}",
            f"cloudwatch:PutMetricAlarm@{TARGET_TRACKING_ALARMS}",
            f"cloudwatch:DescribeAlarms@{TARGET_TRACKING_ALARMS}",
            f"cloudwatch:DeleteAlarms@{TARGET_TRACKING_ALARMS}",
        ),
        read=("application-autoscaling:DescribeScalingPolicies",),
        update=(f"application-autoscaling:PutScalingPolicy@{SCALABLE_TARGET}",),
        delete=(f"application-autoscaling:DeleteScalingPolicy@{SCALABLE_TARGET}",),
    ),
    "aws:s3/bucket:Bucket": Kind(
        "arn:aws:s3:::{bucket}",
        create=("s3:CreateBucket", "s3:PutBucketTagging"),
        read=(
            "s3:ListBucket",  # HeadBucket, how pulumi-aws finds the bucket
            "s3:GetAccelerateConfiguration",
            "s3:GetBucketAcl",
            "s3:GetBucketCORS",
            "s3:GetBucketLogging",
            "s3:GetBucketObjectLockConfiguration",
            "s3:GetBucketPolicy",
            "s3:GetBucketRequestPayment",
            "s3:GetBucketTagging",
            "s3:GetBucketVersioning",
            "s3:GetBucketWebsite",
            "s3:GetEncryptionConfiguration",
            "s3:GetLifecycleConfiguration",
            "s3:GetReplicationConfiguration",
        ),
        update=("s3:PutBucketTagging",),
        delete=("s3:DeleteBucket",),
    ),
    "aws:s3/bucketVersioning:BucketVersioning": Kind(
        None,
        create=("s3:PutBucketVersioning@bucket",),
        read=("s3:GetBucketVersioning@bucket",),
        update=("s3:PutBucketVersioning@bucket",),
        delete=("s3:PutBucketVersioning@bucket",),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Kind(
        None,
        create=("s3:PutEncryptionConfiguration@bucket",),
        read=("s3:GetEncryptionConfiguration@bucket",),
        update=("s3:PutEncryptionConfiguration@bucket",),
        delete=("s3:PutEncryptionConfiguration@bucket",),
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Kind(
        None,
        create=("s3:PutLifecycleConfiguration@bucket",),
        read=("s3:GetLifecycleConfiguration@bucket",),
        update=("s3:PutLifecycleConfiguration@bucket",),
        delete=("s3:PutLifecycleConfiguration@bucket",),
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Kind(
        None,
        create=("s3:PutBucketPublicAccessBlock@bucket",),
        read=("s3:GetBucketPublicAccessBlock@bucket",),
        update=("s3:PutBucketPublicAccessBlock@bucket",),
        delete=("s3:PutBucketPublicAccessBlock@bucket",),
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Kind(
        None,
        create=("s3:PutBucketOwnershipControls@bucket",),
        read=("s3:GetBucketOwnershipControls@bucket",),
        update=("s3:PutBucketOwnershipControls@bucket",),
        delete=("s3:PutBucketOwnershipControls@bucket",),
    ),
    "aws:s3/bucketPolicy:BucketPolicy": Kind(
        None,
        create=("s3:PutBucketPolicy@bucket",),
        read=("s3:GetBucketPolicy@bucket",),
        update=("s3:PutBucketPolicy@bucket",),
        delete=("s3:DeleteBucketPolicy@bucket",),
    ),
    "aws:s3/bucketLogging:BucketLogging": Kind(
        None,
        create=("s3:PutBucketLogging@bucket",),
        read=("s3:GetBucketLogging@bucket",),
        update=("s3:PutBucketLogging@bucket",),
        delete=("s3:PutBucketLogging@bucket",),
    ),
    # compute
    "aws:lambda/layerVersion:LayerVersion": Kind(
        _regional("lambda", "layer:{layerName}:{version}"),
        create=("lambda:PublishLayerVersion@" + _regional("lambda", "layer:{layerName}"),),
        read=("lambda:GetLayerVersion",),
        delete=("lambda:DeleteLayerVersion",),
    ),
    "aws:lambda/function:Function": Kind(
        _regional("lambda", "function:{name}"),
        create=(
            "lambda:CreateFunction",
            "lambda:TagResource",
            LAMBDA_ROLE,
            "lambda:GetLayerVersion@layers",
            *VPC_FUNCTION,
        ),
        read=(
            "lambda:GetFunction",
            "lambda:GetFunctionCodeSigningConfig",
            "lambda:ListVersionsByFunction",
            "lambda:ListTags",
        ),
        update=(
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
            "lambda:PutFunctionConcurrency",
            "lambda:DeleteFunctionConcurrency",
            "lambda:TagResource",
            "lambda:UntagResource",
            LAMBDA_ROLE,
            "lambda:GetLayerVersion@layers",
            *VPC_FUNCTION,
        ),
        delete=("lambda:DeleteFunction",),
    ),
    "aws:lambda/eventSourceMapping:EventSourceMapping": Kind(
        _regional("lambda", "event-source-mapping:{uuid}"),
        create=("lambda:CreateEventSourceMapping", "lambda:TagResource"),
        read=("lambda:GetEventSourceMapping", "lambda:ListTags"),
        update=("lambda:UpdateEventSourceMapping", "lambda:TagResource", "lambda:UntagResource"),
        delete=("lambda:DeleteEventSourceMapping",),
        context={"lambda:FunctionArn": "{functionName}"},
    ),
    "aws:sfn/stateMachine:StateMachine": Kind(
        _regional("states", "stateMachine:{name}"),
        create=("states:CreateStateMachine", "states:TagResource", STATES_ROLE),
        read=("states:DescribeStateMachine", "states:ListTagsForResource"),
        update=("states:UpdateStateMachine", "states:TagResource", "states:UntagResource", STATES_ROLE),
        delete=("states:DeleteStateMachine",),
    ),
    "aws:sqs/queue:Queue": Kind(
        _regional("sqs", "{name}"),
        create=("sqs:CreateQueue", "sqs:TagQueue"),
        read=("sqs:GetQueueAttributes", "sqs:ListQueueTags"),
        update=("sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"),
        delete=("sqs:DeleteQueue",),
    ),
    "aws:sqs/queuePolicy:QueuePolicy": Kind(
        None,
        create=("sqs:SetQueueAttributes@queueUrl",),
        read=("sqs:GetQueueAttributes@queueUrl",),
        update=("sqs:SetQueueAttributes@queueUrl",),
        delete=("sqs:SetQueueAttributes@queueUrl",),
    ),
    "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": Kind(
        None,
        create=("ec2:ModifyVpcEndpoint@vpcEndpointId",),
        read=("ec2:DescribeVpcEndpoints",),
        update=("ec2:ModifyVpcEndpoint@vpcEndpointId",),
        delete=("ec2:ModifyVpcEndpoint@vpcEndpointId",),
    ),
    # every layer
    "aws:iam/role:Role": Kind(
        "arn:aws:iam::{account}:role/{name}",
        create=("iam:CreateRole", "iam:TagRole"),
        read=("iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"),
        update=(
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
            "iam:PutRolePermissionsBoundary",
            "iam:TagRole",
            "iam:UntagRole",
        ),
        delete=("iam:ListInstanceProfilesForRole", "iam:DeleteRole"),
        context={"iam:PermissionsBoundary": "{permissionsBoundary}"},
    ),
    "aws:iam/rolePolicy:RolePolicy": Kind(
        None,
        create=("iam:PutRolePolicy@role",),
        read=("iam:GetRolePolicy@role",),
        update=("iam:PutRolePolicy@role",),
        delete=("iam:DeleteRolePolicy@role",),
    ),
    "aws:cloudwatch/logGroup:LogGroup": Kind(
        _regional("logs", "log-group:{name}"),
        create=("logs:CreateLogGroup", "logs:TagResource"),
        read=("logs:DescribeLogGroups", "logs:ListTagsForResource"),
        update=(
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:AssociateKmsKey",
            "logs:DisassociateKmsKey",
            "logs:TagResource",
            "logs:UntagResource",
        ),
        delete=("logs:DeleteLogGroup",),
    ),
    "aws:kms/key:Key": Kind(
        _regional("kms", "key/{id}"),
        create=("kms:CreateKey", "kms:TagResource"),
        read=("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"),
        update=(
            "kms:EnableKeyRotation",
            "kms:PutKeyPolicy",
            "kms:UpdateKeyDescription",
            "kms:TagResource",
            "kms:UntagResource",
        ),
        delete=("kms:ScheduleKeyDeletion",),
    ),
    "aws:kms/alias:Alias": Kind(
        _regional("kms", "{name}"),
        create=("kms:CreateAlias", "kms:CreateAlias@targetKeyId"),
        read=("kms:ListAliases",),
        update=("kms:UpdateAlias", "kms:UpdateAlias@targetKeyId"),
        delete=("kms:DeleteAlias", "kms:DeleteAlias@targetKeyId"),
    ),
    # observability
    "aws:sns/topic:Topic": Kind(
        _regional("sns", "{name}"),
        create=("sns:CreateTopic", "sns:TagResource"),
        read=("sns:GetTopicAttributes", "sns:ListTagsForResource"),
        update=("sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource"),
        delete=("sns:DeleteTopic",),
    ),
    "aws:sns/topicPolicy:TopicPolicy": Kind(
        None,
        create=("sns:SetTopicAttributes@arn",),
        read=("sns:GetTopicAttributes@arn",),
        update=("sns:SetTopicAttributes@arn",),
        delete=("sns:SetTopicAttributes@arn",),
    ),
    "aws:sns/topicSubscription:TopicSubscription": Kind(
        None,
        create=("sns:Subscribe@topic",),
        read=("sns:GetSubscriptionAttributes",),
        update=("sns:SetSubscriptionAttributes",),
        delete=("sns:Unsubscribe",),
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Kind(
        _regional("cloudwatch", "alarm:{name}"),
        create=("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"),
        read=("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
        update=("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"),
        delete=("cloudwatch:DeleteAlarms",),
    ),
    "aws:cloudwatch/dashboard:Dashboard": Kind(
        "arn:aws:cloudwatch::{account}:dashboard/{dashboardName}",
        create=("cloudwatch:PutDashboard",),
        read=("cloudwatch:GetDashboard",),
        update=("cloudwatch:PutDashboard",),
        delete=("cloudwatch:DeleteDashboards",),
    ),
}
"""Resource type -> what pulumi-aws calls to create, read, update and delete it, derived from the
Terraform AWS provider's resource code (pulumi-aws 7 wraps its v6) and AWS's Service Authorization
Reference (the database parliament ships: which actions take a resource, which condition keys
apply). Never tried against AWS: docs/security.md says what an AccessDenied on a first deploy means."""

INVOKES: Mapping[str, tuple[str, ...]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": ("sts:GetCallerIdentity",),
    "aws:index/getPartition:getPartition": (),
    "aws:index/getRegion:getRegion": (),
    "aws:index/getAvailabilityZones:getAvailabilityZones": ("ec2:DescribeAvailabilityZones",),
    "aws:ec2/getVpcEndpointService:getVpcEndpointService": ("ec2:DescribeVpcEndpointServices",),
}
"""Data source token -> the actions it calls (getPartition and getRegion answer from the provider's
own configuration). Previews, refreshes and deploys all run them."""

PROVIDER_CALLS = ("sts:GetCallerIdentity",)
"""What the AWS provider calls when it starts, before any resource: the account it runs in."""
DEPLOY_PREFLIGHT_CALLS = ("lambda:GetAccountSettings",)
"""The deploy's own read before compute's first `up` (streaming_tooling/deploy/preflight.py)."""

AWS_MANAGED_KEY = _regional("kms", "key/" + ASSIGNED)
"""The key behind an AWS managed alias (`alias/aws/kinesis`): the account's own, unknown offline."""
IDENTITIES = ("id", "arn", "name", "bucket", "url")
"""The outputs by which one resource's input names another (an id, an ARN, a name, a queue URL)."""


class Planned:
    """The resources of one plan, with what IAM sees of each: its ARN, its tags, its context."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.runs = list(plan.runs.values())
        self.resources = cloud_resources(plan)
        self.default_tags = {
            resource.urn: json.loads(resource.inputs.get("defaultTags") or "{}").get("tags", {})
            for run in self.runs
            for resource in run.resources
            if resource.type.startswith("pulumi:providers:aws")
        }
        self.values = {resource.urn: {**resource.outputs, **EXAMPLE_VALUES} for resource in self.resources}

    def unknown_types(self) -> set[str]:
        return {resource.type for resource in self.resources} - set(KINDS)

    def tags(self, resource: Resource) -> dict[str, str]:
        if "tags" not in _output_names(resource.type):
            return {}
        return {**self.default_tags.get(resource.provider or "", {}), **(resource.inputs.get("tags") or {})}

    def arn(self, resource: Resource) -> str:
        template = KINDS[resource.type].arn
        assert template, f"{resource.type} has no ARN of its own"
        return template.format_map(self.values[resource.urn])

    def context(self, resource: Resource, tag_key: str) -> dict[str, str]:
        """The condition keys of a request on `resource`: its tags (as `tag_key`, request or resource
        tags) and the keys its kind names, where the resource has a value for them."""
        kind = KINDS[resource.type]
        found = {f"{tag_key}/{key}": str(value) for key, value in self.tags(resource).items()}
        for key, template in kind.context.items():
            try:
                value = template.format_map(self.values[resource.urn])
            except KeyError:
                continue
            if value not in ("", "None"):
                found[key] = value
        return found

    def named_by(self, resource: Resource, on: str) -> list[Resource | str]:
        """The resources the input(s) `on` of `resource` name; an AWS managed key's ARN for its alias."""
        if "+" in on:
            keys = on.split("+")
            want = [resource.outputs.get(key) for key in keys]
            same = [
                other
                for other in self.resources
                if other is not resource and KINDS[other.type].arn and [other.outputs.get(k) for k in keys] == want
            ]
            assert len(same) == 1, f"{resource.type} {resource.name}: {on}={want} names {len(same)} resources"
            return list(same)
        found: list[Resource | str] = []
        values = iam.as_list(resource.outputs.get(on))
        for value in values:
            matches = [
                other
                for other in self.resources
                if other is not resource
                and other.type in KINDS
                and KINDS[other.type].arn
                and value in (other.outputs.get(identity) for identity in IDENTITIES)
            ]
            if not matches and str(value).startswith("alias/aws/"):
                found.append(AWS_MANAGED_KEY.format_map(EXAMPLE_VALUES))
                continue
            assert len(matches) == 1, f"{resource.type} {resource.name}: {on}={value!r} names {len(matches)} resources"
            found += matches
        return found

    def requests(self, resource: Resource, call: Call, *, creating: bool) -> Iterator[Request]:
        """The requests IAM authorizes for one call on `resource`: on `*` for an action that takes no
        resource, else on the ARN `call.on` names (with that resource's tags), else on the resource's own."""
        values = self.values[resource.urn]
        extra = {key: value.format_map(values) for key, value in call.context.items()}
        own = {
            **self.context(resource, "aws:RequestTag" if creating else "aws:ResourceTag"),
            **self._create_action(resource, call, creating),
            **extra,
        }
        if not iam.supports_resource_level_permissions(call.action):
            yield Request(call.action, "*", own)
        elif call.on.startswith("arn:"):
            yield Request(call.action, call.on.format_map(values), extra)
        elif call.on:
            for other in self.named_by(resource, call.on):
                if isinstance(other, str):
                    yield Request(call.action, other, extra)
                else:
                    yield Request(call.action, self.arn(other), {**self.context(other, "aws:ResourceTag"), **extra})
        else:
            yield Request(call.action, self.arn(resource), own)

    @staticmethod
    def _create_action(resource: Resource, call: Call, creating: bool) -> dict[str, str]:
        """`ec2:CreateAction`: EC2 authorizes the tags of a new resource as part of the call creating it."""
        if not (creating and call.action == "ec2:CreateTags"):
            return {}
        creators = [Call.of(spec).action for spec in KINDS[resource.type].create]
        first = next((action for action in creators if action.startswith("ec2:Create") and action != call.action), None)
        return {"ec2:CreateAction": first.split(":")[1]} if first else {}

    def calls(self, *parts: str) -> Iterator[tuple[Resource, Request]]:
        """Every request the named parts (`create`, `read`, `update`, `delete`) of every planned
        resource's kind make."""
        for resource in self.resources:
            kind = KINDS[resource.type]
            for part in parts:
                for spec in getattr(kind, part):
                    for request in self.requests(resource, Call.of(spec), creating=part == "create"):
                        yield resource, request

    def invoke_requests(self) -> Iterator[Request]:
        tokens = {token for run in self.runs for token, _ in run.invokes}
        unknown = tokens - set(INVOKES)
        assert unknown == set(), f"invokes the INVOKES table does not know: {sorted(unknown)}"
        for action in sorted({action for token in tokens for action in INVOKES[token]} | set(PROVIDER_CALLS)):
            yield Request(action, "*")


EXAMPLE_VALUES = {"region": EXAMPLE["REGION"], "account": ACCOUNT_ID}


@functools.cache
def _output_names(type_token: str) -> frozenset[str]:
    cls = aws_types.resource_class(type_token)
    members = vars(cls).values() if cls else ()
    return frozenset(getattr(getattr(member, "fget", None), "_pulumi_name", None) for member in members) - {None}


def refused(document: dict[str, Any], found: Iterable[tuple[Resource | None, Request]]) -> list[str]:
    return sorted(
        {
            f"{resource.type} {resource.name}: {request}" if resource else str(request)
            for resource, request in found
            if not allows(document, request)
        }
    )


@pytest.fixture(scope="module")
def planned(dev_plan, not_disposable_plan):
    return {"dev_plan": Planned(dev_plan), "not_disposable_plan": Planned(not_disposable_plan)}


def environment_of(plan_name: str) -> str:
    return PLAN_STACK if plan_name == "dev_plan" else NOT_DISPOSABLE_STACK


@pytest.mark.parametrize("plan_name", PLANS)
def test_every_kind_of_resource_the_plan_creates_is_in_the_table(plan_name, planned):
    """A new kind of resource forces the question: what does the deploy role need for it?"""
    assert planned[plan_name].unknown_types() == set()


def test_every_action_in_the_tables_is_an_iam_action():
    actions = {
        Call.of(spec).action
        for kind in KINDS.values()
        for part in (kind.create, kind.read, kind.update, kind.delete)
        for spec in part
    }
    actions |= {action for calls in INVOKES.values() for action in calls} | {*PROVIDER_CALLS, *DEPLOY_PREFLIGHT_CALLS}
    assert sorted(action for action in actions if access_level(action) is None) == []


@pytest.mark.parametrize("plan_name", PLANS)
def test_the_deploy_role_allows_every_call_that_creates_reads_updates_and_deletes_what_the_plan_creates(
    plan_name, planned
):
    """On the resource's ARN (or `*` where the action takes none), with the tags, names, boundary and
    services the request carries; the invokes, the provider's start and the deploy's preflight too."""
    stack = planned[plan_name]
    document = filled("deploy-role-policy.json", environment_of(plan_name))
    found: list[tuple[Resource | None, Request]] = list(stack.calls("create", "read", "update", "delete"))
    found += [(None, request) for request in stack.invoke_requests()]
    found += [(None, Request(action, "*")) for action in DEPLOY_PREFLIGHT_CALLS]
    assert refused(document, found) == []


@pytest.mark.parametrize("plan_name", PLANS)
def test_the_deploy_role_passes_every_planned_role_to_the_service_its_trust_admits(plan_name, planned):
    """`iam:PassedToService` lists exactly the services the planned roles trust (a role trusting the
    account, the replay role, is assumed by people and never passed)."""
    plans = [stack.plan for stack in planned.values()]
    services = {service for plan in plans for role in planned_roles(plan) for service in trust_services(role)}
    assert "vpc-flow-logs.amazonaws.com" in services
    environment = environment_of(plan_name)
    [pass_role] = [
        s
        for s in filled("deploy-role-policy.json", environment)["Statement"]
        if s["Effect"] == "Allow" and "iam:PassRole" in iam.as_list(s["Action"])
    ]
    region_code_ = EXAMPLE["REGION_CODE"]
    assert pass_role["Resource"] == f"arn:aws:iam::{ACCOUNT_ID}:role/streaming-{environment}-{region_code_}-*"
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": sorted(services)}}
    for role in planned_roles(planned[plan_name].plan):
        for service in trust_services(role):
            arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{role.outputs['name']}"
            assert allows(
                filled("deploy-role-policy.json", environment),
                Request("iam:PassRole", arn, {"iam:PassedToService": service}),
            ), role.name


@pytest.mark.parametrize("plan_name", PLANS)
def test_the_preview_role_allows_what_preview_and_refresh_call(plan_name, planned):
    """`pulumi preview` runs the invokes and starts the provider; `pulumi refresh` and the drift job
    read every resource. The inline policy allows all of it on its own (what ViewOnlyAccess holds
    cannot be read offline), and none of it is a data read its denies refuse."""
    stack = planned[plan_name]
    document = filled("preview-role-policy.json")
    found: list[tuple[Resource | None, Request]] = list(stack.calls("read"))
    found += [(None, request) for request in stack.invoke_requests()]
    assert refused(document, found) == []


@pytest.mark.parametrize("plan_name", PLANS)
def test_the_preview_role_can_change_nothing_the_plan_creates(plan_name, planned):
    document = filled("preview-role-policy.json")
    changes = [
        (resource, request)
        for resource, request in planned[plan_name].calls("create", "update", "delete")
        if access_level(request.action) not in ("Read", "List")
    ]
    assert [f"{resource.type}: {request}" for resource, request in changes if allows(document, request)] == []


def test_every_input_the_table_names_is_a_property_of_its_type():
    """`action@input` names an input of the resource type (a misspelt one would name nothing)."""
    wrong = [
        f"{type_token}: {call.on}"
        for type_token, kind in KINDS.items()
        for part in (kind.create, kind.read, kind.update, kind.delete)
        for call in map(Call.of, part)
        if call.on and not call.on.startswith("arn:")
        for name in call.on.split("+")
        if name not in _output_names(type_token)
    ]
    assert wrong == []


# -- the boundary ------------------------------------------------------------------------------------


@pytest.mark.parametrize("plan_name", PLANS)
def test_the_boundary_allows_everything_the_stacks_roles_are_granted(plan_name, planned):
    """Every grant of every role policy the plan creates (functions, state machine, replay role, the
    flow logs' delivery role where the stack has flow logs) lies within the boundary."""
    plan = planned[plan_name].plan
    granted = [
        (resource.name, statement)
        for resource in cloud_resources(plan)
        for document in iam.documents(resource.type, resource.name, resource.inputs)
        if not document.resource_policy
        for statement in iam.as_list(document.document.get("Statement"))
    ]
    with_policies = {resource.inputs["role"] for resource in cloud_resources(plan) if resource.type == ROLE_POLICY}
    assert with_policies >= {role.outputs["name"] for role in planned_roles(plan)}
    outside = [
        f"{name}: {action} on {resource}"
        for name, statement in granted
        if statement.get("Effect") == "Allow"
        for action in iam.as_list(statement.get("Action"))
        for resource in iam.as_list(statement.get("Resource"))
        if not grants("permissions-boundary.json", action, resource)
    ]
    assert outside == []


def test_the_not_disposable_plan_has_the_flow_log_and_replay_roles_under_the_boundary(not_disposable_plan):
    boundary = f"arn:aws:iam::{ACCOUNT_ID}:policy/{BOUNDARY_NAME}"
    roles = {role.name: role for role in planned_roles(not_disposable_plan)}
    assert {"flow-logs", "replay"} <= roles.keys()
    assert {name: role.inputs.get("permissionsBoundary") for name, role in roles.items()} == dict.fromkeys(
        roles, boundary
    )


def test_the_boundary_allows_no_iam_and_no_sts():
    assert {a for a in allowed_actions("permissions-boundary.json") if a.startswith(("iam:", "sts:"))} == set()
