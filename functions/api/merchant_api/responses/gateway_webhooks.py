"""`POST /v1/gateway_webhooks/{account_id}/stripe`: what the payment gateway's webhook route
answers (the gateway reads it, not a merchant)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from merchant_api.responses.base import Wire


class GatewayWebhookReceipt(Wire):
    """The gateway's event, verified and received: what was done with it."""

    received: Literal[True]
    result: Literal["settled", "duplicate", "ignored"] = Field(
        description=(
            "`settled`: its payment's outcome was settled into the invoice; `duplicate`: this gateway event "
            "was settled before; `ignored`: not the outcome of a payment of an open invoice of this account"
        )
    )
