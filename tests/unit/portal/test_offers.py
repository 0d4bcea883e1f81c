"""The portal's offers: the plans on offer, and the retention coupon's saving, which is what the
next invoice discounts, to the cent (the catalog read is replaced by a dict; no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.accounts.records import Account
from billing.catalog import catalog
from billing.catalog.records import Coupon, Discount, Price, Product, Recurring, TaxRate
from billing.customers.records import Customer
from billing.invoicing import invoices
from billing.invoicing.records import Invoice
from billing.kernel.errors import NotFound
from billing.kernel.scope import Scope
from billing.portal import offers
from billing.portal.offers import PlanOffer, RetentionOffer
from billing.portal.pricing import TaxNote
from billing.store.repository import Table
from billing.subscriptions import lines as subscription_lines
from billing.subscriptions.records import Interval, Subscription
from tests.unit.portal.samples import item, subscription

# The services these call are stand-ins: the table is handed through and never read.
TABLE = Table.__new__(Table)

SCOPE = Scope("acct_test", "test")
START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)


def coupon(coupon_id: str = "rwd_stay", **fields: Any) -> Coupon:
    return Coupon(
        **{
            "id": coupon_id,
            "name": "Stay",
            "percent_off": None,
            "amount_off": None,
            "currency": None,
            "duration": "forever",
            "duration_in_months": None,
            "valid": True,
            "created_at": "2026-01-01T00:00:00Z",
            "created_order": None,
            **fields,
        }
    )


def next_invoice(sub: Subscription, the_coupon: Coupon | None, rates: Sequence[TaxRate] = ()) -> Invoice:
    """The renewal invoice of `sub` for a German customer, with the coupon applied: the
    subscription's discount as `billing.subscriptions.changes.update` stores it, built into the invoice the
    renewal drafts (`subscriptions.draft_invoice` → `invoices.build`, one line per item)."""
    discount = Discount(coupon=the_coupon, start="2026-01-01T00:00:00Z", end=None) if the_coupon else None
    return invoices.build(
        SCOPE,
        account=Account(id="acct_test", name="Test", country="DE", created_at="2026-01-01T00:00:00Z", version=1),
        customer=Customer(id="cus_1", address={"country": "DE"}, created_at="2026-01-01T00:00:00Z"),
        currency=sub.currency,
        lines=subscription_lines.period_lines(sub.items, START, END),
        discount=discount,
        tax_rates=rates,
        subscription=sub.id,
        period_start=START,
        period_end=END,
        now=START,
    )


def next_invoice_discount(sub: Subscription, the_coupon: Coupon) -> int:
    """What the renewal invoice of `sub` discounts once the coupon is applied."""
    return next_invoice(sub, the_coupon).discount


def old_portal_figure(sub: Subscription, the_coupon: Coupon) -> int:
    """The figure the cancel page used to compute on its own: the percentage of the summed
    recurring amount, rounded half up once (the invoice rounds each line)."""
    exact = Decimal(sub.recurring_amount) * Decimal(str(the_coupon.percent_off)) / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.fixture
def coupons(monkeypatch: pytest.MonkeyPatch) -> dict[str, Coupon]:
    """The catalog's coupons, read through `catalog.get_coupon`."""
    stored: dict[str, Coupon] = {}

    def get_coupon(scope: Scope, coupon_id: str, **_: Any) -> Coupon:
        if coupon_id not in stored:
            raise NotFound(f"No such coupon: '{coupon_id}'")
        return stored[coupon_id]

    monkeypatch.setattr(catalog, "get_coupon", get_coupon)
    return stored


RETENTION = {"retention": {"offerCoupon": "rwd_stay"}}


