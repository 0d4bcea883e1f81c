"""Dunning through the merchant API, the portal and a test clock: a declined renewal leaves the
subscription `past_due` and is retried on the account's schedule (3, 5 and 7 days after the
first failure unless the account sets its own), each retry an attempt of the same invoice with
its `invoice.payment_failed`; after the last one the subscription is `unpaid` or `canceled`, as
the account chose. A new default payment method retries the open invoice at once; a paid retry
or a paid latest invoice makes the subscription `active` again. The schedule serves both modes,
so only a live key changes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from billing.kernel import clock
from tests.conftest import Stack
from tests.support.apiclient import ApiClient, ok
from tests.support.livekeys import live_client
from tests.support.portalbrowser import csrf_of, signed_in
from tests.support.shop import ClockedMerchant, Shop, start_clock
from tests.support.webhooks import Pipeline, Receiver

JAN_31 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
FEB_28 = datetime(2026, 2, 28, 10, 0, tzinfo=UTC)  # the first period's end: the renewal that declines
MAR_31 = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)  # the second period's end
RENEWAL_TOTAL = 3451  # 29.00 EUR and 19 % USt.


def days_after_failure(days: float) -> datetime:
    return FEB_28 + timedelta(days=days)


def attach(api: ApiClient, customer: str, token: str, **fields: Any) -> str:
    pm_id: str = ok(api.post(f"/v1/customers/{customer}/payment_methods", {"token": token, **fields}))["id"]
    return pm_id


def events_of(api: ApiClient, type_: str, customer: str) -> list[dict[str, Any]]:
    found = api.get("/v1/events", query={"type": type_, "customer": customer, "limit": 100}).json()["data"]
    return sorted(found, key=lambda event: event["id"])  # oldest first


def failures_of(api: ApiClient, customer: str, invoice_id: str) -> int:
    found = events_of(api, "invoice.payment_failed", customer)
    return sum(1 for event in found if event["data"]["object"]["id"] == invoice_id)


class Declined:
    """A customer on a test clock whose renewal on 28 Feb declined: its subscription, now
    `past_due`, and the renewal's open invoice."""

    def __init__(self, shop: Shop, *, name_declining_card: bool = False) -> None:
        self.api = shop.api
        self.clocked = ClockedMerchant(shop.api, start_clock(shop.api, JAN_31))
        self.customer = shop.customer(testClock=self.clocked.clock_id)  # pays by Visa
        self.visa = ok(self.api.get(f"/v1/customers/{self.customer}"))["defaultPaymentMethod"]
        self.sub_id = ok(shop.subscribe(self.customer))["id"]
        # the card that declines every charge becomes the default before the renewal
        self.declining = attach(self.api, self.customer, "tok_chargeDeclined", setDefault=True)
        if name_declining_card:
            ok(self.api.post(f"/v1/subscriptions/{self.sub_id}", {"defaultPaymentMethod": self.declining}))
        self.clocked.advance(FEB_28)
        sub = self.sub()
        assert sub["status"] == "past_due", sub
        self.invoice_id: str = sub["latestInvoice"]
        invoice = self.invoice()
        assert (invoice["status"], invoice["total"], invoice["attemptCount"]) == ("open", RENEWAL_TOTAL, 1)

    def sub(self) -> dict[str, Any]:
        return self.clocked.sub(self.sub_id)

    def invoice(self) -> dict[str, Any]:
        return ok(self.api.get(f"/v1/invoices/{self.invoice_id}"))

    def attempts(self) -> int:
        count: int = self.invoice()["attemptCount"]
        return count

    def advance(self, days: float) -> None:
        self.clocked.advance(days_after_failure(days))

    def failures(self) -> int:
        return failures_of(self.api, self.customer, self.invoice_id)


def set_dunning(api: ApiClient, **settings: Any) -> dict[str, Any]:
    """`api`'s account's schedule, set with a live key (a test key may not: `TestATestKey`)."""
    return ok(live_client(api).post("/v1/account/dunning", settings))


