"""The hosted invoice page in a real Chromium, with no portal session: the invoice, its PDF, paying
it (without JavaScript too), and the expired page once the merchant replaced the link; axe-core
finds no serious or critical violation on either page."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import Running
from tests.e2e.portal_support import SCREENSHOTS, Merchant, assert_accessible

pytestmark = pytest.mark.slow
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def open_invoice(merchant: Merchant) -> tuple[str, dict[str, Any]]:
    """A customer in Berlin whose first charge was declined, and the subscription now names a card that pays."""
    address = {"line1": "Unter den Linden 5", "postalCode": "10117", "city": "Berlin", "country": "DE"}
    customer = merchant.customer("Hosted Customer", address=address)
    merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": "tok_chargeDeclined"})
    price = merchant.call("GET", "/v1/prices", params={"product": "prod_pro"})["data"][0]["id"]
    sub = merchant.call("POST", "/v1/subscriptions", json={"customer": customer, "items": [{"price": price}]})
    visa = merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": "tok_visa"})["id"]
    merchant.call("POST", f"/v1/subscriptions/{sub['id']}", json={"defaultPaymentMethod": visa})
    invoice = merchant.call("GET", f"/v1/invoices/{sub['latestInvoice']}")
    assert invoice["status"] == "open" and invoice["hostedInvoiceUrl"].startswith(f"{running_portal(merchant)}/i/")
    return customer, invoice


def running_portal(merchant: Merchant) -> str:
    return merchant.running.portal


def test_the_hosted_invoice_opens_downloads_pays_and_expires_when_replaced(running: Running, chromium: Browser) -> None:
    merchant = Merchant(running)
    customer, invoice = open_invoice(merchant)
    url = invoice["hostedInvoiceUrl"]
    # When someone with no session at all opens the link
    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.goto(url)
    # Then they see the invoice in the merchant's brand: number, status, buyer, totals, and a way to pay
    expect(page.get_by_role("heading", name=f"Invoice {invoice['number']}")).to_be_visible()
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Open")
    expect(page.get_by_text("Hosted Customer").first).to_be_visible()
    expect(page.get_by_test_id("amount-due")).to_contain_text("€34.51")
    expect(page.get_by_role("button", name="Pay €34.51 now")).to_be_visible()
    assert page.get_by_role("navigation", name="Billing portal").count() == 0  # no portal session, no tabs
    assert_accessible(page, "hosted-invoice")
    DOCS_SCREENSHOTS.mkdir(exist_ok=True)
    shutil.copyfile(SCREENSHOTS / "hosted-invoice.png", DOCS_SCREENSHOTS / "hosted-invoice.png")
    # And "Download PDF" downloads the invoice's PDF, whose text has its number and the link
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download PDF").click()
    with open(downloading.value.path(), "rb") as document:
        body = document.read()
    assert body.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert invoice["number"] in text and "View and pay this invoice online" in text
    (SCREENSHOTS / "hosted-invoice.pdf").write_bytes(body)  # (rendered to docs with pdftoppm)
    context.close()

    # When the customer pays it from a browser that runs no script
    plain = chromium.new_context(java_script_enabled=False)
    page = plain.new_page()
    page.goto(url)
    page.get_by_role("button", name="Pay €34.51 now").click()
    # Then the page says it was paid, and the payment is audited as the portal's
    expect(page.get_by_role("status")).to_contain_text("The invoice was paid.")
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Paid")
    (paid,) = merchant.events(customer, "invoice.paid")
    assert paid["request"]["source"] == "portal"
    plain.close()

    # When the merchant replaces the link, the old one is the expired page and the new one opens
    replaced = merchant.call("POST", f"/v1/invoices/{invoice['id']}/hosted_link")["hostedInvoiceUrl"]
    assert replaced != url
    context = chromium.new_context()
    page = context.new_page()
    answer = page.goto(url)
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="This invoice link has expired")).to_be_visible()
    assert invoice["number"] not in page.content()
    assert_accessible(page, "hosted-invoice-expired")
    page.goto(replaced)
    expect(page.get_by_role("heading", name=f"Invoice {invoice['number']}")).to_be_visible()
    context.close()
    # And the stack's logs name the hosted pages' requests without their tokens
    logged = "".join(running.output) + "".join(running.errors or [])
    assert "GET /i/…/pdf" in logged and "POST /i/…/pay" in logged
    for link in (url, replaced):
        assert link.rsplit("/", 1)[1] not in logged


THREE_D_SECURE = "4000002500003155"  # localstripe (as Stripe): every payment asks the customer


def type_card(page: Page, number: str) -> None:
    """Into the gateway's fields (localstripe's stand-in for Stripe.js)."""
    fields = page.locator("#field-card")
    for name, value in (("number", number), ("exp_month", "12"), ("exp_year", "34"), ("cvc", "123")):
        fields.locator(f'input[placeholder="{name}"]').fill(value)
    fields.locator('input[placeholder="postal_code"]').fill("10115")


def test_the_hosted_invoice_is_paid_with_a_new_card_in_the_gateways_fields_and_3d_secure(
    running_stripe: Running, chromium: Browser
) -> None:
    # Given an open invoice whose customer's card charges nothing, on an account with a gateway
    merchant = Merchant(running_stripe)
    customer = merchant.customer("Gateway Customer")
    merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": "pm_card_chargeCustomerFail"})
    price = merchant.call("GET", "/v1/prices", params={"product": "prod_basic"})["data"][0]["id"]
    sub = merchant.call("POST", "/v1/subscriptions", json={"customer": customer, "items": [{"price": price}]})
    invoice = merchant.call("GET", f"/v1/invoices/{sub['latestInvoice']}")
    assert invoice["status"] == "open"
    # When the link is opened, the page lets the gateway in (its fields) and offers a new card
    context = chromium.new_context()
    page = context.new_page()
    opened = page.goto(invoice["hostedInvoiceUrl"])
    assert opened is not None and running_stripe.stripe in opened.headers["content-security-policy"]
    expect(page.locator('#field-card input[placeholder="number"]')).to_be_visible()
    # And a card that needs 3-D Secure is typed into the gateway's fields and sent
    type_card(page, THREE_D_SECURE)
    page.locator("form[data-hosted-card]").get_by_role("button").click()
    page.get_by_role("button", name="Complete authentication").click()  # the bank asks when it is saved
    # Then the payment waits for the customer, who authenticates it on the page
    page.get_by_role("button", name="Authenticate payment").click()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("status")).to_contain_text("The invoice was paid.")
    assert merchant.call("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    (paid,) = merchant.events(customer, "invoice.paid")
    assert paid["request"]["source"] == "portal"
    context.close()
