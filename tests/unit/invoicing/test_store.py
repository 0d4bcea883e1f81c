"""Invoices in the table: items as the invoice service has always written them read back into
records and write back attribute for attribute; keys, the counter and the credit change."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from msgspec.structs import replace

from billing.invoicing import store
from billing.invoicing.records import InvoiceLine, PaymentError
from billing.kernel.scope import Scope
from billing.store.repository import Put, Update

SCOPE = Scope("acct_1", "test")
P = "ACCT#acct_1#test"


def stored_line(**fields: Any) -> dict[str, Any]:
    return {
        "id": "il_1",
        "description": "Pro plan × 2",
        "amount": 5800,
        "quantity": 2,
        "unitAmount": 2900,
        "price": "price_pro",
        "periodStart": "2026-11-01T09:00:00Z",
        "periodEnd": "2026-12-01T09:00:00Z",
        "proration": False,
        "discountAmount": 1160,
        "taxAmount": 882,
        **fields,
    }


def paid_subscription_invoice() -> dict[str, Any]:
    """A subscription's first invoice as `invoices.build` + `finalize` wrote it: a 20% coupon,
    German VAT on top, paid at once."""
    return {
        "pk": f"{P}#INV#inv_1",
        "sk": "INVOICE",
        "type": "invoice",
        "id": "inv_1",
        "number": "ACCT_1-0001",
        "customer": "cust_1",
        "subscription": "sub_1",
        "status": "paid",
        "currency": "eur",
        "lines": [stored_line()],
        "subtotal": 5800,
        "discount": 1160,
        "discountName": "SAVE20 (20% off)",
        "tax": 882,
        "taxName": "USt. 19%",
        "taxInclusive": False,
        "reverseChargeNote": None,
        "total": 5522,
        "appliedCredit": 0,
        "amountDue": 5522,
        "amountPaid": 5522,
        "amountRemaining": 0,
        "creditedToCustomer": 0,
        "periodStart": "2026-11-01T09:00:00Z",
        "periodEnd": "2026-12-01T09:00:00Z",
        "createdAt": "2026-11-01T09:00:00Z",
        "finalizedAt": "2026-11-01T09:00:00Z",
        "paidAt": "2026-11-01T09:00:00Z",
        "attemptCount": 1,
        "lastPaymentError": None,
        "seller": {
            "name": "Demo Co",
            "legalName": "Demo Co GmbH",
            "address": {"line1": "Friedrichstraße 1", "city": "Berlin", "postalCode": "10117", "country": "DE"},
            "taxId": "DE136695976",
            "country": "DE",
        },
        "customerDetails": {
            "name": "Ada",
            "email": "ada@example.com",
            "address": {"country": "DE"},
            "taxIds": [],
        },
        "version": 1,
        "gsi1pk": f"{P}#CUST#cust_1#ALL",
        "gsi1sk": "INV#inv_1",
        "gsi2pk": f"{P}#INVOICES",
        "gsi2sk": "inv_1",
        "gsi3pk": f"{P}#SUB#sub_1#INVOICES",
        "gsi3sk": "inv_1",
    }


def open_credit_note_without_subscription() -> dict[str, Any]:
    """An invoice that is no subscription's (no gsi3), whose total is negative (a credit to the
    customer), read back after a failed charge and a version bump."""
    item = paid_subscription_invoice()
    for name in ("gsi3pk", "gsi3sk"):
        del item[name]
    item.update(
        pk=f"{P}#INV#inv_2",
        id="inv_2",
        subscription=None,
        status="open",
        lines=[
            stored_line(
                id="il_2", amount=-1500, unitAmount=None, proration=True, discountAmount=0, taxAmount=0, price=None
            ),
            stored_line(id="il_3", amount=500, quantity=1, unitAmount=500, discountAmount=0, taxAmount=0),
        ],
        subtotal=-1000,
        discount=0,
        discountName=None,
        tax=0,
        taxName=None,
        total=-1000,
        amountDue=0,
        amountPaid=0,
        amountRemaining=0,
        creditedToCustomer=1000,
        paidAt=None,
        attemptCount=2,
        lastPaymentError={"code": "card_declined", "message": "Your card was declined."},
        version=3,
        gsi1sk="INV#inv_2",
        gsi2sk="inv_2",
    )
    return item


def draft_with_inclusive_tax_and_credit() -> dict[str, Any]:
    """A draft (no number yet) with tax included in its prices, paid partly by the customer's credit."""
    item = paid_subscription_invoice()
    item.update(
        number=None,
        status="draft",
        lines=[stored_line(discountAmount=0, taxAmount=926)],
        discount=0,
        discountName=None,
        tax=926,
        taxName="USt. 19%",
        taxInclusive=True,
        total=5800,
        appliedCredit=800,
        amountDue=5000,
        amountPaid=0,
        amountRemaining=5000,
        finalizedAt=None,
        paidAt=None,
        attemptCount=0,
    )
    return item


def reverse_charge_invoice() -> dict[str, Any]:
    item = paid_subscription_invoice()
    item.update(
        lines=[stored_line(discountAmount=0, taxAmount=0)],
        discount=0,
        discountName=None,
        tax=0,
        taxName=None,
        reverseChargeNote="Reverse charge: VAT to be accounted for by the recipient.",
        total=5800,
        amountDue=5800,
        amountPaid=5800,
    )
    item["customerDetails"]["taxIds"] = [{"type": "eu_vat", "value": "FR40303265045"}]
    return item


