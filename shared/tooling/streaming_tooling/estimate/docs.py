"""The documentation's generated cost sections, by the estimate itself: `estimate:summary`,
`estimate:<layer>`, `estimate:floor`, `estimate:levers`, `estimate:tried` and `estimate:tiering`.

Three configurations at 1,000 records a second of 1 KB, each planned once per run: the dev example
stack, every default (stack `local`), and `local` with the settings the estimate recommends for that
load; each in month 1 and month 12. The summary adds the production example stack. The levers and
the variants tried are the recommended settings' facts with one thing changed, estimated the same
way (not planned again: each change is one fact).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from .capacity import LATENCY_MS
from .cli import merged, run, stack_facts_of
from .cost import Workload
from .measured import MeasuredWork, load_measured
from .prices import Prices, load_prices
from .report import Estimate, as_yaml, dollars, estimate
from .stack import ArchiveFacts, StackFacts, Transition
from .tiering import TRANSITION_DAY_CHOICES, TRANSITION_PRICE, YEAR_DAYS, lifetime_usd

WORKLOAD = Workload(1000.0, 1.0)
MONTH = 12
SERVICES_OF_LAYER = {
    "network": ("vpc_endpoints",),
    "data": ("kinesis", "dynamodb", "s3"),
    "compute": ("lambda", "step_functions"),
    "observability": ("cloudwatch", "kms"),
}
TEN_YEARS_DAYS = 3650
REDUNDANT_ITEM_BYTES = len("ShardId") + len("shardId-000000000000") + len("SequenceNumber") + 56
"""What a state item's `ShardId` and `SequenceNumber` take: both are in its `PipelineId`."""


@dataclass(frozen=True)
class Column:
    title: str
    result: Estimate

    @property
    def month_one_total(self) -> float:
        return sum(self.result.month_one.values())

    def per_million(self, usd: float) -> float:
        return usd / (WORKLOAD.records_per_second * self.result.prices.seconds_per_month / 1e6)


@cache
def columns() -> tuple[Column, ...]:
    """The three estimates, of the repository the tooling runs from, computed once per process."""
    latencies = dict(LATENCY_MS)
    dev = run("dev", WORKLOAD, latencies=latencies, months=MONTH, with_recommendation=False)
    defaults = run("local", WORKLOAD, latencies=latencies, months=MONTH)
    assert defaults.recommended is not None
    recommended = run(
        "local",
        WORKLOAD,
        overrides=merged(None, defaults.recommended.config),
        latencies=latencies,
        months=MONTH,
        with_recommendation=False,
    )
    return (
        Column("dev stack", dev),
        Column("defaults (`local`)", defaults),
        Column("recommended (`local` and the settings below)", recommended),
    )


@cache
def prod_column() -> Column:
    """The production example stack (`Pulumi.prod.yaml` of each layer), for the summary only."""
    result = run("prod", WORKLOAD, latencies=dict(LATENCY_MS), months=MONTH, with_recommendation=False)
    return Column("prod stack", result)


def _table(header: list[str], rows: Iterable[list[str]], align: list[str] | None = None) -> str:
    """A Markdown table; `align` is its second line's cells (`---:` right-aligns a column)."""
    return "\n".join("| " + " | ".join(cells) + " |" for cells in (header, align or ["---"] * len(header), *rows))


def summary_table() -> str:
    dev, defaults, recommended_column = columns()
    cols = (dev, prod_column(), defaults, recommended_column)
    rows = [
        ["idle, a month", *(dollars(c.result.idle_total) for c in cols for _ in (1, MONTH))],
        [
            "at 1,000 records/s of 1 KB, a month",
            *(f"**{dollars(total)}**" for c in cols for total in (c.month_one_total, c.result.total)),
        ],
        *(
            [
                f"&nbsp;&nbsp;{service}",
                *(dollars(usd) for c in cols for usd in (c.result.month_one[service], c.result.by_service[service])),
            ]
            for service in cols[0].result.by_service
        ),
        [
            "per million records",
            *(
                f"**${usd:.3f}**"
                for c in cols
                for usd in (c.per_million(c.month_one_total), c.result.usd_per_million_records)
            ),
        ],
        [
            "consumer, records/s per shard",
            *(f"{c.result.capacity.per_shard_records_per_second:,.0f}" for c in cols for _ in (1, MONTH)),
        ],
        [
            "sustainable records/s (bound by)",
            *(
                f"{c.result.capacity.sustainable_records_per_second:,.0f} ({c.result.capacity.bottleneck})"
                for c in cols
                for _ in (1, MONTH)
            ),
        ],
    ]
    header = ["", *(f"{c.title}, {c.result.prices.region}, month {m}" for c in cols for m in (1, MONTH))]
    recommended = defaults.result.recommended
    assert recommended is not None
    settings = [f"    --config {key}={as_yaml(value)}" for key, value in sorted(recommended.config.items())]
    work = next(line for line in cols[0].result.assumptions if line.startswith("state table:"))
    return "\n".join(
        [
            _table(header, rows),
            "",
            "The recommended settings, as the estimate prints them for `local` at this load:",
            "",
            "```text",
            *settings,
            "```",
            "",
            f"Work per record ({work.split(':', 1)[0]}):{work.split(':', 1)[1]}.",
        ]
    )


