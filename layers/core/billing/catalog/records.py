"""What a merchant sells and the discounts and taxes it applies: products, prices, coupons,
a subscription's applied coupon (`Discount`), and tax rates.

Catalog objects never change what they charge once created (a new price replaces an old one);
a product's name, description, metadata and `active`, and a price's nickname and `active`, may
change (`active: false` archives: offered to no new subscription, kept by the existing ones).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import msgspec

Interval = Literal["day", "week", "month", "year"]
Duration = Literal["once", "repeating", "forever"]


class Product(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # may be the merchant's own, e.g. prod_basic
    name: str
    description: str | None = None
    active: bool = True
    metadata: dict[str, Any]
    created_at: str
    # When it was made, to the millisecond, as 8 characters that sort as the times do
    # (`ids.time_prefix`): a merchant's IDs do not sort by time, so the product list sorts by this.
    created_order: str
    version: int = 1


class Recurring(msgspec.Struct, frozen=True, kw_only=True):
    interval: Interval
    interval_count: int = 1


class Price(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    product: str
    unit_amount: int
    currency: str
    recurring: Recurring
    nickname: str | None = None
    active: bool = True
    created_at: str
    version: int = 1

    def description(self, product: Product) -> str:
        """What an invoice line or a plan of this price is called: its nickname, or the product's name."""
        return self.nickname or product.name


class Coupon(msgspec.Struct, frozen=True, kw_only=True):
    """A percentage off (`percent_off`) or an amount off in one currency (`amount_off`, `currency`)."""

    id: str  # may be the merchant's own, e.g. rwd_save20
    name: str | None = None
    percent_off: float | None = None  # as given and stored (a JSON number): 20, 12.5
    amount_off: int | None = None
    currency: str | None = None
    duration: Duration
    duration_in_months: int | None = None  # with duration "repeating" only
    valid: bool = True
    created_at: str
    # As for a product (see Product.created_order); None in the snapshot a discount keeps, which
    # holds the coupon's terms, not its place in the coupon list.
    created_order: str | None

    @property
    def percent(self) -> Decimal | None:
        """`percent_off` exactly, for arithmetic."""
        return None if self.percent_off is None else Decimal(str(self.percent_off))

    def applies_to(self, currency: str) -> bool:
        """Whether it can discount an amount in `currency` (a percentage applies to any)."""
        return self.currency in (None, currency)

    @property
    def label(self) -> str:
        """Its name (its ID without one), with the percentage: `Save 20 (20% off)`."""
        label = self.name or self.id
        percent = self.percent
        return label if percent is None else f"{label} ({percent.normalize():f}% off)"


class Discount(msgspec.Struct, frozen=True, kw_only=True):
    """A coupon applied to a subscription from `start` (until `end`, for a repeating one)."""

    coupon: Coupon
    start: str
    end: str | None = None


class TaxRate(msgspec.Struct, frozen=True, kw_only=True):
    """A rate charged by the customer's billing country (and state); `percentage` is exact."""

    id: str
    country: str
    state: str | None = None
    percentage: Decimal
    display_name: str
    inclusive: bool = False
    active: bool = True
    created_at: str

    @property
    def label(self) -> str:
        """`USt. 19%`: how an invoice names the tax."""
        return f"{self.display_name} {self.percentage.normalize():f}%"
