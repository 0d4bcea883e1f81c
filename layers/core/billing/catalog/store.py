"""The catalog in the table: item layouts, keys, list indexes, and the stored form of a discount.

Items (all under the scope):
  PROD#<prod> / PRODUCT      gsi2 PRODUCTS / <created order>#<prod>
  PRICE#<price> / PRICE      gsi2 PRICES / <price>; gsi3 PROD#<prod>#PRICES / <price>
  COUPON#<coupon> / COUPON   gsi2 COUPONS / <created order>#<coupon>
  TXR#<txr> / TAXRATE        gsi2 TAXRATES / <txr>
Coupons and tax rates are written once, at version 1; products and prices are updated only in
what they do not charge (name, nickname, `active`...), over the version read (`update_product`,
`update_price`). A request keeps the products, prices and coupons it has read in its table's memo
(`keep`): a plan page and the switch it confirms read each once (an update it writes replaces
the kept item: `remember`). A subscription keeps its discount as
{"coupon": <the coupon's wire form>, "start", "end"} (`discount_to_stored`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, cast

from billing.catalog.records import Coupon, Discount, Duration, Interval, Price, Product, Recurring, TaxRate
from billing.catalog.wire import coupon_to_wire, number
from billing.kernel.scope import Scope
from billing.store.listing import collection_page, page
from billing.store.repository import Item, Put, Table, Update, versioned_set

PRODUCT_SK = "PRODUCT"
PRICE_SK = "PRICE"
COUPON_SK = "COUPON"
TAX_RATE_SK = "TAXRATE"
CREATE = "attribute_not_exists(pk)"
VERSION = 1  # the version catalog objects are created at


def _ordered(created_order: str, object_id: str) -> str:
    """The list sort key of an object whose ID is the merchant's (so does not sort by time)."""
    return f"{created_order}#{object_id}"


def _created_order(sort_key: str) -> str:
    return sort_key.partition("#")[0]


# ------------------------------------------------------------------ what a request has read
def _memo_key(key: tuple[str, str]) -> tuple[str, ...]:
    return ("catalog", *key)


def keep(table: Table, items: Iterable[Item]) -> None:
    """The products, prices and coupons among `items` (a batch's or a query's), kept for the
    request's later reads of them (catalog objects never change)."""
    for item in items:
        if item["sk"] in (PRODUCT_SK, PRICE_SK, COUPON_SK):
            table.memo[_memo_key((item["pk"], item["sk"]))] = item


def remember(table: Table, item: Item) -> None:
    """The item as this request has just written it, for its later reads."""
    table.memo[_memo_key((item["pk"], item["sk"]))] = item


