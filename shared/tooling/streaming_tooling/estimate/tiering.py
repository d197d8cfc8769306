"""The archive's storage month by month under its lifecycle rules, and which transition pays for itself.

The pipeline writes one gzip object per state machine execution, all about the same size, at a
steady rate from the stack's first day. An object lives in STANDARD until its transition (if the
rule applies to its size), then in the rule's class until it expires (`archiveRetentionDays`), and
as a noncurrent version for `archiveNoncurrentDays` more. So the bytes in a class on day t are the
bytes written during the days whose age on day t falls in that class's age window; a month's bill
is their average over the month. Colder classes bill more than the bytes: STANDARD_IA and
GLACIER_IR at least 128 KB an object, GLACIER and DEEP_ARCHIVE 40 KB of overhead per object (32 KB
at their rate, 8 KB at STANDARD's), each class a minimum number of days, and every transition is a
request (S3 pricing; "Constraints and considerations for transitions").
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from .prices import Prices
from .stack import ArchiveFacts, Transition

KIB = 1024
GB = 1024**3
STORAGE_PRICE = {
    "STANDARD": "s3_storage_gb_month",
    "STANDARD_IA": "s3_standard_ia_gb_month",
    "GLACIER_IR": "s3_glacier_ir_gb_month",
    "GLACIER": "s3_glacier_gb_month",
    "DEEP_ARCHIVE": "s3_deep_archive_gb_month",
}
TRANSITION_PRICE = {
    "STANDARD_IA": "s3_transition_standard_ia_thousand",
    "GLACIER_IR": "s3_transition_glacier_ir_thousand",
    "GLACIER": "s3_transition_glacier_thousand",
    "DEEP_ARCHIVE": "s3_transition_deep_archive_thousand",
}
MIN_BILLED_BYTES = {"STANDARD_IA": 128 * KIB, "GLACIER_IR": 128 * KIB}
ARCHIVE_OVERHEAD_BYTES = {"GLACIER": (32 * KIB, 8 * KIB), "DEEP_ARCHIVE": (32 * KIB, 8 * KIB)}
"""(at the class's rate, at STANDARD's) per object."""
MIN_STORAGE_DAYS = {"STANDARD_IA": 30, "GLACIER_IR": 90, "GLACIER": 90, "DEEP_ARCHIVE": 180}
"""An object deleted sooner is billed for the rest of these days."""
TRANSITION_DAY_CHOICES = (0, 30, 90, 180)
YEAR_DAYS = 365
"""The horizon a transition must pay back within when the archive is kept forever: the least the
pipeline promises to keep it."""


def days_present(start: float, end: float, age_from: float, age_to: float) -> float:
    """The average, over days [start, end), of how many days' writes are aged [age_from, age_to)
    (writing started on day 0): the integral of clip(t - age_from, 0, age_to - age_from) over t."""

    def integral(t: float) -> float:
        if t <= age_from:
            return 0.0
        width = age_to - age_from
        if t <= age_to:
            return (t - age_from) ** 2 / 2
        return width**2 / 2 + (t - age_to) * width

    return (integral(end) - integral(start)) / (end - start)


def month_days(prices: Prices, month: int) -> tuple[float, float]:
    """The first and last day of `month` (the first is 1), counted from the stack's first day."""
    length = prices.hours_per_month / 24
    return (month - 1) * length, month * length


def billed_bytes(storage_class: str, object_bytes: float) -> tuple[float, float]:
    """(bytes billed at the class's rate, bytes billed at STANDARD's) for one object in `storage_class`."""
    if storage_class in MIN_BILLED_BYTES:
        return max(object_bytes, MIN_BILLED_BYTES[storage_class]), 0.0
    at_class, at_standard = ARCHIVE_OVERHEAD_BYTES.get(storage_class, (0, 0))
    return object_bytes + at_class, float(at_standard)


@dataclass(frozen=True)
class ArchiveMonth:
    usd_by_class: dict[str, float]
    """Storage of the month by storage class."""
    transitions: float
    transition_usd: float

    @property
    def usd(self) -> float:
        return sum(self.usd_by_class.values()) + self.transition_usd


