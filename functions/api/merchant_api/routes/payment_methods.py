"""A customer's payment methods (test tokens in test mode)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from billing.kernel import clock
from billing.payments import paymentmethods
from billing.subscriptions import collection
from merchant_api import request
from merchant_api.models import EndingBefore, Limit, Request, StartingAfter, StrictBool
from merchant_api.responses import ok
from merchant_api.routes.customers import CustomerId
from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
PaymentMethodId = Annotated[str, Path(alias="paymentMethod", pattern=r"^pm_[A-Za-z0-9]{1,40}$")]


class PaymentMethodAttach(Request):
    token: Annotated[
        str,
        Field(
            min_length=4,
            max_length=64,
            examples=["tok_visa", "tok_sepa_de", "pm_card_visa"],
            description=(
                "A test token of the test-mode simulator, or, with a payment gateway connected, the "
                "gateway's own payment method ID (Stripe: `pm_…`, made by Stripe.js or a Stripe test ID)"
            ),
        ),
    ]
    setDefault: StrictBool = False


@router.post(
    "/v1/customers/<customer>/payment_methods",
    summary="Attach a payment method",
    description=(
        "A card or bank account the customer already has (the same `fingerprint`) is refused: "
        "400 `payment_method_exists` naming `token`. In live mode, with no payment gateway connected: "
        "409 `payment_gateway_not_configured`. A method the gateway declines: 402 `card_declined`."
    ),
    tags=["Payment methods"],
    responses=ok("PaymentMethod"),
)
def attach(customer_id: CustomerId, body: Annotated[PaymentMethodAttach, Body()]) -> Any:
    scope = request.scope(router)
    details, behavior = paymentmethods.details_from_token(
        scope, body.token, clock.now(), customer_id=customer_id, table=request.table(router)
    )
    pm = collection.attach_payment_method(
        scope,
        customer_id,
        details,
        behavior,
        request.info(router),
        set_default=body.setDefault,
        table=request.table(router),
    )
    return json_response(paymentmethods.to_wire(pm, scope))


@router.get(
    "/v1/customers/<customer>/payment_methods",
    summary="List payment methods",
    tags=["Payment methods"],
    responses=ok("PaymentMethodList"),
)
def list_methods(
    customer_id: CustomerId, limit: Limit = 10, startingAfter: StartingAfter = None, endingBefore: EndingBefore = None
) -> Any:
    return paymentmethods.list_page(
        request.scope(router),
        customer_id,
        limit=limit,
        starting_after=startingAfter,
        ending_before=endingBefore,
        table=request.table(router),
    )


@router.delete(
    "/v1/customers/<customer>/payment_methods/<paymentMethod>",
    summary="Detach a payment method",
    tags=["Payment methods"],
    responses=ok("DeletedPaymentMethod"),
)
def detach(customer_id: CustomerId, pm_id: PaymentMethodId) -> Any:
    scope = request.scope(router)
    pm = collection.detach_payment_method(scope, customer_id, pm_id, request.info(router), table=request.table(router))
    return {**paymentmethods.to_wire(pm, scope), "deleted": True}


@router.post(
    "/v1/customers/<customer>/payment_methods/<paymentMethod>/default",
    summary="Make a payment method the default",
    tags=["Payment methods"],
    responses=ok("PaymentMethod"),
)
def make_default(customer_id: CustomerId, pm_id: PaymentMethodId) -> Any:
    scope = request.scope(router)
    paymentmethods.set_default(scope, customer_id, pm_id, request.info(router), table=request.table(router))
    collection.retry_with_new_default(scope, customer_id, pm_id, request.info(router), table=request.table(router))
    return paymentmethods.to_wire(paymentmethods.get(scope, customer_id, pm_id, table=request.table(router)), scope)
