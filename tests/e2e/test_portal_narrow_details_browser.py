"""Billing details at 360 px in a real Chromium (issue 19): a long email address stays inside its
card on the overview and the form, a partial address names each missing field in German, and a
card the customer already has is refused on the card form. axe on each page."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import Running
from tests.e2e.portal_support import Merchant, assert_accessible, fits_width, signed_in

pytestmark = pytest.mark.slow

LONG_EMAIL = "accounts-payable.europe.finance-department@subsidiary.example-holding-company.com"


def inside(element: Locator, container: Locator) -> bool:
    """`element`'s box lies within `container`'s, left to right."""
    inner, outer = element.bounding_box(), container.bounding_box()
    assert inner is not None and outer is not None
    return outer["x"] <= inner["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1


def card_of(page: Page, heading: str) -> Locator:
    return page.locator("section.card").filter(has=page.get_by_role("heading", name=heading, exact=True))


@pytest.mark.parametrize(("locale", "width"), [("en", 360), ("de", 360), ("de", 1024)])
def test_a_long_email_stays_inside_its_card(running: Running, chromium: Browser, locale: str, width: int) -> None:
    # Given a customer whose email is one long unbreakable word
    merchant = Merchant(running)
    customer = merchant.customer("Erika Mustermann", email=LONG_EMAIL)
    context, page = signed_in(chromium, running, merchant.session(customer, locale=locale)["url"], width=width)
    # When the overview shows it
    details = card_of(page, "Rechnungsdaten" if locale == "de" else "Billing details")
    shown = details.get_by_text(LONG_EMAIL, exact=True)
    expect(shown).to_be_visible()
    # Then it wraps inside the card, and nothing scrolls sideways
    assert inside(shown, details) and fits_width(page)
    assert_accessible(page, f"portal-overview-long-email-{locale}-{width}")
    # And on the billing-details form, the field holds it without widening the page
    page.goto(f"{running.portal}/billing-details")
    field = page.get_by_label("E-Mail" if locale == "de" else "Email", exact=True)
    assert field.input_value() == LONG_EMAIL
    assert inside(field, card_of(page, "Kontakt und Adresse" if locale == "de" else "Contact and address"))
    assert fits_width(page)
    context.close()


@dataclass(frozen=True)
class Words:
    """The words a test reads, in the page's language."""

    line1: str
    city: str
    save: str
    missing: tuple[str, ...]
    card_name: str
    number: str
    expiry: str
    cvc: str
    add_card: str
    duplicate: str


WORDS = {
    "en": Words(
        line1="Address line 1",
        city="City",
        save="Save billing details",
        missing=("Enter the postal code.", "Enter the city.", "Choose the country."),
        card_name="Name on card",
        number="Card number",
        expiry="Expiry date",
        cvc="Security code",
        add_card="Add card",
        duplicate="You have already added this card.",
    ),
    "de": Words(
        line1="Adresszeile 1",
        city="Ort",
        save="Rechnungsdaten speichern",
        missing=("Geben Sie die Postleitzahl ein.", "Geben Sie den Ort ein.", "Wählen Sie das Land."),
        card_name="Name auf der Karte",
        number="Kartennummer",
        expiry="Ablaufdatum",
        cvc="Kartenprüfnummer",
        add_card="Karte hinzufügen",
        duplicate="Sie haben diese Karte bereits hinzugefügt.",
    ),
}
SIZES = pytest.mark.parametrize(("locale", "width"), [("en", 1024), ("de", 360)])


@SIZES
def test_a_partial_address_names_each_missing_field(
    running: Running, chromium: Browser, locale: str, width: int
) -> None:
    words = WORDS[locale]
    merchant = Merchant(running)
    customer = merchant.customer("Erika Mustermann")
    url = merchant.session(customer, locale=locale)["url"]
    context, page = signed_in(chromium, running, url, width=width)
    page.goto(f"{running.portal}/billing-details")
    # When only the street is entered
    page.get_by_label(words.line1).fill("Unter den Linden 5")
    page.get_by_role("button", name=words.save).click()
    # Then the summary names postal code, city and country, each field its own message
    summary = page.get_by_role("alert")
    for message in words.missing:
        expect(summary.get_by_role("link", name=message)).to_be_visible()
    assert page.get_by_label(words.city, exact=True).get_attribute("aria-invalid") == "true"
    assert page.get_by_label(words.line1).get_attribute("aria-invalid") is None
    assert fits_width(page)
    assert_accessible(page, f"portal-billing-details-address-missing-{locale}-{width}")
    assert merchant.call("GET", f"/v1/customers/{customer}")["address"] is None
    context.close()


@SIZES
def test_a_card_the_customer_already_has_is_refused(
    running: Running, chromium: Browser, locale: str, width: int
) -> None:
    words = WORDS[locale]
    merchant = Merchant(running)
    customer = merchant.customer("Erika Mustermann")
    merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": "tok_visa"})
    context, page = signed_in(chromium, running, merchant.session(customer, locale=locale)["url"], width=width)
    page.goto(f"{running.portal}/payment-methods/card")
    page.get_by_label(words.card_name).fill("Erika Mustermann")
    page.get_by_label(words.number).fill("4242 4242 4242 4242")
    page.get_by_label(words.expiry).fill("12/39")
    page.get_by_label(words.cvc).fill("123")
    page.get_by_role("button", name=words.add_card).click()
    expect(page.get_by_role("alert")).to_contain_text(words.duplicate)
    assert page.get_by_label(words.number).input_value() == ""
    assert fits_width(page)
    assert_accessible(page, f"portal-payment-methods-card-duplicate-{locale}-{width}")
    assert len(merchant.call("GET", f"/v1/customers/{customer}/payment_methods")["data"]) == 1
    context.close()
