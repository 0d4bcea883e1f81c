"""The overview in a real Chromium: with and without JavaScript, at 360 px, in German, and
with no serious accessibility violation on it, the expired screen or the 404 page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Running
from tests.e2e.portal_support import Merchant, assert_accessible, fits_width, signed_in

pytestmark = pytest.mark.slow


def subscribed(merchant: Merchant, name: str) -> str:
    customer = merchant.customer(name, address={"line1": "Unter den Linden 5", "city": "Berlin", "country": "DE"})
    merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": "tok_visa"})
    price = merchant.call("GET", "/v1/prices", params={"product": "prod_pro"})["data"][0]["id"]
    merchant.call("POST", "/v1/subscriptions", json={"customer": customer, "items": [{"price": price}]})
    return customer


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_overview_works_with_and_without_javascript(running: Running, chromium: Browser, javascript: bool) -> None:
    merchant = Merchant(running)
    customer = subscribed(merchant, "Overview Customer")
    context, page = signed_in(chromium, running, merchant.session(customer)["url"], javascript=javascript)
    # Then the overview shows the plan, the card and the latest invoice, and passes axe
    expect(page.get_by_test_id("customer-name")).to_have_text("Overview Customer")
    expect(page.get_by_role("heading", name="Pro")).to_be_visible()
    expect(page.get_by_test_id("default-payment-method")).to_contain_text("Visa ending in 4242")
    expect(page.get_by_role("link", name="All invoices")).to_be_visible()
    if javascript:
        assert_accessible(page, "portal-overview")
    # And the way back to the merchant is a plain form that works without a script
    page.get_by_role("button", name="Return to Demo Co").click()
    page.wait_for_url(f"{running.api}/health")
    context.close()


def test_the_overview_at_360_px_in_german(running: Running, chromium: Browser) -> None:
    merchant = Merchant(running)
    customer = subscribed(merchant, "Erika Mustermann")
    url = merchant.session(customer, locale="de")["url"]
    context, page = signed_in(chromium, running, url, width=360)
    assert page.locator("html").get_attribute("lang") == "de"
    expect(page.get_by_role("heading", name="Abonnements")).to_be_visible()
    assert "Verlängert sich am" in page.content()
    price = page.locator(".price").first.inner_text()
    assert "29,00" in price and "€" in price and "pro Monat" in price
    assert fits_width(page)
    assert_accessible(page, "portal-overview-de-360")
    context.close()


def test_the_expired_screen_and_the_404_page_are_accessible(running: Running, chromium: Browser) -> None:
    merchant = Merchant(running)
    url = merchant.session(merchant.customer())["url"]
    context, page = signed_in(chromium, running, url)
    page.goto(f"{running.portal}/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_accessible(page, "portal-not-found")
    fresh = chromium.new_context(viewport={"width": 360, "height": 800})
    expired = fresh.new_page()
    expired.goto(url)
    expect(expired.get_by_role("heading", name="This session has expired")).to_be_visible()
    assert fits_width(expired)
    assert_accessible(expired, "portal-expired")
    fresh.close()
    context.close()
