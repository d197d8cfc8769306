"""What the estimate needs to know of a stack, read from the resources its offline plan registers.

Reading the planned resources (not the settings models) means the figures follow what the programs
really create: the resolved memory of each function, the mapping's batch size, every alarm, every
interface endpoint in every subnet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..deploy.plan import Plan
from ..offline.program import ProgramRun

FUNCTION = "aws:lambda/function:Function"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
STREAM = "aws:kinesis/stream:Stream"
TABLE = "aws:dynamodb/table:Table"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KMS_KEY = "aws:kms/key:Key"


@dataclass(frozen=True)
class FunctionFacts:
    memory_mb: int
    architecture: str
    log_level: str = "INFO"
    system_log_level: str = "INFO"


@dataclass(frozen=True)
class StackFacts:
    """A stack's billable resources and the settings that drive their cost and throughput."""

    region: str
    functions: Mapping[str, FunctionFacts]
    stream_mode: str = "PROVISIONED"
    shard_count: int = 1
    retention_hours: int = 24
    shard_level_metrics: int = 0
    batch_size: int = 100
    batching_window_seconds: float = 0.0
    parallelization_factor: int = 1
    max_payload_bytes: int = 200_000
    record_ttl_days: int = 30
    state_machine_log_level: str = "ERROR"
    log_retention_days: int = 30
    table_billing_mode: str = "PAY_PER_REQUEST"
    table_capacity: Mapping[str, int] = field(default_factory=dict)
    """Provisioned units: `table_read`, `table_write`, `index_read`, `index_write`."""
    alarm_metrics: int = 0
    dashboards: int = 0
    interface_endpoint_azs: int = 0
    sync_states_endpoint: bool = False
    kms_keys: int = 0


def _all(plan: Plan, type_token: str) -> list[Any]:
    return [resource for run in plan.runs.values() for resource in run.of_type(type_token)]


def _stage(function_inputs: Mapping[str, Any]) -> str:
    return str(function_inputs.get("environment", {}).get("variables", {}).get("STAGE", ""))


def _functions(compute: ProgramRun) -> dict[str, FunctionFacts]:
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
    return functions


def _alarm_metrics(alarm_inputs: Mapping[str, Any]) -> int:
    """CloudWatch bills a metric math alarm per metric it reads, a plain alarm as one."""
    queries = alarm_inputs.get("metricQueries") or []
    return sum(1 for query in queries if query.get("metric")) if queries else 1


def _table_capacity(table_inputs: Mapping[str, Any]) -> dict[str, int]:
    if table_inputs.get("billingMode") != "PROVISIONED":
        return {}
    indexes = table_inputs.get("globalSecondaryIndexes") or []
    return {
        "table_read": int(table_inputs.get("readCapacity", 0)),
        "table_write": int(table_inputs.get("writeCapacity", 0)),
        "index_read": sum(int(index.get("readCapacity", 0)) for index in indexes),
        "index_write": sum(int(index.get("writeCapacity", 0)) for index in indexes),
    }


def stack_facts(plan: Plan) -> StackFacts:
    compute = plan.runs["compute"]
    stream = _all(plan, STREAM)[0].inputs
    table = _all(plan, TABLE)[0].inputs
    mapping = compute.one(MAPPING).inputs
    functions = _functions(compute)
    ingest_environment = next(
        r.inputs["environment"]["variables"] for r in compute.of_type(FUNCTION) if _stage(r.inputs) == "ingest"
    )
    machine_logging = compute.one(STATE_MACHINE).inputs.get("loggingConfiguration") or {}
    interface_endpoints = [r.inputs for r in _all(plan, ENDPOINT) if r.inputs.get("vpcEndpointType") == "Interface"]
    retention = [int(r.inputs.get("retentionInDays", 0)) for r in compute.of_type(LOG_GROUP)]
    return StackFacts(
        region=compute.region,
        functions=functions,
        stream_mode=str((stream.get("streamModeDetails") or {}).get("streamMode", "PROVISIONED")),
        shard_count=int(stream.get("shardCount") or 0),
        retention_hours=int(stream.get("retentionPeriod", 24)),
        shard_level_metrics=len(stream.get("shardLevelMetrics") or []),
        batch_size=int(mapping.get("batchSize", 100)),
        batching_window_seconds=float(mapping.get("maximumBatchingWindowInSeconds", 0)),
        parallelization_factor=int(mapping.get("parallelizationFactor", 1)),
        max_payload_bytes=int(ingest_environment.get("MAX_PAYLOAD_BYTES", 200_000)),
        record_ttl_days=int(ingest_environment.get("RECORD_TTL_DAYS", 30)),
        state_machine_log_level=str(machine_logging.get("level", "OFF")),
        log_retention_days=max(retention, default=30),
        table_billing_mode=str(table.get("billingMode", "PAY_PER_REQUEST")),
        table_capacity=_table_capacity(table),
        alarm_metrics=sum(_alarm_metrics(r.inputs) for r in _all(plan, ALARM)),
        dashboards=len(_all(plan, DASHBOARD)),
        interface_endpoint_azs=sum(len(inputs.get("subnetIds") or []) for inputs in interface_endpoints),
        sync_states_endpoint=any(str(i.get("serviceName", "")).endswith(".sync-states") for i in interface_endpoints),
        kms_keys=len(_all(plan, KMS_KEY)),
    )
