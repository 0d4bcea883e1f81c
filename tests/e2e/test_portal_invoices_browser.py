"""Invoice history in a real Chromium: the list, an invoice, its PDF download; with and without
JavaScript, at 360 px in German, and with no serious accessibility violation on any of them."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Running
from tests.e2e.portal_support import Merchant, assert_accessible, fits_width, signed_in

pytestmark = pytest.mark.slow


def invoiced(merchant: Merchant, name: str, token: str = "tok_visa") -> tuple[str, dict[str, Any]]:
    """A customer in Berlin with a Pro subscription, and its first invoice."""
    address = {"line1": "Unter den Linden 5", "postalCode": "10117", "city": "Berlin", "country": "DE"}
    customer = merchant.customer(name, address=address)
    merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": token})
    price = merchant.call("GET", "/v1/prices", params={"product": "prod_pro"})["data"][0]["id"]
    body = {"customer": customer, "items": [{"price": price, "quantity": 2}]}
    sub = merchant.call("POST", "/v1/subscriptions", json=body)
    return customer, merchant.call("GET", f"/v1/invoices/{sub['latestInvoice']}")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_invoice_history_list_detail_and_pdf(running: Running, chromium: Browser, javascript: bool) -> None:
    # Given a customer with a paid invoice, signed in to the portal
    merchant = Merchant(running)
    customer, invoice = invoiced(merchant, "Invoice Customer")
    context, page = signed_in(chromium, running, merchant.session(customer)["url"], javascript=javascript)
    # When the customer opens the invoice history from the navigation
    page.get_by_role("navigation", name="Billing portal").get_by_role("link", name="Invoices").click()
    page.wait_for_url(f"{running.portal}/invoices")
    # Then the invoice is listed with its number, total and status
    row = page.get_by_test_id(f"invoice-{invoice['id']}")
    expect(row).to_contain_text("Paid")
    expect(row).to_contain_text("€69.02")
    if javascript:
        assert_accessible(page, "portal-invoices")
    # When the customer opens it
    row.get_by_role("link", name=invoice["number"]).click()
    page.wait_for_url(f"{running.portal}/invoices/{invoice['id']}")
    # Then its lines and totals show as the API states them
    expect(page.get_by_role("heading", name=f"Invoice {invoice['number']}")).to_be_visible()
    totals = page.get_by_test_id("invoice-totals").inner_text()
    assert "€58.00" in totals and "€11.02" in totals and "€69.02" in totals
    assert "Quantity 2 × €29.00" in page.content()
    if javascript:
        assert_accessible(page, "portal-invoice")
    # And "Download PDF" downloads the invoice's PDF, named by its number
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download PDF").click()
    download = downloading.value
    assert download.suggested_filename == f"{invoice['number']}.pdf"
    with open(download.path(), "rb") as document:
        assert document.read(5) == b"%PDF-"
    context.close()


def test_an_open_invoice_offers_to_pay_it(running: Running, chromium: Browser) -> None:
    # Given an invoice left open by a declined card
    merchant = Merchant(running)
    customer, invoice = invoiced(merchant, "Declined Customer", token="tok_chargeDeclined")
    assert invoice["status"] == "open"
    context, page = signed_in(chromium, running, merchant.session(customer)["url"])
    page.goto(f"{running.portal}/invoices/{invoice['id']}")
    # Then it says why and offers to pay it with a plain form
    expect(page.get_by_test_id("payment-error")).to_be_visible()
    pay = page.get_by_role("button", name="Pay €69.02 now")
    expect(pay).to_be_visible()
    assert page.locator(f'form[action="/invoices/{invoice["id"]}/pay"] input[name="csrf"]').count() == 1
    assert_accessible(page, "portal-invoice-open")
    context.close()


def test_the_invoice_pages_at_360_px_in_german(running: Running, chromium: Browser) -> None:
    merchant = Merchant(running)
    customer, invoice = invoiced(merchant, "Erika Mustermann")
    url = merchant.session(customer, locale="de")["url"]
    context, page = signed_in(chromium, running, url, width=360)
    page.goto(f"{running.portal}/invoices")
    expect(page.get_by_role("heading", name="Rechnungen")).to_be_visible()
    expect(page.get_by_test_id(f"invoice-{invoice['id']}")).to_contain_text("Bezahlt")
    assert fits_width(page)
    assert_accessible(page, "portal-invoices-de-360")
    page.get_by_role("link", name=invoice["number"]).click()
    expect(page.get_by_role("heading", name=f"Rechnung {invoice['number']}")).to_be_visible()
    assert "Zwischensumme" in page.content() and "69,02" in page.content()
    expect(page.get_by_role("link", name="PDF herunterladen")).to_be_visible()
    assert fits_width(page)
    assert_accessible(page, "portal-invoice-de-360")
    context.close()
