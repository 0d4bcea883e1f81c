"""Invoice arithmetic: totals always equal the sum of their lines (the lines' discounts from
`invoicemath`, their taxes from `tax`, the totals from the invoice record)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.catalog.records import TaxRate
from billing.invoicing.invoicemath import Discount, line_discounts
from billing.invoicing.records import Invoice, InvoiceLine
from billing.invoicing.tax import TaxResult, compute
from billing.kernel.money import split_proportional


def rate(percentage: Decimal, inclusive: bool = False) -> TaxRate:
    return TaxRate(
        id="txr",
        country="DE",
        percentage=percentage,
        display_name="USt.",
        inclusive=inclusive,
        created_at="2026-01-01T00:00:00Z",
    )


VAT = rate(Decimal("19"))


def totals(amounts: list[int], discounts: list[int], tax: TaxResult, *, inclusive: bool) -> Invoice:
    """An invoice of these lines, as `invoices.build` makes it (its figures are the record's)."""
    lines = tuple(
        InvoiceLine(
            id=f"il_{n}",
            description="line",
            amount=amount,
            quantity=1,
            unit_amount=None,
            price=None,
            period_start="2026-11-01T00:00:00Z",
            period_end="2026-12-01T00:00:00Z",
            proration=False,
            discount_amount=discount,
            tax_amount=line_tax,
        )
        for n, (amount, discount, line_tax) in enumerate(zip(amounts, discounts, tax.line_taxes, strict=True))
    )
    return Invoice(
        id="inv_1",
        number=None,
        customer="cust_1",
        subscription=None,
        status="draft",
        currency="eur",
        lines=lines,
        discount_name=None,
        tax_name=None,
        tax_inclusive=inclusive,
        reverse_charge_note=None,
        applied_credit=0,
        amount_paid=0,
        amount_remaining=0,
        period_start="2026-11-01T00:00:00Z",
        period_end="2026-12-01T00:00:00Z",
        created_at="2026-11-01T00:00:00Z",
        finalized_at=None,
        paid_at=None,
        attempt_count=0,
        last_payment_error=None,
        seller={},
        customer_details={},
        version=1,
    )


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
    assert (result.total, result.amount_due, result.credited_to_customer) == (-1000, 0, 1000)


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
    tax = compute(
        taxable,
        [rate(percentage, inclusive)],
        seller_country="DE",
        customer_country="DE",
        customer_state=None,
        customer_tax_ids=[],
    )
    result = totals(amounts, discounts, tax, inclusive=inclusive)
    assert result.subtotal == sum(amounts)
    assert result.discount == sum(discounts) <= sum(max(a, 0) for a in amounts)
    assert result.tax == sum(tax.line_taxes)
    assert result.total == sum(taxable) + (0 if inclusive else result.tax)
    assert result.amount_due - result.credited_to_customer == result.total