# ------------------------------------------------------------------ the default schedule
def test_a_declined_renewal_is_retried_3_5_and_7_days_after_it_failed_then_the_subscription_is_unpaid(
    shop: Shop,
) -> None:
    # Given an account with the default schedule and a renewal that declined on 28 Feb
    assert ok(shop.api.get("/v1/account/dunning")) == {
        "object": "dunning_settings",
        "retryDays": [3, 5, 7],
        "afterRetries": "unpaid",
        "livemode": False,
    }
    declined = Declined(shop)
    assert declined.failures() == 1
    # When the clock stops a minute before the first retry, nothing is retried
    declined.advance(3 - 1 / 1440)
    assert (declined.attempts(), declined.failures()) == (1, 1)
    # When it reaches each retry: the invoice is charged again, declines, and says so each time
    for retry, days in enumerate((3, 5, 7), start=1):
        declined.advance(days)
        invoice = declined.invoice()
        assert (invoice["status"], invoice["attemptCount"]) == ("open", 1 + retry), invoice
        assert invoice["lastPaymentError"]["code"] == "card_declined"
        assert declined.failures() == 1 + retry
        expected = "past_due" if retry < 3 else "unpaid"
        assert declined.sub()["status"] == expected
    # Then the last failure left the subscription unpaid, said by subscription.updated from the clock
    unpaid = [
        event
        for event in events_of(shop.api, "subscription.updated", declined.customer)
        if event["data"]["object"]["status"] == "unpaid"
    ]
    assert len(unpaid) == 1
    assert unpaid[0]["data"]["previousAttributes"] == {"status": "past_due"}
    assert unpaid[0]["request"]["source"] == "clock"
    listed = shop.api.get("/v1/subscriptions", query={"customer": declined.customer, "status": "unpaid"})
    assert [sub["id"] for sub in ok(listed)["data"]] == [declined.sub_id]
    # When its period ends and a month more goes by
    declined.clocked.advance(MAR_31 + timedelta(days=30))
    # Then it was not renewed and nothing more was charged: its invoice waits, open
    after = declined.sub()
    assert (after["status"], after["currentPeriodEnd"]) == ("unpaid", clock.to_wire(MAR_31))
    newest_first = declined.clocked.invoices(declined.sub_id)
    assert [i["id"] for i in newest_first][:1] == [declined.invoice_id] and len(newest_first) == 2
    assert (declined.invoice()["status"], declined.attempts()) == ("open", 4)


def test_paying_an_unpaid_subscriptions_invoice_makes_it_active_and_it_renews_from_then_on(shop: Shop) -> None:
    # Given a subscription left unpaid after its retries, and a month after its period ended
    declined = Declined(shop)
    declined.advance(7)
    assert declined.sub()["status"] == "unpaid"
    paid_on = MAR_31 + timedelta(days=30)
    declined.clocked.advance(paid_on)
    # When the merchant names a working card on it (no retry: the customer's default is unchanged)
    # and pays its latest invoice through the API
    visa = attach(shop.api, declined.customer, "tok_mastercard")
    ok(shop.api.post(f"/v1/subscriptions/{declined.sub_id}", {"defaultPaymentMethod": visa}))
    assert declined.attempts() == 4
    paid = ok(shop.api.post(f"/v1/invoices/{declined.invoice_id}/pay"))
    # Then the invoice is paid, and the subscription active again, starting a new cycle now
    # rather than charging for the periods it was not renewed in
    assert (paid["status"], paid["amountPaid"], paid["attemptCount"]) == ("paid", RENEWAL_TOTAL, 5)
    revived = declined.sub()
    assert (revived["status"], revived["currentPeriodEnd"]) == ("active", clock.to_wire(paid_on))
    # When the clock next runs
    declined.clocked.advance(paid_on + timedelta(hours=1))
    # Then it renews once, for a whole period from the day it was paid
    renewed = declined.sub()
    assert (renewed["status"], renewed["currentPeriodStart"]) == ("active", clock.to_wire(paid_on))
    renewal = ok(shop.api.get(f"/v1/invoices/{renewed['latestInvoice']}"))
    assert (renewal["status"], renewal["periodStart"], renewal["total"]) == (
        "paid",
        clock.to_wire(paid_on),
        RENEWAL_TOTAL,
    )
    assert len(declined.clocked.invoices(declined.sub_id)) == 3


