"""Rules that span layers, in the offline plan: each passes on the real chain and fails on one
crafted to break it (the real chain with one resource removed or one setting changed)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest

from streaming_tooling.deploy import cross_layer
from streaming_tooling.deploy.plan import build_plan
from streaming_tooling.testing import ProgramRun, Resource

CUSTOMER_KEY = {"data": {"streamCustomerManagedKey": True}}


@pytest.fixture(scope="module")
def plan():
    return build_plan("local")


@pytest.fixture(scope="module")
def plan_with_stream_key():
    return build_plan("local", config_overrides=CUSTOMER_KEY)


def removing(run: ProgramRun, unwanted: Callable[[Resource], bool]) -> ProgramRun:
    kept = [resource for resource in run.resources if not unwanted(resource)]
    assert len(kept) < len(run.resources), "the crafted chain must differ from the real one"
    return dataclasses.replace(run, resources=kept)


def alarm_named(key: str) -> Callable[[Resource], bool]:
    return lambda resource: resource.type == cross_layer.ALARM and resource.name == f"alarms-{key}"


def test_the_real_chain_keeps_every_cross_layer_rule(plan, plan_with_stream_key):
    assert cross_layer.check(plan.runs) == []
    assert cross_layer.check(plan_with_stream_key.runs) == []
    assert plan.problems == [] and plan_with_stream_key.problems == []


def test_a_function_without_an_error_alarm_is_reported_naming_both_layers(plan):
    runs = {**plan.runs, "observability": removing(plan.runs["observability"], alarm_named("archive-errors"))}
    assert cross_layer.every_function_has_an_error_alarm(runs) == [
        "streaming-compute function 'streaming-local-archive' has no error alarm in streaming-observability "
        "(AWS/Lambda Errors with FunctionName=streaming-local-archive)"
    ]


def test_a_mapping_without_an_iterator_age_alarm_is_reported(plan):
    runs = {**plan.runs, "observability": removing(plan.runs["observability"], alarm_named("ingest-iterator-age"))}
    [problem] = cross_layer.the_mapping_has_an_iterator_age_alarm(runs)
    assert problem.startswith("streaming-compute event source mapping")
    assert "no iterator-age alarm in streaming-observability" in problem


def test_a_dead_letter_queue_without_a_depth_alarm_is_reported(plan):
    runs = {**plan.runs, "observability": removing(plan.runs["observability"], alarm_named("dead-letter-queue-depth"))}
    assert cross_layer.the_dead_letter_queue_has_a_depth_alarm(runs) == [
        "streaming-compute dead-letter queue 'streaming-local-ingest-dead-letters' has no depth alarm in "
        "streaming-observability (AWS/SQS ApproximateNumberOfMessagesVisible with "
        "QueueName=streaming-local-ingest-dead-letters)"
    ]


def test_more_concurrent_batches_than_the_reserved_concurrency_fails_the_plan_naming_both_layers():
    broken = build_plan(
        "local",
        config_overrides={
            "data": {"streamShardCount": 50},
            "compute": {"parallelizationFactor": 10, "reservedConcurrency": {"ingest": 100}},
        },
    )
    assert broken.problems == [
        "cross-layer rules: streaming-data stream 'streaming-local-records' has 50 shards x parallelization "
        "factor 10 in streaming-compute = 500 concurrent batches, but function 'streaming-local-ingest' can run "
        "at most 100 at once (its reserved concurrency)"
    ]


def test_enough_reserved_concurrency_for_every_batch_passes():
    fits = build_plan(  # within the guardrails' reserved-concurrency cap (100), which the plan also applies
        "local",
        config_overrides={
            "data": {"streamShardCount": 10},
            "compute": {"parallelizationFactor": 10, "reservedConcurrency": {"ingest": 100}},
        },
    )
    assert fits.problems == []


def test_without_reserved_concurrency_the_unreserved_pool_counts(plan):
    compute = plan.runs["compute"]
    reserving = [
        dataclasses.replace(r, inputs={**r.inputs, "reservedConcurrentExecutions": 1000})
        if r.type == cross_layer.FUNCTION and r.name == "archive"
        else r
        for r in compute.resources
    ]
    runs = {**plan.runs, "compute": dataclasses.replace(compute, resources=reserving)}
    [problem] = cross_layer.the_shards_fit_the_consumers_concurrency(runs)
    assert problem.endswith(
        "= 10 concurrent batches, but function 'streaming-local-ingest' can run at most 0 at once "
        "(the account's unreserved pool (1000 minus 1000 reserved by other functions))"
    )


def test_a_stream_key_the_mapping_role_may_not_decrypt_is_reported(plan_with_stream_key):
    compute = plan_with_stream_key.runs["compute"]

    def without_decrypt(resource: Resource) -> Resource:
        if resource.type != cross_layer.ROLE_POLICY:
            return resource
        document = json.loads(resource.inputs["policy"])
        document["Statement"] = [s for s in document["Statement"] if "kms:Decrypt" not in json.dumps(s)]
        return dataclasses.replace(resource, inputs={**resource.inputs, "policy": json.dumps(document)})

    crafted = dataclasses.replace(compute, resources=[without_decrypt(r) for r in compute.resources])
    assert crafted.resources != compute.resources
    [problem] = cross_layer.the_stream_key_is_decryptable_by_the_mapping_role(
        {**plan_with_stream_key.runs, "compute": crafted}
    )
    assert problem.startswith("streaming-data stream 'streaming-local-records' is encrypted with customer-managed key")
    assert "of streaming-compute's event source mapping may not decrypt" in problem


def test_decrypt_on_another_key_does_not_count(plan_with_stream_key):
    compute = plan_with_stream_key.runs["compute"]
    key_arn = plan_with_stream_key.runs["data"].exports["stream_kms_key_arn"]
    other_key = key_arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"

    def decrypting_another_key(resource: Resource) -> Resource:
        if resource.type != cross_layer.ROLE_POLICY or key_arn not in resource.inputs["policy"]:
            return resource
        return dataclasses.replace(
            resource, inputs={**resource.inputs, "policy": resource.inputs["policy"].replace(key_arn, other_key)}
        )

    crafted = dataclasses.replace(compute, resources=[decrypting_another_key(r) for r in compute.resources])
    assert crafted.resources != compute.resources
    runs = {**plan_with_stream_key.runs, "compute": crafted}
    assert len(cross_layer.the_stream_key_is_decryptable_by_the_mapping_role(runs)) == 1


def test_an_endpoint_without_a_policy_is_reported_naming_both_layers(plan):
    compute = removing(
        plan.runs["compute"],
        lambda r: r.type == cross_layer.ENDPOINT_POLICY and r.name == "endpoints-s3",
    )
    s3 = next(e for e in plan.runs["network"].of_type(cross_layer.ENDPOINT) if e.inputs["serviceName"].endswith(".s3"))
    assert cross_layer.every_endpoint_has_a_policy({**plan.runs, "compute": compute}) == [
        f"streaming-network VPC endpoint 'com.amazonaws.us-east-1.s3' ({s3.id}) has no policy: neither its own "
        "nor an aws.ec2.VpcEndpointPolicy in streaming-compute"
    ]


def test_an_endpoint_with_a_policy_of_its_own_needs_none_from_compute(plan):
    network = plan.runs["network"]
    with_own_policy = [
        dataclasses.replace(r, inputs={**r.inputs, "policy": '{"Statement": []}'})
        if r.type == cross_layer.ENDPOINT
        else r
        for r in network.resources
    ]
    compute = removing(plan.runs["compute"], lambda r: r.type == cross_layer.ENDPOINT_POLICY)
    runs = {**plan.runs, "network": dataclasses.replace(network, resources=with_own_policy), "compute": compute}
    assert cross_layer.every_endpoint_has_a_policy(runs) == []
