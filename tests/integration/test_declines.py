"""Declines (issue 20): paying an invoice with a declining card is a 402 `card_error` with the
decline code (the attempt recorded, the invoice open); a new subscription whose first payment
fails is `incomplete` (not `past_due`), `active` once that invoice is paid, `incomplete_expired`
23 hours after its creation (its invoice voided); voiding or writing off the invoice that made a
subscription `past_due` brings it back to `active`, as Stripe's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from billing.kernel import clock
from local import invoke
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.portalbrowser import signed_in
from tests.support.shop import ClockedMerchant, Shop, start_clock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXPIRY = START + timedelta(hours=23)


def events_of(api: ApiClient, kind: str, object_id: str) -> list[dict[str, Any]]:
    """The events of `kind` about `object_id`, oldest first."""
    found = api.get("/v1/events", query={"type": kind, "limit": 100}).json()["data"]
    return [e for e in reversed(found) if e["data"]["object"]["id"] == object_id]


# ------------------------------------------------------------------ paying an invoice
def test_paying_with_a_declining_card_is_a_402_card_error_and_the_invoice_stays_open(shop: Shop) -> None:
    sub = shop.subscribe(shop.customer("tok_chargeDeclined")).json()
    invoice = shop.invoice(sub)
    # When the merchant asks for the invoice to be paid and the card declines again
    declined = shop.api.post(f"/v1/invoices/{invoice['id']}/pay")
    # Then the answer is the decline, with the issuer's reason
    assert declined.status == 402, declined.text
    error = declined.json()["error"]
    assert (error["type"], error["code"], error["declineCode"]) == ("card_error", "card_declined", "generic_decline")
    assert "declined" in error["message"]
    # and the attempt is recorded: the invoice open with the error, its event sent
    after = shop.api.get(f"/v1/invoices/{invoice['id']}").json()
    assert (after["status"], after["attemptCount"], after["amountPaid"]) == ("open", 2, 0)
    assert after["lastPaymentError"]["code"] == "card_declined"
    assert len(events_of(shop.api, "invoice.payment_failed", invoice["id"])) == 2


def test_a_402_is_replayed_under_its_idempotency_key_without_charging_again(shop: Shop) -> None:
    invoice = shop.invoice(shop.subscribe(shop.customer("tok_chargeDeclined")).json())
    key = {"Idempotency-Key": "pay-once-please"}
    first = shop.api.post(f"/v1/invoices/{invoice['id']}/pay", headers=key)
    again = shop.api.post(f"/v1/invoices/{invoice['id']}/pay", headers=key)
    assert (first.status, again.status) == (402, 402)
    assert again.json() == first.json()
    assert shop.api.get(f"/v1/invoices/{invoice['id']}").json()["attemptCount"] == 2  # one more attempt, not two


def test_a_payment_that_fails_at_the_processor_is_not_a_card_error(shop: Shop) -> None:
    # (no decline: the charge was not processed; the invoice answers what happened, as before)
    invoice = shop.invoice(shop.subscribe(shop.customer("tok_chargeFailed")).json())
    failed = shop.api.post(f"/v1/invoices/{invoice['id']}/pay")
    assert failed.status == 200, failed.text
    assert (failed.json()["status"], failed.json()["lastPaymentError"]["code"]) == ("open", "processing_error")


# ------------------------------------------------------------------ incomplete
def test_a_subscription_whose_first_payment_is_declined_is_incomplete_with_its_invoice_open(shop: Shop) -> None:
    created = shop.subscribe(shop.customer("tok_chargeDeclined"))
    assert created.status == 200, created.text
    sub = created.json()
    assert sub["status"] == "incomplete"
    invoice = shop.invoice(sub)
    assert (invoice["status"], invoice["attemptCount"]) == ("open", 1)
    [made] = events_of(shop.api, "subscription.created", sub["id"])
    assert made["data"]["object"]["status"] == "incomplete"
    listed = shop.api.get("/v1/subscriptions", query={"status": "incomplete"}).json()["data"]
    assert [s["id"] for s in listed] == [sub["id"]]


def test_an_incomplete_subscription_is_active_once_its_first_invoice_is_paid(shop: Shop) -> None:
    customer = shop.customer("tok_chargeDeclined")
    sub = shop.subscribe(customer).json()
    card = shop.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"}).json()
    shop.api.post(f"/v1/subscriptions/{sub['id']}", {"defaultPaymentMethod": card["id"]})
    paid = shop.api.post(f"/v1/invoices/{sub['latestInvoice']}/pay")
    assert (paid.status, paid.json()["status"]) == (200, "paid")
    assert shop.api.get(f"/v1/subscriptions/{sub['id']}").json()["status"] == "active"
    updated = events_of(shop.api, "subscription.updated", sub["id"])
    assert updated[-1]["data"]["object"]["status"] == "active"
    assert updated[-1]["data"]["previousAttributes"]["status"] == "incomplete"


def test_a_new_default_card_pays_an_incomplete_subscriptions_invoice_at_once(shop: Shop) -> None:
    customer = shop.customer("tok_chargeDeclined")
    sub = shop.subscribe(customer).json()
    shop.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa", "setDefault": True})
    assert shop.invoice(sub)["status"] == "paid"
    assert shop.api.get(f"/v1/subscriptions/{sub['id']}").json()["status"] == "active"


def test_an_incomplete_subscriptions_items_cannot_be_switched(shop: Shop) -> None:
    sub = shop.subscribe(shop.customer("tok_chargeDeclined")).json()
    refused = shop.api.post(f"/v1/subscriptions/{sub['id']}", {"items": [{"price": shop.yearly}]})
    assert refused.status == 400 and refused.json()["error"]["code"] == "subscription_incomplete"


@pytest.fixture
def clocked(merchant: ApiClient) -> ClockedMerchant:
    merchant.post("/v1/products", {"id": "prod_d", "name": "Declines"})
    return ClockedMerchant(merchant, start_clock(merchant, START))


def _subscribe(merchant: ClockedMerchant, token: str, price: str, **customer: Any) -> dict[str, Any]:
    made = merchant.api.post("/v1/customers", {"name": "Kunde", **customer}).json()["id"]
    assert merchant.api.post(f"/v1/customers/{made}/payment_methods", {"token": token}).status == 200
    created = merchant.api.post("/v1/subscriptions", {"customer": made, "items": [{"price": price}]})
    assert created.status == 200, created.text
    sub: dict[str, Any] = created.json()
    return sub


def _price(api: ApiClient, interval: str = "month") -> str:
    body = {"product": "prod_d", "unitAmount": 1200, "currency": "eur", "recurring": {"interval": interval}}
    price: str = api.post("/v1/prices", body).json()["id"]
    return price


def test_a_test_clock_expires_an_unpaid_incomplete_subscription_23_hours_after_its_creation(
    clocked: ClockedMerchant,
) -> None:
    sub = _subscribe(clocked, "tok_chargeDeclined", _price(clocked.api), testClock=clocked.clock_id)
    assert sub["status"] == "incomplete"
    clocked.advance(EXPIRY - timedelta(minutes=1))
    assert clocked.sub(sub["id"])["status"] == "incomplete"
    clocked.advance(EXPIRY + timedelta(days=40))  # long past its period end: it never renews
    expired = clocked.sub(sub["id"])
    assert (expired["status"], expired["endedAt"]) == ("incomplete_expired", clock.to_wire(EXPIRY))
    [invoice] = clocked.invoices(sub["id"])
    assert (invoice["id"], invoice["status"], invoice["amountRemaining"]) == (sub["latestInvoice"], "void", 0)
    updated = events_of(clocked.api, "subscription.updated", sub["id"])
    assert [e["data"]["object"]["status"] for e in updated] == ["incomplete_expired"]
    assert len(events_of(clocked.api, "invoice.voided", invoice["id"])) == 1
    # It has ended: it cannot be changed, and paying is refused (the invoice is void)
    refused = clocked.api.post(f"/v1/subscriptions/{sub['id']}", {"cancelAtPeriodEnd": True})
    assert refused.status == 400 and refused.json()["error"]["code"] == "subscription_canceled"
    assert clocked.api.post(f"/v1/invoices/{invoice['id']}/pay").json()["error"]["code"] == "invoice_not_open"


def test_an_incomplete_subscription_paid_in_time_does_not_expire(clocked: ClockedMerchant) -> None:
    sub = _subscribe(clocked, "tok_chargeDeclined", _price(clocked.api), testClock=clocked.clock_id)
    clocked.advance(START + timedelta(hours=5))
    customer = sub["customer"]
    clocked.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa", "setDefault": True})
    clocked.advance(EXPIRY + timedelta(hours=1))
    assert clocked.sub(sub["id"])["status"] == "active"
    assert [i["status"] for i in clocked.invoices(sub["id"])] == ["paid"]


def test_the_scheduled_clock_function_expires_incomplete_subscriptions(
    stack: Stack, merchant: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "now", lambda: START)
    merchant.post("/v1/products", {"id": "prod_d", "name": "Declines"})
    price = _price(merchant, "day")  # (even a daily period ends after the expiry)
    sub = _subscribe(ClockedMerchant(merchant, ""), "tok_chargeDeclined", price)
    handler = invoke.load_handler(stack.template.function("clock"))
    monkeypatch.setattr(clock, "now", lambda: EXPIRY - timedelta(seconds=1))
    assert handler({"source": "aws.events"}, invoke.LambdaContext("clock")) == {"processed": 0}
    monkeypatch.setattr(clock, "now", lambda: EXPIRY)
    assert handler({"source": "aws.events"}, invoke.LambdaContext("clock")) == {"processed": 1}
    assert handler({"source": "aws.events"}, invoke.LambdaContext("clock")) == {"processed": 0}
    assert merchant.get(f"/v1/subscriptions/{sub['id']}").json()["status"] == "incomplete_expired"
    assert merchant.get(f"/v1/invoices/{sub['latestInvoice']}").json()["status"] == "void"


# ------------------------------------------------------------------ voiding, writing off
def test_voiding_an_incomplete_subscriptions_first_invoice_expires_it(shop: Shop) -> None:
    sub = shop.subscribe(shop.customer("tok_chargeDeclined")).json()
    assert shop.api.post(f"/v1/invoices/{sub['latestInvoice']}/void").json()["status"] == "void"
    assert shop.api.get(f"/v1/subscriptions/{sub['id']}").json()["status"] == "incomplete_expired"


def _past_due(merchant: ClockedMerchant) -> dict[str, Any]:
    """A subscription whose renewal was declined: `past_due`, its renewal invoice open."""
    sub = _subscribe(merchant, "tok_visa", _price(merchant.api), testClock=merchant.clock_id)
    merchant.api.post(
        f"/v1/customers/{sub['customer']}/payment_methods", {"token": "tok_chargeDeclined", "setDefault": True}
    )
    merchant.advance(START + timedelta(days=32))
    renewed = merchant.sub(sub["id"])
    assert renewed["status"] == "past_due"  # a failed renewal still goes past_due, with dunning
    assert renewed["latestInvoice"] != sub["latestInvoice"]
    return renewed


@pytest.mark.parametrize("action", ["void", "mark_uncollectible"])
def test_closing_the_invoice_that_made_a_subscription_past_due_makes_it_active(
    clocked: ClockedMerchant, action: str
) -> None:
    sub = _past_due(clocked)
    closed = clocked.api.post(f"/v1/invoices/{sub['latestInvoice']}/{action}")
    assert closed.status == 200, closed.text
    after = clocked.sub(sub["id"])
    assert (after["status"], after["currentPeriodEnd"]) == ("active", sub["currentPeriodEnd"])
    updated = events_of(clocked.api, "subscription.updated", sub["id"])
    assert (updated[-1]["data"]["object"]["status"], updated[-1]["data"]["previousAttributes"]["status"]) == (
        "active",
        "past_due",
    )
    # Its retries are over: the dunning schedule's days pass without another attempt.
    clocked.advance(START + timedelta(days=45))
    assert clocked.api.get(f"/v1/invoices/{sub['latestInvoice']}").json()["attemptCount"] == 1
    assert clocked.sub(sub["id"])["status"] == "active"


def test_the_portal_shows_an_incomplete_subscription_as_waiting_for_its_first_payment(shop: Shop) -> None:
    # Given a subscription whose first payment was declined
    customer = shop.customer("tok_chargeDeclined")
    assert shop.subscribe(customer).json()["status"] == "incomplete"
    # When its customer opens the portal
    home = signed_in(shop.api.template, shop.api, customer).get("/")
    # Then it says the first payment is needed, and no renewal date (it renews only once paid)
    assert home.status == 200, home.text
    assert "First payment needed" in home.text and "Renews on" not in home.text