class TestRetentionSaving:
    def test_where_the_old_figure_was_a_cent_off_the_invoice_the_offer_now_says_what_it_discounts(
        self, coupons: dict[str, Coupon]
    ) -> None:
        # Given a subscription of two plans at €10.05 and a 5% coupon to stay
        sub = subscription(item("price_a", 1005), item("price_b", 1005))
        coupons["rwd_stay"] = coupon(percent_off=5)
        # When the cancel page makes its offer
        offer = offers.retention_offer(SCOPE, RETENTION, sub, table=TABLE)
        # Then it says what the next invoice discounts: 5% of each line, €0.5025 → €0.50, twice
        assert offer is not None
        assert next_invoice_discount(sub, coupons["rwd_stay"]) == 100
        assert offer.saving == 100
        # where the page's own figure (5% of €20.10 = €1.005 → €1.01) was a cent more
        assert old_portal_figure(sub, coupons["rwd_stay"]) == 101

    def test_a_fractional_percentage_over_three_lines(self) -> None:
        sub = subscription(item("price_a", 999), item("price_b", 1999, 3), item("price_c", 4999))
        the_coupon = coupon(percent_off=12.5)
        # 12.5% of €9.99, €59.97 and €49.99: €1.25 + €7.50 + €6.25 (each rounded half away)
        assert offers.coupon_saving(the_coupon, sub.items) == next_invoice_discount(sub, the_coupon) == 1500
        # where 12.5% of the €119.95 they add up to is €14.99375 → €14.99
        assert old_portal_figure(sub, the_coupon) == 1499

    def test_an_amount_off_coupon_saves_its_amount_but_never_more_than_the_invoice(self) -> None:
        sub = subscription(item("price_a", 333), item("price_b", 334))
        assert offers.coupon_saving(coupon(amount_off=500, currency="eur"), sub.items) == 500
        assert offers.coupon_saving(coupon(amount_off=5000, currency="eur"), sub.items) == 667

    @settings(max_examples=300, deadline=None)
    @given(
        lines=st.lists(
            st.tuples(st.integers(min_value=0, max_value=10_000_000), st.integers(min_value=1, max_value=10_000)),
            min_size=1,
            max_size=5,
        ),
        percent=st.one_of(
            st.integers(min_value=1, max_value=100),
            st.decimals(min_value=Decimal("0.01"), max_value=100, places=2).map(float),
        ),
        amount_off=st.one_of(st.none(), st.integers(min_value=1, max_value=100_000_000)),
    )
    def test_the_saving_is_always_the_next_invoices_discount(
        self, lines: list[tuple[int, int]], percent: float, amount_off: int | None
    ) -> None:
        sub = subscription(*(item(f"price_{n}", amount, quantity) for n, (amount, quantity) in enumerate(lines)))
        the_coupon = (
            coupon(percent_off=percent) if amount_off is None else coupon(amount_off=amount_off, currency="eur")
        )
        assert offers.coupon_saving(the_coupon, sub.items) == next_invoice_discount(sub, the_coupon)


GERMAN_VAT = TaxRate(
    id="txr_de", country="DE", percentage=Decimal(19), display_name="USt.", created_at="2026-01-01T00:00:00Z"
)
GROSS_VAT = TaxRate(
    id="txr_de", country="DE", percentage=Decimal(19), display_name="USt.", inclusive=True, created_at="2026-01-01"
)


class TestChargedLess:
    def test_a_german_consumer_is_told_what_the_invoice_total_drops_by(self, coupons: dict[str, Coupon]) -> None:
        # Given Pro at €29.00 a month, 19% German VAT added, and 20% off to stay
        sub = subscription(item("price_pro", 2900))
        coupons["rwd_stay"] = coupon(percent_off=20, duration="repeating", duration_in_months=3)
        # When the offer is made to a customer the invoice taxes
        offer = offers.retention_offer(SCOPE, RETENTION, sub, table=TABLE, tax_note=TaxNote(GERMAN_VAT))
        # Then it saves the €5.80 discount and the €1.10 tax on it: €34.51 → €27.61
        assert offer is not None and offer.saving == 580 and offer.charged_less == 690
        with_coupon, without = (
            next_invoice(sub, coupons["rwd_stay"], [GERMAN_VAT]),
            next_invoice(sub, None, [GERMAN_VAT]),
        )
        assert (without.total, with_coupon.total) == (3451, 2761)

    def test_a_price_with_tax_included_or_no_tax_saves_the_discount(self) -> None:
        sub = subscription(item("price_pro", 2900))
        the_coupon = coupon(percent_off=20)
        assert offers.charged_less(the_coupon, sub.items, TaxNote(GROSS_VAT)) == 580
        assert offers.charged_less(the_coupon, sub.items, None) == 580

    @settings(max_examples=200, deadline=None)
    @given(
        lines=st.lists(
            st.tuples(st.integers(min_value=0, max_value=1_000_000), st.integers(min_value=1, max_value=100)),
            min_size=1,
            max_size=4,
        ),
        percent=st.integers(min_value=1, max_value=100),
        amount_off=st.one_of(st.none(), st.integers(min_value=1, max_value=2_000_000)),
        inclusive=st.booleans(),
    )
    def test_it_is_always_what_the_next_invoices_total_drops_by(
        self, lines: list[tuple[int, int]], percent: int, amount_off: int | None, inclusive: bool
    ) -> None:
        sub = subscription(*(item(f"price_{n}", amount, quantity) for n, (amount, quantity) in enumerate(lines)))
        the_coupon = (
            coupon(percent_off=percent) if amount_off is None else coupon(amount_off=amount_off, currency="eur")
        )
        rate = GROSS_VAT if inclusive else GERMAN_VAT
        dropped = next_invoice(sub, None, [rate]).total - next_invoice(sub, the_coupon, [rate]).total
        assert offers.charged_less(the_coupon, sub.items, TaxNote(rate)) == dropped


