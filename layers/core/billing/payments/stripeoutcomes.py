"""What Stripe's answers mean to the core: its PaymentMethods, PaymentIntents, error bodies and
events (as JSON, plain dicts) turned into the port's values. Pure: no client, no network; the
adapter (`billing.payments.stripegateway`) makes the calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing.payments.gateway import ChargeResult, ChargeStatus, GatewayEvent, SavedMethod
from billing.payments.records import Card, Mandate, SepaDebit

AUTHENTICATION_REQUIRED = "authentication_required"
# Codes (besides a `decline_code` or a `card_error`) that mean the bank or the customer said no,
# as opposed to Stripe failing to process the payment.
_DECLINE_CODES = frozenset(
    {
        "card_declined",
        "expired_card",
        "incorrect_cvc",
        "incorrect_number",
        "insufficient_funds",
        "payment_intent_authentication_failure",
    }
)
_EVENT_STATUSES: dict[str, ChargeStatus] = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.processing": "processing",
    "payment_intent.requires_action": "requires_action",
}
PAYMENT_FAILED = "payment_intent.payment_failed"


def saved_method(
    pm: Mapping[str, Any],
    *,
    accepted_at: str,
    mandate_fallback: str,
    ip: str | None = None,
    user_agent: str | None = None,
) -> SavedMethod | None:
    """A card or SEPA debit PaymentMethod as the core keeps it (None for any other type). The
    fingerprint is Stripe's, prefixed by the type; a SEPA mandate's reference is the one Stripe
    gives the method, else `mandate_fallback` (the SetupIntent's mandate or the setup itself)."""
    if pm.get("type") == "card" and pm.get("card"):
        card = pm["card"]
        return SavedMethod(
            reference=pm["id"],
            card=Card(
                brand=card.get("brand") or "unknown",
                last4=card["last4"],
                exp_month=int(card["exp_month"]),
                exp_year=int(card["exp_year"]),
                country=card.get("country"),
            ),
            fingerprint=f"card:{card.get('fingerprint') or pm['id']}",
        )
    if pm.get("type") == "sepa_debit" and pm.get("sepa_debit"):
        sepa = pm["sepa_debit"]
        mandate = Mandate(
            reference=sepa.get("mandate_reference") or mandate_fallback,
            accepted_at=accepted_at,
            ip=ip,
            user_agent=user_agent,
        )
        return SavedMethod(
            reference=pm["id"],
            sepa_debit=SepaDebit(
                bank_code=sepa.get("bank_code") or "",
                last4=sepa.get("last4") or "",
                country=sepa.get("country") or "",
                mandate=mandate,
            ),
            fingerprint=f"sepa_debit:{sepa.get('fingerprint') or pm['id']}",
        )
    return None


def charge_result(pi: Mapping[str, Any]) -> ChargeResult:
    """A PaymentIntent's state as the outcome of a charge."""
    reference = pi["id"]
    status = pi.get("status")
    if status == "succeeded":
        return ChargeResult(status="succeeded", reference=reference)
    if status in ("processing", "requires_capture"):
        return ChargeResult(status="processing", reference=reference)
    if status == "requires_action":
        return ChargeResult(status="requires_action", reference=reference, code=AUTHENTICATION_REQUIRED)
    if status == "requires_payment_method":
        return failure(pi.get("last_payment_error"), reference)
    if status == "canceled":
        return ChargeResult(
            status="failed", reference=reference, code="payment_intent_canceled", message="The payment was canceled."
        )
    return ChargeResult(
        status="failed",
        reference=reference,
        code="payment_intent_unexpected_state",
        message=f"The payment is in an unexpected state ({status}).",
    )


def failure(error: Mapping[str, Any] | None, reference: str | None) -> ChargeResult:
    """A failed attempt from Stripe's error (a CardError's body, or a PaymentIntent's
    `last_payment_error`). `authentication_required` (what Stripe answers off-session when the
    card needs 3-D Secure) is an action for the customer on that payment, when there is one."""
    error = error or {}
    code = error.get("decline_code") or error.get("code")
    message = error.get("message")
    if AUTHENTICATION_REQUIRED in (error.get("code"), error.get("decline_code")) and reference:
        return ChargeResult(status="requires_action", reference=reference, code=AUTHENTICATION_REQUIRED)
    if not error:
        return ChargeResult(
            status="failed", reference=reference, code="payment_failed", message="The payment did not go through."
        )
    declined = (
        error.get("type") == "card_error" or bool(error.get("decline_code")) or error.get("code") in _DECLINE_CODES
    )
    return ChargeResult(status="declined" if declined else "failed", reference=reference, code=code, message=message)


def card_error_result(body: Any) -> ChargeResult:
    """A CardError's JSON body (`{"error": {...}}`): the PaymentIntent it names, if any, declined
    (or waiting for the customer's authentication)."""
    error = body.get("error") if isinstance(body, Mapping) else None
    error = error if isinstance(error, Mapping) else {}
    intent = error.get("payment_intent")
    reference = intent.get("id") if isinstance(intent, Mapping) else None
    result = failure(error, reference)
    if result.status == "failed":  # a 402 is the bank's or the customer's no, whatever its type says
        return ChargeResult(status="declined", reference=reference, code=result.code, message=result.message)
    return result


def gateway_event(event: Mapping[str, Any]) -> GatewayEvent:
    """A verified Stripe event: a PaymentIntent's outcome, or (any other type) an event with no status."""
    type_ = str(event.get("type") or "")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if (type_ not in _EVENT_STATUSES and type_ != PAYMENT_FAILED) or not isinstance(obj, Mapping):
        return GatewayEvent(id=str(event["id"]), type=type_)
    if obj.get("object") != "payment_intent":
        return GatewayEvent(id=str(event["id"]), type=type_)
    reference = obj.get("id")
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    if type_ == PAYMENT_FAILED:
        result = failure(obj.get("last_payment_error"), reference)
    else:
        result = ChargeResult(status=_EVENT_STATUSES[type_], reference=reference)
        if result.status == "requires_action":
            result = ChargeResult(status="requires_action", reference=reference, code=AUTHENTICATION_REQUIRED)
    return GatewayEvent(
        id=str(event["id"]),
        type=type_,
        reference=reference,
        status=result.status,
        code=result.code,
        message=result.message,
        invoice_id=metadata.get("vinr_invoice"),
        account_id=metadata.get("vinr_account"),
    )
