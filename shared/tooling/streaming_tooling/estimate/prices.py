"""The price book: `prices.json`, one dated figure per key and region, each with its public source."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import EstimateError

PRICES_FILE = Path(__file__).with_name("prices.json")


@dataclass(frozen=True)
class Prices:
    region: str
    as_of: str
    hours_per_month: float
    usd: dict[str, float]
    unconfirmed: tuple[str, ...] = ()
    """Figures whose entry carries a `note` saying they still need checking against the page."""

    @property
    def seconds_per_month(self) -> float:
        return self.hours_per_month * 3600

    def __getitem__(self, key: str) -> float:
        return self.usd[key]


def load_prices(region: str, path: Path = PRICES_FILE) -> Prices:
    """The figures for `region`; an EstimateError naming the file to extend when it has none."""
    document: dict[str, Any] = json.loads(path.read_text())
    known = document["regions"]
    if region not in known:
        raise EstimateError(
            f"no prices for region {region!r} in {path}; add a block for it under `regions` with every key "
            f"the other regions have (the file has: {', '.join(sorted(known))})"
        )
    every_key = {key for figures in known.values() for key in figures}
    missing = sorted(every_key - set(known[region]))
    if missing:
        raise EstimateError(f"{path}: region {region!r} lacks {', '.join(missing)}; add them with their source")
    return Prices(
        region=region,
        as_of=str(document["prices_as_of"]),
        hours_per_month=float(document["hours_per_month"]),
        usd={key: float(figure["usd"]) for key, figure in known[region].items()},
        unconfirmed=tuple(key for key, figure in known[region].items() if "note" in figure),
    )
