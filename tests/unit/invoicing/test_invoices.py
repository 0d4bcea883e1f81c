"""Building, finalizing and charging an invoice (no table): the figures, names and snapshots a
draft carries, and its wire form, which is its stored item without the keys."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from billing.accounts.records import Account
from billing.catalog.records import Coupon, Discount, TaxRate
from billing.customers.records import Customer, TaxId
from billing.invoicing import invoices, store
from billing.invoicing.records import Invoice, PaymentError
from billing.kernel.scope import Scope
from billing.payments import gateway
from billing.payments.records import Card, PaymentMethod

SCOPE = Scope("acct_abcdef1234", "test")
START = datetime(2026, 11, 1, 9, tzinfo=UTC)
END = datetime(2026, 12, 1, 9, tzinfo=UTC)
ACCOUNT = Account(
    id="acct_abcdef1234",
    name="Demo Co",
    legal_name="Demo Co GmbH",
    country="DE",
    address={"line1": "Friedrichstraße 1", "city": "Berlin", "country": "DE"},
    tax_id="DE136695976",
    created_at="2026-01-01T00:00:00Z",
    version=1,
)
VAT = TaxRate(
    id="txr_de", country="DE", percentage=Decimal("19"), display_name="USt.", created_at="2026-01-01T00:00:00Z"
)
HIDDEN = {"pk", "sk", "type", "version", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"}
# Kept for wording the invoice in its language, not answered (the wire's texts stay English)
STORED_ONLY = {"discountTerms", "linkGeneration"}
LINE_PARTS = {"kind", "itemDescription", "at"}


def shown(item: dict[str, Any]) -> dict[str, Any]:
    """The stored item as the wire shows it: without its keys and the parts kept for wording."""
    kept = {k: v for k, v in item.items() if k not in HIDDEN | STORED_ONLY}
    kept["lines"] = [{k: v for k, v in line.items() if k not in LINE_PARTS} for line in item["lines"]]
    return kept


def customer(credit: int = 0, **fields: Any) -> Customer:
    return Customer(
        id="cust_1",
        name="Ada",
        email="ada@example.com",
        address={"country": "DE", "city": "Berlin"},
        tax_ids=(TaxId(id="txi_1", type="eu_vat", value="DE811907980", country="DE", created_at="x"),),
        credit={"eur": credit} if credit else {},
        created_at="2026-01-01T00:00:00Z",
        **fields,
    )


def save20(currency: str | None = None, **fields: Any) -> Discount:
    terms: dict[str, Any] = {"percent_off": 20, **fields}
    coupon = Coupon(
        id="save20",
        name="SAVE20",
        currency=currency,
        duration="forever",
        created_at="2026-01-01T00:00:00Z",
        created_order=None,
        **terms,
    )
    return Discount(coupon=coupon, start="2026-01-01T00:00:00Z")


def draft(
    lines: list[invoices.Line] | None = None,
    *,
    discount: Discount | None = None,
    buyer: Customer | None = None,
    rates: tuple[TaxRate, ...] = (VAT,),
    subscription: str | None = "sub_1",
) -> Invoice:
    return invoices.build(
        SCOPE,
        account=ACCOUNT,
        customer=buyer or customer(),
        currency="eur",
        lines=lines
        or [
            invoices.Line("Pro", 10000, 1, 10000, "price_pro", START, END),
            invoices.Line("Seat", 2000, 2, 1000, "price_seat", START, END),
        ],
        discount=discount,
        tax_rates=rates,
        subscription=subscription,
        period_start=START,
        period_end=END,
        now=START,
    )


def test_a_percent_coupon_then_vat_on_top() -> None:
    built = draft(discount=save20())
    assert [(line.discount_amount, line.tax_amount) for line in built.lines] == [(2000, 1520), (400, 304)]
    assert (built.subtotal, built.discount, built.tax, built.total, built.amount_due) == (
        12000,
        2400,
        1824,
        11424,
        11424,
    )
    assert (built.discount_name, built.tax_name, built.tax_inclusive) == ("SAVE20 (20% off)", "USt. 19%", False)
    assert (built.status, built.number, built.amount_paid, built.amount_remaining, built.version) == (
        "draft",
        None,
        0,
        11424,
        1,
    )
    assert built.lines[0].period_start == "2026-11-01T09:00:00Z" and built.created_at == "2026-11-01T09:00:00Z"


def test_a_coupon_in_another_currency_discounts_nothing_and_names_nothing() -> None:
    built = draft(discount=save20(currency="usd", amount_off=500, percent_off=None))
    assert (built.discount, built.discount_name) == (0, None)


def test_the_customers_credit_pays_what_it_can() -> None:
    built = draft(buyer=customer(credit=5000))
    assert (built.total, built.applied_credit, built.amount_due, built.amount_remaining) == (14280, 5000, 9280, 9280)
    assert built.credit_change == -5000
    more_than_due = draft(buyer=customer(credit=50_000))
    assert (more_than_due.applied_credit, more_than_due.amount_due) == (14280, 0)


def test_an_inclusive_rate_is_extracted_and_named() -> None:
    inclusive = TaxRate(
        id="txr_in",
        country="DE",
        percentage=Decimal("19"),
        display_name="MwSt.",
        inclusive=True,
        created_at="2026-01-01T00:00:00Z",
    )
    built = draft([invoices.Line("Pro", 11900, 1, 11900, "price_pro", START, END)], rates=(inclusive,))
    assert (built.tax, built.total, built.tax_inclusive, built.tax_name) == (1900, 11900, True, "MwSt. 19%")


def test_a_business_in_another_member_state_gets_the_reverse_charge() -> None:
    french = TaxId(id="txi_2", type="eu_vat", value="FR40303265045", country="FR", created_at="x")
    built = draft(buyer=Customer(id="cust_1", address={"country": "FR"}, tax_ids=(french,), created_at="x"))
    assert (built.tax, built.tax_name) == (0, None)
    assert built.reverse_charge_note and built.reverse_charge_note.startswith("Reverse charge")
    assert built.customer_details["taxIds"] == [{"type": "eu_vat", "value": "FR40303265045"}]


def test_the_draft_keeps_the_seller_and_buyer_as_they_stood() -> None:
    built = draft()
    assert built.seller == {
        "name": "Demo Co",
        "legalName": "Demo Co GmbH",
        "address": {"line1": "Friedrichstraße 1", "city": "Berlin", "country": "DE"},
        "taxId": "DE136695976",
        "country": "DE",
    }
    assert built.customer_details == {
        "name": "Ada",
        "email": "ada@example.com",
        "address": {"country": "DE", "city": "Berlin"},
        "taxIds": [{"type": "eu_vat", "value": "DE811907980"}],
    }


def card(behavior: str) -> PaymentMethod:
    return PaymentMethod(
        id="pm_1",
        customer="cust_1",
        card=Card(brand="visa", last4="4242", exp_month=12, exp_year=2030),
        fingerprint="fp",
        test_behavior=behavior,  # type: ignore[arg-type]
        created_at="x",
    )


class _NoConnection:
    """No account here has connected a gateway: the scope's processor is the simulator (test) or none (live)."""


