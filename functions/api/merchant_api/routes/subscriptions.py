"""Subscriptions: create, change, cancel."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from billing.portal.portalconfigs import CancellationReason
from billing.subscriptions import changes as subscription_changes
from billing.subscriptions import subscriptions
from merchant_api import request
from merchant_api.models import (
    EndingBefore,
    Limit,
    Metadata,
    NullRefused,
    Request,
    StartingAfter,
    StrictBool,
    WholeNumber,
)
from merchant_api.responses import ok
from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
ObjectRef = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
CustomerQuery = Annotated[str | None, Query(pattern=r"^cust_[A-Za-z0-9]{1,40}$")]


class SubscriptionItem(Request):
    price: ObjectRef
    quantity: Annotated[int, Field(ge=1, le=10_000, strict=True), WholeNumber] = 1


class SubscriptionCreate(Request):
    customer: Annotated[str, Field(pattern=r"^cust_[A-Za-z0-9]{1,40}$")]
    items: Annotated[list[SubscriptionItem], Field(min_length=1, max_length=20)]
    coupon: ObjectRef | None = None
    defaultPaymentMethod: Annotated[str, Field(pattern=r"^pm_[A-Za-z0-9]{1,40}$")] | None = None
    trialDays: Annotated[int, Field(ge=1, le=730, strict=True), WholeNumber] | None = None
    metadata: Metadata | None = None


class CancellationDetails(Request):
    reason: CancellationReason | None = None
    comment: Annotated[str, Field(max_length=500)] | None = None


class SubscriptionUpdate(Request):
    items: Annotated[Annotated[list[SubscriptionItem], Field(min_length=1, max_length=20)] | None, NullRefused] = None
    prorationBehavior: Literal["create_prorations", "none", "always_invoice"] = "create_prorations"
    cancelAtPeriodEnd: StrictBool | None = None
    coupon: ObjectRef | Literal[""] | None = None
    defaultPaymentMethod: Annotated[str, Field(pattern=r"^pm_[A-Za-z0-9]{1,40}$")] | None = None
    cancellationDetails: CancellationDetails | None = None
    metadata: Annotated[Metadata | None, NullRefused] = None


SubscriptionId = Annotated[str, Path(alias="subscription", pattern=r"^sub_[A-Za-z0-9]{1,40}$")]


@router.post(
    "/v1/subscriptions",
    summary="Create a subscription (invoices and charges the first period)",
    description=(
        "First payment declined or failed: 200 with `status: incomplete` and its first invoice open; paying that"
        " invoice makes it `active`; unpaid 23 hours after its creation it is `incomplete_expired` (the invoice"
        " voided), as Stripe's. A failed renewal goes `past_due` instead."
    ),
    tags=["Subscriptions"],
    responses=ok("Subscription"),
)
def create_subscription(body: Annotated[SubscriptionCreate, Body()]) -> Any:
    scope = request.scope(router)
    sub = subscriptions.create(
        scope, body.model_dump(exclude_unset=True), request.info(router), table=request.table(router)
    )
    return json_response(subscriptions.to_wire(sub, scope))


@router.get("/v1/subscriptions", summary="List subscriptions", tags=["Subscriptions"], responses=ok("SubscriptionList"))
def list_subscriptions(
    limit: Limit = 10,
    startingAfter: StartingAfter = None,
    endingBefore: EndingBefore = None,
    customer: CustomerQuery = None,
    status: Annotated[
        Literal["incomplete", "incomplete_expired", "trialing", "active", "past_due", "unpaid", "canceled"] | None,
        Query(),
    ] = None,
) -> Any:
    return subscriptions.list_subscriptions(
        request.scope(router),
        limit=limit,
        starting_after=startingAfter,
        ending_before=endingBefore,
        customer=customer,
        status=status,
        table=request.table(router),
    )


@router.post(
    "/v1/subscriptions/<subscription>",
    summary="Change prices or quantities (with proration), apply a coupon, cancel at period end",
    tags=["Subscriptions"],
    responses=ok("Subscription"),
)
def update_subscription(sub_id: SubscriptionId, body: Annotated[SubscriptionUpdate, Body()]) -> Any:
    scope = request.scope(router)
    fields = body.model_dump(exclude_unset=True, mode="json")
    fields.setdefault("prorationBehavior", "create_prorations")
    return subscriptions.to_wire(
        subscription_changes.update(scope, sub_id, fields, request.info(router), table=request.table(router)), scope
    )


@router.delete(
    "/v1/subscriptions/<subscription>",
    summary="Cancel a subscription now",
    tags=["Subscriptions"],
    responses=ok("Subscription"),
)
def cancel_subscription(
    sub_id: SubscriptionId,
    prorate: Annotated[bool, Query(description="credit the unused time on a final invoice")] = False,
    invoiceNow: Annotated[bool, Query(description="invoice pending proration items now")] = False,
) -> Any:
    scope = request.scope(router)
    sub = subscriptions.cancel(
        scope, sub_id, request.info(router), prorate=prorate, invoice_now=invoiceNow, table=request.table(router)
    )
    return subscriptions.to_wire(sub, scope)


@router.get(
    "/v1/subscriptions/<subscription>",
    summary="Retrieve a subscription",
    tags=["Subscriptions"],
    responses=ok("Subscription"),
)
def get_subscription(sub_id: SubscriptionId) -> Any:
    scope = request.scope(router)
    return subscriptions.to_wire(subscriptions.get(scope, sub_id, table=request.table(router)), scope)
