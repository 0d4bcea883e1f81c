"""The portal with a payment gateway connected (Stripe, on localstripe), through the real handler:
in live mode the forms are offered; the card page is the gateway's fields and the only page whose
policy lets the gateway's script, frames and API in; the setup's client secret is answered to a
CSRF-checked POST only; a typed card number is never taken; a SetupIntent saves a card for the
customer it was made for only; a live open invoice offers to pay it, and a payment's client secret
only exists for an invoice waiting for the customer. (The browser flows are in
tests/e2e/test_portal_gateway_browser.py.)"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest

from billing.accounts import accounts
from billing.kernel import config
from billing.store.repository import Table
from local import invoke
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.portalbrowser import PortalBrowser, page_csrf, signed_in
from tests.support.shop import Shop, open_shop
from tests.support.stripefake import StripeFake

UNAVAILABLE = "Payment changes are unavailable"
CSP = "content-security-policy"


@dataclass
class Connected:
    shop: Shop
    stack: Stack
    stripe: StripeFake
    publishable_key: str

    def portal(self, customer: str) -> PortalBrowser:
        return signed_in(self.stack.template, self.shop.api, customer)

    def customer(self) -> str:
        return self.shop.customer(token=None, email="kunde@example.com")

    def methods(self, customer: str) -> list[str]:
        return [m["id"] for m in self.shop.api.get(f"/v1/customers/{customer}/payment_methods").json()["data"]]


@pytest.fixture
def live(stack: Stack, stripe_fake: StripeFake, monkeypatch: pytest.MonkeyPatch) -> Connected:
    """A shop in live mode whose Stripe account is connected (its calls and Stripe.js at localstripe)."""
    monkeypatch.setenv("STRIPE_API_BASE", stripe_fake.url)
    monkeypatch.setenv("STRIPE_JS_URL", stripe_fake.script_url)
    config.reset()
    account, _ = stack.new_account()
    api = ApiClient(stack.template, key=accounts.add_key(account, "live", table=Table()).secret)
    shop = open_shop(api)
    keys = {
        "type": "stripe",
        "secretKey": "sk_live_" + "a1" * 16,
        "publishableKey": "pk_live_" + "b2" * 16,
        "webhookSecret": "whsec_" + "c3" * 16,
    }
    connected = api.post("/v1/payment_gateway", keys)
    assert connected.status == 200, connected.text
    return Connected(shop, stack, stripe_fake, keys["publishableKey"])


def policy(response: invoke.HttpResponse) -> str:
    return response.header(CSP) or ""


def strict(response: invoke.HttpResponse) -> bool:
    found = policy(response)
    return "default-src 'none'" in found and not any(
        directive in found for directive in ("script-src", "frame-src", "connect-src")
    )


def test_live_mode_with_a_gateway_offers_the_forms_and_only_the_card_page_lets_the_gateway_in(
    live: Connected,
) -> None:
    customer = live.customer()
    browser = live.portal(customer)
    origin = live.stripe.url
    # The list, the SEPA form and the overview: the forms, under the portal's strict policy
    listed = browser.get("/payment-methods")
    assert listed.status == 200 and UNAVAILABLE not in listed.text
    assert 'href="/payment-methods/card"' in listed.text and strict(listed)
    sepa = browser.get("/payment-methods/sepa")
    assert 'action="/payment-methods/sepa"' in sepa.text and strict(sepa)
    assert strict(browser.get("/"))
    # The card page: the gateway's fields, its script, and a policy naming the gateway's origin
    card = browser.get("/payment-methods/card")
    assert card.status == 200 and "data-hosted-card" in card.text
    assert f'data-publishable-key="{live.publishable_key}"' in card.text
    assert f'<script src="{live.stripe.script_url}"></script>' in card.text
    assert 'name="number"' not in card.text and 'name="cvc"' not in card.text
    found = policy(card)
    assert f"script-src 'self' {origin}" in found
    assert f"frame-src {origin}" in found and f"connect-src 'self' {origin}" in found
    assert "default-src 'none'" in found and "form-action 'self' https://app.example.com" in found
    # And the script it loads is the portal's own, served as JavaScript
    script = browser.get("/assets/static/gateway.js")
    assert script.status == 200 and (script.header("content-type") or "").startswith("text/javascript")


def test_the_setups_client_secret_is_answered_to_a_checked_post_only(live: Connected) -> None:
    customer = live.customer()
    browser = live.portal(customer)
    csrf = page_csrf(browser.get("/payment-methods/card"))
    # Without the CSRF token: refused, no secret
    refused = browser.post("/payment-methods/card/setup", {})
    assert refused.status == 403 and "_secret_" not in refused.text
    assert browser.get("/payment-methods/card/setup").status in (404, 405)
    # With it: the SetupIntent's client secret and the publishable key, as JSON, never cached
    answer = browser.post("/payment-methods/card/setup", {"csrf": csrf})
    assert answer.status == 200, answer.text
    body = answer.json()
    assert re.fullmatch(r"seti_\w+_secret_\w+", body["clientSecret"])
    assert body["publishableKey"] == live.publishable_key
    assert answer.header("cache-control") == "no-store"


def test_a_typed_card_number_is_not_taken_when_a_gateway_is_connected(live: Connected) -> None:
    customer = live.customer()
    browser = live.portal(customer)
    csrf = page_csrf(browser.get("/payment-methods/card"))
    typed = {"csrf": csrf, "name": "Ada", "number": "4242424242424242", "expiry": "12/39", "cvc": "123"}
    answer = browser.post("/payment-methods/card", typed)
    assert answer.status == 400
    assert "Your card was not saved. Enter your card details again." in answer.text
    assert "4242" not in answer.text and "data-hosted-card" in answer.text
    assert live.methods(customer) == []


def confirm_at_gateway(stripe: StripeFake, client_secret: str) -> str:
    """What Stripe.js does with the fields' card: the SetupIntent confirmed (with a test card)."""
    setup = client_secret.split("_secret_")[0]
    confirmed = httpx.post(
        f"{stripe.url}/v1/setup_intents/{setup}/confirm",
        data={"payment_method": "pm_card_visa"},
        auth=("sk_live_" + "a1" * 16, ""),
        timeout=10,
    )
    assert confirmed.json()["status"] == "succeeded", confirmed.text
    return setup


