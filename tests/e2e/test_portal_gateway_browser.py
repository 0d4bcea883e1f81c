"""The portal on a real payment gateway, in a real Chromium: the local stack as `make dev` starts
it, its demo account's test mode connected to localstripe (Stripe's stateful fake, whose stand-in
for Stripe.js renders plain inputs and a 3-D Secure modal).

A card is typed into the gateway's fields and goes from the browser to the gateway: every request
that reached our functions is recorded by the local gateway and none holds the number. A plan
upgrade is charged at the gateway, a card that needs 3-D Secure is authenticated by the customer
(after a first refusal), a SEPA mandate is saved through the plain form and charged, and without
JavaScript the pages say what needs it while the SEPA form still works. Only the pages with the
gateway's fields let its script run (their Content-Security-Policy).

Screenshots (docs/screenshots/): portal-card-hosted-fields.png, portal-3ds-authentication.png,
portal-card-no-javascript.png.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Running
from tests.e2e.portal_support import SERIOUS, Merchant, signed_in

pytestmark = pytest.mark.slow

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VISA = "4242424242424242"
DECLINED = "4000000000000002"  # the bank refuses to save it
THREE_D_SECURE = "4000002500003155"  # localstripe (as Stripe): every payment asks the customer
IBAN = "DE89370400440532013000"
CSP = "content-security-policy"


@pytest.fixture(autouse=True)
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The file the stack's local gateway appends every event it hands a function to (set before
    `running_stripe` starts the stack: autouse fixtures come first)."""
    path = tmp_path / "function-events.jsonl"
    monkeypatch.setenv("VINR_LOCAL_RECORD_EVENTS", str(path))
    yield path


class Gateway:
    """localstripe, read the way the adapter's tests read it: Stripe's own API, any test key."""

    def __init__(self, running: Running) -> None:
        self.http = httpx.Client(base_url=running.stripe, auth=("sk_test_reader", ""), timeout=10)

    def payment_for(self, invoice_id: str) -> dict[str, Any]:
        """The PaymentIntent our adapter made for the invoice (its metadata names it)."""
        intents = self.http.get("/v1/payment_intents", params={"limit": 100}).raise_for_status().json()["data"]
        made = [pi for pi in intents if pi.get("metadata", {}).get("vinr_invoice") == invoice_id]
        assert made, f"no PaymentIntent at the gateway for {invoice_id}"
        return dict(made[-1])

    def method_type(self, method_id: str) -> str:
        return str(self.http.get(f"/v1/payment_methods/{method_id}").raise_for_status().json()["type"])

    def card_method(self, number: str) -> str:
        """A PaymentMethod made at the gateway, as its own fields would (for the API's token)."""
        card = {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"}
        made = self.http.post(
            "/v1/payment_methods", data={"type": "card", **{f"card[{k}]": v for k, v in card.items()}}
        )
        return str(made.raise_for_status().json()["id"])


def price_of(merchant: Merchant, product: str) -> str:
    return str(merchant.call("GET", "/v1/prices", params={"product": product})["data"][0]["id"])


def subscribe(merchant: Merchant, customer: str, product: str = "prod_basic") -> dict[str, Any]:
    body = {"customer": customer, "items": [{"price": price_of(merchant, product)}]}
    return dict(merchant.call("POST", "/v1/subscriptions", json=body))


def methods(merchant: Merchant, customer: str) -> list[dict[str, Any]]:
    return list(merchant.call("GET", f"/v1/customers/{customer}/payment_methods")["data"])


def open_card_page(page: Page, running: Running) -> None:
    page.goto(f"{running.portal}/payment-methods")
    page.get_by_role("link", name="Add a card").click()
    page.get_by_role("heading", name="Add a card").wait_for()


def type_card(page: Page, number: str) -> None:
    """Into the gateway's fields (localstripe's stand-in: number, month, 2-digit year, CVC, postcode)."""
    fields = page.locator("#field-card")
    for name, value in (("number", number), ("exp_month", "12"), ("exp_year", "34"), ("cvc", "123")):
        fields.locator(f'input[placeholder="{name}"]').fill(value)
    fields.locator('input[placeholder="postal_code"]').fill("10115")


def add_card(page: Page, running: Running, number: str, *, authenticate: bool = False) -> None:
    open_card_page(page, running)
    type_card(page, number)
    page.get_by_role("button", name="Add card").click()
    if authenticate:  # the bank asks when the card is saved, as Stripe does for these cards
        page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("status")).to_have_text("Your card was added.")


def function_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def body_of(event: dict[str, Any]) -> str:
    body = event.get("body") or ""
    return base64.b64decode(body).decode("utf-8", "replace") if event.get("isBase64Encoded") else str(body)


