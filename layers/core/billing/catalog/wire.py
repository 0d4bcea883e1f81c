"""The catalog's JSON forms: the API's answers, the events' objects, and the coupon a discount keeps
(a subscription stores its coupon as this wire form)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from billing.catalog.records import Coupon, Price, Product, TaxRate
from billing.kernel.scope import Scope


def number(value: Decimal) -> int | float:
    """An exact decimal as a JSON (and DynamoDB) number: whole ones as integers."""
    return int(value) if value == value.to_integral_value() else float(value)


def product_to_wire(product: Product, scope: Scope) -> dict[str, Any]:
    return {
        "id": product.id,
        "object": "product",
        "name": product.name,
        "description": product.description,
        "active": product.active,
        "metadata": product.metadata,
        "createdAt": product.created_at,
        "livemode": scope.livemode,
    }


def price_to_wire(price: Price, scope: Scope) -> dict[str, Any]:
    return {
        "id": price.id,
        "object": "price",
        "product": price.product,
        "unitAmount": price.unit_amount,
        "currency": price.currency,
        "recurring": {"interval": price.recurring.interval, "intervalCount": price.recurring.interval_count},
        "nickname": price.nickname,
        "active": price.active,
        "createdAt": price.created_at,
        "livemode": scope.livemode,
    }


def coupon_to_wire(coupon: Coupon, scope: Scope) -> dict[str, Any]:
    return {
        "id": coupon.id,
        "object": "coupon",
        "name": coupon.name,
        "percentOff": coupon.percent_off,
        "amountOff": coupon.amount_off,
        "currency": coupon.currency,
        "duration": coupon.duration,
        "durationInMonths": coupon.duration_in_months,
        "valid": coupon.valid,
        "createdAt": coupon.created_at,
        "livemode": scope.livemode,
    }


def tax_rate_to_wire(rate: TaxRate, scope: Scope) -> dict[str, Any]:
    return {
        "id": rate.id,
        "object": "tax_rate",
        "country": rate.country,
        "state": rate.state,
        "percentage": number(rate.percentage),
        "displayName": rate.display_name,
        "inclusive": rate.inclusive,
        "active": rate.active,
        "createdAt": rate.created_at,
        "livemode": scope.livemode,
    }
