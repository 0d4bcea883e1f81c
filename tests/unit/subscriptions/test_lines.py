"""A subscription's invoice lines (no I/O): what its items cost a period, computed in one place,
and the proration and pending lines of a change."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from billing.subscriptions import proration, store
from billing.subscriptions.lines import (
    lines_to_pending,
    pending_to_lines,
    period_lines,
    proration_items,
    proration_lines,
)
from billing.subscriptions.records import SubscriptionItem, recurring_amount

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 2, 1, tzinfo=UTC)


def item(price: str, unit_amount: int, quantity: int) -> SubscriptionItem:
    return SubscriptionItem(
        id=f"si_{price}",
        price=price,
        product="prod_1",
        description=f"Plan {price}",
        quantity=quantity,
        unit_amount=unit_amount,
        currency="eur",
        interval="month",
        interval_count=1,
    )


items = st.lists(
    st.builds(item, st.sampled_from(["price_a", "price_b"]), st.integers(0, 10**7), st.integers(1, 10_000)),
    min_size=1,
    max_size=4,
)


@given(items)
def test_the_recurring_amount_is_what_the_period_lines_bill(subscription_items: list[SubscriptionItem]) -> None:
    lines = period_lines(subscription_items, START, END)
    assert recurring_amount(subscription_items) == sum(line.amount for line in lines)
    assert [line.amount for line in lines] == [i.amount for i in subscription_items]


def test_a_line_of_several_names_its_quantity() -> None:
    one, three = period_lines([item("price_a", 900, 1), item("price_b", 1500, 3)], START, END)
    assert (one.description, one.amount) == ("Plan price_a", 900)
    assert (three.description, three.amount, three.unit_amount) == ("Plan price_b × 3", 4500, 1500)


def test_a_switch_in_the_middle_of_the_period_credits_the_old_plan_and_charges_the_new() -> None:
    middle = datetime(2026, 1, 16, 12, tzinfo=UTC)  # half of January's 31 days remain
    prorated = proration.prorate(
        proration_items([item("price_a", 3100, 1)], None),
        proration_items([item("price_b", 6200, 1)], None),
        START,
        END,
        middle,
    )
    credit, charge = proration_lines(prorated)
    assert (credit.amount, charge.amount) == (-1550, 3100)
    assert credit.proration and charge.proration


def test_a_line_that_rounds_to_nothing_is_left_out() -> None:
    last_second = datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC)
    prorated = proration.prorate(proration_items([item("price_a", 100, 1)], None), [], START, END, last_second)
    assert [p.amount for p in prorated] == [0]
    assert proration_lines(prorated) == []


def test_pending_lines_survive_the_round_trip_through_the_subscription() -> None:
    lines = period_lines([item("price_a", 900, 2)], START, END)
    back = pending_to_lines(lines_to_pending(lines))
    assert [(b.description, b.amount, b.quantity, b.period_start, b.period_end) for b in back] == [
        ("Plan price_a × 2", 1800, 2, START, END)
    ]
    assert all(b.proration for b in back)


def test_proration_lines_keep_their_parts_through_pending_items_and_the_store() -> None:
    # Given a switch mid-January, kept as pending items for the next invoice
    middle = datetime(2026, 1, 16, 12, tzinfo=UTC)
    prorated = proration.prorate(
        proration_items([item("price_a", 3100, 1)], None),
        proration_items([item("price_b", 6200, 2)], None),
        START,
        END,
        middle,
    )
    pending = lines_to_pending(proration_lines(prorated))
    # When they are stored with the subscription and read back as lines
    stored = [store._pending_to_stored(p) for p in pending]
    back = pending_to_lines([store._pending_from_stored(s) for s in stored])
    # Then each still says what it is, of which item, and when (its English text unchanged)
    assert [(b.kind, b.item_description, b.at, b.quantity) for b in back] == [
        ("unused_time", "Plan price_a", middle, 1),
        ("remaining_time", "Plan price_b", middle, 2),
    ]
    assert back[0].description == "Unused time on Plan price_a after 16 Jan 2026"
    assert stored[0]["kind"] == "unused_time" and stored[0]["at"] == "2026-01-16T12:00:00Z"