def assert_accessible_around(page: Page, excluded: str) -> None:
    """axe-core finds no serious violation outside `excluded`: the gateway's own fields (in real
    Stripe a frame of its own; here localstripe's bare stand-in inputs)."""
    results = Axe().run(page, context={"exclude": [[excluded]]})
    bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    assert not bad, [(v["id"], [n["target"] for n in v["nodes"]]) for v in bad]


def test_a_card_added_in_the_gateways_fields_never_reaches_the_portal(
    running_stripe: Running, chromium: Browser, recorded: Path
) -> None:
    # Given a customer without a payment method, signed in
    merchant = Merchant(running_stripe)
    customer = merchant.customer("Hosted Card")
    context, page = signed_in(chromium, running_stripe, merchant.session(customer)["url"])
    # Then the overview keeps the strict policy: no script, frame or fetch beyond the portal's
    overview = page.goto(f"{running_stripe.portal}/")
    assert overview is not None
    strict = overview.headers[CSP]
    assert "script-src" not in strict and "frame-src" not in strict and "connect-src" not in strict
    assert running_stripe.stripe not in strict and "default-src 'none'" in strict
    # When the customer opens the card form
    open_card_page(page, running_stripe)
    card_page = page.goto(page.url)
    assert card_page is not None
    policy = card_page.headers[CSP]
    # Then its policy lets the gateway's script, frames and API in, and nothing more
    assert f"script-src 'self' {running_stripe.stripe}" in policy
    assert f"frame-src {running_stripe.stripe}" in policy
    assert f"connect-src 'self' {running_stripe.stripe}" in policy
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    # And the gateway's fields are mounted in the form (no field of the portal's own takes the number)
    expect(page.locator('#field-card input[placeholder="number"]')).to_be_visible()
    assert page.locator('form[action="/payment-methods/card"] input[name="number"]').count() == 0
    expect(page.get_by_label("Make this my default payment method")).to_be_checked()
    type_card(page, VISA)
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / "portal-card-hosted-fields.png"), full_page=True)
    assert_accessible_around(page, "#field-card")
    # When the card is sent
    page.get_by_role("button", name="Add card").click()
    # Then it is listed as Visa •••• 4242, the default, with the portal's event
    expect(page.get_by_role("status")).to_have_text("Your card was added.")
    (card,) = methods(merchant, customer)
    assert (card["card"]["brand"], card["card"]["last4"]) == ("visa", "4242")
    assert merchant.call("GET", f"/v1/customers/{customer}")["defaultPaymentMethod"] == card["id"]
    row = page.get_by_test_id(f"pm-{card['id']}")
    expect(row).to_contain_text("Visa ending in 4242")
    expect(row).to_contain_text("Default")
    [attached] = merchant.events(customer, "payment_method.attached")
    assert attached["request"]["source"] == "portal"
    # And no request that reached our functions held the number: only the SetupIntent's ID came
    events = function_events(recorded)
    portal = [e["event"] for e in events if e["function"] == "PortalFunction"]
    setups = [e for e in portal if e["rawPath"] == "/payment-methods/card/setup"]
    finished = [e for e in portal if e["rawPath"] == "/payment-methods/card" and "setup_intent=seti_" in body_of(e)]
    assert len(setups) == 1 and len(finished) == 1
    for event in (e["event"] for e in events):
        seen = json.dumps(event) + body_of(event)
        assert VISA not in seen and "4242 4242 4242 4242" not in seen, event["rawPath"]
    context.close()


def test_the_gateways_refusal_is_shown_in_the_page_in_the_sessions_language(
    running_stripe: Running, chromium: Browser
) -> None:
    # Given a customer whose portal session is in German
    merchant = Merchant(running_stripe)
    customer = merchant.customer("Abgelehnte Kundin")
    context, page = signed_in(chromium, running_stripe, merchant.session(customer, locale="de")["url"])
    page.goto(f"{running_stripe.portal}/payment-methods/card")
    # When a card the bank refuses is typed into the gateway's fields and sent
    type_card(page, DECLINED)
    page.get_by_role("button", name="Karte hinzufügen").click()
    # Then the page says so in German, followed by the gateway's own words, and nothing is saved
    alert = page.locator("#card-gateway-error")
    expect(alert).to_have_text("Ihre Karte konnte nicht gespeichert werden. Your card was declined.")
    expect(alert).to_have_attribute("role", "alert")
    assert methods(merchant, customer) == []
    # When a card the bank accepts is typed instead, it is saved
    type_card(page, VISA)
    page.get_by_role("button", name="Karte hinzufügen").click()
    expect(page.get_by_role("status")).to_have_text("Ihre Karte wurde hinzugefügt.")
    assert [m["card"]["last4"] for m in methods(merchant, customer)] == ["4242"]
    context.close()


