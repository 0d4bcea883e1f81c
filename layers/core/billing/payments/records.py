"""The payments area's record: a customer's payment method, a card or a SEPA Direct Debit
mandate (never the full number: brand/last4/expiry, or bank code/last4/country).

Pure values (no keys, no table): `billing.payments.store` reads and writes them.
"""

from __future__ import annotations

from typing import Literal

import msgspec

# How the test processor treats the method's charges (its test token's behavior).
Behavior = Literal["succeed", "decline", "fail"]
PaymentMethodType = Literal["card", "sepa_debit"]


class Card(msgspec.Struct, frozen=True, kw_only=True):
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    country: str | None = None


class Mandate(msgspec.Struct, frozen=True, kw_only=True):
    """A SEPA mandate: its reference, when it was accepted, and by whom (the portal's request)."""

    reference: str
    accepted_at: str
    ip: str | None = None
    user_agent: str | None = None


class SepaDebit(msgspec.Struct, frozen=True, kw_only=True):
    bank_code: str
    last4: str
    country: str
    mandate: Mandate


class PaymentMethod(msgspec.Struct, frozen=True, kw_only=True):
    """Exactly one of `card` and `sepa_debit`; `type` says which."""

    id: str
    customer: str
    card: Card | None = None
    sepa_debit: SepaDebit | None = None
    fingerprint: str
    test_behavior: Behavior = "succeed"
    created_at: str

    def __post_init__(self) -> None:
        if (self.card is None) == (self.sepa_debit is None):
            raise ValueError("a payment method is a card or a SEPA debit, and only one of them")

    @property
    def type(self) -> PaymentMethodType:
        return "card" if self.card is not None else "sepa_debit"
