"""A payment method as the API shows it, from its record: the same JSON, key for key, as before
records (a card's or a SEPA debit's own object, never both)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from billing.kernel.scope import Scope
from billing.payments import paymentmethods
from billing.payments.records import Card, Mandate, PaymentMethod, SepaDebit

SCOPE = Scope("acct_1", "test")


def test_a_card_shows_brand_last4_expiry_and_country() -> None:
    pm = PaymentMethod(
        id="pm_1",
        customer="cust_1",
        card=Card(brand="visa", last4="4242", exp_month=12, exp_year=2029, country="US"),
        fingerprint="fp_1",
        test_behavior="decline",
        created_at="2026-05-30T14:25:00Z",
    )
    expected = {
        "id": "pm_1",
        "object": "payment_method",
        "type": "card",
        "customer": "cust_1",
        "fingerprint": "fp_1",
        "createdAt": "2026-05-30T14:25:00Z",
        "livemode": False,
        "card": {"brand": "visa", "last4": "4242", "expMonth": 12, "expYear": 2029, "country": "US"},
    }
    assert json.dumps(paymentmethods.to_wire(pm, SCOPE)) == json.dumps(expected)


def test_a_sepa_debit_shows_its_bank_and_mandate() -> None:
    mandate = Mandate(
        reference="MANDATE-01", accepted_at="2026-05-30T14:25:00Z", ip="203.0.113.9", user_agent="Firefox"
    )
    pm = PaymentMethod(
        id="pm_2",
        customer="cust_1",
        sepa_debit=SepaDebit(bank_code="37040044", last4="3000", country="DE", mandate=mandate),
        fingerprint="fp_2",
        created_at="2026-05-30T14:25:00Z",
    )
    wire = paymentmethods.to_wire(pm, SCOPE)
    assert (wire["type"], "card" in wire) == ("sepa_debit", False)
    assert wire["sepaDebit"] == {
        "bankCode": "37040044",
        "last4": "3000",
        "country": "DE",
        "mandate": {
            "reference": "MANDATE-01",
            "acceptedAt": "2026-05-30T14:25:00Z",
            "ip": "203.0.113.9",
            "userAgent": "Firefox",
        },
    }


def test_a_test_token_stands_for_its_card_or_iban_and_behavior(monkeypatch: pytest.MonkeyPatch) -> None:
    # (the keyed hash needs the deployment's key: stood in for by the kind and the last digits)
    monkeypatch.setattr(paymentmethods, "fingerprint", lambda kind, number: f"{kind}:{number[-4:]}")
    now = datetime(2026, 5, 30, tzinfo=UTC)
    details, behavior = paymentmethods.details_from_token(SCOPE, "tok_chargeDeclined", now)
    assert details.card == Card(brand="visa", last4="9995", exp_month=12, exp_year=2029, country="US")
    assert (details.sepa_debit, details.fingerprint, behavior) == (None, "card:9995", "decline")
    details, behavior = paymentmethods.details_from_token(SCOPE, "tok_sepa_failed", now)
    assert details.sepa_debit is not None and details.card is None
    assert details.fingerprint == "sepa_debit:3001"
    assert (details.sepa_debit.bank_code, details.sepa_debit.last4, details.sepa_debit.country) == (
        "37040044",
        "3001",
        "DE",
    )
    assert (details.sepa_debit.mandate.accepted_at, details.sepa_debit.mandate.ip, behavior) == (
        "2026-05-30T00:00:00Z",
        None,
        "fail",
    )


def test_a_typed_card_or_iban_names_its_own_field_a_token_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    # What a duplicate refusal names: the portal's `number` or `iban`, the API's `token`
    monkeypatch.setattr(paymentmethods, "fingerprint", lambda kind, number: f"{kind}:{number[-4:]}")
    now = datetime(2026, 5, 30, tzinfo=UTC)
    card, _ = paymentmethods.details_from_card(
        SCOPE, number="5105 1051 0510 5100", exp_month=12, exp_year=2039, cvc="123", now=now
    )
    iban, _ = paymentmethods.details_from_iban(
        SCOPE, iban="FR1420041010050500013M02606", now=now, ip=None, user_agent=None
    )
    token, _ = paymentmethods.details_from_token(SCOPE, "tok_visa", now)
    assert (card.param, iban.param, token.param) == ("number", "iban", "token")


def test_a_duplicate_is_a_400_payment_method_exists() -> None:
    refused = paymentmethods.DuplicatePaymentMethod("already there", param="token")
    assert refused.envelope()["error"]["code"] == "payment_method_exists"
    assert (refused.status, refused.param) == (400, "token")