def layer_table(layer: str) -> str:
    dev, defaults, _ = columns()
    header = [
        "service",
        f"dev stack ({dev.result.prices.region}), idle",
        "month 1 at 1,000 records/s",
        f"month {MONTH}",
        f"defaults ({defaults.result.prices.region}), idle",
        "month 1 at 1,000 records/s",
        f"month {MONTH}",
    ]
    rows = [
        [
            service,
            *(
                dollars(usd)
                for c in (dev, defaults)
                for usd in (
                    c.result.idle_by_service[service],
                    c.result.month_one[service],
                    c.result.by_service[service],
                )
            ),
        ]
        for service in SERVICES_OF_LAYER[layer]
    ]
    return _table(header, rows)


def floor_table() -> str:
    """The recommended settings' month 12, line by line, a month and per million records."""
    recommended = columns()[2]
    total = recommended.result.total
    rows = [
        [service, item, dollars(usd), f"${recommended.per_million(usd):.4f}"]
        for service, items in recommended.result.line_items.items()
        for item, usd in items.items()
        if round(usd, 2)
    ]
    rows.append(["**total**", "", f"**{dollars(total)}**", f"**${recommended.per_million(total):.4f}**"])
    header = ["service", "line item", f"month {MONTH}", "per million records"]
    return _table(header, rows, ["---", "---", "---:", "---:"])


def tiering_table() -> str:
    """Each transition's cost per 1,000 archive objects of the recommended settings' size, over a year
    and over ten, against staying in STANDARD, and the least object size at which each pays."""
    recommended = columns()[2].result
    prices = load_prices(recommended.prices.region)
    measured = load_measured()
    batch = recommended.capacity.full_batch
    size = measured.stored.archived_bytes(WORKLOAD.record_kb * 1024) * batch.records / batch.executions
    header = ["transition (after days)", "a year, per million objects", "ten years", "pays from an object of (a year)"]
    stay = [lifetime_usd(prices, size, days, None) * 1e6 for days in (YEAR_DAYS, TEN_YEARS_DAYS)]
    rows = [["none: STANDARD", *(dollars(usd) for usd in stay), ""]]
    for storage_class in TRANSITION_PRICE:
        for days in TRANSITION_DAY_CHOICES:
            if storage_class == "STANDARD_IA" and days < 30:
                continue
            transition = Transition(storage_class, days, 0)
            costs = [lifetime_usd(prices, size, life, transition) * 1e6 for life in (YEAR_DAYS, TEN_YEARS_DAYS)]
            rows.append([f"{storage_class} ({days})", *(dollars(usd) for usd in costs), _pays_from(prices, transition)])
    per_object = batch.records / batch.executions
    table = _table(header, rows, ["---", "---:", "---:", "---:"])
    return f"One object of {size / 1024:,.1f} KB (about {per_object:.0f} records):\n\n{table}"


def _pays_from(prices: Prices, transition: Transition) -> str:
    low, high = 1024.0, 1024.0**3
    if lifetime_usd(prices, high, YEAR_DAYS, transition) >= lifetime_usd(prices, high, YEAR_DAYS, None):
        return "never"
    for _ in range(60):
        middle = (low * high) ** 0.5
        if lifetime_usd(prices, middle, YEAR_DAYS, transition) < lifetime_usd(prices, middle, YEAR_DAYS, None):
            high = middle
        else:
            low = middle
    return f"{high / 1024:,.0f} KB"


@cache
def recommended_facts() -> StackFacts:
    recommended = columns()[1].result.recommended
    assert recommended is not None
    return stack_facts_of("local", merged(None, recommended.config))


def _variant(facts: StackFacts, measured: MeasuredWork | None = None) -> Estimate:
    work = measured or load_measured()
    return estimate("local", facts, work, load_prices(facts.region), WORKLOAD, latencies=dict(LATENCY_MS), month=MONTH)


def _log_levels(facts: StackFacts, *, application: str | None = None, system: str | None = None) -> StackFacts:
    functions = {
        stage: dataclasses.replace(
            f, log_level=application or f.log_level, system_log_level=system or f.system_log_level
        )
        for stage, f in facts.functions.items()
    }
    return dataclasses.replace(facts, functions=functions)


def _default_memory(facts: StackFacts) -> StackFacts:
    """`facts` with each function's memory as the compute layer's defaults have it."""
    defaults = stack_facts_of("local", None).functions
    functions = {
        stage: dataclasses.replace(f, memory_mb=defaults[stage].memory_mb) for stage, f in facts.functions.items()
    }
    return dataclasses.replace(facts, functions=functions)


