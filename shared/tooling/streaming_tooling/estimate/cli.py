"""`nox -s estimate -- --stack <name> --records-per-second <R> --record-kb <K> [--months N] [--json]`.

Runs the offline plan of the four layers with the stack's configuration (and any `--config`
overrides), then prints the bill of month N (default 12) by service at that load and idle, with month
1 beside it, the cost per million records, the settings it recommends for the load (planned and
estimated the same way), the capacity and which limit binds, the assumptions and the warnings. With
`--json`, the JSON object only (the warnings in it).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import yaml

from streaming_shared.catalogue import LAYERS, repo_root

from ..deploy.plan import build_plan
from ..deploy.stack_files import every_stack
from .capacity import LATENCY_MS, latencies_with
from .cost import Workload
from .errors import EstimateError
from .measured import load_measured
from .prices import load_prices
from .recommend import Search, recommend
from .report import Estimate, Recommended, estimate, render_text
from .stack import StackFacts, stack_facts

MAX_RECORD_KB = 1024
"""Kinesis takes records of at most 1 MiB."""
MAX_MONTHS = 120
MAX_PEAK_TO_AVERAGE = 100.0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"estimate: {message} (see --help)\n")


def parser() -> argparse.ArgumentParser:
    root = _Parser(prog="nox -s estimate --", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root.add_argument("--stack", required=True, help="the stack whose Pulumi.<stack>.yaml files to plan")
    root.add_argument("--records-per-second", required=True, type=float, help="steady load on the stream")
    root.add_argument("--record-kb", required=True, type=float, help=f"record size in KB (up to {MAX_RECORD_KB})")
    root.add_argument(
        "--months", type=int, default=12, help=f"the month whose bill to estimate (1..{MAX_MONTHS}, default 12)"
    )
    root.add_argument(
        "--peak-to-average",
        type=float,
        default=1.0,
        metavar="R",
        help="how much above the average the load peaks (default 1: steady); the capacity, the shards and a "
        "provisioned table are sized for the peak",
    )
    root.add_argument(
        "--partition-keys",
        type=int,
        metavar="N",
        help="distinct partition keys the producers use (default: many); a shard runs at most one batch per key",
    )
    root.add_argument("--json", action="store_true", help="print only the JSON object on stdout")
    root.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="PROJECT:KEY=VALUE",
        help="override a stack setting, as in the stack file (value in YAML): "
        "--config streaming-data:streamShardCount=10",
    )
    root.add_argument(
        "--latency-ms",
        action="append",
        default=[],
        metavar="NAME=MS",
        help=f"override a per-call latency of the capacity model; names: {', '.join(LATENCY_MS)}",
    )
    root.add_argument("--measured", type=Path, help="another measured.json than stacks/compute/bench/measured.json")
    return root


def config_overrides(pairs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """`streaming-data:streamShardCount=10` -> {"data": {"streaming-data:streamShardCount": 10}}."""
    by_project = {layer.project: layer.name for layer in LAYERS.values()}
    overrides: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, equals, text = pair.partition("=")
        project, colon, name = key.partition(":")
        if not equals or not colon or not name:
            raise EstimateError(
                f"--config {pair!r}: write it as PROJECT:KEY=VALUE, such as streaming-data:streamShardCount=10"
            )
        if project not in by_project:
            raise EstimateError(
                f"--config {pair!r}: {project!r} is not a project; the projects are {', '.join(by_project)}"
            )
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise EstimateError(f"--config {pair!r}: the value is not valid YAML") from None
        overrides.setdefault(by_project[project], {})[key] = value
    return overrides


def latency_overrides(pairs: Sequence[str]) -> dict[str, float]:
    values = {}
    for pair in pairs:
        name, equals, text = pair.partition("=")
        try:
            values[name] = float(text)
        except ValueError:
            raise EstimateError(f"--latency-ms {pair!r}: write it as NAME=MILLISECONDS, such as dynamodb=15") from None
        if not equals:
            raise EstimateError(f"--latency-ms {pair!r}: write it as NAME=MILLISECONDS, such as dynamodb=15")
    return latencies_with(values)


def check_workload(
    records_per_second: float,
    record_kb: float,
    *,
    peak_to_average: float = 1.0,
    partition_keys: int | None = None,
) -> Workload:
    if not math.isfinite(records_per_second) or records_per_second < 0:
        raise EstimateError(f"--records-per-second {records_per_second:g}: must be a number >= 0")
    if not math.isfinite(record_kb) or not 0 < record_kb <= MAX_RECORD_KB:
        raise EstimateError(
            f"--record-kb {record_kb:g}: must be more than 0 and at most {MAX_RECORD_KB} (Kinesis' limit)"
        )
    if not math.isfinite(peak_to_average) or not 1 <= peak_to_average <= MAX_PEAK_TO_AVERAGE:
        raise EstimateError(
            f"--peak-to-average {peak_to_average:g}: must be from 1 (a steady load) to {MAX_PEAK_TO_AVERAGE:g}"
        )
    if partition_keys is not None and partition_keys < 1:
        raise EstimateError(f"--partition-keys {partition_keys}: must be a whole number >= 1")
    return Workload(records_per_second, record_kb, peak_to_average, partition_keys)


def check_months(months: int) -> int:
    if not 1 <= months <= MAX_MONTHS:
        raise EstimateError(f"--months {months}: must be a whole number from 1 to {MAX_MONTHS}")
    return months


def stack_facts_of(stack: str, overrides: Mapping[str, Mapping[str, Any]] | None) -> StackFacts:
    """The facts of `stack`'s offline plan with `overrides`; EstimateError when the plan fails."""
    stacks = every_stack(repo_root())
    if stack not in stacks:
        raise EstimateError(f"no layer has a stack file Pulumi.{stack}.yaml; the stacks are: {', '.join(stacks)}")
    with contextlib.redirect_stdout(sys.stderr):
        plan = build_plan(stack, config_overrides=overrides)
    if not plan.ok or "compute" not in plan.runs:
        problems = "; ".join(" ".join(problem.split()) for problem in plan.problems)
        raise EstimateError(f"the offline plan of stack {stack!r} failed: {problems}")
    return stack_facts(plan)


