"""What the portal says next to a price: the tax the next invoice adds to it, or contains, decided
as the invoice decides it (`billing.invoicing.tax.compute`); no I/O."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from billing.catalog.records import TaxRate
from billing.customers.records import Customer, TaxId
from billing.invoicing import tax
from billing.portal.pricing import TaxNote, decide

GERMAN_VAT = TaxRate(
    id="txr_de", country="DE", percentage=Decimal(19), display_name="USt.", created_at="2026-01-01T00:00:00Z"
)
NEW_YORK = TaxRate(
    id="txr_ny",
    country="US",
    state="NY",
    percentage=Decimal("8.875"),
    display_name="Sales tax",
    created_at="2026-01-01T00:00:00Z",
)
AUSTRIAN_GROSS = TaxRate(
    id="txr_at",
    country="AT",
    percentage=Decimal(20),
    display_name="USt.",
    inclusive=True,
    created_at="2026-01-01T00:00:00Z",
)
RATES = [GERMAN_VAT, NEW_YORK, AUSTRIAN_GROSS]


def customer(country: str | None, state: str | None = None, *tax_ids: TaxId) -> Customer:
    address: dict[str, Any] | None = {"country": country, "state": state} if country else None
    return Customer(id="cus_1", address=address, tax_ids=tax_ids, created_at="2026-01-01T00:00:00Z")


def vat_id(country: str) -> TaxId:
    return TaxId(id="txi_1", type="eu_vat", value=f"{country}123", country=country, created_at="2026-01-01T00:00:00Z")


def seller(country: str | None) -> Any:
    asked: list[bool] = []

    def ask() -> str | None:
        asked.append(True)
        return country

    ask.asked = asked  # type: ignore[attr-defined]
    return ask


def test_a_german_consumer_is_told_the_19_percent_the_invoice_adds() -> None:
    ask = seller("DE")
    note = decide(RATES, customer("DE"), ask)
    assert note == TaxNote(GERMAN_VAT)
    # without a VAT ID the reverse charge cannot apply: the seller's country is not read
    assert ask.asked == []


def test_the_rate_reads_as_each_language_writes_a_percentage() -> None:
    note = TaxNote(GERMAN_VAT)
    assert (note.kind, note.name, note.percentage) == ("added", "USt.", Decimal(19))
    assert note.rate("en") == "19%"
    assert note.rate("de") == "19\xa0%"
    assert TaxNote(NEW_YORK).rate("de") == "8,875\xa0%"
    assert TaxNote(NEW_YORK).rate("en") == "8.875%"


def test_a_state_rate_is_the_states_and_an_inclusive_rate_is_said_to_be_included() -> None:
    assert decide(RATES, customer("US", "ny"), seller("DE")) == TaxNote(NEW_YORK)
    assert decide(RATES, customer("AT"), seller("DE")) == TaxNote(AUSTRIAN_GROSS)


def test_no_rate_for_the_country_or_no_country_says_nothing() -> None:
    assert decide(RATES, customer("FR"), seller("DE")) is None
    assert decide(RATES, customer("US", "CA"), seller("DE")) is None
    assert decide(RATES, customer(None), seller("DE")) is None
    assert decide([], customer("DE"), seller("DE")) is None


def test_a_business_in_another_member_state_is_reverse_charged_and_told_nothing() -> None:
    french_vat = TaxRate(
        id="txr_fr", country="FR", percentage=Decimal(20), display_name="TVA", created_at="2026-01-01T00:00:00Z"
    )
    ask = seller("DE")
    assert decide([*RATES, french_vat], customer("FR", None, vat_id("FR")), ask) is None
    assert ask.asked == [True]
    # the same customer without its VAT ID is charged the French rate
    assert decide([*RATES, french_vat], customer("FR"), seller("DE")) == TaxNote(french_vat)
    # a German business buying from a German seller pays German VAT
    assert decide(RATES, customer("DE", None, vat_id("DE")), seller("DE")) == TaxNote(GERMAN_VAT)
    # a seller outside the EU charges its rate
    assert decide(RATES, customer("DE", None, vat_id("FR")), seller("US")) is not None


@pytest.mark.parametrize(
    ("country", "state", "ids", "seller_country"),
    [
        ("DE", None, (), "DE"),
        ("AT", None, (), "DE"),
        ("FR", None, (), "DE"),
        ("US", "NY", (), "DE"),
        ("DE", None, ("AT",), "DE"),
        ("DE", None, ("DE",), "DE"),
        ("AT", None, ("AT",), "DE"),
        ("AT", None, ("AT",), "CH"),
    ],
)
def test_the_note_says_what_the_invoice_does(
    country: str, state: str | None, ids: tuple[str, ...], seller_country: str
) -> None:
    the_customer = customer(country, state, *(vat_id(c) for c in ids))
    note = decide(RATES, the_customer, seller(seller_country))
    taxed = tax.compute(
        [900],
        RATES,
        seller_country=seller_country,
        customer_country=country,
        customer_state=state,
        customer_tax_ids=the_customer.tax_ids,
    )
    if note is None:
        assert taxed.total == 0
    elif note.kind == "added":
        assert taxed.rate is not None and not taxed.rate.inclusive
        assert taxed.total == round(900 * note.percentage / 100)
        assert note.charged(900) == 900 + taxed.total
    else:
        assert taxed.rate is not None and taxed.rate.inclusive and taxed.total > 0
        assert note.charged(900) == 900