def _with_transition(facts: StackFacts, storage_class: str, days: int) -> StackFacts:
    archive: ArchiveFacts = dataclasses.replace(facts.archive, transition=Transition(storage_class, days, 0))
    return dataclasses.replace(facts, archive=archive)


def tried_table() -> str:
    """Month 12 of the recommended settings with one thing changed, per million records and idle."""
    facts = recommended_facts()
    transitions = [
        ("DEEP_ARCHIVE", 0, "a transition request per object, and 40 KB of overhead each"),
        ("GLACIER", 30, "the same"),
        ("GLACIER_IR", 30, "a transition request per object, billed as 128 KB"),
        ("STANDARD_IA", 30, "the same"),
    ]
    both_endpoints = dataclasses.replace(
        facts,
        interface_endpoints=2 * facts.interface_endpoints,
        interface_endpoint_azs=2 * facts.interface_endpoint_azs,
    )
    variants: list[tuple[str, Estimate, str]] = [
        ("the recommended settings", _variant(facts), ""),
        *(
            (f"archive to {storage_class} after {days} days", _variant(_with_transition(facts, name, days)), why)
            for storage_class, days, why in transitions
            for name in (storage_class,)
        ),
        ("ON_DEMAND stream", _variant(dataclasses.replace(facts, stream_mode="ON_DEMAND")), "per GB in and out"),
        (
            "one shard",
            _variant(dataclasses.replace(facts, shard_count=1)),
            "the load at 100% of the shard's write limit: a burst throttles producers",
        ),
        (
            "`tableTargetUtilization` 80",
            _variant(dataclasses.replace(facts, table_target_utilization=80)),
            "25% left for a burst while a scale-up takes minutes",
        ),
        (
            "`tableTargetUtilization` 90",
            _variant(dataclasses.replace(facts, table_target_utilization=90)),
            "11% left: throttled writes go back to the stream, past `maximumRetryAttempts` to the dead-letter queue",
        ),
        (
            "PAY_PER_REQUEST table",
            _variant(dataclasses.replace(facts, table_billing_mode="PAY_PER_REQUEST", table_capacity={})),
            "a write request unit per item write",
        ),
        (
            "`maxPayloadBytes` 200,000 and `batchSize` 180",
            _variant(dataclasses.replace(facts, max_payload_bytes=200_000, batch_size=180)),
            "fewer records an execution",
        ),
        ("the compute layer's default memory", _variant(_default_memory(facts)), "ingest billed while it waits"),
        ("`logLevel` INFO", _variant(_log_levels(facts, application="INFO")), "the summary lines"),
        ("`kinesis-streams` endpoint kept", _variant(both_endpoints), "an endpoint-hour per AZ; idle above $50"),
        (
            "`recordTtlDays` 30",
            _variant(dataclasses.replace(facts, record_ttl_days=30)),
            "more items stored and under point-in-time recovery",
        ),
    ]
    return _table(
        ["tried, on the recommended settings", "per million records", "idle, a month", "why not"],
        [
            [label, f"${result.usd_per_million_records:.3f}", dollars(result.idle_total), why]
            for label, result, why in variants
        ],
        ["---", "---:", "---:", "---"],
    )


def levers_table() -> str:
    """What changes that are not settings would take off month 12 of the recommended settings."""
    facts = recommended_facts()
    work = load_measured()
    base = _variant(facts).usd_per_million_records
    smaller_items = dataclasses.replace(
        work,
        stored=dataclasses.replace(work.stored, state_item_bytes=work.stored.state_item_bytes - REDUNDANT_ITEM_BYTES),
    )
    no_reads = dataclasses.replace(
        work,
        requests_per_1000_records_by_api={
            api: n for api, n in work.requests_per_1000_records_by_api.items() if api != "BatchGetItem"
        },
    )
    levers = [
        ("the table's capacity at 100% utilization (no headroom left)",
         _variant(dataclasses.replace(facts, table_target_utilization=100))),
        ("state items without `ShardId` and `SequenceNumber` (both in `PipelineId`)", _variant(facts, smaller_items)),
        ("no read of every record's state before the work", _variant(facts, no_reads)),
        ("the functions' system log level at WARN", _variant(_log_levels(facts, system="WARN"))),
    ]  # fmt: skip
    rows = [["the recommended settings", f"${base:.4f}", ""]]
    rows += [
        [label, f"${result.usd_per_million_records:.4f}", f"${base - result.usd_per_million_records:.4f}"]
        for label, result in levers
    ]
    header = ["lever (a change of the data plane, not a setting)", "per million records, month 12", "saves"]
    return _table(header, rows, ["---", "---:", "---:"])


def sections() -> dict[str, str]:
    return {
        "estimate:summary": summary_table(),
        "estimate:floor": floor_table(),
        "estimate:levers": levers_table(),
        "estimate:tried": tried_table(),
        "estimate:tiering": tiering_table(),
    } | {f"estimate:{layer}": layer_table(layer) for layer in SERVICES_OF_LAYER}
