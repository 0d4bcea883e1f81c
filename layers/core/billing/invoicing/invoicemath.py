"""An invoice's arithmetic: discounts, tax and totals from its lines (pure, no I/O).

Coupons discount the positive lines before tax: a percentage per line, an amount spread over
the lines in proportion (never more than they add up to). Tax is per line on what remains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from billing.invoicing.tax import TaxResult
from billing.kernel.money import round_half_away, split_proportional


@dataclass(frozen=True)
class Discount:
    percent_off: Decimal | None = None
    amount_off: int | None = None


@dataclass(frozen=True)
class Totals:
    subtotal: int
    discounts: list[int]
    taxable: list[int]
    tax: int
    total: int
    amount_due: int
    credit: int  # what a negative total leaves to the customer's credit

    @property
    def discount(self) -> int:
        return sum(self.discounts)


def line_discounts(amounts: Sequence[int], discount: Discount | None) -> list[int]:
    """The discount on each line (positive numbers); credit lines are never discounted."""
    positive = [max(a, 0) for a in amounts]
    if discount is None:
        return [0] * len(amounts)
    if discount.percent_off is not None:
        percent = Fraction(discount.percent_off)
        return [round_half_away(Fraction(a) * percent / 100) for a in positive]
    amount = min(int(discount.amount_off or 0), sum(positive))
    return split_proportional(amount, positive)


def totals(amounts: Sequence[int], discounts: Sequence[int], tax: TaxResult, *, inclusive: bool) -> Totals:
    taxable = [a - d for a, d in zip(amounts, discounts, strict=True)]
    subtotal = sum(amounts)
    total = subtotal - sum(discounts) + (0 if inclusive else tax.total)
    return Totals(
        subtotal=subtotal,
        discounts=list(discounts),
        taxable=taxable,
        tax=tax.total,
        total=total,
        amount_due=max(total, 0),
        credit=max(-total, 0),
    )
