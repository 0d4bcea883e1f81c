"""Live mode without a connected payment gateway: every path that would take or move money is a
409 `payment_gateway_not_configured`, and the table (read through the API with the live key)
shows nothing paid. A renewal nobody waits for fails honestly: the invoice stays open and the
subscription goes `past_due`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from billing.accounts import accounts
from billing.kernel import clock
from billing.kernel.scope import Scope
from billing.payments import store as payment_store
from billing.payments.records import Card, PaymentMethod
from billing.store.repository import Table
from local import invoke
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.portalbrowser import PortalBrowser, csrf_of
from tests.support.shop import Shop, open_shop

CODE = "payment_gateway_not_configured"
MESSAGE = "Live payments need a connected payment gateway; none is connected for this account."
UNAVAILABLE = {
    "en": "Payment changes are unavailable: payment methods cannot be added and invoices cannot be paid online yet.",
    "de": "Änderungen an Zahlungen sind nicht verfügbar: Zahlungsmethoden können noch nicht hinzugefügt und "
    "Rechnungen noch nicht online bezahlt werden.",
}
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def live(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> tuple[Shop, str]:
    """A shop opened with a live key (its own live catalog): (shop, account id); now is START."""
    monkeypatch.setattr(clock, "now", lambda: START)
    account, _ = stack.new_account()
    api = ApiClient(stack.template, key=accounts.add_key(account, "live", table=Table()).secret)
    return open_shop(api), account


def refused(response: Any) -> None:
    assert response.status == 409, response.text
    assert response.json()["error"] == {"type": "invalid_request_error", "code": CODE, "message": MESSAGE}


def nothing_paid(api: ApiClient) -> None:
    """No money taken in the whole live mode: only invoices of 0.00 (a trial's) are paid."""
    invoices = api.get("/v1/invoices").json()["data"]
    assert [(i["status"], i["amountPaid"]) for i in invoices if i["status"] == "paid"] == [("paid", 0)]
    assert sum(i["amountPaid"] for i in invoices) == 0
    paid_events = api.get("/v1/events", query={"type": "invoice.paid"}).json()["data"]
    assert [e["data"]["object"]["amountDue"] for e in paid_events] == [0]


def free_price(api: ApiClient) -> str:
    body = {"product": "prod_pro", "unitAmount": 0, "currency": "eur", "recurring": {"interval": "month"}}
    price: str = api.post("/v1/prices", body).json()["id"]
    return price


def method_from_before(account: str, customer: str) -> str:
    """A live card stored before live mode failed closed (one the test processor would have 'charged')."""
    pm = PaymentMethod(
        id="pm_legacy1",
        customer=customer,
        card=Card(brand="visa", last4="1881", exp_month=12, exp_year=2030),
        fingerprint="f" * 32,
        created_at=clock.to_wire(START),
    )
    Table().transact([payment_store.insert(Scope(account, "live"), pm)])
    return pm.id


def test_attaching_a_method_through_the_api_is_refused(live: tuple[Shop, str]) -> None:
    shop, _ = live
    customer = shop.customer(token=None)
    # When a card and a SEPA token are attached in live mode
    for token in ("tok_visa", "tok_sepa_de", "tok_nonsense"):
        refused(shop.api.post(f"/v1/customers/{customer}/payment_methods", {"token": token, "setDefault": True}))
    # Then the customer has no method, no default, and no event says one was attached
    assert shop.api.get(f"/v1/customers/{customer}/payment_methods").json()["data"] == []
    assert shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] is None
    assert shop.api.get("/v1/events", query={"type": "payment_method.*"}).json()["data"] == []


def test_a_subscription_that_would_charge_is_refused_and_nothing_is_written(live: tuple[Shop, str]) -> None:
    shop, account = live
    customer = shop.customer(token=None)
    # When a paid subscription is created without a method, and with a card stored before this rule
    refused(shop.subscribe(customer))
    legacy = method_from_before(account, customer)
    refused(shop.subscribe(customer, defaultPaymentMethod=legacy))
    # Then there is no subscription, no invoice and no event of either
    assert shop.api.get("/v1/subscriptions").json()["data"] == []
    assert shop.api.get("/v1/invoices").json()["data"] == []
    assert shop.api.get("/v1/events", query={"type": "invoice.*"}).json()["data"] == []
    assert shop.api.get("/v1/events", query={"type": "subscription.*"}).json()["data"] == []


