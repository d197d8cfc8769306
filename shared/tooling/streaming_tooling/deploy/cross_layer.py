"""Rules that span layers, checked on the offline plan of the whole chain.

pulumi-policy sees one stack at a time, so a rule like "every function compute deploys has an
error alarm in observability" cannot be a CrossGuard policy. The plan holds every layer's
resolved resources, so the rules (`RULES`; docs/working-as-a-team.md, "Rules that span layers")
run there, and so in CI, and each problem names both layers.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from streaming_shared.catalogue import COMPUTE, DATA, NETWORK, OBSERVABILITY

from ..guardrails.iam import as_list
from ..offline.program import ProgramRun, Resource

ACCOUNT_CONCURRENCY = 1000
"""Lambda's default concurrent executions per account and region; an account may have another quota."""

FUNCTION = "aws:lambda/function:Function"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
QUEUE = "aws:sqs/queue:Queue"
STREAM = "aws:kinesis/stream:Stream"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_POLICY = "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"

Runs = Mapping[str, ProgramRun]


@dataclass(frozen=True)
class Rule:
    name: str
    layers: tuple[str, ...]
    check: Callable[[Runs], list[str]]


def _metrics(alarm: Resource) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(namespace, metric, dimensions) of an alarm's metric and of each metric of its metric math."""
    if alarm.inputs.get("metricName"):
        yield alarm.inputs.get("namespace", ""), alarm.inputs["metricName"], alarm.inputs.get("dimensions") or {}
    for query in alarm.inputs.get("metricQueries") or []:
        metric = query.get("metric") or {}
        if metric.get("metricName"):
            yield metric.get("namespace", ""), metric["metricName"], metric.get("dimensions") or {}


def _has_alarm(observability: ProgramRun, namespace: str, metric: str, dimension: str, value: str) -> bool:
    return any(
        (found_namespace, found_metric, dimensions.get(dimension)) == (namespace, metric, value)
        for alarm in observability.of_type(ALARM)
        for found_namespace, found_metric, dimensions in _metrics(alarm)
    )


def _function(compute: ProgramRun, name_or_arn: str) -> Resource | None:
    functions = compute.of_type(FUNCTION)
    return next((f for f in functions if name_or_arn in (f.outputs.get("name"), f.outputs.get("arn"))), None)


def mappings(runs: Runs) -> Iterator[tuple[Resource, Resource | None]]:
    """Each event source mapping of compute, with the function it invokes."""
    compute = runs[COMPUTE.name]
    for mapping in compute.of_type(MAPPING):
        yield mapping, _function(compute, str(mapping.inputs.get("functionName", "")))


def every_function_has_an_error_alarm(runs: Runs) -> list[str]:
    observability = runs[OBSERVABILITY.name]
    return [
        f"{COMPUTE.project} function {function.outputs['name']!r} has no error alarm in {OBSERVABILITY.project} "
        f"(AWS/Lambda Errors with FunctionName={function.outputs['name']})"
        for function in runs[COMPUTE.name].of_type(FUNCTION)
        if not _has_alarm(observability, "AWS/Lambda", "Errors", "FunctionName", function.outputs["name"])
    ]


def the_mapping_has_an_iterator_age_alarm(runs: Runs) -> list[str]:
    problems = []
    for mapping, function in mappings(runs):
        name = function.outputs["name"] if function else str(mapping.inputs.get("functionName"))
        if not _has_alarm(runs[OBSERVABILITY.name], "AWS/Lambda", "IteratorAge", "FunctionName", name):
            problems.append(
                f"{COMPUTE.project} event source mapping {mapping.name!r} (function {name!r}) has no iterator-age "
                f"alarm in {OBSERVABILITY.project} (AWS/Lambda IteratorAge with FunctionName={name})"
            )
    return problems


