"""An invoice's figures come from its lines, in one place: the record."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from billing.invoicing.records import Invoice, InvoiceLine


def line(amount: int, discount: int = 0, tax: int = 0, n: int = 1) -> InvoiceLine:
    return InvoiceLine(
        id=f"il_{n}",
        description="Pro plan",
        amount=amount,
        quantity=1,
        unit_amount=amount,
        price="price_pro",
        period_start="2026-11-01T09:00:00Z",
        period_end="2026-12-01T09:00:00Z",
        proration=False,
        discount_amount=discount,
        tax_amount=tax,
    )


def invoice(*lines: InvoiceLine, inclusive: bool = False, applied_credit: int = 0) -> Invoice:
    return Invoice(
        id="inv_1",
        number=None,
        customer="cust_1",
        subscription="sub_1",
        status="draft",
        currency="eur",
        lines=lines,
        discount_name=None,
        tax_name=None,
        tax_inclusive=inclusive,
        reverse_charge_note=None,
        applied_credit=applied_credit,
        amount_paid=0,
        amount_remaining=0,
        period_start="2026-11-01T09:00:00Z",
        period_end="2026-12-01T09:00:00Z",
        created_at="2026-11-01T09:00:00Z",
        finalized_at=None,
        paid_at=None,
        attempt_count=0,
        last_payment_error=None,
        seller={},
        customer_details={},
        version=1,
    )


def test_a_percent_coupon_then_vat_on_top() -> None:
    found = invoice(line(10000, 2000, 1520, 1), line(2000, 400, 304, 2))
    assert (found.subtotal, found.discount, found.tax, found.total) == (12000, 2400, 1824, 11424)
    assert (found.amount_before_credit, found.amount_due, found.credited_to_customer) == (11424, 11424, 0)


def test_included_tax_is_not_added_to_the_total() -> None:
    found = invoice(line(11900, 0, 1900), inclusive=True)
    assert (found.subtotal, found.tax, found.total, found.amount_due) == (11900, 1900, 11900, 11900)


def test_a_credit_larger_than_the_charges_leaves_a_customer_credit() -> None:
    found = invoice(line(-1500, n=1), line(500, n=2))
    assert (found.total, found.amount_due, found.credited_to_customer) == (-1000, 0, 1000)
    assert found.credit_change == 1000


def test_the_customers_credit_pays_part_of_the_amount_due_and_is_taken_from_the_credit() -> None:
    found = invoice(line(5000), applied_credit=800)
    assert (found.total, found.amount_before_credit, found.amount_due) == (5000, 5000, 4200)
    assert found.credit_change == -800


def test_an_invoice_without_credit_changes_no_credit() -> None:
    assert invoice(line(5000)).credit_change == 0
    assert invoice().total == 0 and invoice().amount_due == 0


def test_the_figures_follow_a_changed_record() -> None:
    found = invoice(line(5000))
    assert replace(found, lines=(line(7000),)).total == 7000


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(
        st.tuples(st.integers(-(10**7), 10**7), st.integers(0, 10**6), st.integers(0, 10**6)),  # amount, discount, tax
        max_size=8,
    ),
    inclusive=st.booleans(),
    credit=st.integers(0, 10**7),
)
def test_the_figures_always_add_up(lines: list[tuple[int, int, int]], inclusive: bool, credit: int) -> None:
    draft = invoice(*(line(a, d, t, n) for n, (a, d, t) in enumerate(lines)), inclusive=inclusive)
    found = replace(draft, applied_credit=min(credit, draft.amount_before_credit))
    assert found.subtotal == sum(a for a, _, _ in lines)
    assert found.total == found.subtotal - found.discount + (0 if inclusive else found.tax)
    assert found.amount_due + found.applied_credit - found.credited_to_customer == found.total
    assert found.amount_due >= 0 and min(found.applied_credit, found.credited_to_customer) == 0