def transition_applies(archive: ArchiveFacts, object_bytes: float) -> Transition | None:
    transition = archive.transition
    if transition is None or object_bytes <= transition.min_object_bytes:
        return None
    if archive.retention_days is not None and archive.retention_days <= transition.days:
        return None
    return transition


def archive_month(
    prices: Prices, archive: ArchiveFacts, *, month: int, objects_per_day: float, object_bytes: float
) -> ArchiveMonth:
    """The archive's storage and transitions in `month` (the first is 1)."""
    start, end = month_days(prices, month)
    gone = math.inf if archive.retention_days is None else archive.retention_days + archive.noncurrent_days
    transition = transition_applies(archive, object_bytes)
    usd: defaultdict[str, float] = defaultdict(float)

    def bill(storage_class: str, age_from: float, age_to: float) -> None:
        at_class, at_standard = billed_bytes(storage_class, object_bytes)
        objects = objects_per_day * days_present(start, end, age_from, age_to)
        usd[storage_class] += objects * at_class / GB * prices[STORAGE_PRICE[storage_class]]
        if at_standard:
            usd["STANDARD"] += objects * at_standard / GB * prices[STORAGE_PRICE["STANDARD"]]

    if transition is None:
        bill("STANDARD", 0, gone)
        return ArchiveMonth(dict(usd), 0.0, 0.0)
    bill("STANDARD", 0, transition.days)
    bill(
        transition.storage_class,
        transition.days,
        max(gone, transition.days + MIN_STORAGE_DAYS[transition.storage_class]),
    )
    transitions = objects_per_day * max(0.0, end - max(start, transition.days)) if end > transition.days else 0.0
    fee = transitions / 1000 * prices[TRANSITION_PRICE[transition.storage_class]]
    return ArchiveMonth(dict(usd), transitions, fee)


def lifetime_usd(prices: Prices, object_bytes: float, lifetime_days: float, transition: Transition | None) -> float:
    """What one object costs from its write to its expiry under `transition` (None: STANDARD throughout)."""
    per_day = 1 / (prices.hours_per_month / 24)
    standard = prices[STORAGE_PRICE["STANDARD"]]
    if transition is None:
        return object_bytes / GB * standard * lifetime_days * per_day
    storage_class = transition.storage_class
    at_class, at_standard = billed_bytes(storage_class, object_bytes)
    days_in_class = max(lifetime_days - transition.days, MIN_STORAGE_DAYS[storage_class])
    return (
        object_bytes / GB * standard * transition.days * per_day
        + prices[TRANSITION_PRICE[storage_class]] / 1000
        + (at_class * prices[STORAGE_PRICE[storage_class]] + at_standard * standard) / GB * days_in_class * per_day
    )


def best_transition(prices: Prices, object_bytes: float, retention_days: int | None) -> Transition | None:
    """The transition that costs an object least over its life (a year when kept forever), if any
    costs less than staying in STANDARD; its size filter is the least object size at which it does
    (rounded up to a KiB)."""
    lifetime = retention_days or YEAR_DAYS
    choices = [
        Transition(storage_class, days, 0)
        for storage_class in TRANSITION_PRICE
        for days in TRANSITION_DAY_CHOICES
        if days >= (30 if storage_class == "STANDARD_IA" else 0) and days < lifetime
    ]
    stay = lifetime_usd(prices, object_bytes, lifetime, None)
    costs = {choice: lifetime_usd(prices, object_bytes, lifetime, choice) for choice in choices}
    best = min(costs, key=lambda choice: (costs[choice], choice.days, choice.storage_class), default=None)
    if best is None or costs[best] >= stay:
        return None
    pays, does_not = object_bytes, 0.0
    for _ in range(40):
        size = (pays + does_not) / 2
        if lifetime_usd(prices, size, lifetime, best) < lifetime_usd(prices, size, lifetime, None):
            pays = size
        else:
            does_not = size
    return Transition(best.storage_class, best.days, math.ceil(pays / KIB) * KIB)
