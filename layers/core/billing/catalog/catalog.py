"""Products, prices and coupons: what a merchant sells and the discounts it gives.

Product and coupon IDs may be the merchant's own (prod_basic, rwd_save20). Prices and coupons are
immutable in what they charge; a new price replaces an old one. Products and prices are updated
in the rest (`update_product`, `update_price`) and archived with `active: false`: no new
subscription or plan switch takes them, the portal offers them no more, and the subscriptions
that have them keep them (their items hold the amounts and descriptions they were made with).
The items and their list indexes are `billing.catalog.store`'s; the wire forms `billing.catalog.wire`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import msgspec.structs

from billing.catalog import store as catalog_store
from billing.catalog.records import Coupon, Price, Product, Recurring
from billing.catalog.wire import coupon_to_wire, price_to_wire, product_to_wire
from billing.events import events
from billing.kernel import clock
from billing.kernel.errors import AlreadyExists, InvalidRequest, NotFound
from billing.kernel.ids import sortable_id, time_prefix
from billing.kernel.metadata import merge_metadata
from billing.kernel.money import validate_currency
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Cancelled, Put, Table, UnitOfWork, Update

INTERVAL_LIMITS = {"day": 365, "week": 52, "month": 12, "year": 1}
# The fields a merchant may update, by their wire name → the record's field.
PRODUCT_UPDATABLE = {"name": "name", "description": "description", "active": "active", "metadata": "metadata"}
PRICE_UPDATABLE = {"nickname": "nickname", "active": "active"}
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
    try:
        change.add(op, events.event_op(event)).commit()
    except Cancelled as error:
        if error.reasons and error.reasons[0][0] == "ConditionalCheckFailed":  # `op`'s: the ID is taken
            raise AlreadyExists(error.message, param="id") from error
        raise
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


# Fields an update may leave out but never set to null (the API's models state it: `NullRefused`).
NOT_NULL = ("name", "active")


def _changes(updatable: Mapping[str, str], fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(updatable))
    if unknown:
        raise InvalidRequest(f"Received unknown parameter: {unknown[0]}.", param=unknown[0], code="parameter_unknown")
    for name in NOT_NULL:
        if name in fields and fields[name] is None:
            raise InvalidRequest(f"{name} cannot be null.", param=name, code="parameter_invalid")
    return {updatable[name]: value for name, value in fields.items()}


def _update(
    scope: Scope,
    before: R,
    after: R,
    op: Update,
    wire: Callable[[R, Scope], dict[str, Any]],
    event_type: str,
    request: RequestInfo,
    table: Table,
    what: str,
) -> R:
    before_wire, after_wire = wire(before, scope), wire(after, scope)
    event = events.event_item(
        scope, event_type, after_wire, request, previous=events.previous_attributes(before_wire, after_wire)
    )
    change = UnitOfWork(table, request, conflict_message=f"The {what} was changed by another request; retry.")
    change.add(op, events.event_op(event)).commit()
    return after


def update_product(
    scope: Scope, product_id: str, fields: Mapping[str, Any], request: RequestInfo, *, table: Table
) -> Product:
    """Name, description, metadata or `active` (false: archived) changed, with `product.updated`."""
    changes = _changes(PRODUCT_UPDATABLE, fields)
    if "name" in changes and not (isinstance(changes["name"], str) and changes["name"].strip()):
        raise InvalidRequest("A product's name cannot be empty.", param="name")
    current = get_product(scope, product_id, table=table)
    if "metadata" in changes:
        changes["metadata"] = merge_metadata(current.metadata, changes["metadata"] or {})
    changes = {name: value for name, value in changes.items() if getattr(current, name) != value}
    if not changes:
        return current
    after = msgspec.structs.replace(current, **changes, version=current.version + 1)
    op = catalog_store.update_product(scope, current, after)
    updated = _update(scope, current, after, op, product_to_wire, "product.updated", request, table, "product")
    catalog_store.remember(table, catalog_store.product_to_item(scope, updated))
    return updated


def get_product(scope: Scope, product_id: str, *, table: Table) -> Product:
    return _found(catalog_store.get_product(table, scope, product_id), product_id, "product")


def list_products(
    scope: Scope, *, limit: int, starting_after: str | None, ending_before: str | None = None, table: Table
) -> dict[str, Any]:
    return catalog_store.products_page(
        table,
        scope,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
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


def update_price(
    scope: Scope, price_id: str, fields: Mapping[str, Any], request: RequestInfo, *, table: Table
) -> Price:
    """Nickname or `active` (false: archived) changed, with `price.updated`; what it charges never changes."""
    changes = _changes(PRICE_UPDATABLE, fields)
    current = get_price(scope, price_id, table=table)
    changes = {name: value for name, value in changes.items() if getattr(current, name) != value}
    if not changes:
        return current
    if changes.get("active") and not get_product(scope, current.product, table=table).active:
        raise InvalidRequest("The price's product is archived: make it active first.", param="active")
    after = msgspec.structs.replace(current, **changes, version=current.version + 1)
    op = catalog_store.update_price(scope, current, after)
    updated = _update(scope, current, after, op, price_to_wire, "price.updated", request, table, "price")
    catalog_store.remember(table, catalog_store.price_to_item(scope, updated))
    return updated


def get_price(scope: Scope, price_id: str, *, table: Table, param: str = "price") -> Price:
    return _found(catalog_store.get_price(table, scope, price_id), price_id, param)


def list_prices(
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    ending_before: str | None = None,
    product: str | None = None,
    table: Table,
) -> dict[str, Any]:
    return catalog_store.prices_page(
        table,
        scope,
        product=product,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
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