def the_dead_letter_queue_has_a_depth_alarm(runs: Runs) -> list[str]:
    compute, problems = runs[COMPUTE.name], []
    for mapping, _ in mappings(runs):
        destination = ((mapping.inputs.get("destinationConfig") or {}).get("onFailure") or {}).get("destinationArn")
        queue = next((q for q in compute.of_type(QUEUE) if q.outputs.get("arn") == destination), None)
        if queue is None:
            continue
        name = queue.outputs["name"]
        if not _has_alarm(runs[OBSERVABILITY.name], "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name):
            problems.append(
                f"{COMPUTE.project} dead-letter queue {name!r} has no depth alarm in {OBSERVABILITY.project} "
                f"(AWS/SQS ApproximateNumberOfMessagesVisible with QueueName={name})"
            )
    return problems


def stream_of(runs: Runs, mapping: Resource) -> Resource | None:
    return next(
        (s for s in runs[DATA.name].of_type(STREAM) if s.outputs.get("arn") == mapping.inputs.get("eventSourceArn")),
        None,
    )


def reserved_concurrency(function: Resource) -> int | None:
    value = function.inputs.get("reservedConcurrentExecutions")
    return None if value is None or int(value) < 0 else int(value)


def the_shards_fit_the_consumers_concurrency(runs: Runs) -> list[str]:
    compute, problems = runs[COMPUTE.name], []
    for mapping, function in mappings(runs):
        stream = stream_of(runs, mapping)
        if stream is None or function is None or "shardCount" not in stream.inputs:
            continue  # an on-demand stream has no fixed shard count to check
        shards, factor = int(stream.inputs["shardCount"]), int(mapping.inputs.get("parallelizationFactor") or 1)
        reserved = reserved_concurrency(function)
        if reserved is not None:
            available, source = reserved, "its reserved concurrency"
        else:
            others = sum(
                reserved_concurrency(other) or 0 for other in compute.of_type(FUNCTION) if other is not function
            )
            available = ACCOUNT_CONCURRENCY - others
            source = f"the account's unreserved pool ({ACCOUNT_CONCURRENCY} minus {others} reserved by other functions)"
        if shards * factor > available:
            problems.append(
                f"{DATA.project} stream {stream.outputs['name']!r} has {shards} shards x parallelization factor "
                f"{factor} in {COMPUTE.project} = {shards * factor} concurrent batches, but function "
                f"{function.outputs['name']!r} can run at most {available} at once ({source})"
            )
    return problems


def _allows(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    return (
        statement.get("Effect") == "Allow"
        and any(fnmatch.fnmatchcase(action, pattern) for pattern in as_list(statement.get("Action", [])))
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in as_list(statement.get("Resource", [])))
    )


def _inline_statements(compute: ProgramRun, role_arn: str) -> list[Mapping[str, Any]]:
    role = next((r for r in compute.of_type(ROLE) if r.outputs.get("arn") == role_arn), None)
    if role is None:
        return []
    names = {role.outputs.get("name"), role.outputs.get("id"), role_arn}
    statements: list[Mapping[str, Any]] = []
    for policy in compute.of_type(ROLE_POLICY):
        if policy.inputs.get("role") in names:
            statements += as_list(json.loads(policy.inputs["policy"]).get("Statement", []))
    return statements


def the_stream_key_is_decryptable_by_the_mapping_role(runs: Runs) -> list[str]:
    data, compute, problems = runs[DATA.name], runs[COMPUTE.name], []
    customer_keys = {key.outputs.get("arn") for key in data.of_type("aws:kms/key:Key")}
    for mapping, function in mappings(runs):
        stream = stream_of(runs, mapping)
        key = stream.inputs.get("kmsKeyId") if stream else None
        if stream is None or function is None or key not in customer_keys:
            continue
        role_arn = str(function.inputs.get("role"))
        if not any(_allows(s, "kms:Decrypt", str(key)) for s in _inline_statements(compute, role_arn)):
            problems.append(
                f"{DATA.project} stream {stream.outputs['name']!r} is encrypted with customer-managed key {key}, "
                f"which the role {role_arn} of {COMPUTE.project}'s event source mapping may not decrypt "
                "(no kms:Decrypt on that key in its policies)"
            )
    return problems


def every_endpoint_has_a_policy(runs: Runs) -> list[str]:
    """Without a policy an endpoint lets the functions reach any bucket, table or stream of any account."""
    attached = {policy.inputs.get("vpcEndpointId") for policy in runs[COMPUTE.name].of_type(ENDPOINT_POLICY)}
    return [
        f"{NETWORK.project} VPC endpoint {endpoint.inputs.get('serviceName')!r} ({endpoint.id}) has no policy: "
        f"neither its own nor an aws.ec2.VpcEndpointPolicy in {COMPUTE.project}"
        for endpoint in runs[NETWORK.name].of_type(ENDPOINT)
        if not endpoint.inputs.get("policy") and endpoint.id not in attached
    ]


RULES = (
    Rule("function error alarms", (COMPUTE.name, OBSERVABILITY.name), every_function_has_an_error_alarm),
    Rule("mapping iterator-age alarm", (COMPUTE.name, OBSERVABILITY.name), the_mapping_has_an_iterator_age_alarm),
    Rule("dead-letter queue depth alarm", (COMPUTE.name, OBSERVABILITY.name), the_dead_letter_queue_has_a_depth_alarm),
    Rule("shards fit the consumer's concurrency", (DATA.name, COMPUTE.name), the_shards_fit_the_consumers_concurrency),
    Rule(
        "stream key decryptable by the consumer",
        (DATA.name, COMPUTE.name),
        the_stream_key_is_decryptable_by_the_mapping_role,
    ),
    Rule("every VPC endpoint has a policy", (NETWORK.name, COMPUTE.name), every_endpoint_has_a_policy),
)


def check(runs: Runs) -> list[str]:
    """The problems of every rule whose layers all ran."""
    return [problem for rule in RULES if all(name in runs for name in rule.layers) for problem in rule.check(runs)]
