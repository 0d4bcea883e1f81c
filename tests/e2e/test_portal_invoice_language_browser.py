"""An invoice in the customer's language, in a real Chromium: a German customer's renewal with the
prorations of a mid-month plan switch and a coupon reads in German on the portal's page and in its
PDF. Screenshot: portal-invoice-proration-coupon-de (docs/screenshots/de-invoice-proration-coupon.png);
the PDF is saved beside it as portal-invoice-proration-coupon-de.pdf (its PNG in docs/ is made with
`pdftoppm`, see docs/portal.md)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from billing.kernel import clock
from tests.e2e.conftest import Running
from tests.e2e.portal_support import SCREENSHOTS, Merchant, assert_accessible, fits_width, signed_in

pytestmark = pytest.mark.slow

MAY_1 = datetime(2026, 5, 1, tzinfo=UTC)
MID_MAY = MAY_1 + timedelta(days=15, hours=12)  # exactly half of May's 31 days remain
JUNE_1 = datetime(2026, 6, 1, tzinfo=UTC)


def test_a_renewal_with_prorations_and_a_coupon_reads_in_german(running: Running, chromium: Browser) -> None:
    # Given a German customer on Basic (9.00) with 20 % off, who switches to Pro (29.00) mid-May
    merchant = Merchant(running)
    coupon = {"id": "willkommen", "name": "Willkommen", "percentOff": 20, "duration": "forever"}
    merchant.call("POST", "/v1/coupons", json=coupon)
    test_clock = merchant.call("POST", "/v1/test_clocks", json={"frozenTime": clock.to_wire(MAY_1)})["id"]
    address = {"line1": "Unter den Linden 5", "city": "Berlin", "postalCode": "10117", "country": "DE"}
    customer = merchant.customer("Erika Mustermann", address=address, testClock=test_clock, preferredLocale="de")
    merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": "tok_visa"})
    prices = {
        p: merchant.call("GET", "/v1/prices", params={"product": p})["data"][0]["id"]
        for p in ("prod_basic", "prod_pro")
    }
    body = {"customer": customer, "items": [{"price": prices["prod_basic"]}], "coupon": "willkommen"}
    sub = merchant.call("POST", "/v1/subscriptions", json=body)
    merchant.call("POST", f"/v1/test_clocks/{test_clock}/advance", json={"frozenTime": clock.to_wire(MID_MAY)})
    switch = {"items": [{"price": prices["prod_pro"]}], "prorationBehavior": "create_prorations"}
    merchant.call("POST", f"/v1/subscriptions/{sub['id']}", json=switch)
    # When June's renewal invoices the switch's prorations and June at Pro with the coupon
    merchant.call("POST", f"/v1/test_clocks/{test_clock}/advance", json={"frozenTime": clock.to_wire(JUNE_1)})
    latest = merchant.call("GET", f"/v1/subscriptions/{sub['id']}")["latestInvoice"]
    invoice = merchant.call("GET", f"/v1/invoices/{latest}")
    # (half of May at the net 7.20 credited, half at the net 23.20 charged, June at 29.00 less 20 %)
    assert [line["amount"] for line in invoice["lines"]] == [-360, 1160, 2900]
    assert (invoice["subtotal"], invoice["discount"], invoice["tax"], invoice["total"]) == (3700, 580, 593, 3713)
    # And the customer opens it in the portal, in German
    context, page = signed_in(chromium, running, merchant.session(customer, locale="de")["url"], width=1000)
    page.goto(f"{running.portal}/invoices/{invoice['id']}")
    # Then the lines, their dates and the coupon read in German
    lines = page.get_by_test_id("invoice-lines")
    expect(lines).to_contain_text("Nicht genutzte Zeit für Basic ab dem 16.05.2026")
    expect(lines).to_contain_text("Verbleibende Zeit für Pro ab dem 16.05.2026")
    expect(page.get_by_test_id("invoice-totals")).to_contain_text("Willkommen (20\xa0% Rabatt)")
    assert fits_width(page)
    assert_accessible(page, "portal-invoice-proration-coupon-de")
    # And its PDF, downloaded from the page, is German throughout
    with page.expect_download() as downloading:
        page.get_by_role("link", name="PDF herunterladen").click()
    with open(downloading.value.path(), "rb") as document:
        pdf = document.read()
    (SCREENSHOTS / "portal-invoice-proration-coupon-de.pdf").write_bytes(pdf)
    text = " ".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf)).pages)
    for german in ("Rechnung", "Nicht genutzte Zeit für Basic ab dem 16.05.2026", "Willkommen (20", "Bezahlter Betrag"):
        assert german in text, german
    context.close()