class TestRetentionOffer:
    def test_a_repeating_coupon_on_a_monthly_plan(self, coupons: dict[str, Coupon]) -> None:
        sub = subscription(item("price_basic", 2900))
        coupons["rwd_stay"] = coupon(percent_off=20, duration="repeating", duration_in_months=3)
        assert offers.retention_offer(SCOPE, RETENTION, sub, table=TABLE) == RetentionOffer(
            coupon="rwd_stay",
            saving=580,
            charged_less=580,
            currency="eur",
            duration="repeating",
            months=3,
            item=sub.items[0],
            short_interval=True,
        )

    def test_a_yearly_plan_is_not_a_short_interval(self, coupons: dict[str, Coupon]) -> None:
        coupons["rwd_stay"] = coupon(percent_off=10)
        offer = offers.retention_offer(
            SCOPE, RETENTION, subscription(item("price_y", 29000, interval="year")), table=TABLE
        )
        assert offer is not None and offer.short_interval is False and offer.saving == 2900

    @pytest.mark.parametrize(
        ("settings_", "sub_fields", "coupon_fields"),
        [
            ({}, {}, {"percent_off": 20}),  # no coupon configured
            ({"retention": None}, {}, {"percent_off": 20}),
            (
                RETENTION,
                {"discount": Discount(coupon=coupon("rwd_old", percent_off=10), start="2026-01-01T00:00:00Z")},
                {"percent_off": 20},
            ),  # a discount already
            (RETENTION, {"cancel_at_period_end": True}, {"percent_off": 20}),  # already ending
            # accepted once already (its discount since run out): once per subscription
            (RETENTION, {"retention_accepted_at": "2026-01-01T00:00:00Z"}, {"percent_off": 20}),
            (RETENTION, {}, {"percent_off": 20, "valid": False}),
            (RETENTION, {}, {"amount_off": 500, "currency": "usd"}),  # another currency
            (RETENTION, {}, {"amount_off": 0, "currency": "eur"}),  # saves nothing
            ({"retention": {"offerCoupon": "rwd_gone"}}, {}, {"percent_off": 20}),  # not in the catalog
        ],
    )
    def test_no_offer(
        self,
        coupons: dict[str, Coupon],
        settings_: dict[str, Any],
        sub_fields: dict[str, Any],
        coupon_fields: dict[str, Any],
    ) -> None:
        coupons["rwd_stay"] = coupon(**coupon_fields)
        sub = subscription(item("price_basic", 2900), **sub_fields)
        assert offers.retention_offer(SCOPE, settings_, sub, table=TABLE) is None


# ------------------------------------------------------------------ plans
def price(
    price_id: str,
    product: str,
    unit_amount: int,
    *,
    interval: Interval = "month",
    count: int = 1,
    currency: str = "eur",
    active: bool = True,
    nickname: str | None = None,
) -> Price:
    return Price(
        id=price_id,
        product=product,
        unit_amount=unit_amount,
        currency=currency,
        active=active,
        nickname=nickname,
        recurring=Recurring(interval=interval, interval_count=count),
        created_at="2026-01-01T00:00:00Z",
    )


