"""Tax on an invoice: the account's rate for the customer's billing country (and state), or
the EU reverse charge when a business customer in another member state gives a valid VAT ID.

Tax is computed per line on the line's amount after discounts and rounded per line (half away
from zero), so an invoice's tax is the sum of its lines' taxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import msgspec

from billing.catalog.records import TaxRate
from billing.customers.records import TaxId
from billing.kernel.money import round_half_away

EU_MEMBER_STATES = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())
REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)."
)


class TaxResult(msgspec.Struct, frozen=True):
    rate: TaxRate | None
    line_taxes: list[int]
    reverse_charge: bool
    note: str | None

    @property
    def total(self) -> int:
        return sum(self.line_taxes)


def choose_rate(rates: Sequence[TaxRate], country: str | None, state: str | None) -> TaxRate | None:
    """The rate for the state when there is one, else the country-wide rate, else none."""
    if not country:
        return None
    in_country = [r for r in rates if r.country == country]
    for rate in in_country:
        if state and rate.state and rate.state.upper() == state.upper():
            return rate
    return next((r for r in in_country if not r.state), None)


def is_reverse_charge(seller_country: str | None, customer_tax_ids: Sequence[TaxId]) -> bool:
    if seller_country not in EU_MEMBER_STATES:
        return False
    return any(
        t.type == "eu_vat" and t.country in EU_MEMBER_STATES and t.country != seller_country for t in customer_tax_ids
    )


def line_tax(amount: int, rate: TaxRate) -> int:
    """The tax in `amount`: added on top (exclusive) or contained in it (inclusive)."""
    percentage = Fraction(rate.percentage)
    if rate.inclusive:
        return amount - round_half_away(Fraction(amount) * 100 / (100 + percentage))
    return round_half_away(Fraction(amount) * percentage / 100)


def compute(
    taxable_amounts: Sequence[int],
    rates: Sequence[TaxRate],
    *,
    seller_country: str | None,
    customer_country: str | None,
    customer_state: str | None,
    customer_tax_ids: Sequence[TaxId],
) -> TaxResult:
    if is_reverse_charge(seller_country, customer_tax_ids):
        return TaxResult(None, [0] * len(taxable_amounts), True, REVERSE_CHARGE_NOTE)
    rate = choose_rate(rates, customer_country, customer_state)
    if rate is None:
        return TaxResult(None, [0] * len(taxable_amounts), False, None)
    return TaxResult(rate, [line_tax(amount, rate) for amount in taxable_amounts], False, None)
