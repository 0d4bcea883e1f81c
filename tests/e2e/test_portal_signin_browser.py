"""Signing in again by email in a real Chromium, on the local stack: a used link's "session
expired" screen → the login page → the code read in `make dev`'s local mailbox → the portal on the
link's flow; an unknown address gets the same page and no email; the sixth attempt at a code is
refused; axe-core finds no serious or critical violation on the email and code pages. Takes the
screenshots docs/portal.md shows."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import Running
from tests.e2e.portal_support import Merchant, assert_accessible

pytestmark = pytest.mark.slow
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CODE_LINE = re.compile(r"^\s+(\d{6})\s*$", re.M)  # the code stands alone on its line of the text part
WRONG_CODE = "That code is wrong or has expired"


def mailbox_of(running: Running) -> str:
    return running.wait_for(r"mailbox\s+(http://127\.0\.0\.1:\d+/)").group(1)


def mailed_to(mailbox: str, address: str) -> int:
    """How many emails the mailbox lists for `address`."""
    listing = httpx.get(mailbox, timeout=10).text
    return len(re.findall(rf"<td>{re.escape(address)}</td>", listing))


def read_code(page: Page, mailbox: str, address: str) -> str:
    """The newest code mailed to `address`, read as a developer reads it: in the mailbox page."""
    page.goto(mailbox)
    page.get_by_role("row", name=re.compile(re.escape(address))).first.get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile("Your sign-in code for Demo Co"))).to_be_visible()
    found = CODE_LINE.search(page.locator("pre").inner_text())
    assert found, page.locator("pre").inner_text()
    return found.group(1)


def ask_for_code(page: Page, email: str) -> None:
    expect(page.get_by_role("heading", name="Your email address")).to_be_visible()
    page.get_by_role("textbox", name="Email address").fill(email)
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()


def enter_code(page: Page, code: str) -> None:
    page.get_by_role("textbox", name="6-digit code").fill(code)
    page.get_by_role("button", name="Sign in").click()


def portal_cookie(context: BrowserContext) -> list[dict[str, object]]:
    return [dict(c) for c in context.cookies() if c["name"] == "__Host-vinr_portal"]


def login_url(merchant: Merchant) -> str:
    configuration = merchant.call("GET", "/v1/billing/portal_configurations/default")
    assert configuration["loginPage"]["enabled"] is True  # the demo account has its login page on
    return str(configuration["loginPage"]["url"])


def test_a_used_link_leads_to_sign_in_by_email_and_back_to_its_flow(running: Running, chromium: Browser) -> None:
    merchant = Merchant(running)
    mailbox = mailbox_of(running)
    customer = merchant.customer("Grace Hopper", email="grace@example.com")
    session = merchant.session(customer, flow={"type": "payment_method_update"})
    # Given a link to the payment methods that has been used once already
    first = chromium.new_context()
    first.new_page().goto(session["url"])
    first.pages[0].wait_for_url(f"{running.portal}/payment-methods")
    first.close()
    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.goto(session["url"])
    # When the customer opens it again, it is the expired screen, which offers to sign in
    expect(page.get_by_role("heading", name="This session has expired")).to_be_visible()
    page.get_by_role("link", name="Sign in with your email").click()
    # Then the login page asks for the address
    expect(page.get_by_role("heading", name="Sign in to your billing portal")).to_be_visible()
    assert_accessible(page, "portal-signin-email")
    page.screenshot(path=str(DOCS_SCREENSHOTS / "portal-signin-email.png"), full_page=True)
    # When they ask for a code, the code page says where it went
    ask_for_code(page, "grace@example.com")
    expect(page.get_by_text("If grace@example.com belongs to a customer of Demo Co")).to_be_visible()
    assert_accessible(page, "portal-signin-code")
    page.screenshot(path=str(DOCS_SCREENSHOTS / "portal-signin-code.png"), full_page=True)
    # And the code is in the local mailbox
    reader = context.new_page()
    code = read_code(reader, mailbox, "grace@example.com")
    reader.close()
    # When they type it in, they are signed in on the expired link's flow
    enter_code(page, code)
    page.wait_for_url(f"{running.portal}/payment-methods")
    expect(page.get_by_role("heading", name="Payment methods")).to_be_visible()
    assert portal_cookie(context)
    events = merchant.events(customer, "customer.portal_login")
    assert len(events) == 1 and code not in str(events)  # the sign-in by code, audited
    context.close()


def test_an_unknown_address_gets_the_same_page_and_no_email(running: Running, chromium: Browser) -> None:
    merchant = Merchant(running)
    mailbox = mailbox_of(running)
    merchant.customer("Known Customer", email="known@example.com")
    url = login_url(merchant)
    context = chromium.new_context()
    page = context.new_page()
    pages = {}
    for address in ("known@example.com", "stranger@example.com"):
        page.goto(url)
        ask_for_code(page, address)
        # word by word: inner_text's spacing follows the layout, which can still be settling
        pages[address] = " ".join(page.locator("main").inner_text().replace(address, "X").split())
    # The answer is word for word the same, and only the customer's address got an email
    assert pages["known@example.com"] == pages["stranger@example.com"]
    assert mailed_to(mailbox, "known@example.com") == 1
    assert mailed_to(mailbox, "stranger@example.com") == 0
    # And the code page refuses any code for the stranger
    enter_code(page, "123456")
    expect(page.get_by_text(WRONG_CODE).first).to_be_visible()
    assert not portal_cookie(context)
    context.close()


def test_the_sixth_attempt_is_refused_even_with_the_right_code(running: Running, chromium: Browser) -> None:
    merchant = Merchant(running)
    mailbox = mailbox_of(running)
    merchant.customer("Careless Typist", email="typist@example.com")
    context = chromium.new_context()
    page = context.new_page()
    page.goto(login_url(merchant))
    ask_for_code(page, "typist@example.com")
    reader = context.new_page()
    code = read_code(reader, mailbox, "typist@example.com")
    reader.close()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    # Five wrong codes are each refused with the same message
    for _ in range(5):
        enter_code(page, wrong)
        expect(page.get_by_text(WRONG_CODE).first).to_be_visible()
    # And the sixth attempt is refused too, though this one is right
    enter_code(page, code)
    expect(page.get_by_text(WRONG_CODE).first).to_be_visible()
    assert page.url.startswith(f"{login_url(merchant)}/code")
    assert not portal_cookie(context)
    context.close()
