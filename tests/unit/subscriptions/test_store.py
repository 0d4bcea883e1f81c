"""A subscription's record and its stored item (no I/O): items as the services write them read
back and write again attribute for attribute, and the figures derived from the record."""

from __future__ import annotations

import copy
import json
import zlib
from typing import Any

import msgspec.structs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.kernel.scope import Scope
from billing.store.repository import Put
from billing.subscriptions import store, subscriptions
from billing.subscriptions.records import (
    PendingItem,
    Subscription,
    SubscriptionItem,
    recurring_amount,
)

SCOPE = Scope("acct_1", "test")
SUB_ID = "sub_01JABCDEFGHJKMNPQRSTVWXYZ0"
COUPON = {
    "id": "SAVE20",
    "object": "coupon",
    "name": "20% off",
    "percentOff": 20,
    "amountOff": None,
    "currency": None,
    "duration": "repeating",
    "durationInMonths": 3,
    "valid": True,
    "createdAt": "2026-01-01T00:00:00Z",
    "livemode": False,
}


def stored_item(price: str = "price_basic", quantity: int = 1, unit_amount: int = 900) -> dict[str, Any]:
    return {
        "id": f"si_{price}",
        "price": price,
        "product": "prod_1",
        "description": "Basic",
        "quantity": quantity,
        "unitAmount": unit_amount,
        "currency": "eur",
        "interval": "month",
        "intervalCount": 1,
    }


def created_item(**overrides: Any) -> dict[str, Any]:
    """A subscription item as `subscriptions.create` writes it (two items, a coupon)."""
    items = [stored_item(), stored_item("price_seats", 3, 500)]
    item = {
        "pk": f"ACCT#acct_1#test#SUB#{SUB_ID}",
        "sk": "SUBSCRIPTION",
        "type": "subscription",
        "id": SUB_ID,
        "customer": "cust_1",
        "status": "active",
        "items": items,
        "currency": "eur",
        "discount": {"coupon": COUPON, "start": "2026-01-15T10:00:00Z", "end": "2026-04-15T10:00:00Z"},
        "defaultPaymentMethod": None,
        "billingCycleAnchor": "2026-01-15T10:00:00Z",
        "currentPeriodStart": "2026-01-15T10:00:00Z",
        "currentPeriodEnd": "2026-02-15T10:00:00Z",
        "trialStart": None,
        "trialEnd": None,
        "cancelAtPeriodEnd": False,
        "canceledAt": None,
        "endedAt": None,
        "cancellationDetails": None,
        "latestInvoice": "in_1",
        "recurringAmount": 900 + 3 * 500,
        "pendingInvoiceItems": [],
        "testClock": None,
        "createdAt": "2026-01-15T10:00:00Z",
        "version": 1,
        "gsi1pk": "ACCT#acct_1#test#CUST#cust_1#ALL",
        "gsi1sk": f"SUB#{SUB_ID}",
        "gsi2pk": "ACCT#acct_1#test#SUBS",
        "gsi2sk": SUB_ID,
        "duePk": f"DUE#{zlib.crc32(SUB_ID.encode()) % 8}",
        "dueSk": f"2026-02-15T10:00:00Z#ACCT#acct_1#test#SUB#{SUB_ID}",
    }
    item.update(overrides)
    return item


def trial_on_a_clock() -> dict[str, Any]:
    """A trial of a customer on a test clock, without a coupon, as `create` writes it."""
    return created_item(
        status="trialing",
        items=[stored_item()],
        discount=None,
        defaultPaymentMethod="pm_1",
        billingCycleAnchor="2026-01-29T10:00:00Z",
        currentPeriodEnd="2026-01-29T10:00:00Z",
        trialStart="2026-01-15T10:00:00Z",
        trialEnd="2026-01-29T10:00:00Z",
        recurringAmount=900,
        testClock="clock_1",
        duePk="CLOCK#clock_1",
        dueSk=f"2026-01-29T10:00:00Z#ACCT#acct_1#test#SUB#{SUB_ID}",
    )


