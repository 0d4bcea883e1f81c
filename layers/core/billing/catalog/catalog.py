"""Products, prices and coupons: what a merchant sells and the discounts it gives.

Items (all under the scope):
  PROD#<prod> / PRODUCT      gsi2 PRODUCTS / <created>#<prod>   (IDs may be the merchant's, e.g. prod_basic)
  PRICE#<price> / PRICE      gsi2 PRICES / <price>; gsi3 PROD#<prod>#PRICES / <price>
  COUPON#<coupon> / COUPON   gsi2 COUPONS / <created>#<coupon>  (IDs may be the merchant's, e.g. rwd_save20)
Prices and coupons are immutable in what they charge; a new price replaces an old one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from billing.events import events
from billing.kernel import clock
from billing.kernel.errors import InvalidRequest, NotFound
from billing.kernel.ids import sortable_id, time_prefix
from billing.kernel.money import validate_currency
from billing.kernel.scope import RequestInfo, Scope
from billing.store.listing import collection_page, page
from billing.store.repository import Item, Put, Table, UnitOfWork

INTERVAL_LIMITS = {"day": 365, "week": 52, "month": 12, "year": 1}


def _created_sort_key(object_id: str) -> str:
    """Merchant-chosen IDs do not sort by time; their list key is the creation time, then the ID."""
    return f"{time_prefix()}#{object_id}"


def _create(
    scope: Scope,
    item: Item,
    wire: Callable[[Item, Scope], dict[str, Any]],
    event_type: str,
    request: RequestInfo,
    table: Table,
    what: str,
) -> Item:
    event = events.event_item(scope, event_type, wire(item, scope), request)
    change = UnitOfWork(table, request, conflict_message=f"A {what} with ID '{item['id']}' already exists.")
    change.add(Put(item, condition="attribute_not_exists(pk)"), events.event_op(event)).commit()
    return item


def _get(scope: Scope, kind: str, sk: str, object_id: str, param: str, table: Table) -> Item:
    item = table.get(scope.key(kind, object_id), sk)
    if item is None:
        raise NotFound(f"No such {param}: '{object_id}'.", param=param)
    return item


# ------------------------------------------------------------------ products
def product_to_wire(item: Item, scope: Scope) -> dict[str, Any]:
    return {
        "id": item["id"],
        "object": "product",
        "name": item["name"],
        "description": item.get("description"),
        "active": item["active"],
        "metadata": item.get("metadata") or {},
        "createdAt": item["createdAt"],
        "livemode": scope.livemode,
    }


def create_product(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Item:
    product_id = fields.get("id") or sortable_id("prod")
    sort_key = _created_sort_key(product_id)
    item: Item = {
        "pk": scope.key("PROD", product_id),
        "sk": "PRODUCT",
        "type": "product",
        "id": product_id,
        "name": fields["name"],
        "description": fields.get("description"),
        "active": fields.get("active", True),
        "metadata": fields.get("metadata") or {},
        "createdAt": clock.to_wire(clock.now()),
        "version": 1,
        "gsi2pk": scope.key("PRODUCTS"),
        "gsi2sk": sort_key,
    }
    return _create(scope, item, product_to_wire, "product.created", request, table, "product")


def get_product(scope: Scope, product_id: str, *, table: Table) -> Item:
    return _get(scope, "PROD", "PRODUCT", product_id, "product", table)


def list_products(scope: Scope, *, limit: int, starting_after: str | None, table: Table) -> dict[str, Any]:

    def sort_key(product_id: str) -> str | None:
        item = table.get(scope.key("PROD", product_id), "PRODUCT", consistent=False)
        return str(item["gsi2sk"]) if item else None

    return page(
        table,
        index="gsi2",
        partition=scope.key("PRODUCTS"),
        limit=limit,
        starting_after=starting_after,
        primary_key=lambda pid: (scope.key("PROD", pid), "PRODUCT"),
        to_wire=lambda item: product_to_wire(item, scope),
        sort_key=sort_key,
    )


# ------------------------------------------------------------------ prices
def price_to_wire(item: Item, scope: Scope) -> dict[str, Any]:
    return {
        "id": item["id"],
        "object": "price",
        "product": item["product"],
        "unitAmount": item["unitAmount"],
        "currency": item["currency"],
        "recurring": item["recurring"],
        "nickname": item.get("nickname"),
        "active": item["active"],
        "createdAt": item["createdAt"],
        "livemode": scope.livemode,
    }


def validate_recurring(recurring: Mapping[str, Any]) -> dict[str, Any]:
    interval = recurring.get("interval")
    count = recurring.get("intervalCount", 1)
    if interval not in INTERVAL_LIMITS:
        raise InvalidRequest("recurring.interval is one of day, week, month, year.", param="recurring.interval")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= INTERVAL_LIMITS[interval]:
        raise InvalidRequest(
            f"recurring.intervalCount for '{interval}' is 1 to {INTERVAL_LIMITS[interval]} (at most a year).",
            param="recurring.intervalCount",
        )
    return {"interval": interval, "intervalCount": count}


def create_price(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Item:
    try:
        product = get_product(scope, fields["product"], table=table)
    except NotFound:
        raise InvalidRequest(f"No such product: '{fields['product']}'.", param="product") from None
    if not product["active"]:
        raise InvalidRequest("Prices can only be added to active products.", param="product")
    price_id = sortable_id("price")
    item: Item = {
        "pk": scope.key("PRICE", price_id),
        "sk": "PRICE",
        "type": "price",
        "id": price_id,
        "product": product["id"],
        "unitAmount": int(fields["unitAmount"]),
        "currency": validate_currency(fields["currency"]),
        "recurring": validate_recurring(fields["recurring"]),
        "nickname": fields.get("nickname"),
        "active": fields.get("active", True),
        "createdAt": clock.to_wire(clock.now()),
        "version": 1,
        "gsi2pk": scope.key("PRICES"),
        "gsi2sk": price_id,
        "gsi3pk": scope.key("PROD", product["id"], "PRICES"),
        "gsi3sk": price_id,
    }
    return _create(scope, item, price_to_wire, "price.created", request, table, "price")


def get_price(scope: Scope, price_id: str, *, table: Table, param: str = "price") -> Item:
    return _get(scope, "PRICE", "PRICE", price_id, param, table)


def list_prices(
    scope: Scope, *, limit: int, starting_after: str | None, product: str | None = None, table: Table
) -> dict[str, Any]:
    return collection_page(
        table,
        scope,
        "PRICES",
        owner=("PROD", product),
        limit=limit,
        starting_after=starting_after,
        primary_key=lambda pid: (scope.key("PRICE", pid), "PRICE"),
        to_wire=lambda item: price_to_wire(item, scope),
    )


# ------------------------------------------------------------------ coupons
def coupon_to_wire(item: Item, scope: Scope) -> dict[str, Any]:
    return {
        "id": item["id"],
        "object": "coupon",
        "name": item.get("name"),
        "percentOff": item.get("percentOff"),
        "amountOff": item.get("amountOff"),
        "currency": item.get("currency"),
        "duration": item["duration"],
        "durationInMonths": item.get("durationInMonths"),
        "valid": item.get("valid", True),
        "createdAt": item["createdAt"],
        "livemode": scope.livemode,
    }


def create_coupon(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Item:
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
    coupon_id = fields.get("id") or sortable_id("rwd")
    item: Item = {
        "pk": scope.key("COUPON", coupon_id),
        "sk": "COUPON",
        "type": "coupon",
        "id": coupon_id,
        "name": fields.get("name"),
        "percentOff": percent,
        "amountOff": amount,
        "currency": validate_currency(currency) if currency else None,
        "duration": duration,
        "durationInMonths": months,
        "valid": True,
        "createdAt": clock.to_wire(clock.now()),
        "version": 1,
        "gsi2pk": scope.key("COUPONS"),
        "gsi2sk": _created_sort_key(coupon_id),
    }
    return _create(scope, item, coupon_to_wire, "coupon.created", request, table, "coupon")


def get_coupon(scope: Scope, coupon_id: str, *, table: Table, param: str = "coupon") -> Item:
    return _get(scope, "COUPON", "COUPON", coupon_id, param, table)