def unread(table: Table, keys: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Those of `keys` (products, prices, coupons) the request has not read yet."""
    return [key for key in keys if _memo_key(key) not in table.memo]


def _read(table: Table, key: tuple[str, str], *, consistent: bool = True) -> Item | None:
    """The item under `key`, read once per request (a missing one is asked again)."""
    kept: Item | None = table.memo.get(_memo_key(key))
    if kept is None:
        kept = table.get(*key, consistent=consistent)
        keep(table, [kept] if kept is not None else [])
    return kept


# ------------------------------------------------------------------ products
def product_key(scope: Scope, product_id: str) -> tuple[str, str]:
    return scope.key("PROD", product_id), PRODUCT_SK


def product_to_item(scope: Scope, product: Product) -> Item:
    pk, sk = product_key(scope, product.id)
    return {
        "pk": pk,
        "sk": sk,
        "type": "product",
        "id": product.id,
        "name": product.name,
        "description": product.description,
        "active": product.active,
        "metadata": product.metadata,
        "createdAt": product.created_at,
        "version": product.version,
        "gsi2pk": scope.key("PRODUCTS"),
        "gsi2sk": _ordered(product.created_order, product.id),
    }


def product_from_item(item: Mapping[str, Any]) -> Product:
    return Product(
        id=item["id"],
        name=item["name"],
        description=item.get("description"),
        active=bool(item["active"]),
        metadata=dict(item.get("metadata") or {}),
        created_at=item["createdAt"],
        created_order=_created_order(item["gsi2sk"]),
        version=int(item.get("version", VERSION)),
    )


def get_product(table: Table, scope: Scope, product_id: str, *, consistent: bool = True) -> Product | None:
    item = _read(table, product_key(scope, product_id), consistent=consistent)
    return product_from_item(item) if item is not None else None


def insert_product(scope: Scope, product: Product) -> Put:
    return Put(product_to_item(scope, product), condition=CREATE)


def update_product(scope: Scope, before: Product, after: Product) -> Update:
    """`SET` of what `after` changes, only over the version `before` was read at (no lost updates)."""
    return _versioned_update(product_to_item(scope, before), product_to_item(scope, after), before.version)


def _versioned_update(old: Item, new: Item, version: int) -> Update:
    changes = {name: value for name, value in new.items() if name != "version" and old.get(name) != value}
    return Update(old["pk"], old["sk"], **versioned_set(changes, version))


def products_page(
    table: Table,
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    to_wire: Callable[[Product], dict[str, Any]],
    ending_before: str | None = None,
) -> dict[str, Any]:
    """A page of the account's products, newest first."""
    return page(
        table,
        index="gsi2",
        partition=scope.key("PRODUCTS"),
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        primary_key=lambda product_id: product_key(scope, product_id),
        to_wire=lambda item: to_wire(product_from_item(item)),
    )


# ------------------------------------------------------------------ prices
def price_key(scope: Scope, price_id: str) -> tuple[str, str]:
    return scope.key("PRICE", price_id), PRICE_SK


def price_to_item(scope: Scope, price: Price) -> Item:
    pk, sk = price_key(scope, price.id)
    return {
        "pk": pk,
        "sk": sk,
        "type": "price",
        "id": price.id,
        "product": price.product,
        "unitAmount": price.unit_amount,
        "currency": price.currency,
        "recurring": {"interval": price.recurring.interval, "intervalCount": price.recurring.interval_count},
        "nickname": price.nickname,
        "active": price.active,
        "createdAt": price.created_at,
        "version": price.version,
        "gsi2pk": scope.key("PRICES"),
        "gsi2sk": price.id,
        "gsi3pk": _product_prices_partition(scope, price.product),
        "gsi3sk": price.id,
    }


def price_from_item(item: Mapping[str, Any]) -> Price:
    recurring = item["recurring"]
    return Price(
        id=item["id"],
        product=item["product"],
        unit_amount=int(item["unitAmount"]),
        currency=item["currency"],
        recurring=Recurring(
            interval=cast(Interval, recurring["interval"]), interval_count=int(recurring["intervalCount"])
        ),
        nickname=item.get("nickname"),
        active=bool(item["active"]),
        created_at=item["createdAt"],
        version=int(item.get("version", VERSION)),
    )


def get_price(table: Table, scope: Scope, price_id: str) -> Price | None:
    item = _read(table, price_key(scope, price_id))
    return price_from_item(item) if item is not None else None


def insert_price(scope: Scope, price: Price) -> Put:
    return Put(price_to_item(scope, price), condition=CREATE)


def update_price(scope: Scope, before: Price, after: Price) -> Update:
    """As `update_product`, for a price (its amount, currency and interval never change)."""
    return _versioned_update(price_to_item(scope, before), price_to_item(scope, after), before.version)


def prices_page(
    table: Table,
    scope: Scope,
    *,
    product: str | None,
    limit: int,
    starting_after: str | None,
    to_wire: Callable[[Price], dict[str, Any]],
    ending_before: str | None = None,
) -> dict[str, Any]:
    """A page of the account's prices, or of one product's, newest first."""
    return collection_page(
        table,
        scope,
        "PRICES",
        owner=("PROD", product),
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        primary_key=lambda price_id: price_key(scope, price_id),
        to_wire=lambda item: to_wire(price_from_item(item)),
    )


def product_prices(table: Table, scope: Scope, product_id: str, *, limit: int) -> list[Price]:
    """The product's newest `limit` prices (one query)."""
    items, _ = table.query(_product_prices_partition(scope, product_id), index="gsi3", limit=limit, forward=False)
    keep(table, items)
    return [price_from_item(item) for item in items]


def _product_prices_partition(scope: Scope, product_id: str) -> str:
    return scope.key("PROD", product_id, "PRICES")


# ------------------------------------------------------------------ coupons
def coupon_key(scope: Scope, coupon_id: str) -> tuple[str, str]:
    return scope.key("COUPON", coupon_id), COUPON_SK


def coupon_to_item(scope: Scope, coupon: Coupon) -> Item:
    if coupon.created_order is None:
        raise ValueError(f"coupon {coupon.id} is a discount's snapshot, not a coupon to store")
    pk, sk = coupon_key(scope, coupon.id)
    return {
        "pk": pk,
        "sk": sk,
        "type": "coupon",
        "id": coupon.id,
        "name": coupon.name,
        "percentOff": coupon.percent_off,
        "amountOff": coupon.amount_off,
        "currency": coupon.currency,
        "duration": coupon.duration,
        "durationInMonths": coupon.duration_in_months,
        "valid": coupon.valid,
        "createdAt": coupon.created_at,
        "version": VERSION,
        "gsi2pk": scope.key("COUPONS"),
        "gsi2sk": _ordered(coupon.created_order, coupon.id),
    }


def _coupon(fields: Mapping[str, Any], created_order: str | None) -> Coupon:
    """A coupon from its stored item or its wire form (they name the fields alike)."""
    months = fields.get("durationInMonths")
    amount = fields.get("amountOff")
    return Coupon(
        id=fields["id"],
        name=fields.get("name"),
        percent_off=fields.get("percentOff"),
        amount_off=None if amount is None else int(amount),
        currency=fields.get("currency"),
        duration=cast(Duration, fields["duration"]),
        duration_in_months=None if months is None else int(months),
        valid=bool(fields.get("valid", True)),
        created_at=fields["createdAt"],
        created_order=created_order,
    )


def coupon_from_item(item: Mapping[str, Any]) -> Coupon:
    return _coupon(item, _created_order(item["gsi2sk"]))


def get_coupon(table: Table, scope: Scope, coupon_id: str) -> Coupon | None:
    item = _read(table, coupon_key(scope, coupon_id))
    return coupon_from_item(item) if item is not None else None


def insert_coupon(scope: Scope, coupon: Coupon) -> Put:
    return Put(coupon_to_item(scope, coupon), condition=CREATE)


# ------------------------------------------------------------------ discounts
def discount_to_stored(discount: Discount, scope: Scope) -> dict[str, Any]:
    """The discount as a subscription's item keeps it: the coupon's wire form at the time it was applied."""
    return {"coupon": coupon_to_wire(discount.coupon, scope), "start": discount.start, "end": discount.end}


def discount_from_stored(stored: Mapping[str, Any]) -> Discount:
    return Discount(coupon=_coupon(stored["coupon"], None), start=stored["start"], end=stored.get("end"))


# ------------------------------------------------------------------ tax rates
def tax_rate_key(scope: Scope, rate_id: str) -> tuple[str, str]:
    return scope.key("TXR", rate_id), TAX_RATE_SK


def tax_rate_to_item(scope: Scope, rate: TaxRate) -> Item:
    pk, sk = tax_rate_key(scope, rate.id)
    return {
        "pk": pk,
        "sk": sk,
        "type": "tax_rate",
        "id": rate.id,
        "country": rate.country,
        "state": rate.state,
        "percentage": number(rate.percentage),  # a DynamoDB number, never a float in arithmetic
        "displayName": rate.display_name,
        "inclusive": rate.inclusive,
        "active": rate.active,
        "createdAt": rate.created_at,
        "version": VERSION,
        "gsi2pk": scope.key("TAXRATES"),
        "gsi2sk": rate.id,
    }


def tax_rate_from_item(item: Mapping[str, Any]) -> TaxRate:
    return TaxRate(
        id=item["id"],
        country=item["country"],
        state=item.get("state"),
        percentage=Decimal(str(item["percentage"])),
        display_name=item["displayName"],
        inclusive=bool(item["inclusive"]),
        active=bool(item.get("active", True)),
        created_at=item["createdAt"],
    )


def insert_tax_rate(scope: Scope, rate: TaxRate) -> Put:
    return Put(tax_rate_to_item(scope, rate), condition=CREATE)


def tax_rates_page(
    table: Table,
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    to_wire: Callable[[TaxRate], dict[str, Any]],
    ending_before: str | None = None,
) -> dict[str, Any]:
    return page(
        table,
        index="gsi2",
        partition=scope.key("TAXRATES"),
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        primary_key=lambda rate_id: tax_rate_key(scope, rate_id),
        to_wire=lambda item: to_wire(tax_rate_from_item(item)),
    )


def active_tax_rates(table: Table, scope: Scope) -> list[TaxRate]:
    """Every active rate of the account (a handful: one query of its list)."""
    rates = (tax_rate_from_item(i) for i in table.query_all(scope.key("TAXRATES"), index="gsi2"))
    return [rate for rate in rates if rate.active]
