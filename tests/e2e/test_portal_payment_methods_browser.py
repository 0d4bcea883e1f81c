"""Payment methods in a real Chromium, with and without JavaScript: add a card and a SEPA debit
in the portal's own fields, make one the default, remove one, pay an open invoice, the deep
link; axe on every page of the part, a 360 px pass in German."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Running
from tests.e2e.portal_support import Merchant, assert_accessible, fits_width, signed_in

pytestmark = pytest.mark.slow
JS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


def customer_with(merchant: Merchant, name: str, *tokens: str, subscribe: bool = False) -> str:
    customer = merchant.customer(name)
    for token in tokens:
        merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": token})
    if subscribe:
        price = merchant.call("GET", "/v1/prices", params={"product": "prod_pro"})["data"][0]["id"]
        merchant.call("POST", "/v1/subscriptions", json={"customer": customer, "items": [{"price": price}]})
    return customer


def methods(merchant: Merchant, customer: str) -> list[dict[str, Any]]:
    return list(merchant.call("GET", f"/v1/customers/{customer}/payment_methods")["data"])


def open_payment_methods(page: Page) -> None:
    page.get_by_role("navigation", name="Billing portal").get_by_role("link", name="Payment methods").click()
    page.get_by_role("heading", name="Payment methods", exact=True).wait_for()


def fill_card(page: Page, number: str = "5555 5555 5555 4444") -> None:
    page.get_by_label("Name on card").fill("Ada Lovelace")
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry date").fill("12/39")
    page.get_by_label("Security code").fill("123")


@JS
def test_adding_a_card(running: Running, chromium: Browser, javascript: bool) -> None:
    # Given a customer with a Visa card, signed in
    merchant = Merchant(running)
    customer = customer_with(merchant, "Card Adder", "tok_visa")
    context, page = signed_in(chromium, running, merchant.session(customer)["url"], javascript=javascript)
    # When the customer opens the payment methods and the card form
    open_payment_methods(page)
    expect(page.get_by_test_id(f"pm-{methods(merchant, customer)[0]['id']}")).to_contain_text("Visa ending in 4242")
    if javascript:
        assert_accessible(page, "portal-payment-methods")
    page.get_by_role("link", name="Add a card").click()
    page.get_by_role("heading", name="Add a card").wait_for()
    expect(page.get_by_label("Make this my default payment method")).to_be_checked()
    if javascript:
        assert_accessible(page, "portal-payment-methods-card")
    # When the form is sent with a wrong number, the error summary and the field's message show
    fill_card(page, "4242 4242 4242 4241")
    page.get_by_role("button", name="Add card").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter a valid card number")
    assert page.get_by_label("Card number").input_value() == ""
    assert page.get_by_label("Name on card").input_value() == "Ada Lovelace"
    if javascript:
        assert_accessible(page, "portal-payment-methods-card-errors")
    # When the customer corrects it
    fill_card(page)
    page.get_by_role("button", name="Add card").click()
    # Then the list with its banner, the new card the default
    expect(page.get_by_role("status")).to_have_text("Your card was added.")
    new = next(m for m in methods(merchant, customer) if m["card"]["brand"] == "mastercard")
    assert new["card"]["last4"] == "4444"
    assert merchant.call("GET", f"/v1/customers/{customer}")["defaultPaymentMethod"] == new["id"]
    expect(page.get_by_test_id(f"pm-{new['id']}")).to_contain_text("Default")
    attached = merchant.events(customer, "payment_method.attached")
    assert any(e["data"]["object"]["id"] == new["id"] and e["request"]["source"] == "portal" for e in attached)
    context.close()


@JS
def test_adding_a_sepa_debit(running: Running, chromium: Browser, javascript: bool) -> None:
    merchant = Merchant(running)
    customer = customer_with(merchant, "Debit Adder")
    context, page = signed_in(chromium, running, merchant.session(customer)["url"], javascript=javascript)
    open_payment_methods(page)
    expect(page.get_by_text("No payment method on file.")).to_be_visible()
    page.get_by_role("link", name="Add a bank account (SEPA Direct Debit)").click()
    # Then the mandate names the merchant as creditor
    expect(page.locator("#mandate-text")).to_contain_text("Creditor: Demo Co")
    if javascript:
        assert_accessible(page, "portal-payment-methods-sepa")
    # When the form is sent without accepting the mandate
    page.get_by_label("Account holder").fill("Ada Lovelace")
    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_role("button", name="Add bank account").click()
    expect(page.get_by_role("alert")).to_contain_text("Accept the mandate")
    assert page.get_by_label("IBAN").input_value() == ""
    if javascript:
        assert_accessible(page, "portal-payment-methods-sepa-errors")
    # When the customer accepts it
    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_label("I accept the mandate").check()
    page.get_by_role("button", name="Add bank account").click()
    # Then the debit is listed, with its mandate recorded: reference, time, IP and user agent
    expect(page.get_by_role("status")).to_have_text("Your bank account was added for SEPA Direct Debit.")
    (debit,) = methods(merchant, customer)
    mandate = debit["sepaDebit"]["mandate"]
    assert mandate["reference"] and mandate["acceptedAt"] and mandate["ip"]
    assert "Chrome" in mandate["userAgent"]
    expect(page.get_by_test_id(f"pm-{debit['id']}")).to_contain_text(mandate["reference"])
    context.close()


@JS
def test_making_a_method_the_default_and_removing_one(running: Running, chromium: Browser, javascript: bool) -> None:
    # Given a subscribed customer with a card (the default) and a SEPA debit
    merchant = Merchant(running)
    customer = customer_with(merchant, "Method Keeper", "tok_visa", "tok_sepa_de", subscribe=True)
    card, sepa = sorted(methods(merchant, customer), key=lambda m: m["type"])
    context, page = signed_in(chromium, running, merchant.session(customer)["url"], javascript=javascript)
    open_payment_methods(page)
    # When the customer makes the debit the default
    page.get_by_test_id(f"pm-{sepa['id']}").get_by_role("button", name="Make default").click()
    expect(page.get_by_role("status")).to_have_text("Your default payment method was changed.")
    assert merchant.call("GET", f"/v1/customers/{customer}")["defaultPaymentMethod"] == sepa["id"]
    # When the customer removes the card
    page.get_by_test_id(f"pm-{card['id']}").get_by_role("button", name="Remove").click()
    expect(page.get_by_role("status")).to_have_text("The payment method was removed.")
    assert [m["id"] for m in methods(merchant, customer)] == [sepa["id"]]
    # When the customer tries to remove the last method the subscription needs
    page.get_by_test_id(f"pm-{sepa['id']}").get_by_role("button", name="Remove").click()
    # Then a friendly message, and the method stays
    expect(page.get_by_test_id("problem")).to_contain_text("cannot be removed")
    if javascript:
        assert_accessible(page, "portal-payment-methods-remove-refused")
    assert [m["id"] for m in methods(merchant, customer)] == [sepa["id"]]
    context.close()


@JS
def test_paying_an_open_invoice(running: Running, chromium: Browser, javascript: bool) -> None:
    # Given a customer whose card declines, with the open invoice of a subscription
    merchant = Merchant(running)
    customer = customer_with(merchant, "Late Payer", "tok_chargeDeclined", subscribe=True)
    invoice = merchant.call("GET", "/v1/invoices", params={"customer": customer})["data"][0]
    assert invoice["status"] == "open"
    context, page = signed_in(chromium, running, merchant.session(customer)["url"], javascript=javascript)
    open_payment_methods(page)
    due = page.get_by_test_id(f"open-invoice-{invoice['id']}")
    expect(due).to_contain_text(invoice["number"])
    # When the customer pays with the declining card
    due.get_by_role("button", name="with Visa ending in 9995").click()
    # Then a friendly message; the invoice stays open
    expect(page.get_by_test_id("problem")).to_contain_text("The payment was declined")
    if javascript:
        assert_accessible(page, "portal-payment-methods-pay-declined")
    # When the customer adds a card that pays, as the default
    page.get_by_role("link", name="Add a card").click()
    fill_card(page)
    page.get_by_role("button", name="Add card").click()
    # Then the new default paid the open invoice at once (dunning): it is no longer offered
    expect(page.get_by_role("status")).to_have_text("Your card was added.")
    assert page.get_by_test_id(f"open-invoice-{invoice['id']}").count() == 0
    assert merchant.call("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    paid = merchant.events(customer, "invoice.paid")
    assert paid and paid[0]["request"]["source"] == "portal"
    context.close()


@JS
def test_the_deep_link_returns_to_the_merchant_after_adding_a_card(
    running: Running, chromium: Browser, javascript: bool
) -> None:
    merchant = Merchant(running)
    customer = customer_with(merchant, "Deep Linker", "tok_visa")
    url = merchant.session(customer, flow={"type": "payment_method_update"})["url"]
    context, page = signed_in(chromium, running, url, javascript=javascript)
    if javascript:
        # The exchange lands on the payment methods
        assert page.url == f"{running.portal}/payment-methods"
    else:
        page.goto(f"{running.portal}/payment-methods")
    page.get_by_role("link", name="Add a card").click()
    fill_card(page)
    page.get_by_role("button", name="Add card").click()
    # Then straight back to the merchant's returnUrl, with the card added as the default
    page.wait_for_url(f"{running.api}/health")
    assert len(methods(merchant, customer)) == 2
    context.close()


def test_payment_methods_at_360_px_in_german(running: Running, chromium: Browser) -> None:
    merchant = Merchant(running)
    customer = customer_with(merchant, "Erika Mustermann", "tok_chargeDeclined", "tok_sepa_de", subscribe=True)
    url = merchant.session(customer, locale="de")["url"]
    context, page = signed_in(chromium, running, url, width=360)
    page.goto(f"{running.portal}/payment-methods")
    expect(page.get_by_role("heading", name="Zahlungsmethoden", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Als Standard festlegen")).to_be_visible()
    expect(page.locator(".pm-due")).to_contain_text("mit Visa")
    assert fits_width(page)
    assert_accessible(page, "portal-payment-methods-de-360")
    page.get_by_role("link", name="Karte hinzufügen").click()
    expect(page.get_by_label("Kartennummer")).to_be_visible()
    page.get_by_role("button", name="Karte hinzufügen").click()
    expect(page.get_by_role("alert")).to_contain_text("Geben Sie Ihre Kartennummer ein.")
    assert fits_width(page)
    assert_accessible(page, "portal-payment-methods-card-de-360")
    page.goto(f"{running.portal}/payment-methods/sepa")
    assert "SEPA-Lastschriftmandat" in page.content() and "Zahlungsempfänger: Demo Co" in page.content()
    assert fits_width(page)
    assert_accessible(page, "portal-payment-methods-sepa-de-360")
    context.close()
