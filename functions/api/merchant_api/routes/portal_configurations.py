"""Portal configurations: what the hosted portal offers a customer."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from billing import portalconfigs
from billing.errors import InvalidRequest
from billing.portalconfigs import (
    CancellationReason,
    CancelMode,
    CustomerUpdateField,
    PaymentMethodType,
    ProrationBehavior,
    ScheduleCondition,
    SubscriptionUpdateField,
)
from merchant_api import request
from merchant_api.models import Limit, Metadata, Request, StartingAfter, StrictBool
from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
ConfigurationId = Annotated[
    str, Path(pattern=r"^(default|bpc_[A-Za-z0-9]{1,40})$", description="`default` or a `bpc_…` ID")
]
CatalogId = Annotated[str, Field(min_length=1, max_length=portalconfigs.ID_MAX)]


def _https(value: str) -> str:
    try:
        return portalconfigs.validate_https_url(value, "url")
    except InvalidRequest:
        raise ValueError("an https URL is expected.") from None


def _product_object(value: Any) -> Any:
    return {"product": value} if isinstance(value, str) else value


HttpsUrl = Annotated[str, Field(max_length=portalconfigs.URL_MAX), AfterValidator(_https)]


class PortalBusinessProfile(Request):
    headline: Annotated[str, Field(max_length=portalconfigs.HEADLINE_MAX)] | None = None
    privacyPolicyUrl: HttpsUrl | None = None
    termsOfServiceUrl: HttpsUrl | None = None


class PortalCustomerUpdate(Request):
    enabled: StrictBool | None = None
    allowedUpdates: list[CustomerUpdateField] | None = None


class PortalInvoiceHistory(Request):
    enabled: StrictBool | None = None


class PortalPaymentMethodUpdate(Request):
    enabled: StrictBool | None = None
    types: list[PaymentMethodType] | None = None


class PortalCancellationReason(Request):
    enabled: StrictBool | None = None
    options: list[CancellationReason] | None = None


class PortalRetention(Request):
    offerCoupon: Annotated[CatalogId, Field(examples=["rwd_save20"])]


class PortalSubscriptionCancel(Request):
    enabled: StrictBool | None = None
    mode: CancelMode | None = None
    prorationBehavior: ProrationBehavior | None = None
    cancellationReason: PortalCancellationReason | None = None
    retention: Annotated[
        PortalRetention | None, Field(description="a coupon offered before cancelling; null for none")
    ] = None


class PortalProductPrices(Request):
    product: CatalogId
    prices: Annotated[
        list[CatalogId],
        Field(
            default_factory=list,
            max_length=portalconfigs.MAX_PRICES,
            description="the prices offered; [] = every active recurring price",
        ),
    ]


# A product ID, or `{product, prices}`; both are answered as `{product, prices}`.
ProductEntry = Annotated[
    PortalProductPrices,
    BeforeValidator(_product_object),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "examples": ["prod_basic"]},
                {
                    "type": "object",
                    "properties": {
                        "product": {"type": "string"},
                        "prices": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["product"],
                    "additionalProperties": False,
                },
            ]
        }
    ),
]


class PortalScheduleAtPeriodEnd(Request):
    conditions: list[ScheduleCondition] | None = None


class PortalSubscriptionUpdate(Request):
    enabled: StrictBool | None = None
    products: Annotated[list[ProductEntry], Field(max_length=portalconfigs.MAX_PRODUCTS)] | None = None
    allowedUpdates: list[SubscriptionUpdateField] | None = None
    prorationBehavior: ProrationBehavior | None = None
    scheduleAtPeriodEnd: PortalScheduleAtPeriodEnd | None = None


class PortalFeatures(Request):
    customerUpdate: PortalCustomerUpdate | None = None
    invoiceHistory: PortalInvoiceHistory | None = None
    paymentMethodUpdate: PortalPaymentMethodUpdate | None = None
    subscriptionCancel: PortalSubscriptionCancel | None = None
    subscriptionUpdate: PortalSubscriptionUpdate | None = None


class PortalConfigurationCreate(Request):
    """Omitted parts get the defaults (those of the `default` configuration)."""

    name: Annotated[str, Field(max_length=portalconfigs.NAME_MAX)] | None = None
    businessProfile: PortalBusinessProfile | None = None
    features: PortalFeatures | None = None
    metadata: Metadata | None = None


class PortalConfigurationUpdate(PortalConfigurationCreate):
    """Partial: each object given is merged field by field over the stored one."""


def _fields(body: PortalConfigurationCreate) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True, mode="json")


@router.post("/v1/billing/portal_configurations", summary="Create a portal configuration", tags=["Portal"])
def create_configuration(body: Annotated[PortalConfigurationCreate, Body()]) -> Any:
    scope = request.scope(router)
    item = portalconfigs.create(scope, _fields(body), request.info(router))
    return json_response(portalconfigs.to_wire(item, scope))


@router.get("/v1/billing/portal_configurations", summary="List portal configurations", tags=["Portal"])
def list_configurations(limit: Limit = 10, startingAfter: StartingAfter = None) -> Any:
    return portalconfigs.list_configurations(request.scope(router), limit=limit, starting_after=startingAfter)


@router.get(
    "/v1/billing/portal_configurations/<configuration_id>", summary="Retrieve a portal configuration", tags=["Portal"]
)
def get_configuration(configuration_id: ConfigurationId) -> Any:
    scope = request.scope(router)
    return portalconfigs.to_wire(portalconfigs.get(scope, configuration_id, request.info(router)), scope)


@router.post(
    "/v1/billing/portal_configurations/<configuration_id>",
    summary="Update a portal configuration (partial)",
    tags=["Portal"],
)
def update_configuration(configuration_id: ConfigurationId, body: Annotated[PortalConfigurationUpdate, Body()]) -> Any:
    scope = request.scope(router)
    item = portalconfigs.update(scope, configuration_id, _fields(body), request.info(router))
    return portalconfigs.to_wire(item, scope)
