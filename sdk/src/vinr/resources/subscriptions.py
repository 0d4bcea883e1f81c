"""`client.subscriptions`, `client.test_clocks`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from vinr.resources._base import NOT_GIVEN, NotGiven, Resource, body_of, query_of, segment
from vinr.types import Page, ProrationBehavior, Subscription, SubscriptionStatus, TestClock

Items = Sequence[Mapping[str, Any]]


class Subscriptions(Resource):
    def create(
        self,
        *,
        customer: str,
        items: Items,
        coupon: str | NotGiven = NOT_GIVEN,
        default_payment_method: str | NotGiven = NOT_GIVEN,
        trial_days: int | NotGiven = NOT_GIVEN,
        metadata: Mapping[str, str | None] | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> Subscription:
        """`POST /v1/subscriptions`: invoices and charges the first period.

        `items=[{"price": "price_…", "quantity": 1}]`.
        """
        body = body_of(
            customer=customer,
            items=items,
            coupon=coupon,
            default_payment_method=default_payment_method,
            trial_days=trial_days,
            metadata=metadata,
        )
        return self._post(Subscription, "/v1/subscriptions", body, idempotency_key)

    def retrieve(self, subscription: str) -> Subscription:
        """`GET /v1/subscriptions/{id}`."""
        return self._get(Subscription, f"/v1/subscriptions/{segment(subscription, 'subscription')}")

    def update(
        self,
        subscription: str,
        *,
        items: Items | NotGiven = NOT_GIVEN,
        proration_behavior: ProrationBehavior | NotGiven = NOT_GIVEN,
        cancel_at_period_end: bool | NotGiven = NOT_GIVEN,
        coupon: str | NotGiven | None = NOT_GIVEN,
        default_payment_method: str | NotGiven = NOT_GIVEN,
        cancellation_details: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        metadata: Mapping[str, str | None] | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> Subscription:
        """`POST /v1/subscriptions/{id}`: change prices or quantities, apply a coupon, cancel at period end.

        `proration_behavior` is `create_prorations` (the API's default), `none` or `always_invoice`.
        """
        body = body_of(
            items=items,
            proration_behavior=proration_behavior,
            cancel_at_period_end=cancel_at_period_end,
            coupon=coupon,
            default_payment_method=default_payment_method,
            cancellation_details=cancellation_details,
            metadata=metadata,
        )
        return self._post(
            Subscription, f"/v1/subscriptions/{segment(subscription, 'subscription')}", body, idempotency_key
        )

    def cancel(
        self,
        subscription: str,
        *,
        prorate: bool | NotGiven = NOT_GIVEN,
        invoice_now: bool | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> Subscription:
        """`DELETE /v1/subscriptions/{id}`: cancel now (`cancel_at_period_end=True` on `update` waits)."""
        path = f"/v1/subscriptions/{segment(subscription, 'subscription')}"
        return self._delete(Subscription, path, idempotency_key, query_of(prorate=prorate, invoice_now=invoice_now))

    def list(
        self,
        *,
        customer: str | NotGiven = NOT_GIVEN,
        status: SubscriptionStatus | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        starting_after: str | NotGiven = NOT_GIVEN,
        ending_before: str | NotGiven = NOT_GIVEN,
    ) -> Page[Subscription]:
        """`GET /v1/subscriptions?customer=&status=`: one page (`ending_before`: the newer page)."""
        params = query_of(
            customer=customer, status=status, limit=limit, starting_after=starting_after, ending_before=ending_before
        )
        return self._get(Page[Subscription], "/v1/subscriptions", params)

    def auto_paging_iter(
        self,
        *,
        customer: str | NotGiven = NOT_GIVEN,
        status: SubscriptionStatus | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
    ) -> Iterator[Subscription]:
        """Every matching subscription, page after page."""
        return self._iterate(Subscription, "/v1/subscriptions", query_of(customer=customer, status=status, limit=limit))


class TestClocks(Resource):
    """Test mode only: freeze a customer's time, then advance it to run renewals and period ends."""

    __test__ = False  # not a pytest class

    def create(
        self,
        *,
        frozen_time: datetime | str,
        name: str | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> TestClock:
        """`POST /v1/test_clocks`: `frozen_time` is a timezone-aware datetime (or an ISO 8601 string)."""
        return self._post(TestClock, "/v1/test_clocks", body_of(frozen_time=frozen_time, name=name), idempotency_key)

    def retrieve(self, test_clock: str) -> TestClock:
        """`GET /v1/test_clocks/{id}`."""
        return self._get(TestClock, f"/v1/test_clocks/{segment(test_clock, 'test_clock')}")

    def advance(self, test_clock: str, *, frozen_time: datetime | str, idempotency_key: str | None = None) -> TestClock:
        """`POST /v1/test_clocks/{id}/advance`: renewals, invoices and period-end cancellations happen now."""
        path = f"/v1/test_clocks/{segment(test_clock, 'test_clock')}/advance"
        return self._post(TestClock, path, body_of(frozen_time=frozen_time), idempotency_key)
