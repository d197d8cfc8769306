"""Every kind of alarm this layer raises: what it watches, when it fires, and what to check first.

Pure Python (no Pulumi), so the settings (defaults), the alarms themselves and README's alarm
table are all generated from this one list and cannot drift apart.

Each kind states its `treat_missing_data` and why. AWS services publish most of these metrics
only when something happens (an invocation, a throttled request), so "no data" usually means
"nothing happened" (`notBreaching`). The exceptions are deliberate:

- the stream's iterator age treats no data as `breaching`: Lambda's event source mapping polls
  every shard about once a second even when the stream is idle, so the stream-level metric goes
  missing only when nothing reads the stream at all, and a dead consumer must not look healthy;
- the dead-letter queue alarms `ignore` missing data (keep their last state): SQS publishes queue
  metrics only while a queue is active, and a dead-letter queue that holds messages nobody touches
  goes quiet; treating that as "not breaching" would send an OK while records are still lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Target(Enum):
    """The upstream resource an alarm kind watches."""

    STREAM = "the Kinesis stream"
    FUNCTION = "each of the five functions"
    INGEST = "the ingest function"
    QUEUE = "the dead-letter queue"
    STATE_MACHINE = "the state machine"
    TABLE = "the DynamoDB table"
    STATUS_INDEX = "the table's StatusIndex"


GREATER = "GreaterThanThreshold"
AT_LEAST = "GreaterThanOrEqualToThreshold"
_COMPARISON_TEXT = {GREATER: ">", AT_LEAST: ">="}

BREACHING = "breaching"
NOT_BREACHING = "notBreaching"
IGNORE = "ignore"


@dataclass(frozen=True)
class Tuning:
    """When an alarm fires: `datapoints` of the last `evaluation_periods` periods cross `threshold`."""

    threshold: float
    period_seconds: int
    evaluation_periods: int
    datapoints_to_alarm: int

    def as_config(self) -> dict[str, float | int]:
        """The config form (camelCase keys), as `streaming-observability:alarms` takes it."""
        return {
            "threshold": self.threshold,
            "periodSeconds": self.period_seconds,
            "evaluationPeriods": self.evaluation_periods,
            "datapointsToAlarm": self.datapoints_to_alarm,
        }


@dataclass(frozen=True)
class AlarmKind:
    """One kind of alarm. `key` is its config key under `alarms`; texts may use {name}, {stage},
    {threshold} and {operations}, filled in per alarm."""

    key: str
    name: str
    """Physical alarm name after `streaming-<env>-`; {stage} for per-function kinds."""
    target: Target
    namespace: str
    metric: str
    statistic: str
    comparison: str
    unit: str
    default: Tuning
    treat_missing_data: str
    missing_data_reason: str
    meaning: str
    check_first: str
    catches: str
    """What it catches, in a few words, for README's alarm table."""

    def condition(self, tuning: Tuning) -> str:
        """`Maximum > 300000 ms in 3 of 5 periods of 60 s`, for descriptions and README."""
        threshold = f"{tuning.threshold:g}"
        return (
            f"{self.statistic} {_COMPARISON_TEXT[self.comparison]} {threshold}{f' {self.unit}' if self.unit else ''} "
            f"in {tuning.datapoints_to_alarm} of {tuning.evaluation_periods} periods of {tuning.period_seconds} s"
        )

    def description(self, tuning: Tuning, **names: str) -> str:
        """The alarm description: what it means, then what to check first."""
        values = {"threshold": f"{tuning.threshold:g}", **names}
        return (
            f"{self.meaning.format(**values)} Fires on {self.metric} {self.condition(tuning)}. "
            f"Check first: {self.check_first.format(**values)}"
        )


_COUNT_DEFAULT = Tuning(threshold=1, period_seconds=300, evaluation_periods=1, datapoints_to_alarm=1)
"""Counts of bad events (errors, throttles, failures): any one in a 5-minute window fires. A
5-minute period rather than 1 keeps a trickle of errors from sending an ALARM and an OK e-mail
every other minute."""

_AGE_DEFAULT = Tuning(threshold=300_000, period_seconds=60, evaluation_periods=5, datapoints_to_alarm=3)
"""Iterator age: 3 of the last 5 minutes more than 5 minutes behind. A single slow batch does not
page anyone; a pipeline that keeps falling behind does, long before the stream's retention
(24 hours by default) starts dropping records."""

_NO_EVENTS = "published only for periods in which {what} happened; no data means there was nothing to count"

