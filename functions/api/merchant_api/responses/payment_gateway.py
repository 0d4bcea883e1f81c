"""`/v1/payment_gateway`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from merchant_api.responses.base import Wire
from merchant_api.responses.common import Timestamp


class PaymentGateway(Wire):
    """The payment gateway connected for this mode, without its secrets.

    The secret key and the webhook signing secret are kept encrypted and never answered: the
    secret key shows as its last 4 only."""

    id: str
    object: Literal["payment_gateway"]
    type: Literal["stripe"]
    publishableKey: str
    secretKeyLast4: str
    webhookUrl: str = Field(description="give this URL to the gateway (Stripe: a webhook endpoint in its dashboard)")
    connectedAt: Timestamp
    livemode: bool


class DeletedPaymentGateway(Wire):
    """The payment gateway disconnected."""

    id: str
    object: Literal["payment_gateway"]
    deleted: bool
    livemode: bool
