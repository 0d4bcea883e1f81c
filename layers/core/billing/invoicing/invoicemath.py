"""An invoice's discounts per line (pure, no I/O); its totals are its record's
(`billing.invoicing.records.Invoice`), the sums of its lines.

Coupons discount the positive lines before tax: a percentage per line, an amount spread over
the lines in proportion (never more than they add up to). Tax is per line on what remains.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import msgspec

from billing.kernel.money import round_half_away, split_proportional


class Discount(msgspec.Struct, frozen=True):
    percent_off: Decimal | None = None
    amount_off: int | None = None


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