def product(product_id: str, name: str, *, active: bool = True) -> Product:
    return Product(
        id=product_id,
        name=name,
        active=active,
        metadata={},
        created_at="2026-01-01T00:00:00Z",
        created_order="0000000A",
    )


@pytest.fixture
def shelf(monkeypatch: pytest.MonkeyPatch) -> dict[str, Product | Price]:
    """The catalog's products and prices by ID, read through `catalog`'s services."""
    stored: dict[str, Product | Price] = {}

    def get(kind: str) -> Any:
        def read(scope: Scope, object_id: str, **_: Any) -> Product | Price:
            if not object_id.startswith(kind) or object_id not in stored:
                raise NotFound(f"No such {kind}: '{object_id}'")
            return stored[object_id]

        return read

    def product_prices(scope: Scope, product_id: str, *, limit: int, table: Table) -> list[Price]:
        data = [p for p in stored.values() if isinstance(p, Price) and p.product == product_id]
        return data[:limit]

    monkeypatch.setattr(catalog, "get_product", get("prod_"))
    monkeypatch.setattr(catalog, "get_price", get("price_"))
    monkeypatch.setattr(catalog, "product_prices", product_prices)
    for made_product in (
        product("prod_basic", "Basic"),
        product("prod_pro", "Pro"),
        product("prod_old", "Old", active=False),
    ):
        stored[made_product.id] = made_product
    for made in (
        price("price_basic_m", "prod_basic", 1000),
        price("price_basic_y", "prod_basic", 10000, interval="year"),
        price("price_basic_usd", "prod_basic", 1100, currency="usd"),
        price("price_basic_off", "prod_basic", 900, active=False),
        price("price_pro_m", "prod_pro", 3000, nickname="Pro monthly"),
        price("price_pro_q", "prod_pro", 8000, count=3),
        price("price_pro_w", "prod_pro", 800, interval="week"),
        price("price_old_m", "prod_old", 100),
    ):
        stored[made.id] = made
    return stored


UPDATE = {"allowedUpdates": ["price", "quantity"]}
CURRENT = PlanOffer("price_basic_m", "Plan price_basic_m", None, 1000, "eur", "month", 1, current=True)


class TestOfferedPlans:
    def test_the_current_plan_then_each_products_prices_shortest_interval_first(
        self, shelf: dict[str, Product | Price]
    ) -> None:
        sub = subscription(item("price_basic_m", 1000))
        products = [{"product": "prod_basic", "prices": []}, {"product": "prod_pro", "prices": []}]
        plans = offers.offered_plans(SCOPE, {**UPDATE, "products": products}, sub, table=TABLE)
        assert plans == [
            CURRENT,
            PlanOffer("price_basic_y", "Basic", None, 10000, "eur", "year", 1, current=False),
            PlanOffer("price_pro_w", "Pro", None, 800, "eur", "week", 1, current=False),
            PlanOffer("price_pro_m", "Pro monthly", "Pro monthly", 3000, "eur", "month", 1, current=False),
            PlanOffer("price_pro_q", "Pro", None, 8000, "eur", "month", 3, current=False),
        ]

    def test_listed_prices_only_and_never_another_products_or_a_missing_one(
        self, shelf: dict[str, Product | Price]
    ) -> None:
        sub = subscription(item("price_basic_m", 1000))
        products = [
            {"product": "prod_pro", "prices": ["price_pro_q", "price_basic_y", "price_gone"]},
            {"product": "prod_gone", "prices": []},
            {"product": "prod_old", "prices": []},  # an archived product
        ]
        plans = offers.offered_plans(SCOPE, {**UPDATE, "products": products}, sub, table=TABLE)
        assert [plan.price for plan in plans] == ["price_basic_m", "price_pro_q"]

    def test_without_price_updates_only_the_current_plan(self, shelf: dict[str, Product | Price]) -> None:
        sub = subscription(item("price_basic_m", 1000))
        settings_ = {"allowedUpdates": ["quantity"], "products": [{"product": "prod_pro", "prices": []}]}
        assert offers.offered_plans(SCOPE, settings_, sub, table=TABLE) == [CURRENT]

    def test_find_plan(self) -> None:
        assert offers.find_plan([CURRENT], "price_basic_m") is CURRENT
        assert offers.find_plan([CURRENT], "price_other") is None