def test_a_plan_upgrade_is_charged_at_the_gateway(running_stripe: Running, chromium: Browser) -> None:
    # Given the demo account invoicing a plan switch at once, and a customer on Basic paying with a
    # card added in the gateway's fields
    merchant = Merchant(running_stripe)
    switching = {"subscriptionUpdate": {"prorationBehavior": "always_invoice"}}
    merchant.call("POST", "/v1/billing/portal_configurations/default", json={"features": switching})
    customer = merchant.customer("Upgrading Customer")
    context, page = signed_in(chromium, running_stripe, merchant.session(customer)["url"])
    add_card(page, running_stripe, VISA)
    sub = subscribe(merchant, customer)
    first = merchant.call("GET", f"/v1/invoices/{sub['latestInvoice']}")
    assert first["status"] == "paid"
    # When the customer switches to Pro in the portal
    page.goto(f"{running_stripe.portal}/")
    page.get_by_role("link", name="Change plan").click()
    page.get_by_label("Pro").check()
    page.get_by_role("button", name="Review the change").click()
    page.get_by_role("button", name="Confirm the change").click()
    expect(page.get_by_role("status")).to_have_text("Your plan was changed.")
    # Then the proration invoice is paid, by a PaymentIntent that succeeded at the gateway
    listed = merchant.call("GET", "/v1/invoices", params={"customer": customer})["data"]
    (invoice,) = [i for i in listed if i["id"] != first["id"]]
    assert invoice["status"] == "paid" and invoice["amountPaid"] > 0
    payment = Gateway(running_stripe).payment_for(invoice["id"])
    assert payment["status"] == "succeeded"
    assert (payment["amount"], payment["currency"]) == (invoice["amountPaid"], invoice["currency"])
    paid = [e["data"]["object"]["id"] for e in merchant.events(customer, "invoice.paid")]
    assert invoice["id"] in paid
    context.close()


def test_a_payment_that_needs_3d_secure_is_authenticated_by_the_customer(
    running_stripe: Running, chromium: Browser
) -> None:
    # Given a customer whose first invoice was declined (its card charges nothing) and left open
    merchant = Merchant(running_stripe)
    customer = merchant.customer("Strong Customer")
    merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": "pm_card_chargeCustomerFail"})
    sub = subscribe(merchant, customer)
    invoice_id = sub["latestInvoice"]
    assert merchant.call("GET", f"/v1/invoices/{invoice_id}")["status"] == "open"
    context, page = signed_in(chromium, running_stripe, merchant.session(customer)["url"])
    # When the customer adds a card that needs 3-D Secure as the default (the bank asks at once)
    add_card(page, running_stripe, THREE_D_SECURE, authenticate=True)
    # Then the open invoice was retried with it, and waits for the customer to authenticate
    waiting = merchant.call("GET", f"/v1/invoices/{invoice_id}")
    assert waiting["status"] == "open" and waiting["paymentActionRequired"]["type"] == "authenticate"
    assert merchant.events(customer, "invoice.payment_action_required")
    # And the payment methods page the customer is back on offers to authenticate it too
    expect(page.get_by_test_id(f"authenticate-{invoice_id}").get_by_role("button")).to_have_text("Authenticate payment")
    # When the customer opens the invoice: "Authenticate payment", in a page that lets the gateway in
    shown = page.goto(f"{running_stripe.portal}/invoices/{invoice_id}")
    assert shown is not None and f"script-src 'self' {running_stripe.stripe}" in shown.headers[CSP]
    page.get_by_role("button", name="Authenticate payment").click()
    modal = page.get_by_role("button", name="Complete authentication")
    expect(modal).to_be_visible()
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / "portal-3ds-authentication.png"), full_page=True)
    # And first refuses it: the page says so, and the portal records the failure
    page.get_by_role("button", name="Fail authentication").click()
    expect(page.get_by_role("alert")).to_contain_text("The payment was not confirmed.")
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_test_id("payment-error")).to_have_text("Your bank did not confirm the last payment attempt.")
    assert merchant.call("GET", f"/v1/invoices/{invoice_id}")["paymentActionRequired"] is None
    # When the customer pays the invoice again: the bank asks again, and this time it is confirmed
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(f"{running_stripe.portal}/invoices/{invoice_id}")
    page.get_by_role("button", name="Authenticate payment").click()
    page.get_by_role("button", name="Complete authentication").click()
    # Then the invoice is paid, the subscription active again, with the events a merchant gets
    expect(page.get_by_role("status")).to_have_text("The invoice was paid.")
    expect(page.get_by_test_id("invoice-status")).to_have_text("Paid")
    paid = merchant.call("GET", f"/v1/invoices/{invoice_id}")
    assert paid["status"] == "paid"
    assert Gateway(running_stripe).payment_for(invoice_id)["status"] == "succeeded"
    assert merchant.call("GET", f"/v1/subscriptions/{sub['id']}")["status"] == "active"
    assert [e["data"]["object"]["id"] for e in merchant.events(customer, "invoice.paid")] == [invoice_id]
    assert len(merchant.events(customer, "invoice.payment_action_required")) == 2
    context.close()


