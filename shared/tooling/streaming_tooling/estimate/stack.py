"""What the estimate needs to know of a stack, read from the resources its offline plan registers.

Reading the planned resources (not the settings models) means the figures follow what the programs
really create: the resolved memory of each function, the mapping's batch size, every alarm, every
interface endpoint in every subnet, the table's auto scaling, the archive bucket's lifecycle rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from streaming_shared.catalogue import STAGES
from streaming_shared.record_store import RECORD_TTL_DAYS

from ..deploy.plan import Plan
from ..offline.program import ProgramRun

FUNCTION = "aws:lambda/function:Function"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
STREAM = "aws:kinesis/stream:Stream"
TABLE = "aws:dynamodb/table:Table"
SCALABLE_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KMS_KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"

AWS_MANAGED_KINESIS_KEY = "alias/aws/kinesis"
S3_DEFAULT_TRANSITION_MIN_BYTES = 128 * 1024
"""What S3 transitions when a rule names no size: objects over 128 KB."""
DEFAULT_ROTATION_DAYS = 365
CAPACITY_OF_DIMENSION = {
    "dynamodb:table:ReadCapacityUnits": "table_read",
    "dynamodb:table:WriteCapacityUnits": "table_write",
    "dynamodb:index:ReadCapacityUnits": "index_read",
    "dynamodb:index:WriteCapacityUnits": "index_write",
}


@dataclass(frozen=True)
class FunctionFacts:
    memory_mb: int
    architecture: str
    log_level: str = "INFO"
    system_log_level: str = "INFO"


@dataclass(frozen=True)
class Transition:
    storage_class: str
    days: int
    min_object_bytes: int


@dataclass(frozen=True)
class ArchiveFacts:
    """The archive bucket's lifecycle for what the pipeline writes there."""

    retention_days: int | None = None
    """Expiry of `archive/`; None: kept forever."""
    transition: Transition | None = None
    noncurrent_days: int = 30
    sse_kms: bool = False
    bucket_key: bool = True
    access_log_retention_days: int | None = None
    """None: no server access logs."""


@dataclass(frozen=True)
class StackFacts:
    """A stack's billable resources and the settings that drive their cost and throughput."""

    region: str
    functions: Mapping[str, FunctionFacts]
    stream_mode: str = "PROVISIONED"
    shard_count: int = 1
    retention_hours: int = 24
    shard_level_metrics: int = 0
    stream_customer_key: bool = False
    batch_size: int = 100
    batching_window_seconds: float = 0.0
    parallelization_factor: int = 1
    max_payload_bytes: int = 200_000
    record_ttl_days: int = RECORD_TTL_DAYS
    state_machine_log_level: str = "ERROR"
    log_retention_days: int = 30
    table_billing_mode: str = "PAY_PER_REQUEST"
    table_capacity: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """With PROVISIONED, the auto scaling range (min, max) of table_read, table_write, index_read, index_write."""
    table_target_utilization: float = 70.0
    point_in_time_recovery: bool = True
    archive: ArchiveFacts = field(default_factory=ArchiveFacts)
    alarm_metrics: int = 0
    dashboards: int = 0
    interface_endpoints: int = 0
    """Interface endpoint services; each is in every subnet, which `interface_endpoint_azs` counts."""
    interface_endpoint_azs: int = 0
    sync_states_endpoint: bool = False
    kms_keys: int = 0
    kms_rotating_keys: int = 0
    kms_rotation_days: int = DEFAULT_ROTATION_DAYS
    flow_logs: int = 0


def _all(plan: Plan, type_token: str) -> list[Any]:
    return [resource for run in plan.runs.values() for resource in run.of_type(type_token)]


def _stage(function_inputs: Mapping[str, Any]) -> str:
    return str(function_inputs.get("environment", {}).get("variables", {}).get("STAGE", ""))


