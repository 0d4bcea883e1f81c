"""A subscription as the billing core holds it: its items (prices as they were when subscribed
to), the pending proration items kept for its next invoice, a change scheduled for its period
end, and the figures derived from them (computed here, and only here)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import msgspec

from billing.catalog.records import Discount

SubscriptionStatus = Literal["trialing", "active", "past_due", "canceled"]
Interval = Literal["day", "week", "month", "year"]
LIVE_STATUSES: tuple[SubscriptionStatus, ...] = ("trialing", "active", "past_due")


class SubscriptionItem(msgspec.Struct, frozen=True, kw_only=True):
    """A price on a subscription, as it was when subscribed to."""

    id: str
    price: str
    product: str
    description: str
    quantity: int
    unit_amount: int
    currency: str
    interval: Interval
    interval_count: int
    # What a whole period of the item costs after the discount it was charged with (before tax):
    # a credit for its unused time is a share of this, never of the undiscounted amount. None on
    # items stored before it was kept (their credit falls back to the discount in force).
    net_amount: int | None = None

    @property
    def amount(self) -> int:
        """What the item costs a period: its unit amount times its quantity."""
        return self.unit_amount * self.quantity

    @property
    def cycle(self) -> tuple[Interval, int]:
        """The billing interval and how many of it make a period."""
        return self.interval, self.interval_count


def recurring_amount(items: Iterable[SubscriptionItem]) -> int:
    """What `items` cost each period before discount and tax."""
    return sum(item.amount for item in items)


class PendingItem(msgspec.Struct, frozen=True, kw_only=True):
    """A proration line kept for the subscription's next invoice."""

    id: str
    description: str
    amount: int  # negative for a credit
    quantity: int
    price: str | None
    period_start: str
    period_end: str
    discounted: bool = False  # its amount is already net of the discount (a proration line)
    # The line's parts (`billing.invoicing.records.InvoiceLine`); None on items stored before them.
    kind: str | None = None
    item_description: str | None = None
    at: str | None = None


class ScheduledChange(msgspec.Struct, frozen=True, kw_only=True):
    """The items the subscription switches to `at` the end of its period (a portal downgrade)."""

    items: tuple[SubscriptionItem, ...]
    at: str


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    customer: str
    status: SubscriptionStatus
    items: tuple[SubscriptionItem, ...]  # at least one; one currency, one billing cycle
    currency: str
    discount: Discount | None
    default_payment_method: str | None
    billing_cycle_anchor: str
    current_period_start: str
    current_period_end: str
    trial_start: str | None
    trial_end: str | None
    cancel_at_period_end: bool
    canceled_at: str | None
    ended_at: str | None
    cancellation_details: dict[str, Any] | None  # {reason, comment}, the parts that were given
    latest_invoice: str | None
    pending_invoice_items: tuple[PendingItem, ...]
    scheduled_change: ScheduledChange | None
    test_clock: str | None
    created_at: str
    version: int

    @property
    def recurring_amount(self) -> int:
        """What the subscription costs each period before discount and tax."""
        return recurring_amount(self.items)

    @property
    def cycle(self) -> tuple[Interval, int]:
        """The billing interval of its items (all of them bill on one)."""
        return self.items[0].cycle

    @property
    def charges(self) -> bool:
        """Whether it will charge the customer's payment method: live, and not free."""
        return self.status in LIVE_STATUSES and self.recurring_amount > 0

    @property
    def canceled(self) -> bool:
        return self.status == "canceled"

    @property
    def due_at(self) -> str | None:
        """When the clock has work to do on it (a renewal, a trial's or a cancellation's end):
        the end of its period, until it is canceled."""
        return None if self.canceled else self.current_period_end
