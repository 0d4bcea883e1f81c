"""Billing periods and proration, to the second, as Stripe computes them.

A change at `at` inside the period [start, end) credits the unused time of each old item and
charges the remaining time of each new one. Lines are rounded by cumulative rounding: each
line is the rounded running total minus the previous rounded running total, so the lines
always sum to the exact net difference over the remaining time, rounded once, and each line
is within one minor unit of its own exact amount.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction

import msgspec

from billing.kernel.money import round_half_away

INTERVALS = ("day", "week", "month", "year")


def add_months(anchor: datetime, months: int) -> datetime:
    """`anchor` moved by whole months, clamped to the month's last day (Jan 31 → Feb 28 → Mar 31)."""
    month_index = anchor.month - 1 + months
    year, month = anchor.year + month_index // 12, month_index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def period_boundary(anchor: datetime, interval: str, count: int, n: int) -> datetime:
    """The n-th period boundary counted from the billing-cycle anchor (n = 0 is the anchor).

    Always computed from the anchor, never from the previous boundary, so a month-end anchor
    comes back to the 31st after a short month.
    """
    from datetime import timedelta

    if interval == "day":
        return anchor + timedelta(days=count * n)
    if interval == "week":
        return anchor + timedelta(weeks=count * n)
    if interval == "month":
        return add_months(anchor, count * n)
    if interval == "year":
        return add_months(anchor, 12 * count * n)
    raise ValueError(f"unknown interval {interval!r}")


class Item(msgspec.Struct, frozen=True):
    """A subscription item as proration sees it."""

    price: str
    unit_amount: int
    quantity: int
    description: str
    period_amount: int | None = None  # what a whole period of it costs, when not unit × quantity

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity if self.period_amount is None else self.period_amount


class ProrationLine(msgspec.Struct, frozen=True):
    price: str
    quantity: int
    amount: int  # negative for a credit
    description: str  # in English, as the API answers it
    period_start: datetime
    period_end: datetime
    kind: str = "unused_time"  # or "remaining_time" (the invoice line's kind)
    item_description: str = ""  # the item's own name


def remaining_fraction(start: datetime, end: datetime, at: datetime) -> Fraction:
    """The share of [start, end) still ahead at `at`, to the second, within [0, 1]."""
    total = int((end - start).total_seconds())
    if total <= 0:
        raise ValueError("a period must end after it starts")
    left = int((end - at).total_seconds())
    return Fraction(max(0, min(total, left)), total)


def prorate(
    old: Sequence[Item], new: Sequence[Item], start: datetime, end: datetime, at: datetime
) -> list[ProrationLine]:
    """Credit lines for `old` and charge lines for `new` over what is left of [start, end).

    A line may round to 0 (a tiny remainder); the invoice leaves such lines out.
    """
    share = remaining_fraction(start, end, at)
    if share == 0:
        return []
    when = at.strftime("%d %b %Y")
    exact: list[tuple[Item, Fraction, str, str]] = [
        (item, -item.amount * share, "unused_time", f"Unused time on {item.description} after {when}") for item in old
    ] + [
        (item, item.amount * share, "remaining_time", f"Remaining time on {item.description} after {when}")
        for item in new
    ]
    lines: list[ProrationLine] = []
    running, rounded_before = Fraction(0), 0
    for item, amount, kind, description in exact:
        running += amount
        rounded = round_half_away(running)
        lines.append(
            ProrationLine(
                item.price, item.quantity, rounded - rounded_before, description, at, end, kind, item.description
            )
        )
        rounded_before = rounded
    return lines


def net_difference(old: Sequence[Item], new: Sequence[Item], start: datetime, end: datetime, at: datetime) -> int:
    """The exact net difference over the remaining time, rounded once."""
    share = remaining_fraction(start, end, at)
    return round_half_away((sum(i.amount for i in new) - sum(i.amount for i in old)) * share)
