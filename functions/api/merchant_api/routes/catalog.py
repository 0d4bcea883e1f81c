"""Products, prices, coupons and tax rates."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BeforeValidator, Field

from billing.catalog import catalog, taxrates
from merchant_api import request
from merchant_api.models import (
    Country,
    Currency,
    EndingBefore,
    Limit,
    Metadata,
    NullRefused,
    Request,
    ShortText,
    StartingAfter,
    StrictBool,
    WholeNumber,
    percent_schema,
    plain_decimal,
)
from merchant_api.responses import ok
from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
CustomId = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# A product, price or coupon ID in a path: what the catalog's IDs are made of (a custom one is a
# CustomId, a generated one `prod_…`/`price_…`/`coupon_…`).
# Each path parameter named for its object (merchant_api.wire.PATH_OBJECTS; tests/integration/test_api_errors.py)
ProductId = Annotated[str, Path(alias="product", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
PriceId = Annotated[str, Path(alias="price", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
CouponId = Annotated[str, Path(alias="coupon", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
PercentOff = Annotated[
    Decimal,
    Field(gt=0, le=100, decimal_places=2),
    BeforeValidator(plain_decimal),
    percent_schema(places=2, above_zero=True, description="above 0 and at most 100, with at most 2 decimals"),
]
Percentage = Annotated[
    Decimal,
    Field(ge=0, le=100, decimal_places=4),
    BeforeValidator(plain_decimal),
    percent_schema(places=4, above_zero=False, description="0 to 100, with at most 4 decimals"),
]


class ProductCreate(Request):
    id: Annotated[CustomId, Field(pattern=r"^prod_[A-Za-z0-9_-]+$", examples=["prod_pro"])] | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=2000)] | None = None
    active: StrictBool = True
    metadata: Metadata | None = None


class ProductUpdate(Request):
    name: Annotated[Annotated[str, Field(min_length=1, max_length=200)] | None, NullRefused] = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    active: Annotated[StrictBool | None, NullRefused] = None
    metadata: Metadata | None = None


class PriceUpdate(Request):
    nickname: ShortText | None = None
    active: Annotated[StrictBool | None, NullRefused] = None


class Recurring(Request):
    interval: Literal["day", "week", "month", "year"]
    intervalCount: Annotated[int, Field(ge=1, le=365, strict=True), WholeNumber] = 1


class PriceCreate(Request):
    product: Annotated[str, Field(min_length=1, max_length=64)]
    unitAmount: Annotated[int, Field(ge=0, le=99_999_999_999, strict=True), WholeNumber]
    currency: Currency
    recurring: Recurring
    nickname: ShortText | None = None
    active: StrictBool = True


class CouponCreate(Request):
    id: CustomId | None = None
    name: ShortText | None = None
    percentOff: PercentOff | None = None
    amountOff: Annotated[int, Field(gt=0, strict=True), WholeNumber] | None = None
    currency: Currency | None = None
    duration: Literal["once", "repeating", "forever"]
    durationInMonths: Annotated[int, Field(ge=1, le=120, strict=True), WholeNumber] | None = None


class TaxRateCreate(Request):
    country: Country
    state: Annotated[str, Field(min_length=1, max_length=10)] | None = None
    percentage: Percentage
    displayName: Annotated[str, Field(min_length=1, max_length=50)]
    inclusive: StrictBool = False


@router.post("/v1/products", summary="Create a product", tags=["Catalog"], responses=ok("Product"))
def create_product(body: Annotated[ProductCreate, Body()]) -> Any:
    scope = request.scope(router)
    product = catalog.create_product(
        scope, body.model_dump(exclude_unset=True), request.info(router), table=request.table(router)
    )
    return json_response(catalog.product_to_wire(product, scope))


@router.get("/v1/products", summary="List products", tags=["Catalog"], responses=ok("ProductList"))
def list_products(limit: Limit = 10, startingAfter: StartingAfter = None, endingBefore: EndingBefore = None) -> Any:
    return catalog.list_products(
        request.scope(router),
        limit=limit,
        starting_after=startingAfter,
        ending_before=endingBefore,
        table=request.table(router),
    )


@router.get("/v1/products/<product>", summary="Retrieve a product", tags=["Catalog"], responses=ok("Product"))
def get_product(product_id: ProductId) -> Any:
    scope = request.scope(router)
    return catalog.product_to_wire(catalog.get_product(scope, product_id, table=request.table(router)), scope)


@router.post(
    "/v1/products/<product>",
    summary="Update a product (partial); `active: false` archives it",
    description=(
        "Changes the name, description, metadata (keys merge; an empty or null value removes a key) or "
        "`active`. An archived product (`active: false`) is offered to no new subscription or plan switch "
        "(400 naming the price) and no longer in the portal's plan choices; subscriptions that have it keep "
        "it, renewing as before. Answers `product.updated`."
    ),
    tags=["Catalog"],
    responses=ok("Product"),
)
def update_product(product_id: ProductId, body: Annotated[ProductUpdate, Body()]) -> Any:
    scope = request.scope(router)
    fields = body.model_dump(exclude_unset=True)
    product = catalog.update_product(scope, product_id, fields, request.info(router), table=request.table(router))
    return catalog.product_to_wire(product, scope)


@router.post("/v1/prices", summary="Create a recurring price", tags=["Catalog"], responses=ok("Price"))
def create_price(body: Annotated[PriceCreate, Body()]) -> Any:
    scope = request.scope(router)
    price = catalog.create_price(
        scope, body.model_dump(exclude_unset=True), request.info(router), table=request.table(router)
    )
    return json_response(catalog.price_to_wire(price, scope))


@router.get("/v1/prices", summary="List prices, optionally of one product", tags=["Catalog"], responses=ok("PriceList"))
def list_prices(
    limit: Limit = 10,
    startingAfter: StartingAfter = None,
    endingBefore: EndingBefore = None,
    product: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    return catalog.list_prices(
        request.scope(router),
        limit=limit,
        starting_after=startingAfter,
        ending_before=endingBefore,
        product=product,
        table=request.table(router),
    )


@router.get("/v1/prices/<price>", summary="Retrieve a price", tags=["Catalog"], responses=ok("Price"))
def get_price(price_id: PriceId) -> Any:
    scope = request.scope(router)
    return catalog.price_to_wire(catalog.get_price(scope, price_id, table=request.table(router)), scope)


@router.post(
    "/v1/prices/<price>",
    summary="Update a price (partial); `active: false` archives it",
    description=(
        "Changes the nickname or `active`; what a price charges never changes (create a new price). An "
        "archived price is offered to no new subscription or plan switch and no longer in the portal's plan "
        "choices; subscriptions that have it keep it. A price of an archived product cannot be made active. "
        "Answers `price.updated`."
    ),
    tags=["Catalog"],
    responses=ok("Price"),
)
def update_price(price_id: PriceId, body: Annotated[PriceUpdate, Body()]) -> Any:
    scope = request.scope(router)
    fields = body.model_dump(exclude_unset=True)
    price = catalog.update_price(scope, price_id, fields, request.info(router), table=request.table(router))
    return catalog.price_to_wire(price, scope)


@router.post("/v1/coupons", summary="Create a coupon", tags=["Catalog"], responses=ok("Coupon"))
def create_coupon(body: Annotated[CouponCreate, Body()]) -> Any:
    scope = request.scope(router)
    fields = body.model_dump(exclude_unset=True)
    if fields.get("percentOff") is not None:
        fields["percentOff"] = float(fields["percentOff"])
    coupon = catalog.create_coupon(scope, fields, request.info(router), table=request.table(router))
    return json_response(catalog.coupon_to_wire(coupon, scope))


@router.get("/v1/coupons/<coupon>", summary="Retrieve a coupon", tags=["Catalog"], responses=ok("Coupon"))
def get_coupon(coupon_id: CouponId) -> Any:
    scope = request.scope(router)
    return catalog.coupon_to_wire(catalog.get_coupon(scope, coupon_id, table=request.table(router)), scope)


@router.post("/v1/tax_rates", summary="Create a tax rate", tags=["Tax"], responses=ok("TaxRate"))
def create_tax_rate(body: Annotated[TaxRateCreate, Body()]) -> Any:
    scope = request.scope(router)
    rate = taxrates.create(
        scope, body.model_dump(exclude_unset=True), request.info(router), table=request.table(router)
    )
    return json_response(taxrates.to_wire(rate, scope))


@router.get("/v1/tax_rates", summary="List tax rates", tags=["Tax"], responses=ok("TaxRateList"))
def list_tax_rates(limit: Limit = 10, startingAfter: StartingAfter = None, endingBefore: EndingBefore = None) -> Any:
    return taxrates.list_rates(
        request.scope(router),
        limit=limit,
        starting_after=startingAfter,
        ending_before=endingBefore,
        table=request.table(router),
    )
