"""Portal configurations: what the hosted portal offers a customer."""

from __future__ import annotations

import re
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from billing.kernel.errors import InvalidRequest
from billing.portal import portalconfigs
from billing.portal.portalconfigs import (
    CancellationReason,
    CancelMode,
    CustomerUpdateField,
    PaymentMethodType,
    ProrationBehavior,
    ScheduleCondition,
    SubscriptionUpdateField,
)
from merchant_api import request
from merchant_api.models import EndingBefore, Limit, Metadata, NullRefused, Request, StartingAfter, StrictBool, any_case
from merchant_api.responses import ok
from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
ConfigurationId = Annotated[
    str,
    Path(alias="configuration", pattern=r"^(default|bpc_[A-Za-z0-9]{1,40})$", description="`default` or a `bpc_…` ID"),
]
CatalogId = Annotated[str, Field(min_length=1, max_length=portalconfigs.ID_MAX)]
CATALOG_ID_SCHEMA = {"type": "string", "minLength": 1, "maxLength": portalconfigs.ID_MAX}


# https with an ASCII host (an internationalised one in punycode) and no user name or password,
# as the customer's browser will read it; no spaces. The route holds a link to it, so that what the
# schema states is what is taken.
LINK_PATTERN = rf"^{any_case('https')}://[A-Za-z0-9._~%!$&'()*+,;=-]+(?::[0-9]*)?(?:[/?#]\S*)?$"
_LINK = re.compile(LINK_PATTERN)


def _https(value: str) -> str:
    try:
        if not _LINK.match(value):
            raise InvalidRequest("not an https URL", param="url")
        return portalconfigs.validate_https_url(value, "url")
    except (InvalidRequest, ValueError):  # urlsplit's own ValueError too ("Invalid IPv6 URL", …)
        raise ValueError("an https URL is expected.") from None


def _product_object(value: Any) -> Any:
    return {"product": value} if isinstance(value, str) else value


HttpsUrl = Annotated[
    str,
    Field(max_length=portalconfigs.URL_MAX),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": portalconfigs.URL_MAX,
            "pattern": LINK_PATTERN,
            "examples": ["https://example.com/privacy"],
        }
    ),
    AfterValidator(_https),
]


class PortalBusinessProfile(Request):
    headline: Annotated[str, Field(max_length=portalconfigs.HEADLINE_MAX)] | None = None
    privacyPolicyUrl: HttpsUrl | None = None
    termsOfServiceUrl: HttpsUrl | None = None


# In `features`, a field has no null: omit it to keep what is stored (only `retention` is null
# for none). The service refuses a null, naming the field.
class PortalCustomerUpdate(Request):
    enabled: Annotated[StrictBool | None, NullRefused] = None
    allowedUpdates: Annotated[list[CustomerUpdateField] | None, NullRefused] = None


class PortalInvoiceHistory(Request):
    enabled: Annotated[StrictBool | None, NullRefused] = None


class PortalPaymentMethodUpdate(Request):
    enabled: Annotated[StrictBool | None, NullRefused] = None
    types: Annotated[list[PaymentMethodType] | None, NullRefused] = None


class PortalCancellationReason(Request):
    enabled: Annotated[StrictBool | None, NullRefused] = None
    options: Annotated[list[CancellationReason] | None, NullRefused] = None


class PortalRetention(Request):
    offerCoupon: Annotated[CatalogId, Field(examples=["rwd_save20"])]


class PortalSubscriptionCancel(Request):
    enabled: Annotated[StrictBool | None, NullRefused] = None
    mode: Annotated[CancelMode | None, NullRefused] = None
    prorationBehavior: Annotated[ProrationBehavior | None, NullRefused] = None
    cancellationReason: Annotated[PortalCancellationReason | None, NullRefused] = None
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
                {**CATALOG_ID_SCHEMA, "examples": ["prod_basic"]},
                {
                    "type": "object",
                    "properties": {
                        "product": CATALOG_ID_SCHEMA,
                        "prices": {"type": "array", "items": CATALOG_ID_SCHEMA, "maxItems": portalconfigs.MAX_PRICES},
                    },
                    "required": ["product"],
                    "additionalProperties": False,
                },
            ]
        }
    ),
]


class PortalScheduleAtPeriodEnd(Request):
    conditions: Annotated[list[ScheduleCondition] | None, NullRefused] = None


