"""An invoice's words in its language: line descriptions from their parts, dates and money by
locale, discount labels with the merchant's name as written, the reverse-charge sentence, and
lines stored before their parts were kept."""

from __future__ import annotations

from typing import Any

import pytest
from msgspec.structs import replace

from billing.invoicing import store, wording
from billing.invoicing.records import CouponTerms, InvoiceLine
from tests.support.invoices import SAMPLE_INVOICE

NBSP = "\xa0"


def line(**parts: Any) -> InvoiceLine:
    fields: dict[str, Any] = {
        "id": "il_1",
        "description": "Unused time on Basic after 02 Dec 2026",
        "amount": -500,
        "quantity": 1,
        "unit_amount": None,
        "price": "price_basic",
        "period_start": "2026-12-02T10:00:00Z",
        "period_end": "2027-01-02T10:00:00Z",
        "proration": True,
        "discount_amount": 0,
        "tax_amount": 0,
        "kind": "unused_time",
        "item_description": "Basic",
        "at": "2026-12-02T10:00:00Z",
    }
    return InvoiceLine(**{**fields, **parts})


@pytest.mark.parametrize(
    ("locale", "unused", "remaining"),
    [
        ("en", "Unused time on Basic after Dec 2, 2026", "Remaining time on Basic after Dec 2, 2026"),
        ("de", "Nicht genutzte Zeit für Basic ab dem 02.12.2026", "Verbleibende Zeit für Basic ab dem 02.12.2026"),
        ("fr", "Temps non utilisé sur Basic après le 2 déc. 2026", "Temps restant sur Basic après le 2 déc. 2026"),
        (
            "es",
            "Tiempo no utilizado de Basic después del 2 dic 2026",
            "Tiempo restante de Basic después del 2 dic 2026",
        ),
    ],
)
def test_proration_lines_are_worded_with_the_date_as_the_locale_writes_it(
    locale: str, unused: str, remaining: str
) -> None:
    # Given a credit and a charge for a change on 2 Dec 2026
    credit, charge = line(), line(kind="remaining_time", amount=800, description="Remaining time on Basic after …")
    # When each is worded in the locale
    # Then the date is the locale's and the item's own name stays as written
    assert wording.line_description(credit, locale) == unused
    assert wording.line_description(charge, locale) == remaining


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "Trial period for Pro"),
        ("de", "Testzeitraum für Pro"),
        ("fr", "Période d’essai de Pro"),
        ("es", "Periodo de prueba de Pro"),
    ],
)
def test_a_trial_line_is_worded(locale: str, expected: str) -> None:
    trial = line(kind="trial", item_description="Pro", amount=0, description="Trial period for Pro", at=None)
    assert wording.line_description(trial, locale) == expected


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
def test_a_plan_line_is_its_items_name_with_the_quantity_over_one(locale: str) -> None:
    # Given the price's own name (the merchant's words)
    seats = line(kind="plan", item_description="Pro Plus", quantity=3, description="Pro Plus × 3", at=None)
    single = replace(seats, quantity=1, description="Pro Plus")
    # Then it is never translated: its quantity is added when over one
    assert wording.line_description(seats, locale) == "Pro Plus × 3"
    assert wording.line_description(single, locale) == "Pro Plus"


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
def test_a_line_stored_without_its_parts_reads_as_its_stored_text(locale: str) -> None:
    # Given a line written before the parts were kept: its stored item has the description only
    legacy = store.line_from_item(
        {
            "id": "il_old",
            "description": "Unused time on Basic after 15 Nov 2026",
            "amount": -533,
            "quantity": 1,
            "unitAmount": None,
            "price": "price_basic",
            "periodStart": "2026-11-15T00:00:00Z",
            "periodEnd": "2026-12-01T09:00:00Z",
            "proration": True,
        }
    )
    # Then it reads as written, in every language
    assert (legacy.kind, legacy.item_description, legacy.at) == (None, None, None)
    assert wording.line_description(legacy, locale) == "Unused time on Basic after 15 Nov 2026"


def test_a_lines_parts_are_stored_and_read_back() -> None:
    stored = store.line_to_item(line())
    assert (stored["kind"], stored["itemDescription"], stored["at"]) == ("unused_time", "Basic", "2026-12-02T10:00:00Z")
    assert store.line_from_item(stored) == line()


@pytest.mark.parametrize(
    ("locale", "percent", "amount"),
    [
        ("en", "Save 20 (12.5% off)", "Five off (€5.00 off)"),
        ("de", f"Save 20 (12,5{NBSP}% Rabatt)", f"Five off (5,00{NBSP}€ Rabatt)"),
        ("fr", f"Save 20 (12,5{NBSP}% de réduction)", f"Five off (5,00{NBSP}€ de réduction)"),
        ("es", f"Save 20 (12,5{NBSP}% de descuento)", f"Five off (5,00{NBSP}€ de descuento)"),
    ],
)
def test_discount_labels_keep_the_coupons_name_and_word_what_it_takes_off(
    locale: str, percent: str, amount: str
) -> None:
    # Given a percentage coupon and an amount-off coupon on a euro invoice
    by_percent = replace(SAMPLE_INVOICE, discount_terms=CouponTerms(name="Save 20", percent_off="12.5"))
    by_amount = replace(SAMPLE_INVOICE, discount_terms=CouponTerms(name="Five off", amount_off=500))
    # Then the merchant's name stays as written, and what it takes off is in the locale
    assert wording.discount_label(by_percent, locale) == percent
    assert wording.discount_label(by_amount, locale) == amount


def test_an_invoice_stored_without_its_coupon_terms_shows_its_stored_label() -> None:
    assert SAMPLE_INVOICE.discount_terms is None
    assert wording.discount_label(SAMPLE_INVOICE, "de") == "SAVE20 (20% off)"


def test_the_reverse_charge_sentence_is_in_the_locale_on_a_reverse_charged_invoice_only() -> None:
    reverse_charged = replace(SAMPLE_INVOICE, reverse_charge_note="Reverse charge: VAT to be accounted for …")
    assert wording.reverse_charge_note(reverse_charged, "fr") == (
        "Autoliquidation : TVA due par le preneur (article 196 de la directive 2006/112/CE du Conseil)."
    )
    assert wording.reverse_charge_note(reverse_charged, "en") == (
        "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)."
    )
    assert wording.reverse_charge_note(SAMPLE_INVOICE, "fr") is None


@pytest.mark.parametrize(
    ("asked", "language"), [("de-DE", "de"), ("fr_CA", "fr"), ("ES", "es"), ("xx", "en"), (None, "en"), ("", "en")]
)
def test_a_locale_is_read_as_one_of_the_four_languages(asked: str | None, language: str) -> None:
    assert wording.language(asked) == language


def test_an_invoices_language_is_its_customers_preferred_locale_when_it_was_made() -> None:
    german = replace(SAMPLE_INVOICE, customer_details={**SAMPLE_INVOICE.customer_details, "preferredLocale": "de"})
    assert (german.locale, SAMPLE_INVOICE.locale) == ("de", None)
    assert wording.status_label(german.status, german.locale) == "Bezahlt"
