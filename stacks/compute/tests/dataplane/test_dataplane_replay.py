"""The replay tool end to end against moto server: an on-failure message shaped like Lambda's (the
"Example invocation record" of the Lambda developer guide, awsdocs/aws-lambda-developer-guide,
doc_source/with-kinesis.md) in a real SQS queue, records re-read from the real stream and put back."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import boto3
import pytest
from dataplane_emulator.lambda_runtime import ACCOUNT_ID
from dataplane_support import REGION, encoded, event, failures, items, lines, s3_internal_error

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import replay_failures


def on_failure_record(pipeline, records):
    """What Lambda sends to the on-failure destination when a Kinesis batch exhausts its retries."""
    return {
        "requestContext": {
            "requestId": "c9b8fa9f-5a7f-4e2a-af9c-0c604cde93a5",
            "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:streaming-test-ingest",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 3,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": None},
        "version": "1.0",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "KinesisBatchInfo": {
            "shardId": pipeline.shard_id,
            "startSequenceNumber": records[0]["SequenceNumber"],
            "endSequenceNumber": records[-1]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": "2026-01-01T00:00:00.000Z",
            "approximateArrivalOfLastRecord": "2026-01-01T00:00:00.000Z",
            "batchSize": len(records),
            "streamArn": pipeline.stream_arn,
        },
    }


@pytest.fixture
def failed(pipeline):
    """A batch whose every attempt failed (S3 down), and the queue Lambda reported it to."""
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName=f"dlq-{pipeline.table_name}")["QueueUrl"]
    pipeline.put(encoded(*(event(n) for n in range(10))), [f"key-{n % 3}" for n in range(10)])
    records = pipeline.read()
    fault = s3_internal_error(pipeline.function_clients["s3"], when=lambda call: True)
    assert len(failures(pipeline.invoke(pipeline.event(records)))) == 10
    fault.active = False
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(on_failure_record(pipeline, records)))
    return pipeline, records, sqs, queue_url


def replay(pipeline, queue_url, *extra):
    return replay_failures.main(
        [
            "--queue-url",
            queue_url,
            "--stream-name",
            pipeline.stream_name,
            "--table-name",
            pipeline.table_name,
            "--endpoint-url",
            os.environ["AWS_ENDPOINT_URL"],
            "--region",
            REGION,
            "--wait-seconds",
            "0",
            *extra,
        ]
    )


def messages_left(sqs, queue_url):
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_replay_puts_the_failed_records_back_with_their_data_and_partition_keys(failed):
    pipeline, records, _, queue_url = failed
    assert replay(pipeline, queue_url) == 0
    copies = pipeline.read()[len(records) :]
    assert [(r["Data"], r["PartitionKey"]) for r in copies] == [(r["Data"], r["PartitionKey"]) for r in records]


def test_replay_deletes_the_message_once_its_records_are_handled(failed):
    pipeline, _, sqs, queue_url = failed
    replay(pipeline, queue_url)
    assert messages_left(sqs, queue_url) == 0


def test_replay_marks_each_original_replayed_with_the_copy_it_made(failed):
    pipeline, records, _, queue_url = failed
    replay(pipeline, queue_url)
    copies = pipeline.read()[len(records) :]
    table = items(pipeline)
    assert [table[r["SequenceNumber"]]["State"] for r in records] == ["REPLAYED"] * len(records)
    assert [table[r["SequenceNumber"]]["ReplayedAs"] for r in records] == [
        f"{pipeline.shard_id}:{c['SequenceNumber']}" for c in copies
    ]


def test_replayed_copies_are_archived_by_the_pipeline(failed):
    pipeline, records, _, queue_url = failed
    replay(pipeline, queue_url)
    copies = pipeline.read()[len(records) :]
    assert failures(pipeline.invoke(pipeline.event(copies))) == []
    assert [line["id"] for line in lines(pipeline, "archive")] == [f"evt-{n}" for n in range(10)]


def test_records_already_done_are_not_put_back(pipeline):
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName=f"dlq-{pipeline.table_name}")["QueueUrl"]
    pipeline.put(encoded(*(event(n) for n in range(6))))
    records = pipeline.read()
    pipeline.invoke(pipeline.event(records[:4]))
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(on_failure_record(pipeline, records)))
    assert replay(pipeline, queue_url) == 0
    copies = pipeline.read()[len(records) :]
    assert [c["Data"] for c in copies] == [r["Data"] for r in records[4:]]


def test_a_dry_run_changes_nothing_and_leaves_the_message_visible(failed):
    pipeline, records, sqs, queue_url = failed
    before = items(pipeline)
    assert replay(pipeline, queue_url, "--dry-run") == 0
    assert len(pipeline.read()) == len(records)
    assert items(pipeline) == before
    assert len(sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", [])) == 1


def test_a_message_whose_records_are_not_all_in_the_stream_is_kept(failed):
    pipeline, records, sqs, queue_url = failed
    sqs.purge_queue(QueueUrl=queue_url)
    record = on_failure_record(pipeline, records)
    record["KinesisBatchInfo"]["endSequenceNumber"] = str(int(records[-1]["SequenceNumber"]) + 1000)
    record["KinesisBatchInfo"]["batchSize"] = 1010
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))
    assert replay(pipeline, queue_url) == 1
    assert len(pipeline.read()) == len(records)
    assert messages_left(sqs, queue_url) == 1


def test_a_message_that_is_not_an_on_failure_record_is_kept(pipeline):
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName=f"dlq-{pipeline.table_name}")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="hello")
    assert replay(pipeline, queue_url) == 1
    assert messages_left(sqs, queue_url) == 1


class CallRecorder:
    """Every AWS operation a client calls, as the IAM action it needs (`sqs:ReceiveMessage`)."""

    def __init__(self, *clients):
        self.actions = set()
        for client in clients:
            client.meta.events.register("before-call", self.record)

    def record(self, model, **_):
        prefix = model.service_model.signing_name
        self.actions.add(f"{prefix}:{model.name}")


def replay_role_actions(run):
    """The actions the compute program grants its replay role, and the resources of each."""
    [policy] = [p for p in run.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == "replay"]
    granted = {}
    for statement in json.loads(policy.inputs["policy"])["Statement"]:
        for action in statement["Action"]:
            granted.setdefault(action, set()).update(statement["Resource"])
    return granted


def test_the_replay_role_allows_exactly_the_calls_the_tool_makes(failed, default_run):
    """Least privilege, both ways: a replay and a dry run use every action the role has, and nothing else."""
    pipeline, records, sqs, queue_url = failed
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(on_failure_record(pipeline, records)))
    options = [
        "--queue-url", queue_url, "--stream-name", pipeline.stream_name, "--table-name", pipeline.table_name,
        "--endpoint-url", os.environ["AWS_ENDPOINT_URL"], "--region", REGION, "--wait-seconds", "0",
    ]  # fmt: skip
    used = set()
    for extra, messages in ((["--dry-run"], "1"), ([], "2")):
        args = replay_failures.resolve(
            replay_failures.parser().parse_args([*options, *extra, "--max-messages", messages])
        )
        replayer = replay_failures.Replayer(args, out=lambda line: None)
        recorder = CallRecorder(replayer.sqs, replayer.kinesis, replayer.dynamodb)
        replayer.run()
        used |= recorder.actions
    assert used == set(replay_role_actions(default_run))


def test_the_tool_runs_as_the_replay_role_it_is_given(failed):
    pipeline, _, _, queue_url = failed
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(
        RoleName=f"replay-{pipeline.table_name}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]
    said = []
    args = replay_failures.parser().parse_args(
        ["--queue-url", queue_url, "--role-arn", role["Arn"], "--endpoint-url", os.environ["AWS_ENDPOINT_URL"],
         "--region", REGION, "--dry-run", "--wait-seconds", "0"]
    )  # fmt: skip
    replay_failures.Replayer(replay_failures.resolve(args), out=said.append).run()
    assert said[0] == (f"replaying as arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role['RoleName']}/replay-failures")
