"""Tax by billing country and state, inclusive and exclusive, and the EU reverse charge."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.catalog.records import TaxRate
from billing.customers.records import TaxId
from billing.invoicing.tax import REVERSE_CHARGE_NOTE, choose_rate, compute, line_tax


def tax_rate(id_: str, country: str, state: str | None, percentage: Decimal, name: str, inclusive: bool) -> TaxRate:
    return TaxRate(
        id=id_,
        country=country,
        state=state,
        percentage=percentage,
        display_name=name,
        inclusive=inclusive,
        created_at="2026-01-01T00:00:00Z",
    )


def vat_id(type_: str, country: str) -> TaxId:
    return TaxId(id="txi_1", type=type_, value="123", country=country, created_at="2026-01-01T00:00:00Z")


DE = tax_rate("txr_de", "DE", None, Decimal("19"), "USt.", False)
DE_INCL = tax_rate("txr_de_incl", "DE", None, Decimal("19"), "MwSt. inkl.", True)
US_NY = tax_rate("txr_ny", "US", "NY", Decimal("8.875"), "NY sales tax", False)
US = tax_rate("txr_us", "US", None, Decimal("5"), "Sales tax", False)


def test_the_state_rate_wins_over_the_country_rate() -> None:
    assert choose_rate([US, US_NY], "US", "ny") == US_NY
    assert choose_rate([US, US_NY], "US", "CA") == US
    assert choose_rate([US_NY], "US", "CA") is None
    assert choose_rate([DE], None, None) is None


def test_exclusive_tax_is_added_and_inclusive_tax_is_extracted() -> None:
    assert line_tax(10000, DE) == 1900
    assert line_tax(11900, DE_INCL) == 1900
    assert line_tax(1000, US_NY) == 89  # 88.75 rounds half away from zero


def test_a_german_seller_charges_german_vat_to_a_german_business() -> None:
    result = compute(
        [10000, 2500],
        [DE],
        seller_country="DE",
        customer_country="DE",
        customer_state=None,
        customer_tax_ids=[vat_id("eu_vat", "DE")],
    )
    assert (result.rate, result.line_taxes, result.total, result.reverse_charge) == (DE, [1900, 475], 2375, False)


def test_a_french_business_with_a_valid_vat_id_gets_the_reverse_charge() -> None:
    result = compute(
        [10000],
        [DE, tax_rate("txr_fr", "FR", None, Decimal("20"), "TVA", False)],
        seller_country="DE",
        customer_country="FR",
        customer_state=None,
        customer_tax_ids=[vat_id("eu_vat", "FR")],
    )
    assert (result.total, result.reverse_charge, result.note) == (0, True, REVERSE_CHARGE_NOTE)


def test_no_reverse_charge_for_a_seller_outside_the_eu_or_a_consumer() -> None:
    fr = tax_rate("txr_fr", "FR", None, Decimal("20"), "TVA", False)
    us_seller = compute(
        [1000],
        [fr],
        seller_country="US",
        customer_country="FR",
        customer_state=None,
        customer_tax_ids=[vat_id("eu_vat", "FR")],
    )
    consumer = compute(
        [1000], [fr], seller_country="DE", customer_country="FR", customer_state=None, customer_tax_ids=[]
    )
    assert (us_seller.total, consumer.total) == (200, 200)
    assert not us_seller.reverse_charge and not consumer.reverse_charge


@settings(max_examples=300, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=10),
    percentage=st.decimals(min_value=0, max_value=100, places=3),
    inclusive=st.booleans(),
)
def test_invoice_tax_is_the_sum_of_line_taxes_and_within_half_a_unit_per_line(
    amounts: list[int], percentage: Decimal, inclusive: bool
) -> None:
    rate = tax_rate("r", "DE", None, percentage, "VAT", inclusive)
    result = compute(
        amounts, [rate], seller_country="DE", customer_country="DE", customer_state=None, customer_tax_ids=[]
    )
    assert result.total == sum(result.line_taxes)
    for amount, tax in zip(amounts, result.line_taxes, strict=True):
        exact = amount * percentage / (100 + percentage) if inclusive else amount * percentage / 100
        assert abs(Decimal(tax) - exact) <= Decimal("0.5")
        assert 0 <= tax <= amount or not inclusive