def _functions(compute: ProgramRun) -> dict[str, FunctionFacts]:
    """Each stage's function, in the order of the stages (the order registrations arrive in varies)."""
    functions = {}
    for resource in compute.of_type(FUNCTION):
        inputs = resource.inputs
        logging = inputs.get("loggingConfig") or {}
        functions[_stage(inputs) or resource.name] = FunctionFacts(
            memory_mb=int(inputs.get("memorySize", 128)),
            architecture=(inputs.get("architectures") or ["x86_64"])[0],
            log_level=str(inputs.get("environment", {}).get("variables", {}).get("POWERTOOLS_LOG_LEVEL", "INFO")),
            system_log_level=str(logging.get("systemLogLevel", "INFO")),
        )
    order = {stage: position for position, stage in enumerate(STAGES)}
    return dict(sorted(functions.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def _alarm_metrics(alarm_inputs: Mapping[str, Any]) -> int:
    """CloudWatch bills a metric math alarm per metric it reads, a plain alarm as one."""
    queries = alarm_inputs.get("metricQueries") or []
    return sum(1 for query in queries if query.get("metric")) if queries else 1


def _table_capacity(plan: Plan, table: Any) -> tuple[dict[str, tuple[int, int]], float]:
    """The scaler's range of each capacity, and its target utilization; a provisioned capacity without
    a scaler is its own range."""
    inputs = table.inputs
    if inputs.get("billingMode") != "PROVISIONED":
        return {}, 0.0
    [index] = inputs.get("globalSecondaryIndexes") or [{}]
    fixed = {
        "table_read": int(inputs.get("readCapacity", 0)),
        "table_write": int(inputs.get("writeCapacity", 0)),
        "index_read": int(index.get("readCapacity", 0)),
        "index_write": int(index.get("writeCapacity", 0)),
    }
    ranges = {name: (units, units) for name, units in fixed.items()}
    table_id = f"table/{table.outputs.get('name')}"
    targets = [
        t.inputs for t in _all(plan, SCALABLE_TARGET) if str(t.inputs.get("resourceId", "")).startswith(table_id)
    ]
    for target in targets:
        name = CAPACITY_OF_DIMENSION.get(str(target.get("scalableDimension")))
        if name:
            ranges[name] = (int(target["minCapacity"]), int(target["maxCapacity"]))
    utilization = [
        float(policy.inputs["targetTrackingScalingPolicyConfiguration"]["targetValue"])
        for policy in _all(plan, SCALING_POLICY)
        if str(policy.inputs.get("resourceId", "")).startswith(table_id)
    ]
    return ranges, min(utilization, default=100.0)


def _rules_of(plan: Plan, bucket_id: Any) -> list[dict[str, Any]]:
    return [rule for lc in _all(plan, LIFECYCLE) if lc.inputs.get("bucket") == bucket_id for rule in lc.inputs["rules"]]


def _prefix(rule: Mapping[str, Any]) -> str:
    selector = rule.get("filter") or {}
    return str(selector.get("prefix", (selector.get("and") or {}).get("prefix", "")))


def _archive(plan: Plan, bucket_name: str) -> ArchiveFacts:
    """The lifecycle of the bucket named `bucket_name` (the one compute writes to), its encryption and access logs."""
    bucket = next(b for b in _all(plan, BUCKET) if b.outputs.get("bucket") == bucket_name)
    rules = [rule for rule in _rules_of(plan, bucket.id) if rule.get("status") == "Enabled"]
    retention = None
    noncurrent = 0
    transition = None
    for rule in rules:
        prefix, days = _prefix(rule), (rule.get("expiration") or {}).get("days")
        if prefix == "archive/" and days:
            retention = int(days)
        if prefix in ("", "archive/") and rule.get("noncurrentVersionExpiration"):
            noncurrent = int(rule["noncurrentVersionExpiration"]["noncurrentDays"])
        for step in rule.get("transitions") or []:
            if prefix in ("", "archive/"):
                size = ((rule.get("filter") or {}).get("and") or rule.get("filter") or {}).get("objectSizeGreaterThan")
                least = S3_DEFAULT_TRANSITION_MIN_BYTES if size is None else int(size)
                transition = Transition(str(step["storageClass"]), int(step.get("days") or 0), least)
    encryption = [e for e in _all(plan, ENCRYPTION) if e.inputs.get("bucket") == bucket.id]
    default = encryption[0].inputs["rules"][0] if encryption else {}
    logging = [lg for lg in _all(plan, BUCKET_LOGGING) if lg.inputs.get("bucket") == bucket.id]
    log_retention = None
    if logging:
        log_rules = _rules_of(plan, logging[0].inputs.get("targetBucket"))
        log_retention = min(
            (int(r["expiration"]["days"]) for r in log_rules if (r.get("expiration") or {}).get("days")), default=0
        )
    return ArchiveFacts(
        retention_days=retention,
        transition=transition,
        noncurrent_days=noncurrent,
        sse_kms=(default.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") == "aws:kms",
        bucket_key=bool(default.get("bucketKeyEnabled")),
        access_log_retention_days=log_retention,
    )


def stack_facts(plan: Plan) -> StackFacts:
    compute = plan.runs["compute"]
    data = plan.runs["data"]
    stream = _all(plan, STREAM)[0].inputs
    table = _all(plan, TABLE)[0]
    mapping = compute.one(MAPPING).inputs
    functions = _functions(compute)
    ingest_environment = next(
        r.inputs["environment"]["variables"] for r in compute.of_type(FUNCTION) if _stage(r.inputs) == "ingest"
    )
    machine_logging = compute.one(STATE_MACHINE).inputs.get("loggingConfiguration") or {}
    interface_endpoints = [r.inputs for r in _all(plan, ENDPOINT) if r.inputs.get("vpcEndpointType") == "Interface"]
    retention = [int(r.inputs.get("retentionInDays", 0)) for r in compute.of_type(LOG_GROUP)]
    capacity, utilization = _table_capacity(plan, table)
    keys = _all(plan, KMS_KEY)
    rotating = [k.inputs for k in keys if k.inputs.get("enableKeyRotation")]
    return StackFacts(
        region=compute.region,
        functions=functions,
        stream_mode=str((stream.get("streamModeDetails") or {}).get("streamMode", "PROVISIONED")),
        shard_count=int(stream.get("shardCount") or 0),
        retention_hours=int(stream.get("retentionPeriod", 24)),
        shard_level_metrics=len(stream.get("shardLevelMetrics") or []),
        stream_customer_key=stream.get("kmsKeyId") not in (None, AWS_MANAGED_KINESIS_KEY),
        batch_size=int(mapping.get("batchSize", 100)),
        batching_window_seconds=float(mapping.get("maximumBatchingWindowInSeconds", 0)),
        parallelization_factor=int(mapping.get("parallelizationFactor", 1)),
        max_payload_bytes=int(ingest_environment.get("MAX_PAYLOAD_BYTES", 200_000)),
        record_ttl_days=int(ingest_environment.get("RECORD_TTL_DAYS", RECORD_TTL_DAYS)),
        state_machine_log_level=str(machine_logging.get("level", "OFF")),
        log_retention_days=max(retention, default=30),
        table_billing_mode=str(table.inputs.get("billingMode", "PAY_PER_REQUEST")),
        table_capacity=capacity,
        table_target_utilization=utilization or 70.0,
        point_in_time_recovery=bool((table.inputs.get("pointInTimeRecovery") or {}).get("enabled")),
        archive=_archive(plan, str(data.exports["archive_bucket_name"])),
        alarm_metrics=sum(_alarm_metrics(r.inputs) for r in _all(plan, ALARM)),
        dashboards=len(_all(plan, DASHBOARD)),
        interface_endpoints=len(interface_endpoints),
        interface_endpoint_azs=sum(len(inputs.get("subnetIds") or []) for inputs in interface_endpoints),
        sync_states_endpoint=any(str(i.get("serviceName", "")).endswith(".sync-states") for i in interface_endpoints),
        kms_keys=len(keys),
        kms_rotating_keys=len(rotating),
        kms_rotation_days=min(
            (int(k.get("rotationPeriodInDays") or DEFAULT_ROTATION_DAYS) for k in rotating),
            default=DEFAULT_ROTATION_DAYS,
        ),
        flow_logs=len(_all(plan, FLOW_LOG)),
    )
