"""Replay the records Lambda gave up on (`nox -s replay-failures -- ...`).

What it does, step by step, the role it runs as and what a replayed record is to the pipeline:
docs/runbooks/dlq-redrive.md. The on-failure record it reads is "Example invocation record" in the
Lambda developer guide (awsdocs/aws-lambda-developer-guide, doc_source/with-kinesis.md).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from streaming_shared.record_store import HASH_KEY, RANGE_KEY, RECORD_TTL_DAYS, STATUS_ATTRIBUTE, TTL_ATTRIBUTE

ROOT = Path(__file__).resolve().parents[3]
SESSION_NAME = "replay-failures"
"""Names the tool's role session in CloudTrail."""
DONE = ("ARCHIVED", "QUARANTINED", "REPLAYED")
PUT_RECORDS_MAX = 500
PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024


class Unhandled(Exception):
    """The message cannot be handled now; it stays in the queue."""


@dataclass
class Summary:
    messages: int = 0
    deleted: int = 0
    kept: int = 0
    records_put: int = 0
    records_skipped: int = 0
    problems: list[str] = field(default_factory=list)


def stack_outputs(folder: str, org: str | None, project: str, stack: str) -> dict[str, Any]:
    """A stack's outputs through the Pulumi CLI (the deployment's source of truth); without an
    org, the stack of the backend and organization the CLI is logged into."""
    name = f"{org}/{project}/{stack}" if org else stack
    command = ["pulumi", "stack", "output", "--json", "--stack", name]
    try:
        result = subprocess.run(command, cwd=ROOT / folder, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise SystemExit(
            f"cannot read the outputs of stack {name!r} of {project} ({error}); pass them as options instead: "
            "--queue-url, --stream-name and --table-name (and --region)"
        ) from error
    return json.loads(result.stdout)


def resolve(args: argparse.Namespace) -> argparse.Namespace:
    """Fill what was not given from the stacks' outputs; stack `local` talks to the emulator."""
    if args.stack and not (args.queue_url and args.stream_name and args.table_name):
        compute = stack_outputs("stacks/compute", args.org, "streaming-compute", args.stack)
        data = stack_outputs("stacks/data", args.org, "streaming-data", args.stack)
        args.queue_url = args.queue_url or compute["dead_letter_queue_url"]
        args.role_arn = args.role_arn or compute.get("replay_role_arn")
        args.stream_name = args.stream_name or data["stream_name"]
        args.table_name = args.table_name or data["table_name"]
        args.region = args.region or data.get("region")
    if args.stack == "local" and not args.endpoint_url:
        from streaming_shared.config import DEFAULT_EMULATOR_ENDPOINT  # noqa: PLC0415

        args.endpoint_url = DEFAULT_EMULATOR_ENDPOINT
    if not args.queue_url:
        raise SystemExit("--queue-url is required (or --stack, with the Pulumi CLI, to read it)")
    return args


def session_for(args: argparse.Namespace) -> boto3.Session:
    """The caller's session, or with `--role-arn` a session of that role, assumed with the caller's credentials."""
    session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
    if not args.role_arn:
        return session
    sts = session.client("sts", **({"endpoint_url": args.endpoint_url} if args.endpoint_url else {}))
    try:
        credentials = sts.assume_role(RoleArn=args.role_arn, RoleSessionName=SESSION_NAME)["Credentials"]
    except ClientError as error:
        raise SystemExit(
            f"cannot assume the replay role {args.role_arn} ({error}); your credentials need sts:AssumeRole on it "
            "(docs/runbooks/dlq-redrive.md)"
        ) from error
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=session.region_name,
    )