@pytest.fixture(autouse=True)
def _no_gateway_connected(monkeypatch: pytest.MonkeyPatch) -> None:
    from billing.payments import simulator

    monkeypatch.setattr(gateway, "for_scope", lambda scope, table: None if scope.livemode else simulator.SIMULATOR)


def charge(
    scope: Scope, amount: int, method: PaymentMethod | None, *, off_session: bool = False
) -> invoices.ChargeOutcome:
    return invoices.charge(scope, draft(), amount, method, off_session=off_session, table=_NoConnection())  # type: ignore[arg-type]


def test_the_test_processor_charges_as_the_method_says() -> None:
    assert charge(SCOPE, 1000, card("succeed")).paid
    assert charge(SCOPE, 1000, card("decline")).error_code == "card_declined"
    assert charge(SCOPE, 1000, card("fail")).error_code == "processing_error"
    assert charge(SCOPE, 1000, None).error_code == "payment_method_missing"
    assert charge(SCOPE, 0, None).paid


LIVE = Scope("acct_abcdef1234", "live")


def test_a_live_charge_asked_for_now_is_refused_without_a_gateway() -> None:
    # Given live mode, where no payment gateway is connected
    # When a charge is asked for now (a subscription created or changed, an invoice paid)
    with pytest.raises(gateway.PaymentGatewayNotConfigured) as refused:
        charge(LIVE, 1000, card("succeed"))
    # Then it is a 409 naming the missing gateway, whatever the method
    assert (refused.value.status, refused.value.code) == (409, "payment_gateway_not_configured")
    assert refused.value.message == (
        "Live payments need a connected payment gateway; none is connected for this account."
    )
    with pytest.raises(gateway.PaymentGatewayNotConfigured):
        charge(LIVE, 1000, None)


