"""The Kinesis consumer: the event source mapping that feeds `ingest`, and its dead-letter queue.

`ingest` reports each record that failed transiently (`ReportBatchItemFailures`), so Kinesis
retries from that record on; a batch that keeps failing is split (bisect) and retried a bounded
number of times. What is still failing then, or is older than the maximum record age, is not
dropped: Lambda sends its shard and sequence-number range to the dead-letter queue, from which
an operator re-reads the records (docs/runbooks/dlq-redrive.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from streaming_shared.naming import NameKind, Namer

from . import iam
from .functions import StageFunction
from .settings import ComputeSettings


@dataclass(frozen=True)
class StreamReading:
    """How the event source mapping reads the stream, and how long failures are kept."""

    starting_position: str
    starting_position_timestamp: str | None
    batch_size: int
    maximum_batching_window_seconds: int
    parallelization_factor: int
    bisect_batch_on_error: bool
    maximum_retry_attempts: int
    maximum_record_age_seconds: int
    dead_letter_retention_seconds: int

    @classmethod
    def of(cls, settings: ComputeSettings) -> StreamReading:
        return cls(
            starting_position=settings.starting_position,
            starting_position_timestamp=settings.starting_position_timestamp,
            batch_size=settings.batch_size,
            maximum_batching_window_seconds=settings.maximum_batching_window_seconds,
            parallelization_factor=settings.parallelization_factor,
            bisect_batch_on_error=settings.bisect_batch_on_error,
            maximum_retry_attempts=settings.maximum_retry_attempts,
            maximum_record_age_seconds=settings.maximum_record_age_seconds,
            dead_letter_retention_seconds=settings.dead_letter_retention_seconds,
        )


def dead_letter_queue_name(environment: str) -> str:
    return Namer(environment).name("ingest", "dead-letters", kind=NameKind.SQS_QUEUE)


class StreamConsumer(pulumi.ComponentResource):
    """The event source mapping of `ingest` on the stream, and where exhausted batches go.

    `start_after` is what must exist before the mapping, which starts the flow of records (say,
    the policies that limit the VPC endpoints the functions use)."""

    def __init__(
        self,
        name: str,
        environment: str,
        reading: StreamReading,
        *,
        ingest: StageFunction,
        stream_arn: pulumi.Input[str],
        stream_kms_key_arn: pulumi.Input[str] | None,
        start_after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:compute:StreamConsumer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namer = Namer(environment)
        region = ingest.region

        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-dead-letters",
            name=dead_letter_queue_name(environment),
            sqs_managed_sse_enabled=True,
            message_retention_seconds=reading.dead_letter_retention_seconds,
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-dead-letters",
            queue_url=self.dead_letter_queue.url,
            policy=self.dead_letter_queue.arn.apply(iam.deny_insecure_transport),
            opts=child,
        )
        # Lambda polls the stream and writes to the queue with the function's own role, so the
        # mapping's permissions go on that role, next to (not inside) the handler's own policy.
        key_statements = pulumi.Output.from_input(stream_kms_key_arn).apply(
            lambda arn: [iam.stream_key_decrypt(arn, region)] if arn else []
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-event-source",
            name=namer.name(ingest.stage, "event-source", kind=NameKind.IAM_POLICY),
            role=ingest.role.id,
            policy=pulumi.Output.all(stream_arn, self.dead_letter_queue.arn, key_statements).apply(
                lambda values: iam.document([iam.stream_reads(values[0]), iam.failure_sends(values[1]), *values[2]])
            ),
            opts=child,
        )
        self.mapping = aws.lambda_.EventSourceMapping(
            name,
            event_source_arn=stream_arn,
            function_name=ingest.function.arn,
            starting_position=reading.starting_position,
            starting_position_timestamp=reading.starting_position_timestamp,
            batch_size=reading.batch_size,
            maximum_batching_window_in_seconds=reading.maximum_batching_window_seconds,
            parallelization_factor=reading.parallelization_factor,
            function_response_types=["ReportBatchItemFailures"],
            bisect_batch_on_function_error=reading.bisect_batch_on_error,
            maximum_retry_attempts=reading.maximum_retry_attempts,
            maximum_record_age_in_seconds=reading.maximum_record_age_seconds,
            destination_config=aws.lambda_.EventSourceMappingDestinationConfigArgs(
                on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                    destination_arn=self.dead_letter_queue.arn
                )
            ),
            # Lambda checks the role's stream and queue permissions when it creates the mapping.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy, *start_after]),
        )
        self.register_outputs(
            {
                "event_source_mapping_id": self.mapping.uuid,
                "dead_letter_queue_arn": self.dead_letter_queue.arn,
                "dead_letter_queue_url": self.dead_letter_queue.url,
            }
        )
