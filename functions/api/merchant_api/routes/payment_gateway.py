"""`/v1/payment_gateway`: the account's own payment gateway for the key's mode (Stripe's keys and
its webhook signing secret). Checked with Stripe when saved; the secrets are never answered."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import Field

from billing.payments import connections
from merchant_api import request
from merchant_api.models import Request
from merchant_api.responses import ok
from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
TAGS = ["Payment gateway"]
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?")


# The service checks each key's shape and mode and names the field; the schema states the shape.
SecretKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        examples=["sk_test_ExampleOnly000000000000000"],
        description=(
            "the gateway's secret key (or a restricted key) of this mode: sk_test_/rk_test_ with a test key, "
            "sk_live_/rk_live_ with a live key; stored encrypted, never answered"
        ),
        json_schema_extra={"pattern": r"^[sr]k_(?:test|live)_[A-Za-z0-9]+$"},
    ),
]
PublishableKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        examples=["pk_test_ExampleOnly000000000000000"],
        description="the publishable key of the same mode",
        json_schema_extra={"pattern": r"^pk_(?:test|live)_[A-Za-z0-9]+$"},
    ),
]
WebhookSecret = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        examples=["whsec_ExampleOnly000000000000000"],
        description="the signing secret of the gateway's endpoint for `webhookUrl`; stored encrypted, never answered",
        json_schema_extra={"pattern": r"^whsec_[A-Za-z0-9+/=_-]+$"},
    ),
]


class PaymentGatewayConnect(Request):
    type: Literal["stripe"]
    secretKey: SecretKey
    publishableKey: PublishableKey
    webhookSecret: WebhookSecret


def api_base_url(event: APIGatewayProxyEventV2) -> str:
    """This API's own base URL, as the request reached it (API Gateway says https in
    `x-forwarded-proto`; the local stack speaks http)."""
    host = event.headers.get("host", "")
    if not _HOST.fullmatch(host):
        host = event.request_context.domain_name
    scheme = "https" if event.headers.get("x-forwarded-proto", "").lower() == "https" else "http"
    return f"{scheme}://{host}"


def _wire(connection: connections.Connection) -> dict[str, Any]:
    scope = request.scope(router)
    webhook_url = api_base_url(router.current_event) + connections.webhook_path(scope.account_id)
    return connections.to_wire(connection, scope, webhook_url)


@router.post(
    "/v1/payment_gateway",
    summary="Connect the payment gateway for this mode (replaces a connected one)",
    description=(
        "The keys are checked with one call to the gateway (400 `payment_gateway_keys_invalid` naming "
        "`secretKey` when it refuses them; 503 when it cannot be reached), then stored encrypted. Test and "
        "live mode are connected apart: a key of the other mode is a 400 naming its field. Give `webhookUrl` "
        "to the gateway and its signing secret as `webhookSecret`."
    ),
    tags=TAGS,
    responses=ok("PaymentGateway"),
)
def connect(body: Annotated[PaymentGatewayConnect, Body()]) -> Any:
    connection = connections.connect(
        request.scope(router),
        type=body.type,
        secret_key=body.secretKey,
        publishable_key=body.publishableKey,
        webhook_secret=body.webhookSecret,
        table=request.table(router),
        request=request.info(router),
    )
    return json_response(_wire(connection))


@router.get(
    "/v1/payment_gateway",
    summary="Retrieve the connected payment gateway (never its secrets)",
    description="404 when none is connected in this mode.",
    tags=TAGS,
    responses=ok("PaymentGateway"),
)
def retrieve() -> Any:
    return _wire(connections.require_connection(request.scope(router), table=request.table(router)))


@router.delete(
    "/v1/payment_gateway",
    summary="Disconnect the payment gateway for this mode",
    description=(
        "404 when none is connected. Live mode then takes and moves no money (409 "
        "`payment_gateway_not_configured`); test mode goes back to the simulator."
    ),
    tags=TAGS,
    responses=ok("DeletedPaymentGateway"),
)
def disconnect() -> Any:
    scope = request.scope(router)
    removed = connections.disconnect(scope, table=request.table(router), request=request.info(router))
    return {"id": removed.id, "object": "payment_gateway", "deleted": True, "livemode": scope.livemode}