STORED = [
    paid_subscription_invoice,
    open_credit_note_without_subscription,
    draft_with_inclusive_tax_and_credit,
    reverse_charge_invoice,
]


@pytest.mark.parametrize("stored", STORED, ids=lambda f: f.__name__)
def test_a_stored_invoice_reads_back_and_writes_back_attribute_for_attribute(stored: Any) -> None:
    item = stored()
    assert store.to_item(SCOPE, store.from_item(copy.deepcopy(item))) == item
    assert list(store.to_item(SCOPE, store.from_item(item))) == list(item)  # the same attributes, in order


@pytest.mark.parametrize("stored", STORED, ids=lambda f: f.__name__)
def test_a_record_survives_the_round_trip(stored: Any) -> None:
    invoice = store.from_item(stored())
    assert store.from_item(store.to_item(SCOPE, invoice)) == invoice


def test_the_record_holds_typed_lines_and_payment_error() -> None:
    invoice = store.from_item(open_credit_note_without_subscription())
    assert invoice.lines[0] == InvoiceLine(
        id="il_2",
        description="Pro plan × 2",
        amount=-1500,
        quantity=2,
        unit_amount=None,
        price=None,
        period_start="2026-11-01T09:00:00Z",
        period_end="2026-12-01T09:00:00Z",
        proration=True,
        discount_amount=0,
        tax_amount=0,
    )
    assert invoice.last_payment_error == PaymentError(code="card_declined", message="Your card was declined.")
    assert (invoice.subscription, invoice.attempt_count, invoice.version) == (None, 2, 3)


def test_a_changed_record_writes_the_changed_attributes_and_keeps_the_keys() -> None:
    invoice = store.from_item(open_credit_note_without_subscription())
    voided = replace(invoice, status="void", amount_remaining=0, version=invoice.version + 1)
    item = store.to_item(SCOPE, voided)
    before = open_credit_note_without_subscription()
    assert {k for k in item if item[k] != before[k]} == {"status", "version"}  # amountRemaining was 0 already
    assert item["version"] == 4 and "gsi3pk" not in item


def test_keys() -> None:
    assert store.invoice_key(SCOPE, "inv_9") == (f"{P}#INV#inv_9", "INVOICE")
    assert store.counter_key(SCOPE) == (f"{P}#COUNTER", "INVOICE_NUMBER")


def test_insert_is_conditional_on_a_new_item_and_replace_on_the_version_read() -> None:
    invoice = store.from_item(paid_subscription_invoice())
    assert store.insert(SCOPE, invoice) == Put(paid_subscription_invoice(), condition="attribute_not_exists(pk)")
    after = replace(invoice, version=2)
    assert store.replace(SCOPE, after, 1) == Put(
        {**paid_subscription_invoice(), "version": 2}, "#v = :expected", {"#v": "version"}, {":expected": 1}
    )


class FakeTable:
    def __init__(self, stored: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.stored = stored
        self.reads: list[tuple[str, str]] = []

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        self.reads.append((pk, sk))
        return self.stored.get((pk, sk))


def test_the_first_number_claims_a_counter_that_does_not_exist_yet() -> None:
    table = FakeTable({})
    number, claim = store.claim_number(table, SCOPE)  # type: ignore[arg-type]
    assert number == 1
    assert claim == Update(
        f"{P}#COUNTER",
        "INVOICE_NUMBER",
        "SET #last = :next",
        "attribute_not_exists(pk)",
        {"#last": "last"},
        {":next": 1},
    )
    assert table.reads == [(f"{P}#COUNTER", "INVOICE_NUMBER")]  # one read, as before


def test_the_next_number_is_conditional_on_the_last_one_read() -> None:
    table = FakeTable({(f"{P}#COUNTER", "INVOICE_NUMBER"): {"last": 41}})
    number, claim = store.claim_number(table, SCOPE)  # type: ignore[arg-type]
    assert number == 42
    assert claim == Update(
        f"{P}#COUNTER",
        "INVOICE_NUMBER",
        "SET #last = :next",
        "#last = :last",
        {"#last": "last"},
        {":next": 42, ":last": 41},
    )


def test_get_invoice_decodes_the_item_or_answers_none() -> None:
    item = paid_subscription_invoice()
    table = FakeTable({(item["pk"], "INVOICE"): item})
    assert store.get_invoice(table, SCOPE, "inv_1") == store.from_item(paid_subscription_invoice())  # type: ignore[arg-type]
    assert store.get_invoice(table, SCOPE, "inv_404") is None  # type: ignore[arg-type]


def test_the_credit_an_invoice_leaves_is_added_to_the_customer() -> None:
    credit_note = store.from_item(open_credit_note_without_subscription())
    update = store.credit_update(SCOPE, credit_note)
    assert update is not None
    assert (update.pk, update.sk) == (f"{P}#CUST#cust_1", "CUSTOMER")
    assert update.expression == "ADD #c :delta"
    assert update.names == {"#c": "credit_eur"} and update.values == {":delta": 1000}
    assert update.condition == "attribute_exists(pk)"


def test_the_credit_an_invoice_uses_is_taken_only_if_it_is_still_there() -> None:
    invoice = store.from_item(draft_with_inclusive_tax_and_credit())
    update = store.credit_update(SCOPE, invoice)
    assert update is not None
    assert update.values == {":delta": -800, ":spent": 800}
    assert update.condition == "attribute_exists(pk) AND #c >= :spent"


def test_an_invoice_that_neither_leaves_nor_uses_credit_changes_no_customer() -> None:
    assert store.credit_update(SCOPE, store.from_item(paid_subscription_invoice())) is None
