"""Test-mode payment tokens and how the test processor treats each (Stripe's test cards)."""

from __future__ import annotations

import msgspec

from billing.payments.records import Behavior

__all__ = ["CARDS", "IBANS", "Behavior", "TestCard", "TestIban"]


class TestCard(msgspec.Struct, frozen=True):
    number: str
    brand: str
    country: str
    behavior: Behavior = "succeed"
    attachable: bool = True


class TestIban(msgspec.Struct, frozen=True):
    iban: str
    behavior: Behavior = "succeed"


CARDS: dict[str, TestCard] = {
    "tok_visa": TestCard("4242424242424242", "visa", "US"),
    "tok_visa_debit": TestCard("4000056655665556", "visa", "US"),
    "tok_mastercard": TestCard("5555555555554444", "mastercard", "US"),
    "tok_amex": TestCard("378282246310005", "amex", "US"),
    "tok_discover": TestCard("6011111111111117", "discover", "US"),
    "tok_jcb": TestCard("3566002020360505", "jcb", "JP"),
    "tok_unionpay": TestCard("6200000000000005", "unionpay", "CN"),
    "tok_de": TestCard("4000002760000016", "visa", "DE"),
    # Refused when attached.
    "tok_cardDeclined": TestCard("4000000000000002", "visa", "US", "decline", attachable=False),
    # Attach fine; every charge is declined (insufficient funds) or fails at the processor.
    "tok_chargeDeclined": TestCard("4000000000009995", "visa", "US", "decline"),
    "tok_chargeFailed": TestCard("4000000000000341", "visa", "US", "fail"),
}

IBANS: dict[str, TestIban] = {
    "tok_sepa_de": TestIban("DE89370400440532013000"),
    "tok_sepa_fr": TestIban("FR1420041010050500013M02606"),
    "tok_sepa_nl": TestIban("NL91ABNA0417164300"),
    "tok_sepa_at": TestIban("AT611904300234573201"),
    "tok_sepa_failed": TestIban("DE62370400440532013001", "fail"),
}