def test_nothing_due_still_works_and_an_upgrade_that_would_charge_is_refused(live: tuple[Shop, str]) -> None:
    shop, account = live
    customer = shop.customer(token=None)
    legacy = method_from_before(account, customer)
    # Given a free plan in live mode: nothing is due, so nothing needs a gateway
    created = shop.subscribe(customer, items=[{"price": free_price(shop.api)}], defaultPaymentMethod=legacy)
    assert created.status == 200, created.text
    sub = created.json()
    first = shop.invoice(sub)
    assert (sub["status"], first["status"], first["amountDue"], first["amountPaid"]) == ("active", "paid", 0, 0)
    # When it is switched to the yearly plan (a new cycle, invoiced and charged at once)
    switch = {"items": [{"price": shop.yearly}], "prorationBehavior": "always_invoice"}
    refused(shop.api.post(f"/v1/subscriptions/{sub['id']}", switch))
    # Then the subscription is as it was and no other invoice exists
    assert shop.api.get(f"/v1/subscriptions/{sub['id']}").json() == sub
    assert [i["id"] for i in shop.api.get("/v1/invoices").json()["data"]] == [first["id"]]
    assert [e["type"] for e in shop.api.get("/v1/events", query={"type": "invoice.paid"}).json()["data"]] == [
        "invoice.paid"
    ]  # (the free plan's, for 0.00)


