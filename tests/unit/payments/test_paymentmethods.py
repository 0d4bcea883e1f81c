"""A payment method as the API shows it, from its record: the same JSON, key for key, as before
records (a card's or a SEPA debit's own object, never both)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from billing.kernel.errors import InvalidRequest
from billing.kernel.scope import Scope
from billing.payments import gateway, paymentmethods
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


def stand_in_fingerprints(scope: Scope, kind: str, number: str) -> dict[str, str]:
    """The keyed hashes need the deployment's key: stood in for by the kind and the last digits."""
    return {"fingerprint": f"{kind}:{number[-4:]}", "legacy_fingerprint": f"legacy:{kind}:{number[-4:]}"}


def test_a_test_token_stands_for_its_card_or_iban_and_behavior(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paymentmethods, "_fingerprints", stand_in_fingerprints)
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
    monkeypatch.setattr(paymentmethods, "_fingerprints", stand_in_fingerprints)
    now = datetime(2026, 5, 30, tzinfo=UTC)
    card, _ = paymentmethods.details_from_card(
        SCOPE, number="5555 5555 5555 4444", exp_month=12, exp_year=2039, cvc="123", now=now
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


LIVE = Scope("acct_1", "live")
NOW = datetime(2026, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("number", "cvc"),
    [
        ("5105 1051 0510 5100", "123"),  # Luhn-valid, of real brands, none in the test-card table
        ("4111 1111 1111 1111", "123"),
        ("4012 8888 8888 1881", "123"),
        ("3714 496353 98431", "1234"),
    ],
)
def test_the_simulator_refuses_a_card_number_that_is_not_a_test_card(number: str, cvc: str) -> None:
    # Given test mode, whose processor is the simulator
    # When a valid card number that is not a documented test number is typed
    with pytest.raises(InvalidRequest) as refused:
        paymentmethods.details_from_card(SCOPE, number=number, exp_month=12, exp_year=2039, cvc=cvc, now=NOW)
    # Then it is a 400 naming the field and saying where the test cards are, without the number
    error = refused.value.envelope()["error"]
    assert (refused.value.status, error["param"], error["code"]) == (400, "number", "test_card_required")
    assert error["message"] == (
        "Only test cards can be used in test mode; use a test card number (listed in docs/api-guide.md, Test cards)."
    )
    assert number.replace(" ", "")[-8:] not in str(error)


def test_the_simulator_refuses_an_iban_that_is_not_a_test_iban() -> None:
    # Given a valid IBAN (ISO 13616 check digits) that is not a documented test IBAN
    with pytest.raises(InvalidRequest) as refused:
        paymentmethods.details_from_iban(SCOPE, iban="GB82 WEST 1234 5698 7654 32", now=NOW, ip=None, user_agent=None)
    # Then it is a 400 naming `iban`
    error = refused.value.envelope()["error"]
    assert (refused.value.status, error["param"], error["code"]) == (400, "iban", "test_iban_required")
    assert error["message"] == (
        "Only test IBANs can be used in test mode; use a test IBAN (listed in docs/api-guide.md, Test cards)."
    )
    assert "98765432" not in str(error)


def test_every_documented_test_card_and_iban_is_taken_with_its_behaviour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paymentmethods, "_fingerprints", stand_in_fingerprints)
    # Given the test-card table: a typed number behaves as its token does
    _, behavior = paymentmethods.details_from_card(
        SCOPE, number="4000 0000 0000 9995", exp_month=12, exp_year=2039, cvc="123", now=NOW
    )
    assert behavior == "decline"
    details, behavior = paymentmethods.details_from_card(
        SCOPE, number="4000002760000016", exp_month=1, exp_year=2030, cvc="123", now=NOW
    )
    assert (details.card, behavior) == (
        Card(brand="visa", last4="0016", exp_month=1, exp_year=2030, country="DE"),
        "succeed",
    )
    with pytest.raises(paymentmethods.CardDeclined):
        paymentmethods.details_from_card(
            SCOPE, number="4000000000000002", exp_month=1, exp_year=2030, cvc="123", now=NOW
        )
    _, behavior = paymentmethods.details_from_iban(
        SCOPE, iban="DE62 3704 0044 0532 0130 01", now=NOW, ip=None, user_agent=None
    )
    assert behavior == "fail"


def test_live_mode_takes_no_method_at_all_without_a_gateway() -> None:
    # Given live mode, where no gateway is connected
    # When a token, a typed card (even an invalid one) or an IBAN is given
    attempts = [
        lambda: paymentmethods.details_from_token(LIVE, "tok_visa", NOW),
        lambda: paymentmethods.details_from_card(
            LIVE, number="4242424242424242", exp_month=12, exp_year=2039, cvc="123", now=NOW
        ),
        lambda: paymentmethods.details_from_card(LIVE, number="1234", exp_month=13, exp_year=1, cvc="", now=NOW),
        lambda: paymentmethods.details_from_iban(
            LIVE, iban="DE89370400440532013000", now=NOW, ip=None, user_agent=None
        ),
    ]
    for attempt in attempts:
        with pytest.raises(gateway.PaymentGatewayNotConfigured) as refused:
            attempt()
        # Then each is the 409 before any check of the number
        assert (refused.value.status, refused.value.code) == (409, "payment_gateway_not_configured")