KINDS: tuple[AlarmKind, ...] = (
    AlarmKind(
        key="deadLetterQueueDepth",
        name="dead-letter-queue-depth",
        target=Target.QUEUE,
        namespace="AWS/SQS",
        metric="ApproximateNumberOfMessagesVisible",
        statistic="Maximum",
        comparison=AT_LEAST,
        unit="messages",
        default=Tuning(threshold=1, period_seconds=60, evaluation_periods=1, datapoints_to_alarm=1),
        treat_missing_data=IGNORE,
        missing_data_reason="SQS publishes queue metrics only while the queue is active (an API call in the "
        "last six hours), so a dead-letter queue holding messages nobody touches goes quiet; `ignore` keeps the "
        "alarm in ALARM until the queue is drained, and in OK while it sits empty",
        meaning="RECORDS LEFT THE PIPELINE. Queue {name} holds messages: each names a Kinesis batch (shard and "
        "sequence-number range) whose records exhausted their retries or maximum age and were neither archived "
        "nor quarantined. They are lost unless replayed from the stream while it still retains them.",
        catches="batches whose records left the pipeline after exhausting retries or maximum age",
        check_first="read a message (shard id and sequence numbers of the failed batch), then the ingest "
        "function's log around its timestamp; fix the cause and replay that range before the stream's "
        "retention period expires.",
    ),
    AlarmKind(
        key="deadLetterQueueAge",
        name="dead-letter-queue-age",
        target=Target.QUEUE,
        namespace="AWS/SQS",
        metric="ApproximateAgeOfOldestMessage",
        statistic="Maximum",
        comparison=AT_LEAST,
        unit="s",
        default=Tuning(threshold=3600, period_seconds=300, evaluation_periods=1, datapoints_to_alarm=1),
        treat_missing_data=IGNORE,
        missing_data_reason="reported only while the queue is active and holds messages; `ignore` keeps the last "
        "known state instead of calling a quiet queue healthy (an hour, the default, is within the six hours "
        "SQS keeps publishing after the last API call)",
        meaning="The oldest message in queue {name} has waited at least {threshold} s: records that left the "
        "pipeline have not been replayed, and the stream's retention is running out for them.",
        catches="failed batches nobody has replayed while the stream's retention runs out",
        check_first="the dead-letter-queue-depth alarm and who is handling it; replay the batches the "
        "messages name, or delete them deliberately once you have decided they are not needed.",
    ),
    AlarmKind(
        key="streamIteratorAge",
        name="stream-iterator-age",
        target=Target.STREAM,
        namespace="AWS/Kinesis",
        metric="GetRecords.IteratorAgeMilliseconds",
        statistic="Maximum",
        comparison=GREATER,
        unit="ms",
        default=_AGE_DEFAULT,
        treat_missing_data=BREACHING,
        missing_data_reason="the stream publishes this for every GetRecords call, and Lambda's event source "
        "mapping polls every shard about once a second even when the stream is idle, so no data at all means "
        "nothing is reading the stream",
        meaning="Consumers of stream {name} are reading records more than {threshold} ms after they were written "
        "(or nothing reads it at all): the pipeline is falling behind, and records older than the stream's "
        "retention period are lost.",
        catches="a pipeline falling behind the stream, or nothing reading it at all",
        check_first="the ingest function's Errors, Throttles and Duration on the dashboard, then whether its "
        "event source mapping is Enabled (no data raises this alarm too).",
    ),
    AlarmKind(
        key="streamWriteThrottled",
        name="stream-write-throttled",
        target=Target.STREAM,
        namespace="AWS/Kinesis",
        metric="WriteProvisionedThroughputExceeded",
        statistic="Sum",
        comparison=AT_LEAST,
        unit="records",
        default=_COUNT_DEFAULT,
        treat_missing_data=NOT_BREACHING,
        missing_data_reason=_NO_EVENTS.format(what="producers wrote"),
        meaning="Stream {name} rejected records because a shard was over its write limit (1 MiB/s or 1,000 "
        "records/s per shard); a producer that does not retry loses them.",
        catches="producers writing more than the stream's shards take",
        check_first="IncomingBytes and IncomingRecords against the stream's shard count (or on-demand limit), "
        "and whether producers spread their partition keys over the shards.",
    ),
    AlarmKind(
        key="streamReadThrottled",
        name="stream-read-throttled",
        target=Target.STREAM,
        namespace="AWS/Kinesis",
        metric="ReadProvisionedThroughputExceeded",
        statistic="Sum",
        comparison=AT_LEAST,
        unit="calls",
        default=_COUNT_DEFAULT,
        treat_missing_data=NOT_BREACHING,
        missing_data_reason=_NO_EVENTS.format(what="consumers read") + " (the iterator-age alarm covers a "
        "stream nobody reads)",
        meaning="GetRecords calls on stream {name} were throttled (2 MiB/s and 5 calls/s per shard, shared by "
        "every standard consumer): processing slows down and the iterator age grows.",
        catches="consumers reading more than the shards serve",
        check_first="how many consumers share the stream's read throughput, and the ingest mapping's batch "
        "size and parallelization factor.",
    ),
    AlarmKind(
        key="functionErrors",
        name="{stage}-errors",
        target=Target.FUNCTION,
        namespace="AWS/Lambda",
        metric="Errors",
        statistic="Sum",
        comparison=AT_LEAST,
        unit="errors",
        default=_COUNT_DEFAULT,
        treat_missing_data=NOT_BREACHING,
        missing_data_reason=_NO_EVENTS.format(what="the function was invoked"),
        meaning="Function {name} (the {stage} stage) raised an error or timed out. Kinesis retries the "
        "batch, so records are not lost yet, but a batch that keeps failing ends in the dead-letter queue.",
        catches="a stage raising an error or timing out",
        check_first="the error and stack trace in log group /aws/lambda/{name}, then the state machine's "
        "failed executions and the dead-letter queue.",
    ),
    AlarmKind(
        key="functionThrottles",
        name="{stage}-throttles",
        target=Target.FUNCTION,
        namespace="AWS/Lambda",
        metric="Throttles",
        statistic="Sum",
        comparison=AT_LEAST,
        unit="invocations",
        default=_COUNT_DEFAULT,
        treat_missing_data=NOT_BREACHING,
        missing_data_reason=_NO_EVENTS.format(what="an invocation was attempted"),
        meaning="Invocations of function {name} (the {stage} stage) were throttled: its reserved concurrency "
        "or the account's regional limit was reached, so batches wait or executions retry and may fail.",
        catches="a stage held back by reserved or account concurrency",
        check_first="ConcurrentExecutions on the dashboard against the function's reserved concurrency and the "
        "account's limit, which other functions in the account share.",
    ),
    AlarmKind(
        key="ingestIteratorAge",
        name="ingest-iterator-age",
        target=Target.INGEST,
        namespace="AWS/Lambda",
        metric="IteratorAge",
        statistic="Maximum",
        comparison=GREATER,
        unit="ms",
        default=_AGE_DEFAULT,
        treat_missing_data=NOT_BREACHING,
        missing_data_reason="Lambda publishes IteratorAge only when the mapping invokes the function, which it "
        "does not do for an idle stream; a consumer that stopped is caught by stream-iterator-age, which "
        "treats no data as breaching",
        meaning="The ingest function {name} is handling records more than {threshold} ms after they reached "
        "the stream: it is falling behind, or retrying a batch that keeps failing.",
        catches="ingest handling records late, or retrying one batch",
        check_first="the ingest function's Errors and Duration and the state machine's ExecutionTime: each "
        "batch waits for its synchronous execution, so one slow stage holds up the whole shard.",
    ),
    AlarmKind(
        key="stateMachineFailed",
        name="state-machine-failed",
        target=Target.STATE_MACHINE,
        namespace="AWS/States",
        metric="ExecutionsFailed",
        statistic="Sum",
        comparison=AT_LEAST,
        unit="executions",
        default=_COUNT_DEFAULT,
        treat_missing_data=NOT_BREACHING,
        missing_data_reason=_NO_EVENTS.format(what="an execution ran"),
        meaning="Executions of state machine {name} failed: a transform, validate, enrich or archive step "
        "raised an error its retries did not absorb, and ingest handed those records back to Kinesis.",
        catches="executions a step's retries did not save",
        check_first="the state machine's log group for the failing step (Express executions are not in the "
        "console's execution history), then that stage's errors alarm.",
    ),
    AlarmKind(
        key="stateMachineTimedOut",
        name="state-machine-timed-out",
        target=Target.STATE_MACHINE,
        namespace="AWS/States",
        metric="ExecutionsTimedOut",
        statistic="Sum",
        comparison=AT_LEAST,
        unit="executions",
        default=_COUNT_DEFAULT,
        treat_missing_data=NOT_BREACHING,
        missing_data_reason=_NO_EVENTS.format(what="an execution ran"),
        meaning="Executions of state machine {name} timed out (an Express execution runs at most 5 minutes, "
        "and the ingest function's own timeout bounds a synchronous one).",
        catches="executions running out of time",
        check_first="ExecutionTime p99 on the dashboard and the Duration of the four stage functions: one slow "
        "stage (a cold start, a throttled table) holds up the whole batch.",
    ),
    AlarmKind(
        key="tableThrottled",
        name="table-throttled",
        target=Target.TABLE,
        namespace="AWS/DynamoDB",
        metric="ThrottledRequests",
        statistic="Sum",
        comparison=AT_LEAST,
        unit="requests",
        default=_COUNT_DEFAULT,
        treat_missing_data=NOT_BREACHING,
        missing_data_reason=_NO_EVENTS.format(what="a request was throttled") + "; the alarm sums the "
        "per-operation series with gaps filled as 0",
        meaning="Requests to table {name} were throttled ({operations}): the SDK retries them, and a stage "
        "fails once its retries run out.",
        catches="table requests throttled as a whole (a BatchWriteItem only when all its items were)",
        check_first="read/write throttle events and consumed capacity on the dashboard against the table's "
        "capacity mode and limits, then a hot partition key (CloudWatch Contributor Insights).",
    ),
    AlarmKind(
        key="tableWriteThrottleEvents",
        name="table-write-throttle-events",
        target=Target.TABLE,
        namespace="AWS/DynamoDB",
        metric="WriteThrottleEvents",
        statistic="Sum",
        comparison=AT_LEAST,
        unit="events",
        default=_COUNT_DEFAULT,
        treat_missing_data=NOT_BREACHING,
        missing_data_reason=_NO_EVENTS.format(what="a write was throttled"),
        meaning="Item writes to table {name} were throttled. The pipeline writes with BatchWriteItem, which "
        "ThrottledRequests counts only when every item of a request is throttled; a partly throttled batch "
        "shows only here, as items the stage must write again, and a stage fails once its retries run out.",
        catches="throttled item writes of the table, including partly throttled BatchWriteItem requests",
        check_first="ConsumedWriteCapacityUnits and the throttle events on the dashboard against the table's "
        "capacity mode and limits, then a hot partition key (CloudWatch Contributor Insights).",
    ),
    AlarmKind(
        key="statusIndexWriteThrottleEvents",
        name="status-index-write-throttle-events",
        target=Target.STATUS_INDEX,
        namespace="AWS/DynamoDB",
        metric="WriteThrottleEvents",
        statistic="Sum",
        comparison=AT_LEAST,
        unit="events",
        default=_COUNT_DEFAULT,
        treat_missing_data=NOT_BREACHING,
        missing_data_reason=_NO_EVENTS.format(what="an index write was throttled"),
        meaning="Writes to index StatusIndex of table {name} were throttled. The index has few partition keys "
        "(one per status), so it is the likeliest hot spot, and a throttled index throttles the table writes "
        "that update it; the table-level metric does not include the index.",
        catches="throttled writes to StatusIndex, the likeliest hot spot (the table metric leaves indexes out)",
        check_first="the StatusIndex series of the throttle events on the dashboard, the index's write capacity "
        "(`indexWriteCapacity` with PROVISIONED) and how many records arrive in one status at once.",
    ),
    AlarmKind(
        key="tableSystemErrors",
        name="table-system-errors",
        target=Target.TABLE,
        namespace="AWS/DynamoDB",
        metric="SystemErrors",
        statistic="Sum",
        comparison=AT_LEAST,
        unit="requests",
        default=_COUNT_DEFAULT,
        treat_missing_data=NOT_BREACHING,
        missing_data_reason=_NO_EVENTS.format(what="DynamoDB returned a 500 error") + "; the alarm sums the "
        "per-operation series with gaps filled as 0",
        meaning="DynamoDB answered requests to table {name} with HTTP 500 ({operations}): a problem on the "
        "AWS side. The SDK retries, but stages may fail.",
        catches="DynamoDB server errors",
        check_first="the AWS Health Dashboard for DynamoDB in this region, then the stage functions' errors alarms.",
    ),
)
"""In order of importance: the dead-letter queue first."""

KINDS_BY_KEY = {kind.key: kind for kind in KINDS}

PER_OPERATION_METRICS = frozenset({"ThrottledRequests", "SystemErrors"})
"""DynamoDB publishes these only per (TableName, Operation): an alarm on TableName alone would
never see data, so these alarms sum the operations with metric math."""


def reference_table() -> str:
    """README's table of alarms: what each means, when it fires by default, what to check first."""
    rows = [
        "| alarm (`alarms` key) | watches | catches | fires by default on | no data counts as | check first |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind in KINDS:
        name = f"`streaming-<env>-{kind.name.replace('{stage}', '<stage>')}` (`{kind.key}`)"
        condition = f"{kind.metric} {kind.condition(kind.default)}"
        check = kind.check_first.format(name="<function>", stage="<stage>", threshold="", operations="")
        rows.append(
            f"| {name} | {kind.target.value} | {kind.catches} | {condition} | {kind.treat_missing_data} | {check} |"
        )
    return "\n".join(rows)
