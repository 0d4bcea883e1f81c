"""`POST /v1/gateway_webhooks/{account}/stripe`: the payment gateway's own webhooks (public: the
gateway's signature, checked with its own library against the account's connected webhook
secret, is the authentication)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from billing.kernel.errors import InvalidRequest
from billing.subscriptions import settlement
from merchant_api import request
from merchant_api.responses import ok
from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
PATH_PREFIX = "/v1/gateway_webhooks/"
# Stripe's events are a few KB; API Gateway caps bodies anyway, this bounds the work of one.
MAX_BODY_BYTES = 256 * 1024


@router.post(
    "/v1/gateway_webhooks/<account>/stripe",
    summary="Receive the payment gateway's webhooks",
    description=(
        "Public: give this URL (the `webhookUrl` of `GET /v1/payment_gateway`) to Stripe. The "
        "`Stripe-Signature` header is verified with the webhook secret connected for the event's mode "
        "(400 `signature_invalid` otherwise); a payment's outcome (a SEPA debit settled or failed, a "
        "payment the customer authenticated) is settled into its invoice once per gateway event, with "
        "`invoice.paid` or `invoice.payment_failed`. Answers `{received: true, result}`."
    ),
    tags=["Payment gateway"],
    security=[],
    # Powertools leaves an empty `security` out of the document (the API's key would then seem
    # required): stated here as the operation's own.
    openapi_extensions={"security": []},
    responses=ok("GatewayWebhookReceipt"),
)
def receive(account_id: Annotated[str, Path(alias="account", pattern=r"^acct_[A-Za-z0-9]{1,64}$")]) -> Any:
    event = router.current_event
    body = event.decoded_body or ""
    payload = body.encode() if isinstance(body, str) else body
    if len(payload) > MAX_BODY_BYTES:
        raise InvalidRequest("The event is larger than a gateway event can be.", param="body")
    signature = event.headers.get("stripe-signature")
    result = settlement.receive(account_id, payload, signature, request.info(router), table=request.table(router))
    return json_response({"received": True, "result": result})
