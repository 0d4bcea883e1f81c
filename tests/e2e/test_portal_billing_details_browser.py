"""Billing details in a real Chromium: contact details, address and tax IDs saved through the
portal's plain forms, with and without JavaScript; field errors; 360 px in German; axe on each."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Running
from tests.e2e.portal_support import Merchant, assert_accessible, fits_width, signed_in

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_customer_updates_details_and_tax_ids(running: Running, chromium: Browser, javascript: bool) -> None:
    # Given a customer signed in to the portal
    merchant = Merchant(running)
    customer = merchant.customer("Details Customer")
    context, page = signed_in(chromium, running, merchant.session(customer)["url"], javascript=javascript)
    # When the customer opens the billing details from the navigation
    page.get_by_role("navigation", name="Billing portal").get_by_role("link", name="Billing details").click()
    page.wait_for_url(f"{running.portal}/billing-details")
    if javascript:
        assert_accessible(page, "portal-billing-details")
    # And saves a new name, email, phone and address
    page.get_by_label("Name (optional)").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Phone (optional)").fill("+49 30 123456")
    page.get_by_label("Address line 1").fill("Unter den Linden 5")
    page.get_by_label("Postal code").fill("10117")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Country").select_option("DE")
    page.get_by_role("button", name="Save billing details").click()
    # Then the page says so, and the merchant API shows the change, from the portal
    expect(page.get_by_role("status")).to_have_text("Your billing details were saved.")
    after = merchant.call("GET", f"/v1/customers/{customer}")
    assert after["name"] == "Ada Lovelace" and after["email"] == "ada@example.com"
    assert after["address"]["country"] == "DE" and after["address"]["city"] == "Berlin"
    [updated] = merchant.events(customer, "customer.updated")
    assert updated["request"]["source"] == "portal"
    # When the customer adds a German VAT number
    page.get_by_label("Type").select_option("eu_vat")
    page.get_by_label("Tax ID", exact=True).fill("DE 136 695 976")
    page.get_by_role("button", name="Add tax ID").click()
    # Then it is listed and in the API
    expect(page.get_by_role("status")).to_have_text("The tax ID was added.")
    [tax_id] = merchant.call("GET", f"/v1/customers/{customer}")["taxIds"]
    assert tax_id["value"] == "DE136695976"
    expect(page.get_by_test_id(f"tax-id-{tax_id['id']}")).to_contain_text("DE136695976")
    assert merchant.events(customer, "customer.tax_id.created")[0]["request"]["source"] == "portal"
    if javascript:
        assert_accessible(page, "portal-billing-details-saved")
    # When the customer removes it
    page.get_by_role("button", name="Remove DE136695976").click()
    # Then it is gone
    expect(page.get_by_role("status")).to_have_text("The tax ID was removed.")
    assert merchant.call("GET", f"/v1/customers/{customer}")["taxIds"] == []
    assert merchant.events(customer, "customer.tax_id.deleted")[0]["request"]["source"] == "portal"
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_field_errors_show_with_a_summary(running: Running, chromium: Browser, javascript: bool) -> None:
    merchant = Merchant(running)
    customer = merchant.customer("Error Customer")
    context, page = signed_in(chromium, running, merchant.session(customer)["url"], javascript=javascript)
    page.goto(f"{running.portal}/billing-details")
    # When the customer saves a bad email and phone, and a bad tax ID
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Phone (optional)").fill("call me")
    page.get_by_role("button", name="Save billing details").click()
    # Then the summary links each field, whose own message shows, and nothing changed
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter a valid email address")
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Email").input_value() == "not-an-email"
    if javascript:
        assert_accessible(page, "portal-billing-details-errors")
    summary.get_by_role("link", name="Enter a valid email address, like name@example.com.").click()
    assert merchant.call("GET", f"/v1/customers/{customer}")["email"] == "b@example.com"
    page.get_by_label("Type").select_option("eu_vat")
    page.get_by_label("Tax ID", exact=True).fill("DE000000000")
    page.get_by_role("button", name="Add tax ID").click()
    expect(page.get_by_role("alert")).to_contain_text("This is not a valid EU VAT number.")
    assert merchant.call("GET", f"/v1/customers/{customer}")["taxIds"] == []
    context.close()


def test_billing_details_at_360_px_in_german(running: Running, chromium: Browser) -> None:
    merchant = Merchant(running)
    customer = merchant.customer("Erika Mustermann", address={"city": "München", "country": "DE"})
    merchant.call("POST", f"/v1/customers/{customer}/tax_ids", json={"type": "eu_vat", "value": "DE136695976"})
    url = merchant.session(customer, locale="de")["url"]
    context, page = signed_in(chromium, running, url, width=360)
    page.goto(f"{running.portal}/billing-details")
    expect(page.get_by_role("heading", name="Rechnungsdaten", exact=True)).to_be_visible()
    expect(page.get_by_label("Land").locator("option:checked")).to_have_text("Deutschland")
    expect(page.get_by_label("Postleitzahl")).to_be_visible()
    expect(page.get_by_role("button", name="Entfernen DE136695976")).to_be_visible()
    assert fits_width(page)
    assert_accessible(page, "portal-billing-details-de-360")
    page.get_by_label("E-Mail").fill("kaputt")
    page.get_by_role("button", name="Rechnungsdaten speichern").click()
    expect(page.get_by_role("alert")).to_contain_text("Geben Sie eine gültige E-Mail-Adresse ein")
    assert fits_width(page)
    context.close()
