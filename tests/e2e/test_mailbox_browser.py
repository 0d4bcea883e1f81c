"""`make dev`'s local mailbox in Chromium: a subscription paid through the running stack's API
mails its receipt through the stack's own fanout, queue, mailer and (moto's) SES, and the mailbox
page printed in the banner shows it as it was sent. Takes the receipt's screenshots (en, de)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from local.template import ROOT
from tests.e2e.conftest import Running
from tests.support.livekeys import operator_live_key

pytestmark = pytest.mark.slow
SCREENSHOTS = ROOT / "docs" / "screenshots"


def api(
    running: Running, method: str, path: str, body: dict[str, object] | None = None, *, key: str = ""
) -> dict[str, object]:
    answer = httpx.request(
        method, f"{running.api}{path}", json=body, headers={"Authorization": f"Bearer {key or running.key}"}, timeout=20
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


def paid_subscription(running: Running, price: str, email: str, locale: str) -> None:
    customer = api(
        running, "POST", "/v1/customers", {"name": "Ada <b>x</b>", "email": email, "preferredLocale": locale}
    )
    api(running, "POST", f"/v1/customers/{customer['id']}/payment_methods", {"token": "tok_visa"})
    api(running, "POST", "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price}]})


def wait_for_addresses(mailbox: str, addresses: list[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    page = ""
    while time.monotonic() < deadline:
        page = httpx.get(mailbox, timeout=10).text
        if all(address in page for address in addresses):
            return page
        time.sleep(0.3)
    raise AssertionError(f"the mailbox never showed emails to {addresses}:\n{page}")


def test_the_mailbox_shows_a_receipt_sent_by_the_running_stack(
    running: Running, chromium: Browser, tmp_path: Path
) -> None:
    # Given the banner's mailbox address, and the demo account sending receipts with its brand
    mailbox = running.wait_for(r"mailbox\s+(http://127\.0\.0\.1:\d+/)").group(1)
    # (the email settings serve live customers too: a live key, made with the operator CLI, sets them)
    live_key = operator_live_key(str(tmp_path / "stack.json"), str(api(running, "GET", "/v1/account")["id"]))
    api(running, "POST", "/v1/account/emails", {"receipt": True, "replyTo": "support@demo.example"}, key=live_key)
    api(running, "POST", "/v1/branding", {"accentColor": "#0A7B55", "supportUrl": "https://demo.example/help"})
    product = api(running, "POST", "/v1/products", {"name": "Team plan"})
    price = api(
        running,
        "POST",
        "/v1/prices",
        {"product": product["id"], "unitAmount": 4900, "currency": "eur", "recurring": {"interval": "month"}},
    )
    # When two customers, one reading English and one German, subscribe and are charged
    paid_subscription(running, str(price["id"]), "reader.en@example.com", "en")
    paid_subscription(running, str(price["id"]), "leserin.de@example.com", "de")
    listing = wait_for_addresses(mailbox, ["reader.en@example.com", "leserin.de@example.com"])
    # Then the mailbox lists both receipts, from the demo account's name
    assert re.search(r"Your receipt from Demo Co</a></td><td>reader\.en@example\.com", listing)
    assert re.search(r"Ihre Quittung von Demo Co</a></td><td>leserin\.de@example\.com", listing)
    page = chromium.new_page(viewport={"width": 900, "height": 1000})
    try:
        page.goto(mailbox)
        page.get_by_role("row", name=re.compile("reader.en@example.com")).get_by_role("link").click()
        # And the message page shows the headers, the HTML as sent (escaped names stay text) and the text part
        # (the click navigates: each check waits for the page, and the frame, to show it)
        expect(page.get_by_text("support@demo.example").first).to_be_visible()
        frame = page.frame_locator("iframe")
        expect(frame.get_by_role("heading", name="Receipt from Demo Co")).to_be_visible()
        expect(frame.get_by_text("€49.00").first).to_be_visible()
        assert "Receipt from Demo Co" in page.locator("pre").inner_text()
        # the receipts as a mail client renders them, for the docs
        for address, name in (
            ("reader.en@example.com", "email-receipt-en.png"),
            ("leserin.de@example.com", "email-receipt-de.png"),
        ):
            page.goto(mailbox)
            href = (
                page.get_by_role("row", name=re.compile(re.escape(address))).get_by_role("link").get_attribute("href")
            )
            page.goto(f"{mailbox.rstrip('/')}{href}.html")
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    finally:
        page.close()