def test_a_sepa_mandate_saved_in_the_plain_form_is_charged(running_stripe: Running, chromium: Browser) -> None:
    # Given a customer without a payment method, signed in
    merchant = Merchant(running_stripe)
    customer = merchant.customer("Debit Customer")
    context, page = signed_in(chromium, running_stripe, merchant.session(customer)["url"])
    # When the customer accepts a SEPA mandate in the portal's form
    page.goto(f"{running_stripe.portal}/payment-methods/sepa")
    page.get_by_label("Account holder").fill("Ada Lovelace")
    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_label("I accept the mandate").check()
    page.get_by_role("button", name="Add bank account").click()
    # Then the gateway holds the mandate, recorded with where it was accepted
    expect(page.get_by_role("status")).to_have_text("Your bank account was added for SEPA Direct Debit.")
    (debit,) = methods(merchant, customer)
    assert debit["sepaDebit"]["last4"] == IBAN[-4:] and debit["sepaDebit"]["country"] == "DE"
    mandate = debit["sepaDebit"]["mandate"]
    assert mandate["reference"] and mandate["ip"] and "Chrome" in mandate["userAgent"]
    # When the merchant subscribes the customer: the debit is charged at the gateway
    sub = subscribe(merchant, customer)
    invoice = merchant.call("GET", f"/v1/invoices/{sub['latestInvoice']}")
    payment = Gateway(running_stripe).payment_for(invoice["id"])
    assert Gateway(running_stripe).method_type(payment["payment_method"]) == "sepa_debit"
    assert payment["status"] == "succeeded"
    assert invoice["status"] == "paid" and invoice["amountPaid"] == payment["amount"]
    context.close()


def test_without_javascript_the_pages_say_what_needs_it_and_sepa_still_works(
    running_stripe: Running, chromium: Browser
) -> None:
    # Given a customer whose invoice waits for 3-D Secure, in a browser that runs no script
    merchant = Merchant(running_stripe)
    customer = merchant.customer("No Script Customer")
    token = Gateway(running_stripe).card_method(THREE_D_SECURE)
    merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": token})
    invoice_id = subscribe(merchant, customer)["latestInvoice"]
    assert merchant.call("GET", f"/v1/invoices/{invoice_id}")["paymentActionRequired"] is not None
    context, page = signed_in(chromium, running_stripe, merchant.session(customer)["url"], javascript=False)
    # When the customer opens the card form: it says that adding a card needs JavaScript
    open_card_page(page, running_stripe)
    expect(page.get_by_test_id("card-needs-javascript")).to_contain_text("Adding a card needs JavaScript")
    expect(page.get_by_role("button", name="Add card")).to_be_hidden()
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / "portal-card-no-javascript.png"), full_page=True)
    # And the invoice says that confirming the payment needs it
    page.goto(f"{running_stripe.portal}/invoices/{invoice_id}")
    expect(page.get_by_test_id("authenticate-needs-javascript")).to_be_visible()
    expect(page.get_by_role("button", name="Authenticate payment")).to_be_hidden()
    # When the customer adds a bank account instead, from the card page's pointer
    open_card_page(page, running_stripe)
    page.get_by_role("link", name="A bank account for SEPA Direct Debit can be added without JavaScript.").click()
    page.get_by_label("Account holder").fill("Grace Hopper")
    page.get_by_label("IBAN").fill(IBAN)
    page.get_by_label("I accept the mandate").check()
    page.get_by_label("Make this my default payment method").check()
    page.get_by_role("button", name="Add bank account").click()
    # Then it is saved at the gateway and made the default
    expect(page.get_by_role("status")).to_have_text("Your bank account was added for SEPA Direct Debit.")
    debit = next(m for m in methods(merchant, customer) if m["type"] == "sepa_debit")
    assert merchant.call("GET", f"/v1/customers/{customer}")["defaultPaymentMethod"] == debit["id"]
    context.close()