def test_a_live_charge_nobody_waits_for_fails_and_nothing_due_is_paid() -> None:
    # Given live mode without a gateway
    # When a renewal charges off-session
    outcome = charge(LIVE, 1000, card("succeed"), off_session=True)
    # Then it fails with the gateway's code (the invoice stays open), while nothing due is paid as before
    assert outcome == invoices.ChargeOutcome(
        False,
        "payment_gateway_not_configured",
        "Live payments need a connected payment gateway; none is connected for this account.",
    )
    assert charge(LIVE, 0, None).paid
    assert charge(LIVE, -500, None, off_session=True).paid


def test_a_paid_finalized_invoice_is_numbered_and_paid_in_full() -> None:
    built = draft()
    paid = invoices.finalize(SCOPE, built, 7, invoices.ChargeOutcome(paid=True), END)
    assert (paid.number, paid.status, paid.attempt_count) == ("ABCDEF12-0007", "paid", 1)
    assert (paid.amount_paid, paid.amount_remaining, paid.paid_at) == (built.amount_due, 0, "2026-12-01T09:00:00Z")
    assert (paid.finalized_at, paid.version) == ("2026-12-01T09:00:00Z", 1)


def test_a_declined_finalized_invoice_stays_open_with_the_error() -> None:
    outcome = invoices.ChargeOutcome(False, "card_declined", "Your card was declined.")
    failed = invoices.finalize(SCOPE, draft(), 1, outcome, END)
    assert (failed.status, failed.amount_paid, failed.amount_remaining, failed.paid_at) == ("open", 0, 14280, None)
    assert failed.last_payment_error == PaymentError(code="card_declined", message="Your card was declined.")


def test_nothing_to_charge_is_no_attempt() -> None:
    credit_note = draft([invoices.Line("Unused time", -1500, 1, None, None, START, END, proration=True)], rates=())
    paid = invoices.finalize(SCOPE, credit_note, 2, invoices.ChargeOutcome(paid=True), END)
    assert (paid.attempt_count, paid.total, paid.credited_to_customer, paid.credit_change) == (0, -1500, 1500, 1500)


@pytest.mark.parametrize("subscription", ["sub_1", None])
def test_the_wire_form_is_the_stored_item_without_its_keys(subscription: str | None) -> None:
    outcome = invoices.ChargeOutcome(False, "card_declined", "Your card was declined.")
    invoice = invoices.finalize(SCOPE, draft(discount=save20(), subscription=subscription), 3, outcome, END)
    item = store.to_item(SCOPE, invoice)
    every = invoices.to_wire(invoice, SCOPE)
    # (what a gateway's pending payment adds: nothing pending here)
    assert (every["paymentProcessing"], every["paymentActionRequired"]) == (False, None)
    wire = {k: v for k, v in every.items() if k not in ("paymentProcessing", "paymentActionRequired")}
    assert wire == {**shown(item), "object": "invoice", "livemode": False}
    assert list(wire) == [*shown(item), "object", "livemode"]
    assert wire["lastPaymentError"] == {"code": "card_declined", "message": "Your card was declined."}