# ------------------------------------------------------------------ the account's own schedule
def test_a_custom_schedule_retries_on_its_days_and_cancels_when_the_account_chose_so(shop: Shop) -> None:
    # Given an account that retries 1 and 4 days after a failure, then cancels
    assert set_dunning(shop.api, retryDays=[1, 4], afterRetries="canceled") == {
        "object": "dunning_settings",
        "retryDays": [1, 4],
        "afterRetries": "canceled",
        "livemode": True,
    }
    declined = Declined(shop)
    # When the clock passes 1 day, then 3, then 4 days after the failure
    declined.advance(1)
    assert (declined.attempts(), declined.sub()["status"]) == (2, "past_due")
    declined.advance(3)
    assert declined.attempts() == 2
    declined.advance(4)
    # Then the second retry declined too, and the subscription is canceled then, its invoice left open
    assert declined.attempts() == 3
    ended = declined.sub()
    assert (ended["status"], ended["endedAt"]) == ("canceled", clock.to_wire(days_after_failure(4)))
    assert declined.invoice()["status"] == "open"
    (deleted,) = events_of(shop.api, "subscription.deleted", declined.customer)
    assert deleted["data"]["object"]["status"] == "canceled"
    assert deleted["data"]["previousAttributes"]["status"] == "past_due"
    assert deleted["request"]["source"] == "clock"
    # And nothing more happens to it
    declined.clocked.advance(MAR_31 + timedelta(days=1))
    assert declined.attempts() == 3 and len(declined.clocked.invoices(declined.sub_id)) == 2


def test_a_subscription_already_being_retried_keeps_the_schedule_it_started_with(shop: Shop) -> None:
    # Given a renewal that declined under the default schedule
    declined = Declined(shop)
    # When the account changes its schedule to one retry after 1 day
    set_dunning(shop.api, retryDays=[1])
    declined.advance(2)
    # Then that subscription is still retried 3 days after its failure, not after 1
    assert declined.attempts() == 1
    declined.advance(3)
    assert declined.attempts() == 2


# ------------------------------------------------------------------ recovery
def test_a_new_default_card_through_the_api_pays_the_open_invoice_at_once(shop: Shop) -> None:
    # Given a subscription past_due after its renewal declined and one retry declined
    declined = Declined(shop)
    declined.advance(3)
    assert declined.attempts() == 2
    # When a new card is made the default through the API
    mastercard = attach(shop.api, declined.customer, "tok_mastercard", setDefault=True)
    # Then the invoice was charged to it at once and paid, and the subscription is active again
    invoice = declined.invoice()
    assert (invoice["status"], invoice["amountPaid"], invoice["attemptCount"]) == ("paid", RENEWAL_TOTAL, 3)
    assert declined.sub()["status"] == "active"
    paid = events_of(shop.api, "invoice.paid", declined.customer)[-1]
    assert paid["data"]["object"]["id"] == declined.invoice_id
    revived = [
        e
        for e in events_of(shop.api, "subscription.updated", declined.customer)
        if e["data"]["previousAttributes"].get("status") == "past_due"
    ]
    assert [e["data"]["object"]["status"] for e in revived] == ["active"]
    assert ok(shop.api.get(f"/v1/customers/{declined.customer}"))["defaultPaymentMethod"] == mastercard
    # And the schedule's later retries do not happen
    declined.advance(8)
    assert (declined.attempts(), declined.failures()) == (3, 2)


def test_a_new_method_that_is_not_made_the_default_retries_nothing(shop: Shop) -> None:
    declined = Declined(shop)
    attach(shop.api, declined.customer, "tok_mastercard")
    assert (declined.attempts(), declined.sub()["status"]) == (1, "past_due")


