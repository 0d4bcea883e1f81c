"""Prices and tax in a real Chromium: a German consumer of the demo account (19% USt. added by
its invoices) reads on the overview, the plan choice and the cancellation that the tax is added,
in English and in German, at desktop width and at 360 px; the overview's invoices are named by
their numbers. Screenshots: portal-prices-<page>-<language>-<width>."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Running
from tests.e2e.portal_support import Merchant, assert_accessible, fits_width, signed_in

pytestmark = pytest.mark.slow

NOTES = {"en": "plus 19% USt.", "de": "zzgl. 19\xa0% USt."}


def german_consumer(merchant: Merchant) -> tuple[str, str, str]:
    """A customer in Berlin on Basic with its first invoice: (customer, subscription, invoice number)."""
    customer = merchant.customer(
        "Erika Mustermann", address={"line1": "Unter den Linden 5", "city": "Berlin", "country": "DE"}
    )
    merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": "tok_visa"})
    price = merchant.call("GET", "/v1/prices", params={"product": "prod_basic"})["data"][0]["id"]
    sub = merchant.call("POST", "/v1/subscriptions", json={"customer": customer, "items": [{"price": price}]})
    [invoice] = merchant.call("GET", "/v1/invoices", params={"subscription": sub["id"]})["data"]
    return customer, sub["id"], invoice["number"]


@pytest.mark.parametrize("width", [1024, 360], ids=["desktop", "360"])
@pytest.mark.parametrize("locale", ["en", "de"])
def test_every_price_says_the_tax_is_added(running: Running, chromium: Browser, locale: str, width: int) -> None:
    merchant = Merchant(running)
    customer, sub_id, number = german_consumer(merchant)
    url = merchant.session(customer, locale=locale)["url"]
    context, page = signed_in(chromium, running, url, width=width)
    name = f"{locale}-{'desktop' if width > 360 else '360'}"
    # The overview: the plan's price with the tax added, the invoice named by its number
    expect(page.locator(".price").first).to_contain_text(NOTES[locale])
    expect(page.get_by_role("link", name=number)).to_be_visible()
    assert fits_width(page)
    assert_accessible(page, f"portal-prices-overview-{name}")
    # The plan choice: every plan's price
    page.goto(f"{running.portal}/subscriptions/{sub_id}/update")
    notes = page.get_by_test_id("tax-note")
    expect(notes.first).to_be_visible()
    assert notes.all_inner_texts() == [NOTES[locale]] * notes.count() and notes.count() >= 3
    assert fits_width(page)
    assert_accessible(page, f"portal-prices-plans-{name}")
    # The cancellation: the plan's price, and the offer's saving as the invoice total drops (tax included)
    page.goto(f"{running.portal}/subscriptions/{sub_id}/cancel")
    expect(page.get_by_test_id("tax-note")).to_have_text(NOTES[locale])
    expect(page.get_by_test_id("retention-offer")).to_contain_text("2,14\xa0€" if locale == "de" else "€2.14")
    assert fits_width(page)
    assert_accessible(page, f"portal-prices-cancel-{name}")
    context.close()
