"""`/v1/customers/{id}/payment_methods`."""

from __future__ import annotations

from typing import Annotated, Literal

from merchant_api.models import NullRefused
from merchant_api.responses.base import Page, Wire
from merchant_api.responses.common import Timestamp


class Card(Wire):
    brand: str
    last4: str
    expMonth: int
    expYear: int
    country: str


class SepaMandate(Wire):
    reference: str
    acceptedAt: Timestamp
    ip: str | None
    userAgent: str | None


class SepaDebit(Wire):
    bankCode: str
    last4: str
    country: str
    mandate: SepaMandate


class PaymentMethod(Wire):
    """A payment method: `card` for a card, `sepaDebit` for a SEPA debit."""

    id: str
    object: Literal["payment_method"]
    type: Literal["card", "sepa_debit"]
    customer: str
    fingerprint: str
    createdAt: Timestamp
    livemode: bool
    card: Annotated[Card | None, NullRefused] = None
    sepaDebit: Annotated[SepaDebit | None, NullRefused] = None


class DeletedPaymentMethod(PaymentMethod):
    """The payment method detached."""

    deleted: bool


class PaymentMethodList(Page):
    """A page of a customer's payment methods, newest first."""

    data: list[PaymentMethod]