def test_a_new_default_that_declines_too_leaves_the_method_saved_the_invoice_open_and_the_schedule_on(
    shop: Shop,
) -> None:
    # Given a declined renewal
    declined = Declined(shop)
    # When another declining card is made the default
    second = attach(shop.api, declined.customer, "tok_chargeFailed", setDefault=True)
    # Then it is saved and was tried at once: declined, the invoice still open
    assert ok(shop.api.get(f"/v1/customers/{declined.customer}"))["defaultPaymentMethod"] == second
    assert (declined.invoice()["status"], declined.attempts(), declined.failures()) == ("open", 2, 2)
    assert declined.sub()["status"] == "past_due"
    # And the schedule goes on as before (the first retry 3 days after the renewal failed)
    declined.advance(3)
    assert declined.attempts() == 3


def test_making_a_card_the_default_in_the_portal_pays_the_open_invoice_at_once(shop: Shop, stack: Stack) -> None:
    # Given a declined renewal, and a working card the customer has but is not its default
    declined = Declined(shop)
    mastercard = attach(shop.api, declined.customer, "tok_mastercard")
    assert declined.attempts() == 1
    # When the customer makes it the default in the portal
    browser = signed_in(stack.template, shop.api, declined.customer)
    page = browser.get("/payment-methods")
    made = browser.post(f"/payment-methods/{mastercard}/default", {"csrf": csrf_of(page.text)})
    # Then the page says so as before, the invoice is paid, and the subscription is active
    assert made.status == 303, made.text
    invoice = declined.invoice()
    assert (invoice["status"], invoice["attemptCount"]) == ("paid", 2)
    assert declined.sub()["status"] == "active"
    paid = events_of(shop.api, "invoice.paid", declined.customer)[-1]
    assert (paid["data"]["object"]["id"], paid["request"]["source"]) == (declined.invoice_id, "portal")


def test_a_subscription_naming_its_own_card_is_not_charged_by_a_new_default_and_a_scheduled_retry_can_pay(
    shop: Shop,
) -> None:
    # Given a subscription that names the declining card itself, its renewal declined
    declined = Declined(shop, name_declining_card=True)
    # When the customer's default changes: that subscription is not charged with it
    mastercard = attach(shop.api, declined.customer, "tok_mastercard", setDefault=True)
    assert declined.attempts() == 1
    # When the merchant points the subscription at the working card and the first retry comes
    ok(shop.api.post(f"/v1/subscriptions/{declined.sub_id}", {"defaultPaymentMethod": mastercard}))
    declined.advance(3)
    # Then the retry paid the invoice and the subscription is active, with no retry after
    invoice = declined.invoice()
    assert (invoice["status"], invoice["attemptCount"], invoice["paidAt"]) == (
        "paid",
        2,
        clock.to_wire(days_after_failure(3)),
    )
    assert declined.sub()["status"] == "active"
    declined.advance(7)
    assert declined.attempts() == 2


# ------------------------------------------------------------------ what the merchant's endpoint receives
def test_the_merchants_webhook_receives_each_failed_retry_and_the_end(
    shop: Shop, pipeline: Pipeline, receiver: Receiver
) -> None:
    # Given an endpoint for every event, and the default schedule run to its end
    hook = ok(shop.api.post("/v1/webhook_endpoints", {"url": receiver.url, "enabledEvents": ["*"]}))
    declined = Declined(shop)
    for days in (3, 5, 7):
        declined.advance(days)
    # When the outbox is delivered
    pipeline.run()
    # Then the receiver got, signed, four failed attempts of the renewal invoice (its count
    # growing) and the subscription's move to unpaid
    verifier = Webhook(hook["secret"])
    bodies = []
    for got in receiver.received:
        verifier.verify(got.body, {k: v for k, v in got.headers.items() if k.startswith("webhook-")})
        bodies.append(json.loads(got.body))
    failed = [
        b["data"]["object"]["attemptCount"]
        for b in bodies
        if b["type"] == "invoice.payment_failed" and b["data"]["object"]["id"] == declined.invoice_id
    ]
    assert sorted(failed) == [1, 2, 3, 4]
    unpaid = [b for b in bodies if b["type"] == "subscription.updated" and b["data"]["object"]["status"] == "unpaid"]
    assert [b["data"]["object"]["id"] for b in unpaid] == [declined.sub_id]


