"""A customer following a minted link in a real headless Chromium, on the local stack."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Running
from tests.e2e.portal_support import SCREENSHOTS

pytestmark = pytest.mark.slow


def mint(running: Running, **fields: Any) -> dict[str, Any]:
    api = httpx.Client(base_url=running.api, headers={"Authorization": f"Bearer {running.key}"}, timeout=30)
    customer = api.post("/v1/customers", json={"name": "Chromium Customer", "email": "c@example.com"}).json()
    body = {"customer": customer["id"], "returnUrl": f"{running.api}/health", **fields}
    session = api.post("/v1/billing/portal_sessions", json=body)
    assert session.status_code == 200, session.text
    return dict(session.json())


def test_a_minted_link_signs_the_customer_in_once(running: Running, chromium: Browser) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    session = mint(running)
    context = chromium.new_context(viewport={"width": 1024, "height": 720})
    page = context.new_page()
    # When the customer follows the link
    page.goto(session["url"])
    page.wait_for_url(f"{running.portal}/")
    # Then the script exchanged the fragment and the home page proves who is signed in
    expect(page.get_by_test_id("customer-name")).to_have_text("Chromium Customer")
    assert "#" not in page.url
    page.screenshot(path=str(SCREENSHOTS / "portal-home.png"), full_page=True)
    # And the browser holds the __Host- cookie with every flag, expiring with the session
    [cookie] = [c for c in context.cookies() if c["name"] == "__Host-vinr_portal"]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/" and cookie["domain"] == "127.0.0.1"
    assert abs(cookie["expires"] - _epoch(session["expiresAt"])) <= 2
    # And scripts cannot read it
    assert "vinr_portal" not in page.evaluate("document.cookie")
    # When the same link is opened again, in a fresh browser
    other = chromium.new_context()
    again = other.new_page()
    again.goto(session["url"])
    # Then it is the expired screen with the way back
    expect(again.get_by_role("heading", name="This session has expired")).to_be_visible()
    assert again.get_by_role("link", name="Return to Demo Co").get_attribute("href") == session["returnUrl"]
    again.screenshot(path=str(SCREENSHOTS / "portal-expired.png"), full_page=True)
    assert not [c for c in other.cookies() if c["name"] == "__Host-vinr_portal"]
    # When the customer returns to the merchant from the home page
    page.reload()
    page.get_by_role("button", name="Return to Demo Co").click()
    page.wait_for_url(session["returnUrl"])
    # Then the session is over: the cookie is gone and the portal shows the expired screen
    assert not [c for c in context.cookies() if c["name"] == "__Host-vinr_portal"]
    page.goto(f"{running.portal}/")
    expect(page.get_by_role("heading", name="This session has expired")).to_be_visible()
    context.close()
    other.close()


def test_the_landing_page_is_not_framed_and_runs_no_other_script(running: Running, chromium: Browser) -> None:
    session = mint(running)
    context = chromium.new_context()
    page = context.new_page()
    # When a page on another origin frames the portal
    page.set_content(f'<iframe src="{running.portal}/session/{session["id"]}"></iframe>')
    page.wait_for_timeout(500)
    # Then the frame stays empty (frame-ancestors 'none'), and the link is not spent
    frame = page.frames[-1]
    assert "Signing you in" not in (frame.content() if frame != page.main_frame else "")
    fresh = chromium.new_context().new_page()
    fresh.goto(session["url"])
    fresh.wait_for_url(f"{running.portal}/")
    expect(fresh.get_by_test_id("customer-name")).to_have_text("Chromium Customer")
    context.close()


def _epoch(wire: str) -> float:
    from billing.kernel import clock

    return float(clock.to_epoch(clock.from_wire(wire)))
