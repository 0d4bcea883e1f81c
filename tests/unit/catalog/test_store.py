"""The catalog's records in the table (no I/O): items as the code has always written them read back
and write out attribute for attribute, a subscription's stored discount keeps its layout, and the
records' derived figures."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from msgspec.structs import replace

from billing.catalog import store, wire
from billing.catalog.records import Coupon, Discount, Product, Recurring, TaxRate
from billing.kernel.scope import Scope
from billing.store.repository import Item, Put, Table, deserialize, serialize

SCOPE = Scope("acct_1", "test")
LIVE = Scope("acct_1", "live")
CREATED = "2026-05-30T14:25:00Z"


def as_read(item: Item) -> Item:
    """The item as a read answers it (whole numbers come back as int)."""
    return deserialize(serialize(item))


PRODUCT_ITEM = {
    "pk": "ACCT#acct_1#test#PROD#prod_basic",
    "sk": "PRODUCT",
    "type": "product",
    "id": "prod_basic",
    "name": "Basic",
    "description": None,
    "active": True,
    "metadata": {"tier": "1"},
    "createdAt": CREATED,
    "version": 1,
    "gsi2pk": "ACCT#acct_1#test#PRODUCTS",
    "gsi2sk": "0Ab3xYz9#prod_basic",
}
PRICE_ITEM = {
    "pk": "ACCT#acct_1#test#PRICE#price_0Ab3xYz9abcdefghijklmn",
    "sk": "PRICE",
    "type": "price",
    "id": "price_0Ab3xYz9abcdefghijklmn",
    "product": "prod_basic",
    "unitAmount": 1900,
    "currency": "eur",
    "recurring": {"interval": "month", "intervalCount": 1},
    "nickname": "Monthly",
    "active": True,
    "createdAt": CREATED,
    "version": 1,
    "gsi2pk": "ACCT#acct_1#test#PRICES",
    "gsi2sk": "price_0Ab3xYz9abcdefghijklmn",
    "gsi3pk": "ACCT#acct_1#test#PROD#prod_basic#PRICES",
    "gsi3sk": "price_0Ab3xYz9abcdefghijklmn",
}
COUPON_ITEM = {
    "pk": "ACCT#acct_1#test#COUPON#rwd_save20",
    "sk": "COUPON",
    "type": "coupon",
    "id": "rwd_save20",
    "name": "Save 20",
    "percentOff": 20,
    "amountOff": None,
    "currency": None,
    "duration": "repeating",
    "durationInMonths": 3,
    "valid": True,
    "createdAt": CREATED,
    "version": 1,
    "gsi2pk": "ACCT#acct_1#test#COUPONS",
    "gsi2sk": "0Ab3xYz9#rwd_save20",
}
TAX_RATE_ITEM = {
    "pk": "ACCT#acct_1#test#TXR#txr_0Ab3xYz9abcdefghijklmn",
    "sk": "TAXRATE",
    "type": "tax_rate",
    "id": "txr_0Ab3xYz9abcdefghijklmn",
    "country": "US",
    "state": "NY",
    "percentage": 8.875,
    "displayName": "Sales tax",
    "inclusive": False,
    "active": True,
    "createdAt": CREATED,
    "version": 1,
    "gsi2pk": "ACCT#acct_1#test#TAXRATES",
    "gsi2sk": "txr_0Ab3xYz9abcdefghijklmn",
}


class TestItems:
    @pytest.mark.parametrize(
        ("item", "decode", "encode"),
        [
            (PRODUCT_ITEM, store.product_from_item, store.product_to_item),
            (PRICE_ITEM, store.price_from_item, store.price_to_item),
            (COUPON_ITEM, store.coupon_from_item, store.coupon_to_item),
            ({**COUPON_ITEM, "percentOff": 12.5, "name": None}, store.coupon_from_item, store.coupon_to_item),
            (
                {**COUPON_ITEM, "percentOff": None, "amountOff": 500, "currency": "eur", "duration": "once"}
                | {"durationInMonths": None},
                store.coupon_from_item,
                store.coupon_to_item,
            ),
            (TAX_RATE_ITEM, store.tax_rate_from_item, store.tax_rate_to_item),
            ({**TAX_RATE_ITEM, "percentage": 19, "state": None}, store.tax_rate_from_item, store.tax_rate_to_item),
        ],
    )
    def test_a_stored_item_reads_and_writes_back_attribute_for_attribute(
        self, item: Item, decode: Callable[[Item], Any], encode: Callable[[Scope, Any], Item]
    ) -> None:
        read = as_read(item)
        record = decode(read)
        assert encode(SCOPE, record) == read
        assert decode(as_read(encode(SCOPE, record))) == record

    def test_the_records_hold_the_items_values(self) -> None:
        assert store.product_from_item(PRODUCT_ITEM) == Product(
            id="prod_basic", name="Basic", metadata={"tier": "1"}, created_at=CREATED, created_order="0Ab3xYz9"
        )
        assert store.price_from_item(PRICE_ITEM).recurring == Recurring(interval="month", interval_count=1)
        assert store.tax_rate_from_item(TAX_RATE_ITEM).percentage == Decimal("8.875")
        coupon = store.coupon_from_item(COUPON_ITEM)
        assert (coupon.percent_off, coupon.duration_in_months, coupon.created_order) == (20, 3, "0Ab3xYz9")

    def test_an_older_item_without_active_or_valid_is_active_and_valid(self) -> None:
        rate = {k: v for k, v in TAX_RATE_ITEM.items() if k != "active"}
        coupon = {k: v for k, v in COUPON_ITEM.items() if k != "valid"}
        assert store.tax_rate_from_item(rate).active and store.coupon_from_item(coupon).valid

    def test_creates_are_conditional_on_a_new_item(self) -> None:
        create = "attribute_not_exists(pk)"
        assert store.insert_product(SCOPE, store.product_from_item(PRODUCT_ITEM)) == Put(PRODUCT_ITEM, condition=create)
        assert store.insert_price(SCOPE, store.price_from_item(PRICE_ITEM)) == Put(PRICE_ITEM, condition=create)
        assert store.insert_coupon(SCOPE, store.coupon_from_item(COUPON_ITEM)) == Put(COUPON_ITEM, condition=create)
        rate = store.tax_rate_from_item(TAX_RATE_ITEM)
        assert store.insert_tax_rate(SCOPE, rate) == Put(TAX_RATE_ITEM, condition=create)


STORED_DISCOUNT = {
    "coupon": {
        "id": "rwd_save20",
        "object": "coupon",
        "name": "Save 20",
        "percentOff": 20,
        "amountOff": None,
        "currency": None,
        "duration": "repeating",
        "durationInMonths": 3,
        "valid": True,
        "createdAt": CREATED,
        "livemode": False,
    },
    "start": "2026-06-01T00:00:00Z",
    "end": "2026-09-01T00:00:00Z",
}


class TestDiscount:
    def test_a_stored_discount_reads_and_writes_back_as_it_was(self) -> None:
        discount = store.discount_from_stored(as_read(STORED_DISCOUNT))
        assert discount.coupon == Coupon(
            id="rwd_save20",
            name="Save 20",
            percent_off=20,
            duration="repeating",
            duration_in_months=3,
            created_at=CREATED,
            created_order=None,
        )
        assert (discount.start, discount.end) == ("2026-06-01T00:00:00Z", "2026-09-01T00:00:00Z")
        assert store.discount_to_stored(discount, SCOPE) == STORED_DISCOUNT
        assert store.discount_from_stored(store.discount_to_stored(discount, LIVE)) == discount

    def test_the_stored_coupon_is_its_wire_form(self) -> None:
        coupon = store.coupon_from_item(COUPON_ITEM)
        stored = store.discount_to_stored(Discount(coupon=coupon, start=CREATED), LIVE)
        assert stored == {"coupon": wire.coupon_to_wire(coupon, LIVE), "start": CREATED, "end": None}

    def test_a_snapshot_is_not_a_coupon_to_store(self) -> None:
        snapshot = store.discount_from_stored(STORED_DISCOUNT).coupon
        with pytest.raises(ValueError, match="snapshot"):
            store.coupon_to_item(SCOPE, snapshot)


class TestWire:
    def test_the_wire_forms_are_the_items_fields(self) -> None:
        assert wire.product_to_wire(store.product_from_item(PRODUCT_ITEM), LIVE) == {
            "id": "prod_basic",
            "object": "product",
            "name": "Basic",
            "description": None,
            "active": True,
            "metadata": {"tier": "1"},
            "createdAt": CREATED,
            "livemode": True,
        }
        price = wire.price_to_wire(store.price_from_item(PRICE_ITEM), SCOPE)
        assert price["recurring"] == {"interval": "month", "intervalCount": 1}
        assert (price["unitAmount"], price["nickname"], price["livemode"]) == (1900, "Monthly", False)
        rate = wire.tax_rate_to_wire(store.tax_rate_from_item(TAX_RATE_ITEM), SCOPE)
        assert (rate["percentage"], rate["displayName"], rate["state"]) == (8.875, "Sales tax", "NY")

    def test_a_coupon_answers_its_percentage_as_given(self) -> None:
        created = Coupon(id="c", percent_off=20.0, duration="once", created_at=CREATED, created_order="0Ab3xYz9")
        assert repr(wire.coupon_to_wire(created, SCOPE)["percentOff"]) == "20.0"

    @given(st.decimals(min_value=0, max_value=100, places=4))
    def test_percentages_are_whole_numbers_as_integers_and_exact_otherwise(self, percentage: Decimal) -> None:
        shown = wire.number(percentage)
        assert isinstance(shown, int) == (percentage == percentage.to_integral_value())
        assert Decimal(str(shown)) == percentage


class TestDerived:
    def test_a_price_is_called_by_its_nickname_or_its_products_name(self) -> None:
        product = store.product_from_item(PRODUCT_ITEM)
        price = store.price_from_item(PRICE_ITEM)
        assert price.description(product) == "Monthly"
        assert replace(price, nickname=None).description(product) == "Basic"

    @pytest.mark.parametrize(
        ("name", "percent_off", "label"),
        [("Save 20", 20, "Save 20 (20% off)"), (None, 12.5, "rwd_x (12.5% off)"), ("Five off", None, "Five off")],
    )
    def test_a_coupons_label(self, name: str | None, percent_off: float | None, label: str) -> None:
        coupon = Coupon(
            id="rwd_x",
            name=name,
            percent_off=percent_off,
            amount_off=None if percent_off else 500,
            currency=None if percent_off else "eur",
            duration="once",
            created_at=CREATED,
            created_order=None,
        )
        assert coupon.label == label

    def test_a_coupons_exact_percentage_and_currency(self) -> None:
        percent = Coupon(id="p", percent_off=12.5, duration="once", created_at=CREATED, created_order=None)
        amount = Coupon(id="a", amount_off=500, currency="eur", duration="once", created_at=CREATED, created_order=None)
        assert percent.percent == Decimal("12.5") and amount.percent is None
        assert percent.applies_to("usd") and percent.applies_to("eur")
        assert amount.applies_to("eur") and not amount.applies_to("usd")

    @pytest.mark.parametrize(
        ("percentage", "label"), [("19", "USt. 19%"), ("8.8750", "USt. 8.875%"), ("20.0", "USt. 20%")]
    )
    def test_a_tax_rates_label(self, percentage: str, label: str) -> None:
        rate = TaxRate(
            id="txr_1", country="DE", percentage=Decimal(percentage), display_name="USt.", created_at=CREATED
        )
        assert rate.label == label


class QueryRecorder(Table):
    """A table that answers one query with the given items, and gets with its stored items, and
    records how it was asked."""

    def __init__(self, items: list[Item], stored: list[Item] | None = None) -> None:
        self.items = items
        self.stored = {(item["pk"], item["sk"]): item for item in stored or []}
        self.queries: list[tuple[str, dict[str, Any]]] = []
        self.gets: list[tuple[str, str]] = []
        self.memo: dict[tuple[str, ...], Any] = {}

    def query(self, partition: str, **kwargs: Any) -> tuple[list[Item], dict[str, Any] | None]:
        self.queries.append((partition, kwargs))
        return self.items, None

    def get(self, pk: str, sk: str, *, consistent: bool = True) -> Item | None:
        self.gets.append((pk, sk))
        return self.stored.get((pk, sk))


def test_a_products_prices_are_one_query_of_its_price_list_newest_first() -> None:
    table = QueryRecorder([as_read(PRICE_ITEM)])
    prices = store.product_prices(table, SCOPE, "prod_basic", limit=100)
    assert prices == [store.price_from_item(PRICE_ITEM)]
    assert table.queries == [(PRICE_ITEM["gsi3pk"], {"index": "gsi3", "limit": 100, "forward": False})]


def test_a_request_reads_each_catalog_object_once() -> None:
    # Given a request's table holding a product and a price
    table = QueryRecorder([], stored=[as_read(PRODUCT_ITEM), as_read(PRICE_ITEM)])
    # When the request reads the product twice and asks for a price it does not hold
    product = store.get_product(table, SCOPE, "prod_basic")
    assert store.get_product(table, SCOPE, "prod_basic") == product == store.product_from_item(PRODUCT_ITEM)
    assert store.get_price(table, SCOPE, "price_missing") is None
    assert store.get_price(table, SCOPE, "price_missing") is None
    # Then the product was read once (catalog objects never change), a missing price each time
    missing = store.price_key(SCOPE, "price_missing")
    assert table.gets == [store.product_key(SCOPE, "prod_basic"), missing, missing]
    # And what it does not hold yet is what is left to read; a price a query answered is held
    price_key = store.price_key(SCOPE, PRICE_ITEM["id"])
    assert store.unread(table, [store.product_key(SCOPE, "prod_basic"), price_key]) == [price_key]
    store.keep(table, [as_read(PRICE_ITEM), {"pk": "x", "sk": "CUSTOMER"}])
    assert store.unread(table, [price_key, ("x", "CUSTOMER")]) == [("x", "CUSTOMER")]
    assert store.get_price(table, SCOPE, PRICE_ITEM["id"]) == store.price_from_item(PRICE_ITEM)
    assert table.gets == [store.product_key(SCOPE, "prod_basic"), missing, missing]