# ------------------------------------------------------------------ the settings
@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"retryDays": []}, "retryDays"),
        ({"retryDays": [1, 2, 3, 4, 5]}, "retryDays"),
        ({"retryDays": [0, 3]}, "retryDays"),
        ({"retryDays": [3, 61]}, "retryDays"),
        ({"retryDays": [5, 5]}, "retryDays"),
        ({"retryDays": [3, 3]}, "retryDays"),
        ({"retryDays": "3,5,7"}, "retryDays"),
        ({"afterRetries": "cancel"}, "afterRetries"),
        ({"afterRetries": 1}, "afterRetries"),
        ({"retries": [3]}, "retries"),
    ],
)
def test_settings_out_of_their_rules_are_a_400_naming_the_field_and_change_nothing(
    merchant: ApiClient, body: dict[str, Any], param: str
) -> None:
    refused = live_client(merchant).post("/v1/account/dunning", body)
    assert refused.status == 400, refused.text
    error = refused.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param or error["param"].startswith(f"{param}."), error
    assert ok(merchant.get("/v1/account/dunning"))["retryDays"] == [3, 5, 7]


def test_settings_change_field_by_field_and_null_sets_one_back_to_its_default(merchant: ApiClient) -> None:
    assert set_dunning(merchant, afterRetries="canceled")["retryDays"] == [3, 5, 7]
    assert set_dunning(merchant, retryDays=[2, 10, 20, 60]) == {
        "object": "dunning_settings",
        "retryDays": [2, 10, 20, 60],
        "afterRetries": "canceled",
        "livemode": True,
    }
    assert ok(merchant.get("/v1/account/dunning"))["retryDays"] == [2, 10, 20, 60]
    reset = set_dunning(merchant, retryDays=None)
    assert (reset["retryDays"], reset["afterRetries"]) == ([3, 5, 7], "canceled")


class TestATestKey:
    """The schedule is the account's, for live renewals too: a test key reads it but may not change it."""

    @pytest.mark.parametrize(
        ("body", "param"),
        [
            ({"retryDays": [1]}, "retryDays"),
            ({"afterRetries": "canceled"}, "afterRetries"),
            ({"retryDays": None}, "retryDays"),
            ({"afterRetries": "canceled", "retryDays": [2]}, "retryDays"),
        ],
    )
    def test_gets_a_403_naming_the_field_and_changes_nothing(
        self, merchant: ApiClient, body: dict[str, Any], param: str
    ) -> None:
        set_dunning(merchant, retryDays=[4, 8])
        before = ok(merchant.get("/v1/account/dunning"))
        # When a test key changes the schedule
        refused = merchant.post("/v1/account/dunning", body)
        # Then it is refused, naming the field and asking for a live key, and the schedule stays
        assert refused.status == 403, refused.text
        error = refused.json()["error"]
        assert (error["type"], error["code"], error["param"]) == ("permission_error", "live_key_required", param)
        assert "live secret key" in error["message"]
        after = ok(merchant.get("/v1/account/dunning"))
        assert after == before
        assert (after["retryDays"], after["afterRetries"], after["livemode"]) == ([4, 8], "unpaid", False)

    def test_reads_what_a_live_key_set(self, merchant: ApiClient) -> None:
        live = live_client(merchant)
        assert ok(live.post("/v1/account/dunning", {"afterRetries": "canceled"}))["livemode"] is True
        seen = ok(merchant.get("/v1/account/dunning"))
        assert (seen["afterRetries"], seen["livemode"]) == ("canceled", False)
