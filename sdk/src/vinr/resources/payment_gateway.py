"""`client.payment_gateway`: the account's own payment gateway (Stripe) for the key's mode."""

from __future__ import annotations

from typing import Literal

from vinr.resources._base import Resource, body_of
from vinr.types import DeletedPaymentGateway
from vinr.types import PaymentGateway as PaymentGatewayObject


class PaymentGateway(Resource):
    def connect(
        self,
        *,
        type: Literal["stripe"],
        secret_key: str,
        publishable_key: str,
        webhook_secret: str,
        idempotency_key: str | None = None,
    ) -> PaymentGatewayObject:
        """`POST /v1/payment_gateway`: connect the gateway for the key's mode (replaces a connected one).

        The keys must be of that mode (`sk_test_`/`rk_test_` with a test key); the API checks them
        with the gateway and keeps them encrypted. The answer never holds the secrets: the secret
        key shows as `secretKeyLast4`. Give its `webhookUrl` to the gateway; `webhook_secret` is the
        signing secret of that gateway endpoint.
        """
        body = body_of(type=type, secret_key=secret_key, publishable_key=publishable_key, webhook_secret=webhook_secret)
        return self._post(PaymentGatewayObject, "/v1/payment_gateway", body, idempotency_key)

    def retrieve(self) -> PaymentGatewayObject:
        """`GET /v1/payment_gateway` (never its secrets); `NotFoundError` when none is connected."""
        return self._get(PaymentGatewayObject, "/v1/payment_gateway")

    def disconnect(self, *, idempotency_key: str | None = None) -> DeletedPaymentGateway:
        """`DELETE /v1/payment_gateway`: `{"id", "object", "deleted": true, "livemode"}`.

        Live mode then moves no money (`ConflictError`, `payment_gateway_not_configured`); test
        mode goes back to the simulator's test cards.
        """
        return self._delete(DeletedPaymentGateway, "/v1/payment_gateway", idempotency_key)
