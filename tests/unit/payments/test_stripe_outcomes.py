"""What Stripe's answers mean to the core (`billing.payments.stripeoutcomes`): PaymentIntents as
charge outcomes, failures as declines, failures or actions for the customer, events, methods."""

from __future__ import annotations

from typing import Any

import pytest

from billing.payments.stripeoutcomes import card_error_result, charge_result, failure, gateway_event, saved_method

NOW = "2026-05-30T14:25:00Z"


def intent(status: str, **fields: Any) -> dict[str, Any]:
    return {"id": "pi_1", "object": "payment_intent", "status": status, **fields}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("succeeded", "succeeded"),
        ("processing", "processing"),
        ("requires_capture", "processing"),
        ("requires_action", "requires_action"),
        ("canceled", "failed"),
        ("requires_confirmation", "failed"),
    ],
)
def test_a_payment_intents_status_is_a_charge_outcome(status: str, expected: str) -> None:
    result = charge_result(intent(status))
    assert (result.status, result.reference) == (expected, "pi_1")


def test_an_intent_waiting_for_the_customer_says_authentication_is_required() -> None:
    result = charge_result(intent("requires_action"))
    assert (result.code, result.message) == ("authentication_required", None)  # the core's own message then


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        # a card_error: the bank said no, its reason the decline code
        (
            {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds", "message": "No."},
            ("declined", "insufficient_funds"),
        ),
        # localstripe's last_payment_error has no type: its code says it was a decline
        ({"code": "card_declined", "message": "Your card was declined."}, ("declined", "card_declined")),
        # the customer failed 3-D Secure
        ({"type": "invalid_request_error", "code": "payment_intent_authentication_failure"}, ("declined", None)),
        # Stripe could not process it
        ({"type": "api_error", "code": "processing_error", "message": "Try again."}, ("failed", "processing_error")),
        # nothing said
        (None, ("failed", "payment_failed")),
    ],
)
def test_a_failed_intent_is_declined_or_failed_with_its_reason(
    error: dict[str, Any] | None, expected: tuple[str, str | None]
) -> None:
    result = charge_result(intent("requires_payment_method", last_payment_error=error))
    status, code = expected
    assert result.status == status and result.reference == "pi_1"
    assert result.code == (code or (error or {}).get("code"))


def test_authentication_required_off_session_is_an_action_for_the_customer_on_that_payment() -> None:
    error = {"type": "card_error", "code": "authentication_required", "decline_code": "authentication_required"}

    waiting = charge_result(intent("requires_payment_method", last_payment_error=error))
    assert (waiting.status, waiting.code, waiting.reference) == ("requires_action", "authentication_required", "pi_1")
    # Without a payment to complete, nobody can act on it: it is a decline
    assert failure(error, None).status == "declined"


def test_a_card_error_names_its_payment_intent() -> None:
    body = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "do_not_honor",
            "message": "Your card was declined.",
            "payment_intent": intent("requires_payment_method"),
        }
    }
    result = card_error_result(body)
    assert (result.status, result.code, result.message, result.reference) == (
        "declined",
        "do_not_honor",
        "Your card was declined.",
        "pi_1",
    )


def test_any_402_is_a_decline_even_without_a_card_error_type() -> None:
    result = card_error_result({"error": {"type": "invalid_request_error", "code": "something_new"}})
    assert (result.status, result.code, result.reference) == ("declined", "something_new", None)
    assert card_error_result(None).status == "declined"


