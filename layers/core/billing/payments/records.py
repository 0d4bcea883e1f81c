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
    # The gateway's own ID of the method (Stripe: pm_…) when a gateway holds it; None for the
    # test-mode simulator's methods.
    gateway_ref: str | None = None
    gateway_customer: str | None = None  # the gateway's customer that holds it (Stripe: cus_…)

    def __post_init__(self) -> None:
        if (self.card is None) == (self.sepa_debit is None):
            raise ValueError("a payment method is a card or a SEPA debit, and only one of them")

    @property
    def type(self) -> PaymentMethodType:
        return "card" if self.card is not None else "sepa_debit"


class GatewayConnection(msgspec.Struct, frozen=True, kw_only=True):
    """The payment gateway an account connected for one mode. Its secrets are kept sealed only
    (`billing.payments.secretbox`): the secret key's last 4 are all that is shown of it."""

    id: str  # gwc_…
    type: Literal["stripe"]
    publishable_key: str
    secret_key_last4: str
    sealed_secret_key: str
    sealed_webhook_secret: str
    connected_at: str
