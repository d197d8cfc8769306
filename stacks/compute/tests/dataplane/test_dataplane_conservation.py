"""Conservation, for arbitrary batches (hypothesis) with malformed, invalid, valid and oversized records
and an arbitrary transient fault: after one invocation, every record outside the batch item failures
is in a final state with exactly one line in the object its item names; after Kinesis' retries, every
record is exactly once in S3 (archive or quarantine, never both, never twice) and once in the table.
After a bisected redelivery (a function error of ingest), every item names an object holding its line."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest
from compute_layer.state_machine_definition import STEPS
from dataplane_emulator.pipeline import Pipeline
from dataplane_support import (
    REGION,
    Unprocessed,
    encoded,
    event,
    failures,
    items,
    objects,
    run_until_done,
    s3_internal_error,
    sequence_of,
    throttle,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SPELLINGS = {
    "id": ["id", "eventId", "event_id"],
    "source": ["source", "eventSource"],
    "type": ["type", "eventType", "detail-type"],
    "timestamp": ["timestamp", "ts", "time", "occurredAt"],
    "payload": ["payload", "data", "detail"],
}
identifiers = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True)
types = st.from_regex(r"[a-z][a-z0-9]{0,7}(\.[a-z][a-z0-9]{0,7}){0,2}", fullmatch=True)
moments = st.integers(min_value=946_684_800_000, max_value=4_102_444_799_000)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
payloads = st.dictionaries(st.text(max_size=8), scalars, max_size=4)
partition_keys = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=256)


@st.composite
def valid_events(draw):
    moment = draw(moments)
    form = draw(st.sampled_from(["ms", "s", "iso"]))
    timestamp = {
        "ms": moment,
        "s": moment // 1000,
        "iso": datetime.fromtimestamp(moment // 1000, tz=UTC).isoformat(),
    }[form]
    payload = draw(payloads)
    if draw(st.integers(0, 9)) == 0:
        payload["blob"] = "x" * draw(st.integers(0, 12_000))
    values = {
        "id": draw(identifiers),
        "source": draw(identifiers),
        "type": draw(types),
        "timestamp": timestamp,
        "payload": payload,
    }
    event = {draw(st.sampled_from(SPELLINGS[name])): value for name, value in values.items()}
    if draw(st.booleans()):
        event["shipTo"] = draw(scalars)  # a field the schema does not name is kept (tolerant reader)
    return event


@st.composite
def invalid_events(draw):
    event = draw(valid_events())
    breakage = draw(st.sampled_from(["drop", "timestamp", "payload", "reserved", "empty id"]))
    if breakage == "drop":
        del event[draw(st.sampled_from(sorted(key for key in event if key != "shipTo")))]
    elif breakage == "timestamp":
        event = {k: v for k, v in event.items() if k not in SPELLINGS["timestamp"]} | {"timestamp": "soon"}
    elif breakage == "payload":
        event = {k: v for k, v in event.items() if k not in SPELLINGS["payload"]} | {"payload": [1, 2]}
    elif breakage == "reserved":
        event["event_time"] = "now"
    else:
        event = {k: v for k, v in event.items() if k not in SPELLINGS["id"]} | {"id": ""}
    return event


malformed = st.one_of(
    st.binary(max_size=64),
    st.builds(
        lambda v: json.dumps(v).encode(), st.one_of(st.lists(st.integers(), max_size=3), st.integers(), st.text())
    ),
    st.sampled_from([b"", b"{", b'{"a": NaN}', b"\xc3\x28", b'{"a": 1} trailing']),
)

records_strategy = st.lists(
    st.one_of(
        st.tuples(st.just("valid"), valid_events().map(lambda e: json.dumps(e).encode())),
        st.tuples(st.just("invalid"), invalid_events().map(lambda e: json.dumps(e).encode())),
        st.tuples(st.just("malformed"), malformed),
    ),
    min_size=1,
    max_size=60,
)

faults = st.one_of(
    st.just(("none", 0, 0)),
    st.tuples(st.just("throttle"), st.integers(1, 6), st.integers(1, 8)),
    st.tuples(st.just("unprocessed"), st.integers(1, 24), st.just(0)),
    st.tuples(st.just("s3"), st.integers(1, 3), st.just(0)),
    st.tuples(st.just("stage"), st.integers(0, 3), st.integers(0, 2)),
)


def inject(pipeline, fault):
    kind, first, second = fault
    clients = pipeline.function_clients
    if kind == "throttle":
        # BatchWriteItem calls first..first+second-1 are throttled: archive's final-state writes, of one
        # chunk or of several; fewer than 6 in a row are absorbed by the retries.
        return throttle(clients["dynamodb"], when=lambda call: first <= call < first + second)
    if kind == "unprocessed":
        return Unprocessed(clients["dynamodb"], keep=first, when=lambda call: call % 2 == 1)
    if kind == "s3":
        return s3_internal_error(clients["s3"], when=lambda call: call == first)
    if kind == "stage":
        stage = STEPS[first]

        def before_step(name, payload):
            if name == stage and payload["chunk_index"] == second:
                raise RuntimeError(f"injected failure in {stage}")

        pipeline.state_machine.before_step = before_step
    return None


def heal(pipeline, injected):
    pipeline.state_machine.before_step = None
    if injected is not None and hasattr(injected, "active"):
        injected.active = False
    elif injected is not None:
        injected.when = lambda call: False


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(
    generated=records_strategy,
    keys=st.lists(partition_keys, min_size=60, max_size=60),
    limit=st.integers(6_000, 40_000),
    fault=faults,
    later=st.integers(0, 40),
)
def test_every_record_ends_archived_quarantined_or_failed_and_retries_leave_no_duplicates(
    generated, keys, limit, fault, later
):
    """`later` valid records follow the batch in the stream: Kinesis' retries, a batch as long as the
    first from the lowest failed record, reach into them."""
    pipeline = Pipeline(region=REGION, max_payload_bytes=limit)
    pipeline.put([data for _, data in generated], keys[: len(generated)])
    pipeline.put(encoded(*(event(n) for n in range(later))))
    stream = pipeline.read()
    records = stream[: len(generated)]
    numbers = [record["SequenceNumber"] for record in stream]
    kinds = [kind for kind, _ in generated] + ["valid"] * later
    kind_of = dict(zip(numbers, kinds, strict=True))
    injected = inject(pipeline, fault)

    failed = failures(pipeline.invoke(pipeline.event(records)))

    first_numbers = numbers[: len(records)]
    assert len(failed) == len(set(failed)) and set(failed) <= set(first_numbers)
    table = items(pipeline)
    stored = {prefix: objects(pipeline, prefix) for prefix in ("archive", "quarantine")}
    for number in set(first_numbers) - set(failed):
        item = table[number]
        prefix = {"ARCHIVED": "archive", "QUARANTINED": "quarantine"}[item["State"]]
        body = stored[prefix][item["ObjectKey"]]
        assert [sequence_of(line) for line in body].count(number) == 1

    heal(pipeline, injected)
    resume = min((numbers.index(number) for number in failed), default=len(records))
    run_until_done(pipeline, stream[resume:], batch_size=len(records))

    table = items(pipeline)
    lines_by_prefix = {
        prefix: [sequence_of(line) for body in objects(pipeline, prefix).values() for line in body]
        for prefix in ("archive", "quarantine")
    }
    assert Counter(lines_by_prefix["archive"] + lines_by_prefix["quarantine"]) == Counter(numbers)
    assert sorted(table) == sorted(numbers)
    for number in numbers:
        status = table[number]["State"]
        assert number in lines_by_prefix["archive" if status == "ARCHIVED" else "quarantine"]
        assert status == ("ARCHIVED" if kind_of[number] == "valid" else "QUARANTINED")
    sizes = [e.input_bytes for e in pipeline.state_machine.executions] + [
        size for e in pipeline.state_machine.executions for size in e.step_output_bytes.values()
    ]
    assert max(sizes) <= limit


@st.composite
def partly_written_batches(draw):
    """25 or 50 valid events with a few malformed ones among them, archive's final states written
    for the valid ones only (its BatchWriteItem calls, 25 states each, valid ones first: DynamoDB
    refuses every attempt of the one after), and where the batch is cut in two."""
    written = draw(st.integers(1, 2))
    bad = draw(st.integers(1, 4))
    count = 25 * written + bad
    malformed = set(draw(st.lists(st.sampled_from(range(count)), min_size=bad, max_size=bad, unique=True)))
    payloads = [b"\xff not json" if n in malformed else json.dumps(valid_event(n)).encode() for n in range(count)]
    return payloads, written + 1, draw(st.sampled_from(range(1, count)))


def valid_event(n):
    return {
        "id": f"evt-{n}",
        "source": "orders",
        "type": "order.created",
        "timestamp": 1_764_000_000_000 + n,
        "payload": {"n": n},
    }


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=partly_written_batches())
def test_after_a_bisected_redelivery_every_item_names_an_object_that_holds_its_line(batch):
    """ingest fails (a crash) while archive has written only some of a chunk's final states; Kinesis
    then bisects the batch. A half whose chunk starts where the first one did rewrites that chunk's
    objects: it must keep the lines of the records it does not hold, whose items name them. (The
    halves' chunks need not line up with the first delivery's, so a record may be archived twice,
    never lost.)"""
    payloads, refused_from, middle = batch
    pipeline = Pipeline(region=REGION)
    pipeline.put(payloads)
    records = pipeline.read()
    refused = throttle(pipeline.function_clients["dynamodb"], when=lambda call: call >= refused_from)
    pipeline.invoke(pipeline.event(records))
    refused.active = False

    for half in (records[:middle], records[middle:]):
        run_until_done(pipeline, half, batch_size=len(half))

    table = items(pipeline)
    stored = {prefix: objects(pipeline, prefix) for prefix in ("archive", "quarantine")}
    assert sorted(table) == sorted(record["SequenceNumber"] for record in records)
    for number, item in table.items():
        prefix = {"ARCHIVED": "archive", "QUARANTINED": "quarantine"}[item["State"]]
        assert number in {sequence_of(line) for line in stored[prefix][item["ObjectKey"]]}, number
