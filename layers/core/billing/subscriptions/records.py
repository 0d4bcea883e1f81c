"""A subscription as the billing core holds it: its items (prices as they were when subscribed
to), the pending proration items kept for its next invoice, a change scheduled for its period
end, a failed renewal being retried (dunning), and the figures derived from them (computed here,
and only here)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Literal

import msgspec

from billing.accounts.records import AfterRetries
from billing.catalog.records import Discount
from billing.kernel import clock

# `unpaid`: every retry of a failed renewal failed and the account chose to keep the subscription:
# it is not renewed and charges nothing until its latest invoice is paid.
# `incomplete`: its first payment failed (a failed signup, not a failed renewal): paying its first
# invoice makes it `active`; unpaid `INCOMPLETE_EXPIRES_AFTER` its creation it is
# `incomplete_expired` (for good, its invoice voided), as Stripe's.
SubscriptionStatus = Literal["incomplete", "incomplete_expired", "trialing", "active", "past_due", "unpaid", "canceled"]
Interval = Literal["day", "week", "month", "year"]
LIVE_STATUSES: tuple[SubscriptionStatus, ...] = ("trialing", "active", "past_due")
ENDED_STATUSES: tuple[SubscriptionStatus, ...] = ("canceled", "incomplete_expired")
INCOMPLETE_EXPIRES_AFTER = timedelta(hours=23)


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


class Dunning(msgspec.Struct, frozen=True, kw_only=True):
    """A failed renewal being retried: when it first failed, the account's schedule then (days
    after that failure), how the subscription ends when every retry failed, and the retries done."""

    failed_at: str
    retry_days: tuple[int, ...]
    after_retries: AfterRetries
    retries: int = 0

    @property
    def exhausted(self) -> bool:
        """Every retry of the schedule is done."""
        return self.retries >= len(self.retry_days)

    @property
    def next_at(self) -> str:
        """When the next retry is due; once every retry is done, when the last one was (the
        subscription's end is due then)."""
        return retry_at(self.failed_at, self.retry_days, self.retries)


def retry_at(failed_at: str, retry_days: tuple[int, ...], retries: int) -> str:
    """When retry number `retries` (from 0) of a charge that first failed at `failed_at` is due;
    past the schedule, when its last retry was."""
    days = retry_days[min(retries, len(retry_days) - 1)]
    return clock.to_wire(clock.from_wire(failed_at) + timedelta(days=days))


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
    dunning: Dunning | None = None  # while a failed renewal of a `past_due` subscription is retried
    # When the customer accepted the portal's retention offer: once per subscription, for good
    # (the coupon running out does not make the offer again).
    retention_accepted_at: str | None = None
    # The merchant's own keys and values, as a customer's (at most 50; merged on update).
    metadata: dict[str, str] = msgspec.field(default_factory=dict)

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
        """Ended for good: `canceled`, or `incomplete_expired` (a signup never paid); either
        is shown, changed and charged as a canceled one (not at all)."""
        return self.status in ENDED_STATUSES

    @property
    def incomplete(self) -> bool:
        return self.status == "incomplete"

    @property
    def expires_at(self) -> str | None:
        """When an `incomplete` subscription whose first invoice is still unpaid expires."""
        if not self.incomplete:
            return None
        return clock.to_wire(clock.from_wire(self.created_at) + INCOMPLETE_EXPIRES_AFTER)

    @property
    def unpaid(self) -> bool:
        return self.status == "unpaid"

    @property
    def renews(self) -> bool:
        """Whether its period end renews it (an `unpaid` one waits for its invoice to be paid)."""
        return self.status in LIVE_STATUSES and not self.cancel_at_period_end

    @property
    def retry_due_at(self) -> str | None:
        """When the clock next retries its failed renewal (or ends it, every retry done)."""
        return self.dunning.next_at if self.dunning is not None and self.status == "past_due" else None

    @property
    def due_at(self) -> str | None:
        """When the clock has work to do on it: the end of its period (a renewal, a trial's or a
        cancellation's end) or the next retry of a failed renewal, whichever comes first; an
        `unpaid` one only when it is to end at its period end; an `incomplete` one when it
        expires; none once it has ended."""
        if self.canceled or (self.unpaid and not self.cancel_at_period_end):
            return None
        if self.incomplete:
            return self.expires_at
        retry = self.retry_due_at
        if retry is not None and clock.from_wire(retry) < clock.from_wire(self.current_period_end):
            return retry
        return self.current_period_end
