"""Products, prices, coupons and tax rates."""

from __future__ import annotations

from typing import Literal

from merchant_api.responses.base import Page, Wire
from merchant_api.responses.common import Metadata, Timestamp


class Product(Wire):
    """A product."""

    id: str
    object: Literal["product"]
    name: str
    description: str | None
    active: bool
    metadata: Metadata
    createdAt: Timestamp
    livemode: bool


class PriceRecurring(Wire):
    interval: Literal["day", "week", "month", "year"]
    intervalCount: int


class Price(Wire):
    """A recurring price of a product."""

    id: str
    object: Literal["price"]
    product: str
    unitAmount: int
    currency: str
    recurring: PriceRecurring
    nickname: str | None
    active: bool
    createdAt: Timestamp
    livemode: bool


class Coupon(Wire):
    """A coupon: `percentOff` or `amountOff` (with its `currency`)."""

    id: str
    object: Literal["coupon"]
    name: str | None
    percentOff: float | None
    amountOff: int | None
    currency: str | None
    duration: Literal["once", "repeating", "forever"]
    durationInMonths: int | None
    valid: bool
    createdAt: Timestamp
    livemode: bool


class TaxRate(Wire):
    """A tax rate."""

    id: str
    object: Literal["tax_rate"]
    country: str
    state: str | None
    percentage: float
    displayName: str
    inclusive: bool
    active: bool
    createdAt: Timestamp
    livemode: bool


class ProductList(Page):
    """A page of products."""

    data: list[Product]


class PriceList(Page):
    """A page of prices."""

    data: list[Price]


class TaxRateList(Page):
    """A page of tax rates."""

    data: list[TaxRate]
