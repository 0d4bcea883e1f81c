"""Credit the customer can see, in a real Chromium, in German at 1000 px: the cancel page states
the credit an immediate cancellation gives (after the coupon, with USt.), and the overview then
shows the balance and what it pays of the next invoice. Screenshots: portal-credit-cancel-de,
portal-credit-overview-de (copied to docs/screenshots/de-cancel-credit.png, de-overview-credit.png)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect

from billing.kernel import clock
from tests.e2e.conftest import Running
from tests.e2e.portal_support import Merchant, assert_accessible, fits_width, signed_in

pytestmark = pytest.mark.slow

MAY_1 = datetime(2026, 5, 1, tzinfo=UTC)
MID_MAY = MAY_1 + timedelta(days=15, hours=12)  # exactly half of May's 31 days remain


def test_the_credit_shown_on_cancelling_is_the_balance_the_overview_then_shows(
    running: Running, chromium: Browser
) -> None:
    # Given the demo account cancelling at once with a credit, and a customer on its test clock
    # with Pro at half price (14.50 + 19 % = 17.26 a month) and Basic (9.00 + 19 % = 10.71)
    merchant = Merchant(running)
    features = {
        "subscriptionCancel": {"mode": "immediately", "prorationBehavior": "create_prorations", "retention": None}
    }
    merchant.call("POST", "/v1/billing/portal_configurations/default", json={"features": features})
    merchant.call("POST", "/v1/coupons", json={"id": "half", "name": "Half", "percentOff": 50, "duration": "forever"})
    test_clock = merchant.call("POST", "/v1/test_clocks", json={"frozenTime": clock.to_wire(MAY_1)})["id"]
    address = {"line1": "Unter den Linden 5", "city": "Berlin", "postalCode": "10117", "country": "DE"}
    customer = merchant.customer("Erika Mustermann", address=address, testClock=test_clock)
    merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": "tok_visa"})
    prices = {
        p: merchant.call("GET", "/v1/prices", params={"product": p})["data"][0]["id"]
        for p in ("prod_basic", "prod_pro")
    }
    merchant.call("POST", "/v1/subscriptions", json={"customer": customer, "items": [{"price": prices["prod_basic"]}]})
    pro = merchant.call(
        "POST",
        "/v1/subscriptions",
        json={"customer": customer, "items": [{"price": prices["prod_pro"]}], "coupon": "half"},
    )
    merchant.call("POST", f"/v1/test_clocks/{test_clock}/advance", json={"frozenTime": clock.to_wire(MID_MAY)})
    context, page = signed_in(chromium, running, merchant.session(customer, locale="de")["url"], width=1000)
    # When the customer opens Pro's cancellation halfway through May
    page.goto(f"{running.portal}/subscriptions/{pro['id']}/cancel")
    # Then it states the credit: half of 14.50, and its USt. (7.25 + 1.38)
    expect(page.get_by_test_id("cancel-credit")).to_have_text(
        "8,63\xa0€ für die ungenutzte Zeit werden Ihrem Konto gutgeschrieben."
    )
    assert fits_width(page)
    assert_accessible(page, "portal-credit-cancel-de")
    # When the customer cancels
    page.get_by_role("button", name="Abonnement kündigen").click()
    # Then the overview shows that credit and what it pays of Basic's next invoice
    expect(page.get_by_test_id("credit-balance-eur")).to_have_text(
        "Guthaben: 8,63\xa0€. Es wird mit Ihren nächsten Rechnungen verrechnet: "
        "Es deckt 8,63\xa0€ Ihrer nächsten Rechnung über 10,71\xa0€ am 01.06.2026."
    )
    assert merchant.call("GET", f"/v1/customers/{customer}")["creditBalance"] == {"eur": 863}
    assert fits_width(page)
    assert_accessible(page, "portal-credit-overview-de")
    context.close()
