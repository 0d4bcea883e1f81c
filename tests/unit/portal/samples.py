"""Subscription records as the portal's services and pages get them (no I/O)."""

from __future__ import annotations

from typing import Any

from billing.subscriptions.records import Interval, Subscription, SubscriptionItem


def item(
    price: str, unit_amount: int, quantity: int = 1, interval: Interval = "month", count: int = 1
) -> SubscriptionItem:
    return SubscriptionItem(
        id=f"si_{price}",
        price=price,
        product="prod_basic",
        description=f"Plan {price}",
        unit_amount=unit_amount,
        quantity=quantity,
        currency="eur",
        interval=interval,
        interval_count=count,
    )


def subscription(*items: SubscriptionItem, **fields: Any) -> Subscription:
    defaults: dict[str, Any] = {
        "id": "sub_1",
        "customer": "cus_1",
        "status": "active",
        "items": items,
        "currency": "eur",
        "discount": None,
        "default_payment_method": None,
        "billing_cycle_anchor": "2026-01-01T00:00:00Z",
        "current_period_start": "2026-01-01T00:00:00Z",
        "current_period_end": "2026-02-01T00:00:00Z",
        "trial_start": None,
        "trial_end": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "ended_at": None,
        "cancellation_details": None,
        "latest_invoice": None,
        "pending_invoice_items": (),
        "scheduled_change": None,
        "test_clock": None,
        "created_at": "2026-01-01T00:00:00Z",
        "version": 1,
    }
    return Subscription(**{**defaults, **fields})
