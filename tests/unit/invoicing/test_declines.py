"""A declined attempt without I/O: the gateway's decline is recorded as one (stored, read back),
and only a declined attempt on an open invoice is the API's 402 `card_error`, its reason the
`declineCode`."""

from __future__ import annotations

from typing import Any

import pytest
from msgspec.structs import replace

from billing.invoicing import invoices, store
from billing.invoicing.records import Invoice, PaymentError
from billing.kernel import clock
from billing.kernel.errors import CardError
from billing.kernel.scope import Scope
from billing.payments.gateway import ChargeResult
from tests.unit.invoicing.test_store import open_credit_note_without_subscription

SCOPE = Scope("acct_1", "test")


def open_invoice(error: PaymentError | None, **fields: Any) -> Invoice:
    return replace(store.from_item(open_credit_note_without_subscription()), last_payment_error=error, **fields)


@pytest.mark.parametrize(
    ("result", "declined"),
    [
        (ChargeResult(status="declined", code="insufficient_funds", message="No funds."), True),
        (ChargeResult(status="declined"), True),
        (ChargeResult(status="failed", code="processing_error"), False),
        (ChargeResult(status="requires_action", reference="pi_1"), False),
    ],
)
def test_only_the_issuers_no_is_a_decline(result: ChargeResult, declined: bool) -> None:
    outcome = invoices.outcome_of(result)
    assert outcome.declined is declined
    recorded = invoices.attempted(open_invoice(None), outcome, clock.now()).last_payment_error
    assert recorded is not None and recorded.declined is declined


def test_a_decline_is_stored_and_read_back_and_older_errors_read_as_no_decline() -> None:
    declined = open_invoice(PaymentError(code="insufficient_funds", message="No funds.", declined=True))
    item = store.to_item(SCOPE, declined)
    assert item["lastPaymentError"] == {"code": "insufficient_funds", "message": "No funds.", "declined": True}
    assert store.from_item(item).last_payment_error == declined.last_payment_error
    older = open_credit_note_without_subscription()  # stored before declines were told apart
    assert store.from_item(older).last_payment_error == PaymentError(
        code="card_declined", message="Your card was declined.", declined=False
    )


@pytest.mark.parametrize(
    ("code", "decline_code"), [("insufficient_funds", "insufficient_funds"), ("card_declined", "generic_decline")]
)
def test_a_declined_open_invoice_is_a_402_card_error_with_the_decline_code(code: str, decline_code: str) -> None:
    error = invoices.decline_error(open_invoice(PaymentError(code=code, message="Declined.", declined=True)))
    assert isinstance(error, CardError)
    assert error.status == 402
    assert error.envelope() == {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "declineCode": decline_code,
            "message": "Declined. The invoice stays open.",
        }
    }


@pytest.mark.parametrize(
    "invoice",
    [
        open_invoice(None),
        open_invoice(PaymentError(code="processing_error", message="Try later.")),
        open_invoice(PaymentError(code="card_declined", message="Declined.", declined=True), status="paid"),
    ],
    ids=["no error", "not a decline", "paid"],
)
def test_anything_else_is_no_card_error(invoice: Invoice) -> None:
    assert invoices.decline_error(invoice) is None