def test_a_setup_saves_a_card_for_the_customer_it_was_made_for_only(live: Connected) -> None:
    owner, other = live.customer(), live.customer()
    browser = live.portal(owner)
    csrf = page_csrf(browser.get("/payment-methods/card"))
    setup = confirm_at_gateway(
        live.stripe, browser.post("/payment-methods/card/setup", {"csrf": csrf}).json()["clientSecret"]
    )
    # Another customer posting the owner's SetupIntent: refused, nothing attached to either
    intruder = live.portal(other)
    intruder_csrf = page_csrf(intruder.get("/payment-methods/card"))
    stolen = intruder.post("/payment-methods/card", {"csrf": intruder_csrf, "setup_intent": setup, "set_default": "on"})
    assert stolen.status == 400 and live.methods(other) == [] and live.methods(owner) == []
    # The owner posting it: the card is attached, the default, and the list says so
    saved = browser.post("/payment-methods/card", {"csrf": csrf, "setup_intent": setup, "set_default": "on"})
    assert saved.status == 303 and saved.header("location") == "/payment-methods?done=card_added"
    (pm,) = live.methods(owner)
    assert live.shop.api.get(f"/v1/customers/{owner}").json()["defaultPaymentMethod"] == pm
    assert "Visa ending in 4242" in browser.get("/payment-methods?done=card_added").text


def test_a_live_open_invoice_offers_to_pay_and_has_no_payment_waiting_for_the_customer(live: Connected) -> None:
    # Given a live invoice left open by a card the bank declines to charge
    customer = live.customer()
    token = {"token": "pm_card_chargeCustomerFail"}
    assert live.shop.api.post(f"/v1/customers/{customer}/payment_methods", token).status == 200
    sub = live.shop.subscribe(customer)
    assert sub.status == 200, sub.text
    invoice = live.shop.invoice(sub.json())
    assert invoice["status"] == "open" and invoice["paymentActionRequired"] is None
    # Then its page offers to pay it, under the strict policy (nothing waits for the gateway's flow)
    browser = live.portal(customer)
    shown = browser.get(f"/invoices/{invoice['id']}")
    assert shown.status == 200 and UNAVAILABLE not in shown.text
    assert f'action="/invoices/{invoice["id"]}/pay"' in shown.text and "data-authenticate" not in shown.text
    assert strict(shown)
    # And no client secret is answered for it
    csrf = page_csrf(shown)
    answer = browser.post(f"/invoices/{invoice['id']}/authentication", {"csrf": csrf})
    assert answer.status == 400 and "clientSecret" not in answer.text
    assert answer.json()["error"]["param"] == "id"
    # And an unknown invoice is the same 404 as another customer's
    assert browser.post("/invoices/inv_unknown123/authentication", {"csrf": csrf}).status == 404


def test_a_sepa_mandate_at_the_gateway_needs_the_customers_email(live: Connected) -> None:
    # Given a customer without an email address (the gateway sends the mandate's notices to it)
    customer = live.shop.customer(token=None)
    browser = live.portal(customer)
    csrf = page_csrf(browser.get("/payment-methods/sepa"))
    mandate = {"csrf": csrf, "holder": "Ada", "iban": "DE89370400440532013000", "mandate": "accepted"}
    # When a mandate is accepted: the page says what is missing, and nothing is saved
    refused = browser.post("/payment-methods/sepa", mandate)
    assert refused.status == 400
    assert "A debit from a bank account needs your email address" in refused.text
    assert 'name="iban" type="text" value=""' in refused.text and live.methods(customer) == []
    # When the customer has one, the same mandate is saved by the gateway
    assert live.shop.api.post(f"/v1/customers/{customer}", {"email": "ada@example.com"}).status == 200
    saved = browser.post("/payment-methods/sepa", mandate)
    assert saved.status == 303 and saved.header("location") == "/payment-methods?done=sepa_added"
    (pm,) = live.shop.api.get(f"/v1/customers/{customer}/payment_methods").json()["data"]
    assert pm["sepaDebit"]["last4"] == "3000" and pm["sepaDebit"]["mandate"]["userAgent"] == "pytest-browser"
