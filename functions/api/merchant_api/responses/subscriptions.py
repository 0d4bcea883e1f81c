"""`/v1/subscriptions`."""

from __future__ import annotations

from typing import Literal

from merchant_api.responses.base import Page, Wire
from merchant_api.responses.catalog import Coupon
from merchant_api.responses.common import Metadata, Timestamp


class SubscriptionItemEntry(Wire):
    """A price on a subscription, as it was when subscribed to."""

    id: str
    price: str
    product: str
    description: str
    quantity: int
    unitAmount: int
    currency: str
    interval: Literal["day", "week", "month", "year"]
    intervalCount: int


class Discount(Wire):
    """A coupon applied: its snapshot, from `start` until `end` (null: for good)."""

    coupon: Coupon
    start: Timestamp
    end: Timestamp | None


class SubscriptionCancellation(Wire):
    """Why the subscription was canceled: the parts that were given."""

    reason: str | None = None
    comment: str | None = None


class ScheduledChange(Wire):
    """The items the subscription switches to `at` the end of its period."""

    items: list[SubscriptionItemEntry]
    at: Timestamp


class Subscription(Wire):
    """A subscription."""

    id: str
    object: Literal["subscription"]
    customer: str
    status: Literal["incomplete", "incomplete_expired", "trialing", "active", "past_due", "unpaid", "canceled"]
    items: list[SubscriptionItemEntry]
    currency: str
    discount: Discount | None
    defaultPaymentMethod: str | None
    billingCycleAnchor: Timestamp
    currentPeriodStart: Timestamp
    currentPeriodEnd: Timestamp
    trialStart: Timestamp | None
    trialEnd: Timestamp | None
    cancelAtPeriodEnd: bool
    canceledAt: Timestamp | None
    endedAt: Timestamp | None
    cancellationDetails: SubscriptionCancellation | None
    latestInvoice: str | None
    scheduledChange: ScheduledChange | None
    testClock: str | None
    metadata: Metadata
    createdAt: Timestamp
    livemode: bool


class SubscriptionList(Page):
    """A page of subscriptions."""

    data: list[Subscription]