def with_pending_and_scheduled() -> dict[str, Any]:
    """After a prorated switch (pending items) and a downgrade kept for the period end."""
    return created_item(
        pendingInvoiceItems=[
            {
                "id": "ii_1",
                "description": "Unused time on Basic after 20 Jan 2026",
                "amount": -600,
                "quantity": 1,
                "price": "price_basic",
                "periodStart": "2026-01-20T00:00:00Z",
                "periodEnd": "2026-02-15T10:00:00Z",
            }
        ],
        scheduledChange={"items": [stored_item("price_small", 1, 400)], "at": "2026-02-15T10:00:00Z"},
        version=3,
    )


def canceled() -> dict[str, Any]:
    """As `cancel` writes it: no due index attributes, why it ended, a cleared scheduled change."""
    item = created_item(
        status="canceled",
        canceledAt="2026-01-20T00:00:00Z",
        endedAt="2026-01-20T00:00:00Z",
        cancellationDetails={"reason": "too_expensive", "comment": "later"},
        version=2,
    )
    del item["duePk"], item["dueSk"]
    return item


def test_items_as_the_services_write_them_read_back_and_write_again_unchanged() -> None:
    for item in (created_item(), trial_on_a_clock(), with_pending_and_scheduled(), canceled()):
        assert store.to_item(SCOPE, store.from_item(copy.deepcopy(item))) == item


def test_a_record_survives_its_round_trip() -> None:
    for item in (created_item(), trial_on_a_clock(), with_pending_and_scheduled(), canceled()):
        record = store.from_item(item)
        assert store.from_item(store.to_item(SCOPE, record)) == record


def test_the_record_reads_every_field() -> None:
    sub = store.from_item(with_pending_and_scheduled())
    assert sub.items[1] == SubscriptionItem(
        id="si_price_seats",
        price="price_seats",
        product="prod_1",
        description="Basic",
        quantity=3,
        unit_amount=500,
        currency="eur",
        interval="month",
        interval_count=1,
    )
    assert sub.pending_invoice_items == (
        PendingItem(
            id="ii_1",
            description="Unused time on Basic after 20 Jan 2026",
            amount=-600,
            quantity=1,
            price="price_basic",
            period_start="2026-01-20T00:00:00Z",
            period_end="2026-02-15T10:00:00Z",
        ),
    )
    assert sub.scheduled_change is not None and sub.scheduled_change.at == "2026-02-15T10:00:00Z"
    assert [i.price for i in sub.scheduled_change.items] == ["price_small"]
    assert sub.discount is not None and sub.discount.end == "2026-04-15T10:00:00Z"
    assert (sub.version, sub.test_clock, sub.latest_invoice) == (3, None, "in_1")


def test_a_cleared_scheduled_change_reads_as_none() -> None:
    assert store.from_item(created_item(scheduledChange=None)).scheduled_change is None


def test_the_due_index_follows_the_period_end_until_the_subscription_ends() -> None:
    sub = store.from_item(created_item())
    renewed = msgspec.structs.replace(sub, current_period_end="2026-03-15T10:00:00Z", version=2)
    item = store.to_item(SCOPE, renewed)
    assert item["dueSk"] == f"2026-03-15T10:00:00Z#ACCT#acct_1#test#SUB#{SUB_ID}"
    assert item["duePk"] == created_item()["duePk"]
    ended = store.to_item(SCOPE, msgspec.structs.replace(sub, status="canceled", version=2))
    assert "duePk" not in ended and "dueSk" not in ended
    assert store.to_item(SCOPE, store.from_item(trial_on_a_clock()))["duePk"] == store.clock_due_partition("clock_1")


def test_a_due_sort_key_names_its_subscription() -> None:
    due_sk = store.due_keys(Scope("acct_9", "live"), "sub_2", "2026-01-01T00:00:00Z", None)["dueSk"]
    assert store.parse_due(due_sk) == (Scope("acct_9", "live"), "sub_2")
    assert store.due_partitions() == [f"DUE#{n}" for n in range(store.DUE_SHARDS)]


