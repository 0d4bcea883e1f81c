"""Products, prices and coupons: what a merchant sells and the discounts it gives.

Product and coupon IDs may be the merchant's own (prod_basic, rwd_save20). Prices and coupons are
immutable in what they charge; a new price replaces an old one. The items and their list indexes
are `billing.catalog.store`'s; the wire forms `billing.catalog.wire`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from billing.catalog import store as catalog_store
from billing.catalog.records import Coupon, Price, Product, Recurring
from billing.catalog.wire import coupon_to_wire, price_to_wire, product_to_wire
from billing.events import events
from billing.kernel import clock
from billing.kernel.errors import InvalidRequest, NotFound
from billing.kernel.ids import sortable_id, time_prefix
from billing.kernel.money import validate_currency
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Put, Table, UnitOfWork

INTERVAL_LIMITS = {"day": 365, "week": 52, "month": 12, "year": 1}
R = TypeVar("R", Product, Price, Coupon)


def _create(
    scope: Scope,
    record: R,
    op: Put,
    wire: Callable[[R, Scope], dict[str, Any]],
    event_type: str,
    request: RequestInfo,
    table: Table,
    what: str,
) -> R:
    event = events.event_item(scope, event_type, wire(record, scope), request)
    change = UnitOfWork(table, request, conflict_message=f"A {what} with ID '{record.id}' already exists.")
    change.add(op, events.event_op(event)).commit()
    return record


def _found(record: R | None, object_id: str, param: str) -> R:
    if record is None:
        raise NotFound(f"No such {param}: '{object_id}'.", param=param)
    return record


# ------------------------------------------------------------------ products
def create_product(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Product:
    product = Product(
        id=fields.get("id") or sortable_id("prod"),
        name=fields["name"],
        description=fields.get("description"),
        active=fields.get("active", True),
        metadata=fields.get("metadata") or {},
        created_at=clock.to_wire(clock.now()),
        created_order=time_prefix(),
    )
    op = catalog_store.insert_product(scope, product)
    return _create(scope, product, op, product_to_wire, "product.created", request, table, "product")


def get_product(scope: Scope, product_id: str, *, table: Table) -> Product:
    return _found(catalog_store.get_product(table, scope, product_id), product_id, "product")


def list_products(scope: Scope, *, limit: int, starting_after: str | None, table: Table) -> dict[str, Any]:
    return catalog_store.products_page(
        table,
        scope,
        limit=limit,
        starting_after=starting_after,
        to_wire=lambda product: product_to_wire(product, scope),
    )


# ------------------------------------------------------------------ prices
def validate_recurring(recurring: Mapping[str, Any]) -> Recurring:
    interval = recurring.get("interval")
    count = recurring.get("intervalCount", 1)
    if interval not in INTERVAL_LIMITS:
        raise InvalidRequest("recurring.interval is one of day, week, month, year.", param="recurring.interval")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= INTERVAL_LIMITS[interval]:
        raise InvalidRequest(
            f"recurring.intervalCount for '{interval}' is 1 to {INTERVAL_LIMITS[interval]} (at most a year).",
            param="recurring.intervalCount",
        )
    return Recurring(interval=interval, interval_count=count)


def create_price(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Price:
    try:
        product = get_product(scope, fields["product"], table=table)
    except NotFound:
        raise InvalidRequest(f"No such product: '{fields['product']}'.", param="product") from None
    if not product.active:
        raise InvalidRequest("Prices can only be added to active products.", param="product")
    price = Price(
        id=sortable_id("price"),
        product=product.id,
        unit_amount=int(fields["unitAmount"]),
        currency=validate_currency(fields["currency"]),
        recurring=validate_recurring(fields["recurring"]),
        nickname=fields.get("nickname"),
        active=fields.get("active", True),
        created_at=clock.to_wire(clock.now()),
    )
    op = catalog_store.insert_price(scope, price)
    return _create(scope, price, op, price_to_wire, "price.created", request, table, "price")


def get_price(scope: Scope, price_id: str, *, table: Table, param: str = "price") -> Price:
    return _found(catalog_store.get_price(table, scope, price_id), price_id, param)


def list_prices(
    scope: Scope, *, limit: int, starting_after: str | None, product: str | None = None, table: Table
) -> dict[str, Any]:
    return catalog_store.prices_page(
        table,
        scope,
        product=product,
        limit=limit,
        starting_after=starting_after,
        to_wire=lambda price: price_to_wire(price, scope),
    )


def product_prices(scope: Scope, product_id: str, *, limit: int, table: Table) -> list[Price]:
    """The product's newest `limit` prices, active or not."""
    return catalog_store.product_prices(table, scope, product_id, limit=limit)


# ------------------------------------------------------------------ coupons
def create_coupon(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Coupon:
    percent, amount = fields.get("percentOff"), fields.get("amountOff")
    if (percent is None) == (amount is None):
        raise InvalidRequest("A coupon takes exactly one of percentOff and amountOff.", param="percentOff")
    currency = fields.get("currency")
    if amount is not None and not currency:
        raise InvalidRequest("amountOff needs a currency.", param="currency")
    if percent is not None and currency:
        raise InvalidRequest("currency goes with amountOff, not percentOff.", param="currency")
    duration = fields["duration"]
    months = fields.get("durationInMonths")
    if (duration == "repeating") != (months is not None):
        raise InvalidRequest(
            "durationInMonths is required with duration 'repeating' and only then.", param="durationInMonths"
        )
    coupon = Coupon(
        id=fields.get("id") or sortable_id("rwd"),
        name=fields.get("name"),
        percent_off=percent,
        amount_off=amount,
        currency=validate_currency(currency) if currency else None,
        duration=duration,
        duration_in_months=months,
        valid=True,
        created_at=clock.to_wire(clock.now()),
        created_order=time_prefix(),
    )
    op = catalog_store.insert_coupon(scope, coupon)
    return _create(scope, coupon, op, coupon_to_wire, "coupon.created", request, table, "coupon")


def get_coupon(scope: Scope, coupon_id: str, *, table: Table, param: str = "coupon") -> Coupon:
    return _found(catalog_store.get_coupon(table, scope, coupon_id), coupon_id, param)
