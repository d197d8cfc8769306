"""The documentation's generated cost sections (`estimate:summary`, `estimate:<layer>`), by the estimate itself.

Three configurations, each planned once per run: the dev example stack, every default (stack
`local`) and the seed's single stack (10 shards, a 5,000/5,000 provisioned table with a
2,500/2,500 index, batches of 100 one at a time per shard, 30-day items), idle and at 1,000 records
a second of 1 KB.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from .capacity import LATENCY_MS
from .cli import run
from .cost import Workload
from .report import Estimate

WORKLOAD = Workload(1000.0, 1.0)
SEED: dict[str, dict[str, Any]] = {
    "data": {
        "streaming-data:streamShardCount": 10,
        "streaming-data:tableBillingMode": "PROVISIONED",
        "streaming-data:tableReadCapacity": {"min": 5000, "max": 5000},
        "streaming-data:tableWriteCapacity": {"min": 5000, "max": 5000},
        "streaming-data:indexReadCapacity": {"min": 2500, "max": 2500},
        "streaming-data:indexWriteCapacity": {"min": 2500, "max": 2500},
    },
    "compute": {
        "streaming-compute:batchSize": 100,
        "streaming-compute:parallelizationFactor": 1,
        "streaming-compute:memoryMb": {
            "ingest": 512,
            "transform": 1024,
            "validate": 512,
            "enrich": 1024,
            "archive": 512,
        },
        "streaming-compute:recordTtlDays": 30,
    },
}
SERVICES_OF_LAYER = {
    "network": ("vpc_endpoints",),
    "data": ("kinesis", "dynamodb", "s3"),
    "compute": ("lambda", "step_functions"),
    "observability": ("cloudwatch", "kms"),
}


@dataclass(frozen=True)
class Column:
    title: str
    result: Estimate


@cache
def columns() -> tuple[Column, ...]:
    """The three estimates, of the repository the tooling runs from, computed once per process."""
    return (
        Column("dev stack", run("dev", WORKLOAD, latencies=dict(LATENCY_MS))),
        Column("defaults (`local`)", run("local", WORKLOAD, latencies=dict(LATENCY_MS))),
        Column("seed's configuration", run("local", WORKLOAD, overrides=SEED, latencies=dict(LATENCY_MS))),
    )


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def summary_table() -> str:
    cols = columns()
    lines = [
        _row(["", *(f"{c.title}, {c.result.prices.region}" for c in cols)]),
        _row(["---"] * (len(cols) + 1)),
        _row(["idle, a month", *(_usd(c.result.idle_total) for c in cols)]),
        _row(["at 1,000 records/s of 1 KB, a month", *(f"**{_usd(c.result.total)}**" for c in cols)]),
    ]
    for service in cols[0].result.by_service:
        lines.append(_row([f"&nbsp;&nbsp;{service}", *(_usd(c.result.by_service[service]) for c in cols)]))
    lines += [
        _row(["per million records", *(f"**${c.result.usd_per_million_records:.3f}**" for c in cols)]),
        _row(
            [
                "consumer, records/s per shard",
                *(f"{c.result.capacity.per_shard_records_per_second:,.0f}" for c in cols),
            ]
        ),
        _row(
            [
                "sustainable records/s (bound by)",
                *(
                    f"{c.result.capacity.sustainable_records_per_second:,.0f} ({c.result.capacity.bottleneck})"
                    for c in cols
                ),
            ]
        ),
    ]
    measured = cols[0].result.assumptions
    work = next(line for line in measured if line.startswith("state table:"))
    return "\n".join([*lines, "", f"Work per record ({work.split(':', 1)[0]}):{work.split(':', 1)[1]}."])


def layer_table(layer: str) -> str:
    dev, defaults, _ = columns()
    lines = [
        _row(
            [
                "service",
                f"dev stack ({dev.result.prices.region}), idle",
                "at 1,000 records/s",
                f"defaults ({defaults.result.prices.region}), idle",
                "at 1,000 records/s",
            ]
        ),
        _row(["---"] * 5),
    ]
    for service in SERVICES_OF_LAYER[layer]:
        lines.append(
            _row(
                [
                    service,
                    _usd(dev.result.idle_by_service[service]),
                    _usd(dev.result.by_service[service]),
                    _usd(defaults.result.idle_by_service[service]),
                    _usd(defaults.result.by_service[service]),
                ]
            )
        )
    return "\n".join(lines)


def sections() -> dict[str, str]:
    return {"estimate:summary": summary_table()} | {
        f"estimate:{layer}": layer_table(layer) for layer in SERVICES_OF_LAYER
    }
