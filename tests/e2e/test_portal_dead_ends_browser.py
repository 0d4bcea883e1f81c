"""No dead ends in a real Chromium: a form left open in one tab while another tab (or another
billing link) changed things answers in the merchant's brand and language with the way back;
the sign-in page shows only the message that applies, with and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Running
from tests.e2e.portal_support import SCREENSHOTS, Merchant, assert_accessible, fits_width, signed_in

pytestmark = pytest.mark.slow

ACCENT = "0B6E4F"
WORDS = {
    "en": {
        "not_found": "Page not found",
        "back": "Back to the overview",
        "stale": "This form was out of date",
        "reopen": "Open the page again",
        "save": "Save billing details",
        "cancel": "Cancel subscription",
        "details": "Billing details",
    },
    "de": {
        "not_found": "Seite nicht gefunden",
        "back": "Zurück zur Übersicht",
        "stale": "Dieses Formular war nicht mehr aktuell",
        "reopen": "Seite erneut öffnen",
        "save": "Rechnungsdaten speichern",
        "cancel": "Abonnement kündigen",
        "details": "Rechnungsdaten",
    },
}


def subscribed(merchant: Merchant, name: str) -> tuple[str, str]:
    customer = merchant.customer(name, address={"line1": "Unter den Linden 5", "city": "Berlin", "country": "DE"})
    merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": "tok_visa"})
    price = merchant.call("GET", "/v1/prices", params={"product": "prod_pro"})["data"][0]["id"]
    sub = merchant.call("POST", "/v1/subscriptions", json={"customer": customer, "items": [{"price": price}]})
    return customer, str(sub["id"])


def looked_at(page: Page, name: str) -> None:
    """Checked at 360 px (nothing scrolls sideways, axe passes) and at desktop width, both saved."""
    page.set_viewport_size({"width": 360, "height": 800})
    assert fits_width(page)
    assert_accessible(page, f"{name}-360")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert_accessible(page, f"{name}-desktop")


@pytest.mark.parametrize("language", ["en", "de"])
def test_stale_forms_answer_in_the_brand_with_the_way_back(running: Running, chromium: Browser, language: str) -> None:
    words = WORDS[language]
    merchant = Merchant(running)
    merchant.call("POST", "/v1/branding", json={"accentColor": f"#{ACCENT}"})
    customer, sub = subscribed(merchant, "Stale Tab")
    context, page = signed_in(chromium, running, merchant.session(customer, locale=language)["url"], width=360)
    # Given the cancel form open in one tab
    page.goto(f"{running.portal}/subscriptions/{sub}/cancel")
    # When the subscription ends elsewhere, and the customer then submits the form
    merchant.call("DELETE", f"/v1/subscriptions/{sub}")
    page.get_by_role("button", name=words["cancel"]).click()
    # Then the page says so in the merchant's colours and the session's language, and leads back
    expect(page.get_by_role("heading", name=words["not_found"])).to_be_visible()
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator(f'link[href="/assets/theme/{ACCENT}.css"]').count() == 1
    looked_at(page, f"portal-not-found-in-session-{language}")
    page.get_by_role("link", name=words["back"]).click()
    page.wait_for_url(f"{running.portal}/")
    # Given the billing details form open in one tab
    page.goto(f"{running.portal}/billing-details")
    # When another billing link is opened in a second tab (a new session, a new cookie)
    second = context.new_page()
    second.goto(merchant.session(customer, locale=language)["url"])
    second.wait_for_url(f"{running.portal}/")
    second.close()
    # And the first tab's form is submitted
    page.get_by_role("button", name=words["save"]).click()
    # Then it is refused with the reason, and the form opens again in the new session
    expect(page.get_by_role("heading", name=words["stale"])).to_be_visible()
    expect(page.get_by_role("link", name=words["back"])).to_be_visible()
    looked_at(page, f"portal-form-out-of-date-{language}")
    page.get_by_role("link", name=words["reopen"]).click()
    expect(page.get_by_role("heading", name=words["details"], exact=True)).to_be_visible()
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_sign_in_page_shows_only_what_applies_and_the_way_back(
    running: Running, chromium: Browser, javascript: bool
) -> None:
    merchant = Merchant(running)
    session = merchant.session(merchant.customer(), locale="de")
    context = chromium.new_context(viewport={"width": 360, "height": 800}, java_script_enabled=javascript)
    page = context.new_page()
    # When the link arrives without its secret (cut off by a mail client), or scripts are off
    page.goto(f"{running.portal}/session/{session['id']}")
    # Then "Signing you in…" is gone and only the message that applies shows, with the way back
    expect(page.get_by_role("heading", name="Sie werden angemeldet …")).to_be_hidden()
    shown, hidden = "Dieser Link ist unvollständig", "JavaScript ist deaktiviert"
    if not javascript:
        shown, hidden = hidden, shown
    expect(page.get_by_role("heading", name=shown)).to_be_visible()
    expect(page.get_by_role("heading", name=hidden)).to_have_count(0)
    assert page.get_by_role("link", name="Zurück zu Demo Co").get_attribute("href") == session["returnUrl"]
    assert fits_width(page)
    if javascript:
        assert_accessible(page, "portal-sign-in-incomplete-de-360")
    else:  # axe-core runs as a script: this page is only saved
        page.screenshot(path=str(SCREENSHOTS / "portal-sign-in-no-script-de-360.png"), full_page=True)
    context.close()
