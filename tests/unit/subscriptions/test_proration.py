"""Proration and billing periods: exact to the minor unit, no drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.kernel.money import round_half_away
from billing.subscriptions.proration import (
    Item,
    add_months,
    net_difference,
    period_boundary,
    prorate,
    remaining_fraction,
)

START = datetime(2026, 5, 1, tzinfo=UTC)
END = datetime(2026, 6, 1, tzinfo=UTC)
BASIC = Item("price_basic", 1000, 1, "Basic")
PRO = Item("price_pro", 3000, 1, "Pro")

amounts = st.integers(min_value=0, max_value=10_000_000)
items = st.builds(
    Item,
    price=st.sampled_from(["p1", "p2", "p3"]),
    unit_amount=amounts,
    quantity=st.integers(min_value=1, max_value=50),
    description=st.just("Plan"),
)


def test_an_upgrade_halfway_credits_half_the_old_and_charges_half_the_new() -> None:
    halfway = START + (END - START) / 2
    credit, charge = prorate([BASIC], [PRO], START, END, halfway)
    assert (credit.amount, charge.amount) == (-500, 1500)
    assert credit.description.startswith("Unused time on Basic after")
    assert charge.description.startswith("Remaining time on Pro after")
    assert credit.period_end == charge.period_end == END


def test_a_change_at_the_period_end_prorates_nothing_and_at_the_start_everything() -> None:
    assert prorate([BASIC], [PRO], START, END, END) == []
    credit, charge = prorate([BASIC], [PRO], START, END, START)
    assert (credit.amount, charge.amount) == (-1000, 3000)


def test_to_the_second() -> None:
    one_second_in = START + timedelta(seconds=1)
    total = int((END - START).total_seconds())
    assert remaining_fraction(START, END, one_second_in) == Fraction(total - 1, total)


@settings(max_examples=300, deadline=None)
@given(
    old=st.lists(items, min_size=1, max_size=4),
    new=st.lists(items, min_size=1, max_size=4),
    seconds_in=st.integers(min_value=0, max_value=int((END - START).total_seconds())),
)
def test_lines_sum_to_the_exact_difference_and_each_is_within_one_unit(
    old: list[Item], new: list[Item], seconds_in: int
) -> None:
    at = START + timedelta(seconds=seconds_in)
    lines = prorate(old, new, START, END, at)
    assert sum(line.amount for line in lines) == net_difference(old, new, START, END, at)
    share = remaining_fraction(START, END, at)
    if share == 0:
        assert lines == []
        return
    exact = [-i.amount * share for i in old] + [i.amount * share for i in new]
    assert len(lines) == len(exact)
    assert all(abs(line.amount - value) <= 1 for line, value in zip(lines, exact, strict=True))


@settings(max_examples=100, deadline=None)
@given(
    prices=st.lists(st.integers(min_value=100, max_value=100_000), min_size=13, max_size=13),
    offsets=st.lists(st.floats(min_value=0.01, max_value=0.99), min_size=12, max_size=12),
)
def test_a_year_of_monthly_mid_period_changes_does_not_drift(prices: list[int], offsets: list[float]) -> None:
    # Each month the plan changes mid-period. Rounding happens once per period and never
    # carries into the next: the year's total is within half a minor unit per period of the
    # exact rational total, and each period's lines are its exact difference rounded once.
    anchor = datetime(2026, 1, 31, tzinfo=UTC)
    billed = 0
    exact_total = Fraction(0)
    for month in range(12):
        start, end = period_boundary(anchor, "month", 1, month), period_boundary(anchor, "month", 1, month + 1)
        seconds = int((end - start).total_seconds())
        at = start + timedelta(seconds=int(seconds * offsets[month]))
        old, new = Item("a", prices[month], 1, "A"), Item("b", prices[month + 1], 1, "B")
        billed += prices[month]  # the period's invoice, paid in advance
        lines = prorate([old], [new], start, end, at)
        billed += sum(line.amount for line in lines)
        share = remaining_fraction(start, end, at)
        assert sum(line.amount for line in lines) == round_half_away((prices[month + 1] - prices[month]) * share)
        exact_total += prices[month] + (prices[month + 1] - prices[month]) * share
    assert abs(billed - exact_total) <= Fraction(12, 2)


def test_month_end_anchors_clamp_and_come_back() -> None:
    anchor = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    boundaries = [period_boundary(anchor, "month", 1, n).date().isoformat() for n in range(4)]
    assert boundaries == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]
    assert add_months(datetime(2028, 1, 31, tzinfo=UTC), 1).day == 29  # leap year
    assert period_boundary(datetime(2028, 2, 29, tzinfo=UTC), "year", 1, 1).date().isoformat() == "2029-02-28"
    assert period_boundary(datetime(2028, 2, 29, tzinfo=UTC), "year", 1, 4).date().isoformat() == "2032-02-29"


@pytest.mark.parametrize(("interval", "count", "days"), [("day", 3, 3), ("week", 2, 14)])
def test_day_and_week_periods(interval: str, count: int, days: int) -> None:
    assert period_boundary(START, interval, count, 1) - START == timedelta(days=days)