class PortalSubscriptionUpdate(Request):
    enabled: Annotated[StrictBool | None, NullRefused] = None
    products: Annotated[
        Annotated[list[ProductEntry], Field(max_length=portalconfigs.MAX_PRODUCTS)] | None, NullRefused
    ] = None
    allowedUpdates: Annotated[list[SubscriptionUpdateField] | None, NullRefused] = None
    prorationBehavior: Annotated[ProrationBehavior | None, NullRefused] = None
    scheduleAtPeriodEnd: Annotated[PortalScheduleAtPeriodEnd | None, NullRefused] = None


class PortalFeatures(Request):
    customerUpdate: Annotated[PortalCustomerUpdate | None, NullRefused] = None
    invoiceHistory: Annotated[PortalInvoiceHistory | None, NullRefused] = None
    paymentMethodUpdate: Annotated[PortalPaymentMethodUpdate | None, NullRefused] = None
    subscriptionCancel: Annotated[PortalSubscriptionCancel | None, NullRefused] = None
    subscriptionUpdate: Annotated[PortalSubscriptionUpdate | None, NullRefused] = None


class PortalLoginPage(Request):
    enabled: Annotated[
        StrictBool | None, NullRefused, Field(description="a public sign-in page (email and a one-time code)")
    ] = None


class PortalConfigurationCreate(Request):
    """Omitted parts get the defaults (those of the `default` configuration). `name` and the
    business profile's fields take null (none); `businessProfile`, `features` and `metadata`
    do not: omit them to keep what is stored (a metadata key set to null or "" is removed)."""

    name: Annotated[str, Field(max_length=portalconfigs.NAME_MAX)] | None = None
    businessProfile: Annotated[PortalBusinessProfile | None, NullRefused] = None
    features: Annotated[PortalFeatures | None, NullRefused] = None
    metadata: Annotated[Metadata | None, NullRefused] = None
    loginPage: Annotated[PortalLoginPage | None, NullRefused] = None


class PortalConfigurationUpdate(PortalConfigurationCreate):
    """Partial: each object given is merged field by field over the stored one."""


def _fields(body: PortalConfigurationCreate) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True, mode="json")


@router.post(
    "/v1/billing/portal_configurations",
    summary="Create a portal configuration",
    tags=["Portal"],
    responses=ok("PortalConfiguration"),
)
def create_configuration(body: Annotated[PortalConfigurationCreate, Body()]) -> Any:
    scope = request.scope(router)
    table = request.table(router)
    configuration = portalconfigs.create(scope, _fields(body), request.info(router), table=table)
    return json_response(
        portalconfigs.to_wire(configuration, scope, domain=portalconfigs.portal_domain(scope, table=table))
    )


@router.get(
    "/v1/billing/portal_configurations",
    summary="List portal configurations",
    tags=["Portal"],
    responses=ok("PortalConfigurationList"),
)
def list_configurations(
    limit: Limit = 10, startingAfter: StartingAfter = None, endingBefore: EndingBefore = None
) -> Any:
    return portalconfigs.list_configurations(
        request.scope(router),
        limit=limit,
        starting_after=startingAfter,
        ending_before=endingBefore,
        table=request.table(router),
    )


@router.get(
    "/v1/billing/portal_configurations/<configuration>",
    summary="Retrieve a portal configuration",
    tags=["Portal"],
    responses=ok("PortalConfiguration"),
)
def get_configuration(configuration_id: ConfigurationId) -> Any:
    scope, table = request.scope(router), request.table(router)
    configuration = portalconfigs.get(scope, configuration_id, request.info(router), table=table)
    return portalconfigs.to_wire(configuration, scope, domain=portalconfigs.portal_domain(scope, table=table))


@router.post(
    "/v1/billing/portal_configurations/<configuration>",
    summary="Update a portal configuration (partial)",
    tags=["Portal"],
    responses=ok("PortalConfiguration"),
)
def update_configuration(configuration_id: ConfigurationId, body: Annotated[PortalConfigurationUpdate, Body()]) -> Any:
    scope = request.scope(router)
    table = request.table(router)
    configuration = portalconfigs.update(scope, configuration_id, _fields(body), request.info(router), table=table)
    return portalconfigs.to_wire(configuration, scope, domain=portalconfigs.portal_domain(scope, table=table))