def event(type_: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": "evt_1", "object": "event", "type": type_, "data": {"object": obj}}


METADATA = {"vinr_invoice": "in_1", "vinr_account": "acct_1", "vinr_livemode": "false"}


@pytest.mark.parametrize(
    ("type_", "status"),
    [
        ("payment_intent.succeeded", "succeeded"),
        ("payment_intent.processing", "processing"),
        ("payment_intent.requires_action", "requires_action"),
    ],
)
def test_a_payment_intent_event_is_its_outcome_for_our_invoice(type_: str, status: str) -> None:
    found = gateway_event(event(type_, intent("ignored: the type says", metadata=METADATA)))
    assert (found.id, found.type, found.reference, found.status) == ("evt_1", type_, "pi_1", status)
    assert (found.invoice_id, found.account_id) == ("in_1", "acct_1")


def test_a_payment_failed_event_carries_the_reason() -> None:
    error = {"type": "card_error", "code": "card_declined", "decline_code": "expired_card", "message": "Expired."}
    found = gateway_event(
        event("payment_intent.payment_failed", intent("requires_payment_method", last_payment_error=error))
    )
    assert (found.status, found.code, found.message) == ("declined", "expired_card", "Expired.")
    assert found.invoice_id is None  # not a payment of ours: no metadata


@pytest.mark.parametrize(
    "document",
    [
        event("customer.created", {"id": "cus_1", "object": "customer"}),
        event("payment_intent.canceled", intent("canceled", metadata=METADATA)),
        event("payment_intent.succeeded", {"id": "ch_1", "object": "charge"}),
    ],
)
def test_other_events_have_no_status(document: dict[str, Any]) -> None:
    found = gateway_event(document)
    assert (found.id, found.type, found.status, found.reference) == ("evt_1", document["type"], None, None)


def test_a_card_is_kept_as_brand_last4_expiry_and_stripes_fingerprint() -> None:
    pm = {
        "id": "pm_1",
        "type": "card",
        "card": {
            "brand": "visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": 2034,
            "country": "US",
            "fingerprint": "F1",
        },
    }
    saved = saved_method(pm, accepted_at=NOW, mandate_fallback="seti_1")
    assert saved is not None and saved.card is not None and saved.sepa_debit is None
    assert (saved.reference, saved.fingerprint) == ("pm_1", "card:F1")
    assert (saved.card.brand, saved.card.last4, saved.card.exp_month, saved.card.exp_year, saved.card.country) == (
        "visa",
        "4242",
        12,
        2034,
        "US",
    )


def test_a_sepa_debit_keeps_its_mandate() -> None:
    pm = {
        "id": "pm_2",
        "type": "sepa_debit",
        "sepa_debit": {"bank_code": "37040044", "last4": "3000", "country": "DE", "fingerprint": "F2"},
    }
    saved = saved_method(pm, accepted_at=NOW, mandate_fallback="mandate_1", ip="203.0.113.7", user_agent="UA")
    assert saved is not None and saved.sepa_debit is not None
    debit = saved.sepa_debit
    assert (debit.bank_code, debit.last4, debit.country, saved.fingerprint) == (
        "37040044",
        "3000",
        "DE",
        "sepa_debit:F2",
    )
    assert (debit.mandate.reference, debit.mandate.accepted_at, debit.mandate.ip) == ("mandate_1", NOW, "203.0.113.7")
    # A reference Stripe gives the method itself wins over the fallback
    pm["sepa_debit"]["mandate_reference"] = "NXDSYREGC9PSMKWY"
    named = saved_method(pm, accepted_at=NOW, mandate_fallback="mandate_1")
    assert named is not None and named.sepa_debit is not None
    assert named.sepa_debit.mandate.reference == "NXDSYREGC9PSMKWY"


def test_a_method_without_a_fingerprint_matches_no_other() -> None:
    pm = {"id": "pm_3", "type": "card", "card": {"brand": "visa", "last4": "1", "exp_month": 1, "exp_year": 2030}}
    saved = saved_method(pm, accepted_at=NOW, mandate_fallback="pm_3")
    assert saved is not None and saved.fingerprint == "card:pm_3"


def test_other_kinds_of_method_are_not_saved() -> None:
    assert saved_method({"id": "pm_4", "type": "us_bank_account"}, accepted_at=NOW, mandate_fallback="x") is None
