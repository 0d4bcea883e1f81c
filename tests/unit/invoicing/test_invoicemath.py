"""Invoice arithmetic: totals always equal the sum of their lines."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.invoicing.invoicemath import Discount, line_discounts, totals
from billing.invoicing.tax import Rate, compute
from billing.kernel.money import split_proportional

VAT = Rate("txr", "DE", None, Decimal("19"), "USt.", False)


def test_a_percent_coupon_then_vat() -> None:
    amounts = [10000, 2000]
    discounts = line_discounts(amounts, Discount(percent_off=Decimal("20")))
    assert discounts == [2000, 400]
    tax = compute(
        [8000, 1600], [VAT], seller_country="DE", customer_country="DE", customer_state=None, customer_tax_ids=[]
    )
    result = totals(amounts, discounts, tax, inclusive=False)
    assert (result.subtotal, result.discount, result.tax, result.total) == (12000, 2400, 1824, 11424)


def test_an_amount_coupon_never_exceeds_the_lines_and_skips_credits() -> None:
    assert line_discounts([300, -500, 200], Discount(amount_off=10_000)) == [300, 0, 200]
    assert sum(line_discounts([333, 333, 334], Discount(amount_off=100))) == 100


def test_a_credit_larger_than_the_charges_leaves_a_customer_credit() -> None:
    tax = compute(
        [-1500, 500], [], seller_country="DE", customer_country="DE", customer_state=None, customer_tax_ids=[]
    )
    result = totals([-1500, 500], [0, 0], tax, inclusive=False)
    assert (result.total, result.amount_due, result.credit) == (-1000, 0, 1000)


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=10**9), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=12)
)
def test_proportional_split_sums_exactly(total: int, weights: list[int]) -> None:
    shares = split_proportional(total, weights)
    assert sum(shares) == (total if sum(weights) else 0)
    assert all(share >= 0 for share in shares)


@settings(max_examples=300, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=-(10**7), max_value=10**7), min_size=1, max_size=8),
    percent=st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=100, places=2)),
    amount_off=st.integers(min_value=1, max_value=10**7),
    percentage=st.decimals(min_value=0, max_value=30, places=2),
    inclusive=st.booleans(),
)
def test_totals_always_equal_the_sum_of_their_lines(
    amounts: list[int], percent: Decimal | None, amount_off: int, percentage: Decimal, inclusive: bool
) -> None:
    discount = Discount(percent_off=percent) if percent is not None else Discount(amount_off=amount_off)
    discounts = line_discounts(amounts, discount)
    taxable = [a - d for a, d in zip(amounts, discounts, strict=True)]
    rate = Rate("r", "DE", None, percentage, "VAT", inclusive)
    tax = compute(taxable, [rate], seller_country="DE", customer_country="DE", customer_state=None, customer_tax_ids=[])
    result = totals(amounts, discounts, tax, inclusive=inclusive)
    assert result.subtotal == sum(amounts)
    assert result.discount == sum(discounts) <= sum(max(a, 0) for a in amounts)
    assert result.tax == sum(tax.line_taxes)
    assert result.total == sum(taxable) + (0 if inclusive else result.tax)
    assert result.amount_due - result.credit == result.total