def test_the_writes_are_conditional() -> None:
    sub = store.from_item(created_item())
    inserted = store.insert(SCOPE, sub)
    assert isinstance(inserted, Put) and inserted.condition == "attribute_not_exists(pk)"
    assert inserted.item == created_item()
    after = msgspec.structs.replace(sub, status="past_due", version=2)
    replaced = store.replace(SCOPE, after, 1)
    assert replaced.item == store.to_item(SCOPE, after) and replaced.item["version"] == 2
    assert replaced.condition == "#v = :expected" and replaced.values == {":expected": 1}


# ------------------------------------------------------------------ derived figures
def _item(price: str, unit_amount: int, quantity: int, interval: Any = "month", count: int = 1) -> SubscriptionItem:
    return SubscriptionItem(
        id=f"si_{price}",
        price=price,
        product="prod_1",
        description=price,
        quantity=quantity,
        unit_amount=unit_amount,
        currency="eur",
        interval=interval,
        interval_count=count,
    )


subscription_items = st.lists(
    st.builds(_item, st.sampled_from(["price_a", "price_b"]), st.integers(0, 10**7), st.integers(1, 10_000)),
    min_size=1,
    max_size=4,
)


@given(subscription_items)
def test_the_recurring_amount_is_the_sum_of_its_items(items: list[SubscriptionItem]) -> None:
    sub = msgspec.structs.replace(store.from_item(created_item()), items=tuple(items))
    assert sub.recurring_amount == recurring_amount(items) == sum(i.unit_amount * i.quantity for i in items)


def test_an_item_costs_its_unit_amount_times_its_quantity() -> None:
    assert _item("price_a", 1500, 3).amount == 4500
    assert _item("price_a", 0, 7).amount == 0


def test_the_stored_recurring_amount_is_the_items_amount() -> None:
    sub = store.from_item(created_item(recurringAmount=1))  # a stale figure is not believed
    assert sub.recurring_amount == 2400
    assert store.to_item(SCOPE, sub)["recurringAmount"] == 2400


def test_the_cycle_is_its_first_items() -> None:
    sub = msgspec.structs.replace(store.from_item(created_item()), items=(_item("price_y", 9000, 1, "year", 2),))
    assert sub.cycle == ("year", 2) == sub.items[0].cycle


def test_due_at_is_the_period_end_until_canceled() -> None:
    sub = store.from_item(created_item())
    assert sub.due_at == "2026-02-15T10:00:00Z" and not sub.canceled
    ended = store.from_item(canceled())
    assert ended.canceled and ended.due_at is None


def test_a_record_changes_only_by_replacement() -> None:
    sub: Subscription = store.from_item(created_item())
    with pytest.raises(AttributeError):
        sub.status = "canceled"  # type: ignore[misc]
    assert msgspec.structs.replace(sub, status="canceled").status == "canceled" and sub.status == "active"


# ------------------------------------------------------------------ the wire form
SHOWN = (
    "id customer status items currency discount defaultPaymentMethod billingCycleAnchor currentPeriodStart "
    "currentPeriodEnd trialStart trialEnd cancelAtPeriodEnd canceledAt endedAt cancellationDetails latestInvoice "
    "scheduledChange testClock metadata createdAt"
).split()


def test_the_wire_form_is_the_stored_fields_in_their_order() -> None:
    for item in (created_item(), trial_on_a_clock(), with_pending_and_scheduled(), canceled()):
        stored = {**item, "metadata": item.get("metadata") or {}}  # (kept only when there is some)
        expected = {"id": item["id"], "object": "subscription", **{f: stored.get(f) for f in SHOWN}, "livemode": False}
        wire = subscriptions.to_wire(store.from_item(item), SCOPE)
        assert json.dumps(wire) == json.dumps(expected)