def renew_after_trial(
    stack: Stack, shop: Shop, customer: str, method: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """A 7-day trial of the monthly plan (nothing due: allowed), ended by the scheduled clock
    function: the subscription after it."""
    trial = shop.subscribe(customer, trialDays=7, defaultPaymentMethod=method)
    assert trial.status == 200, trial.text
    monkeypatch.setattr(clock, "now", lambda: START + timedelta(days=8))
    handler = invoke.load_handler(stack.template.function("clock"))
    assert handler({"source": "aws.events"}, invoke.LambdaContext("clock")) == {"processed": 1}
    sub: dict[str, Any] = shop.api.get(f"/v1/subscriptions/{trial.json()['id']}").json()
    return sub


def test_a_renewal_fails_honestly_the_invoice_stays_open_and_cannot_be_paid(
    stack: Stack, live: tuple[Shop, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, account = live
    customer = shop.customer(token=None)
    legacy = method_from_before(account, customer)
    # Given a trial whose end the clock renews in live mode (the customer's card stored from before)
    sub = renew_after_trial(stack, shop, customer, legacy, monkeypatch)
    # Then the subscription is past due with an open invoice for the month (29.00 + 19 % = 34.51)
    invoice = shop.invoice(sub)
    assert sub["status"] == "past_due"
    assert (invoice["status"], invoice["amountDue"], invoice["amountPaid"], invoice["amountRemaining"]) == (
        "open",
        3451,
        0,
        3451,
    )
    assert invoice["lastPaymentError"] == {"code": CODE, "message": MESSAGE}
    # And the merchant hears why
    [failed] = shop.api.get("/v1/events", query={"type": "invoice.payment_failed"}).json()["data"]
    assert failed["data"]["object"]["id"] == invoice["id"]
    assert failed["data"]["object"]["lastPaymentError"]["code"] == CODE
    # When the merchant asks to pay it
    refused(shop.api.post(f"/v1/invoices/{invoice['id']}/pay"))
    # Then it stays open, no attempt counted, and nothing is paid
    after = shop.api.get(f"/v1/invoices/{invoice['id']}").json()
    assert (after["status"], after["attemptCount"], after["amountPaid"]) == ("open", invoice["attemptCount"], 0)
    assert shop.api.get(f"/v1/subscriptions/{sub['id']}").json()["status"] == "past_due"
    nothing_paid(shop.api)


# ------------------------------------------------------------------ the portal
def portal(stack: Stack, shop: Shop, customer: str, locale: str = "en") -> tuple[PortalBrowser, str]:
    body = {"customer": customer, "returnUrl": "https://app.example.com/account", "locale": locale}
    minted = shop.api.post("/v1/billing/portal_sessions", body)
    assert minted.status == 200, minted.text
    browser = PortalBrowser(stack.template)
    landed = browser.open_link(minted.json()["url"])
    assert landed.status == 200, landed.text
    return browser, csrf_of(landed.text)


def test_the_portal_shows_that_payment_changes_are_unavailable(
    stack: Stack, live: tuple[Shop, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, account = live
    customer = shop.customer(token=None)
    legacy = method_from_before(account, customer)
    invoice = shop.invoice(renew_after_trial(stack, shop, customer, legacy, monkeypatch))
    browser, _ = portal(stack, shop, customer)
    # When the customer opens the payment methods, the card and SEPA forms and the open invoice
    pages: dict[str, Callable[[], Any]] = {
        "list": lambda: browser.get("/payment-methods"),
        "card": lambda: browser.get("/payment-methods/card"),
        "sepa": lambda: browser.get("/payment-methods/sepa"),
        "invoice": lambda: browser.get(f"/invoices/{invoice['id']}"),
    }
    for name, open_page in pages.items():
        shown = open_page()
        # Then each says payment changes are unavailable, with no form to add a method and no pay button
        assert shown.status == 200, name
        assert UNAVAILABLE["en"] in shown.text, name
        for action in ("/payment-methods/card", "/payment-methods/sepa", f"/invoices/{invoice['id']}/pay"):
            assert f'action="{action}"' not in shown.text, (name, action)
        assert 'href="/payment-methods/card"' not in shown.text and "Pay €34.51" not in shown.text, name
    # And the open invoice says why its charge failed, not a generic failure
    why = re.search(r'data-testid="payment-error">([^<]*)<', browser.get(f"/invoices/{invoice['id']}").text)
    assert why is not None and why.group(1) == "It could not be charged: online payments are not available yet."


def test_the_portals_posts_are_refused_in_the_sessions_language(
    stack: Stack, live: tuple[Shop, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, account = live
    customer = shop.customer(token=None)
    legacy = method_from_before(account, customer)
    invoice = shop.invoice(renew_after_trial(stack, shop, customer, legacy, monkeypatch))
    browser, csrf = portal(stack, shop, customer, locale="de")
    card = {"csrf": csrf, "name": "Ada", "number": "4242424242424242", "expiry": "12/39", "cvc": "123"}
    sepa = {"csrf": csrf, "holder": "Ada", "iban": "DE89370400440532013000", "mandate": "accepted"}
    # When a card, a SEPA mandate and the invoice's payment are posted anyway
    for path, form in (
        ("/payment-methods/card", card),
        ("/payment-methods/sepa", sepa),
        (f"/invoices/{invoice['id']}/pay", {"csrf": csrf}),
    ):
        answer = browser.post(path, form)
        # Then each is a 409 saying, in German, that payment changes are unavailable
        assert answer.status == 409, path
        assert UNAVAILABLE["de"] in answer.text, path
        assert "4242" not in answer.text and "DE89" not in answer.text
    # And nothing was attached or paid
    assert [m["id"] for m in shop.api.get(f"/v1/customers/{customer}/payment_methods").json()["data"]] == ["pm_legacy1"]
    after = shop.api.get(f"/v1/invoices/{invoice['id']}").json()
    assert (after["status"], after["attemptCount"]) == ("open", invoice["attemptCount"])
    nothing_paid(shop.api)


def test_a_cancellations_final_invoice_is_left_open_not_paid(live: tuple[Shop, str]) -> None:
    shop, account = live
    customer = shop.customer(token=None)
    legacy = method_from_before(account, customer)
    # Given a free plan switched to the monthly one with prorations kept for the next invoice (nothing charged now)
    sub = shop.subscribe(customer, items=[{"price": free_price(shop.api)}], defaultPaymentMethod=legacy).json()
    switch = {"items": [{"price": shop.monthly}], "prorationBehavior": "create_prorations"}
    switched = shop.api.post(f"/v1/subscriptions/{sub['id']}", switch)
    assert switched.status == 200, switched.text
    # When it is canceled with its pending prorations invoiced now
    canceled = shop.api.delete(f"/v1/subscriptions/{sub['id']}", query={"invoiceNow": "true", "prorate": "false"})
    # Then the cancellation goes through, and its final invoice stays open with why
    assert canceled.status == 200, canceled.text
    final = shop.invoice(canceled.json())
    assert canceled.json()["status"] == "canceled"
    assert (final["status"], final["amountDue"], final["amountPaid"]) == ("open", 3451, 0)
    assert final["lastPaymentError"] == {"code": CODE, "message": MESSAGE}
    nothing_paid(shop.api)


def test_a_plan_switch_in_the_portal_that_would_charge_says_why_it_cannot(stack: Stack, live: tuple[Shop, str]) -> None:
    shop, account = live
    customer = shop.customer(token=None)
    legacy = method_from_before(account, customer)
    # Given a free plan in live mode, and a portal that offers the monthly plan, invoiced at once
    free = free_price(shop.api)
    sub = shop.subscribe(customer, items=[{"price": free}], defaultPaymentMethod=legacy).json()
    update = {"enabled": True, "products": ["prod_pro"], "prorationBehavior": "always_invoice"}
    configured = shop.api.post(
        "/v1/billing/portal_configurations/default", {"features": {"subscriptionUpdate": update}}
    )
    assert configured.status == 200, configured.text
    browser, csrf = portal(stack, shop, customer, locale="de")
    # When the customer confirms the switch to the monthly plan (29.00, charged now)
    form = {"csrf": csrf, "price": shop.monthly, "quantity": "1"}
    answer = browser.post(f"/subscriptions/{sub['id']}/update/confirm", form)
    # Then the page says, in German, that the change needs a payment that cannot be taken yet
    assert answer.status == 400, answer.text
    assert "Diese Änderung erfordert eine Zahlung, und Online-Zahlungen sind noch nicht verfügbar." in answer.text
    # And the subscription is unchanged and nothing was paid but the free plan's 0.00
    assert shop.api.get(f"/v1/subscriptions/{sub['id']}").json()["items"][0]["price"] == free
    nothing_paid(shop.api)