class Replayer:
    def __init__(self, args: argparse.Namespace, out: Any = print) -> None:
        session = session_for(args)
        options = {"endpoint_url": args.endpoint_url} if args.endpoint_url else {}
        identity = session.client("sts", **options).get_caller_identity()["Arn"]
        out(f"replaying as {identity}")
        self.sqs = session.client("sqs", **options)
        self.kinesis = session.client("kinesis", **options)
        self.dynamodb = session.client("dynamodb", **options) if args.table_name else None
        self.args = args
        self.out = out
        self.summary = Summary()
        self.seen: set[str] = set()

    def run(self) -> Summary:
        while self.summary.messages < self.args.max_messages:
            response = self.sqs.receive_message(
                QueueUrl=self.args.queue_url,
                MaxNumberOfMessages=min(10, self.args.max_messages - self.summary.messages),
                WaitTimeSeconds=self.args.wait_seconds,
            )
            received = response.get("Messages", [])
            messages = [m for m in received if m["MessageId"] not in self.seen]
            for message in received:
                if message["MessageId"] in self.seen:
                    self.release(message)
            if not messages:
                break  # an empty queue, or only messages this run has seen (kept, or a dry run)
            for message in messages:
                self.seen.add(message["MessageId"])
                self.summary.messages += 1
                self.handle(message)
        return self.summary

    def release(self, message: dict[str, Any]) -> None:
        """Make a message this run keeps visible again at once (receiving it hid it)."""
        self.sqs.change_message_visibility(
            QueueUrl=self.args.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )

    def handle(self, message: dict[str, Any]) -> None:
        try:
            info = batch_info(message["Body"])
            label = f"{info['shardId']} {info['startSequenceNumber']}..{info['endSequenceNumber']}"
            stream = info["streamArn"].split(":stream/", 1)[-1]
            if self.args.stream_name and stream != self.args.stream_name:
                raise Unhandled(f"the message is about stream {stream}, not {self.args.stream_name}")
            records = self.read(stream, info)
            states = self.states(info["shardId"], records)
            pending = [r for r in records if state_of(states.get(r["SequenceNumber"], {})) not in DONE]
            skipped = len(records) - len(pending)
            if self.args.dry_run:
                self.out(f"[dry run] {label}: {len(records)} records, would put back {len(pending)}, skip {skipped}")
                self.release(message)
                self.summary.kept += 1
                return
            copies = self.put(stream, pending)
            self.mark_replayed(info["shardId"], pending, copies, states)
        except Unhandled as problem:
            self.summary.kept += 1
            self.summary.problems.append(str(problem))
            self.out(f"kept in the queue: {problem}")
            return
        self.sqs.delete_message(QueueUrl=self.args.queue_url, ReceiptHandle=message["ReceiptHandle"])
        self.summary.deleted += 1
        self.summary.records_put += len(pending)
        self.summary.records_skipped += skipped
        self.out(f"{label}: put back {len(pending)} of {len(records)} records, skipped {skipped} already done")

    def read(self, stream: str, info: dict[str, Any]) -> list[dict[str, Any]]:
        """The records from the first to the last sequence number of the failed batch, all or an error."""
        first, last = info["startSequenceNumber"], info["endSequenceNumber"]
        try:
            iterator = self.kinesis.get_shard_iterator(
                StreamName=stream,
                ShardId=info["shardId"],
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                StartingSequenceNumber=first,
            )["ShardIterator"]
        except ClientError as error:
            raise Unhandled(f"cannot read {info['shardId']} at {first}: {error}") from error
        records: list[dict[str, Any]] = []
        while iterator and len(records) < int(info.get("batchSize", 10_000)) + 1:
            response = self.kinesis.get_records(ShardIterator=iterator, Limit=1_000)
            batch = [r for r in response["Records"] if int(r["SequenceNumber"]) <= int(last)]
            records += batch
            if len(batch) < len(response["Records"]) or not response["Records"]:
                break
            iterator = response.get("NextShardIterator")
        if not records or records[0]["SequenceNumber"] != first or records[-1]["SequenceNumber"] != last:
            raise Unhandled(
                f"{info['shardId']} {first}..{last}: the records are no longer all in the stream "
                f"(found {len(records)}); they may have passed the stream's retention"
            )
        if "batchSize" in info and len(records) != int(info["batchSize"]):
            raise Unhandled(
                f"{info['shardId']} {first}..{last}: found {len(records)} records, expected {info['batchSize']}"
            )
        return records

    def states(self, shard_id: str, records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The state-table items of `records`, by sequence number (BatchGetItem, 100 keys a call)."""
        if self.dynamodb is None:
            return {}
        keys = [key(shard_id, record) for record in records]
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), 100):
            request = {self.args.table_name: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
            for attempt in range(8):
                response = self.dynamodb.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self.args.table_name, []):
                    found[item["SequenceNumber"]["S"]] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
            if request:
                raise Unhandled("the state table keeps refusing the lookups; try again later")
        return found

    def put(self, stream: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Put `records` back in order; the PutRecords result entry (new shard and sequence) of each."""
        results: list[dict[str, Any]] = []
        for group in groups(records):
            entries = [{"Data": r["Data"], "PartitionKey": r["PartitionKey"]} for r in group]
            outcome: list[dict[str, Any] | None] = [None] * len(entries)
            todo = list(range(len(entries)))
            for attempt in range(6):
                response = self.kinesis.put_records(StreamName=stream, Records=[entries[i] for i in todo])
                retry = []
                for index, result in zip(todo, response["Records"], strict=True):
                    if "ErrorCode" in result:
                        retry.append(index)
                    else:
                        outcome[index] = result
                todo = retry
                if not todo:
                    break
                time.sleep(random.uniform(0, 0.1 * 2**attempt))
            if todo:
                raise Unhandled(f"PutRecords kept refusing {len(todo)} records; the message stays for another run")
            results += [result for result in outcome if result is not None]
        return results

    def mark_replayed(
        self,
        shard_id: str,
        records: list[dict[str, Any]],
        copies: list[dict[str, Any]],
        states: dict[str, dict[str, Any]],
    ) -> None:
        if self.dynamodb is None or not records:
            return
        items = []
        for record, copy in zip(records, copies, strict=True):
            item = dict(states.get(record["SequenceNumber"]) or base_item(shard_id, record))
            # REPLAYED is final and needs no attention: `State` only, so the sparse StatusIndex drops it.
            item["State"] = {"S": "REPLAYED"}
            item.pop(STATUS_ATTRIBUTE, None)
            item["ReplayedAs"] = {"S": f"{copy['ShardId']}:{copy['SequenceNumber']}"}
            items.append(item)
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            for attempt in range(8):
                response = self.dynamodb.batch_write_item(RequestItems={self.args.table_name: requests})
                requests = response.get("UnprocessedItems", {}).get(self.args.table_name, [])
                if not requests:
                    break
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
            if requests:
                # The copies are in the stream already: the message must not be replayed again.
                self.summary.problems.append(f"{len(requests)} originals not marked REPLAYED")


def state_of(item: dict[str, Any]) -> str | None:
    value = item.get("State")
    return value["S"] if value else None


def batch_info(body: str) -> dict[str, Any]:
    try:
        info = json.loads(body)["KinesisBatchInfo"]
        complete = all(name in info for name in ("shardId", "startSequenceNumber", "endSequenceNumber", "streamArn"))
    except (ValueError, KeyError, TypeError):
        complete = False
    if not complete:
        raise Unhandled(f"not a Lambda on-failure record of a Kinesis batch: {body[:200]!r}")
    return info


def arrival_ms(record: dict[str, Any]) -> int:
    return round(record["ApproximateArrivalTimestamp"].timestamp() * 1000)


def key(shard_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """The record's state-table key, as ingest writes it (see pipeline_core.table)."""
    return {
        HASH_KEY: {"S": f"{shard_id}:{record['SequenceNumber']}"},
        RANGE_KEY: {"N": str(arrival_ms(record))},
    }


def base_item(shard_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """The item of a record that has none yet, kept the default `recordTtlDays` (the stack's own is not read)."""
    return key(shard_id, record) | {
        "ShardId": {"S": shard_id},
        "SequenceNumber": {"S": record["SequenceNumber"]},
        "PartitionKey": {"S": record["PartitionKey"]},
        TTL_ATTRIBUTE: {"N": str(arrival_ms(record) // 1000 + RECORD_TTL_DAYS * 86_400)},
    }


def groups(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """PutRecords limits: 500 records and 5 MiB (data plus partition keys) a call."""
    result: list[list[dict[str, Any]]] = [[]]
    size = 0
    for record in records:
        cost = len(record["Data"]) + len(record["PartitionKey"].encode())
        if result[-1] and (len(result[-1]) == PUT_RECORDS_MAX or size + cost > PUT_RECORDS_MAX_BYTES):
            result.append([])
            size = 0
        result[-1].append(record)
        size += cost
    return [group for group in result if group]


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="nox -s replay-failures --", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parse.add_argument("--stack", help="environment (stack name); reads the options below from its outputs")
    parse.add_argument("--org", help="Pulumi organization of the stacks; default: the one the CLI is logged into")
    parse.add_argument("--queue-url", help="the on-failure queue (streaming-compute output dead_letter_queue_url)")
    parse.add_argument("--stream-name", help="the stream (streaming-data output stream_name)")
    parse.add_argument("--table-name", help="the state table (streaming-data output table_name)")
    parse.add_argument(
        "--role-arn", help="the role to run as (streaming-compute output replay_role_arn, which --stack reads)"
    )
    parse.add_argument("--endpoint-url", help="an AWS API emulator; stack `local` defaults to it")
    parse.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    parse.add_argument("--dry-run", action="store_true", help="report what would be put back; change nothing")
    parse.add_argument("--max-messages", type=int, default=100, help="stop after this many messages")
    parse.add_argument("--wait-seconds", type=int, default=1, help="SQS long-poll wait per receive")
    return parse


def main(argv: list[str] | None = None) -> int:
    args = resolve(parser().parse_args(argv))
    summary = Replayer(args).run()
    print(json.dumps(summary.__dict__, indent=2))
    return 1 if summary.problems else 0


if __name__ == "__main__":
    sys.exit(main())