def merged(overrides: Mapping[str, Mapping[str, Any]] | None, config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`overrides` (by layer) with `config` (`PROJECT:KEY` -> value) over them."""
    by_project = {layer.project: layer.name for layer in LAYERS.values()}
    result = {layer: dict(values) for layer, values in (overrides or {}).items()}
    for key, value in config.items():
        result.setdefault(by_project[key.partition(":")[0]], {})[key] = value
    return result


def run(
    stack: str,
    workload: Workload,
    *,
    overrides: dict[str, dict[str, Any]] | None = None,
    latencies: dict[str, float] | None = None,
    measured_path: Path | None = None,
    months: int = 12,
    with_recommendation: bool = True,
) -> Estimate:
    """The estimate of `stack` at `workload` in month `months`, with the settings it recommends
    (planned and estimated again); EstimateError for anything the user must fix."""
    latencies = latencies or dict(LATENCY_MS)
    measured = load_measured(measured_path)
    facts = stack_facts_of(stack, overrides)
    prices = load_prices(facts.region)
    result = estimate(stack, facts, measured, prices, workload, latencies=latencies, month=months)
    comparison, _ = Search(measured, latencies, workload, prices, months).compare_tables(facts)
    result = dataclasses.replace(result, assumptions=[*result.assumptions, comparison.sentence()])
    if not with_recommendation:
        return result
    config = recommend(facts, measured, latencies, workload, prices, month=months)
    try:
        recommended_facts = stack_facts_of(stack, merged(overrides, config))
    except EstimateError as error:
        return dataclasses.replace(
            result,
            recommended=Recommended(config, None, None, None),
            warnings=[*result.warnings, f"the recommended settings fail the offline plan: {error}"],
        )
    again = estimate(stack, recommended_facts, measured, prices, workload, latencies=latencies, month=months)
    return dataclasses.replace(
        result,
        recommended=Recommended(
            config=config,
            usd_per_million_records=again.usd_per_million_records,
            idle_monthly_usd=again.idle_total,
            monthly_usd=again.total,
        ),
        warnings=[*result.warnings, *(f"with the recommended settings: {line}" for line in again.warnings)],
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        workload = check_workload(
            args.records_per_second,
            args.record_kb,
            peak_to_average=args.peak_to_average,
            partition_keys=args.partition_keys,
        )
        result = run(
            args.stack,
            workload,
            overrides=config_overrides(args.config),
            latencies=latency_overrides(args.latency_ms),
            measured_path=args.measured,
            months=check_months(args.months),
        )
    except EstimateError as error:
        print(f"estimate: {error}", file=sys.stderr)
        return 2
    if args.json:
        # The warnings are in the object: nox runs a session's command with stderr into stdout.
        print(json.dumps(result.as_json(), indent=2))
    else:
        print(render_text(result))
    return 0
