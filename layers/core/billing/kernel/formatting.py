"""Money and dates as people read them, by locale (Babel): the portal and the invoice PDF."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency

from billing.kernel import clock
from billing.kernel.money import exponent


def money(amount: int, currency: str, locale: str = "en") -> str:
    """`€29.00`, `29,00 €`, `¥1,200` for minor units of `currency` in `locale`."""
    return str(format_currency(Decimal(amount).scaleb(-exponent(currency)), currency.upper(), locale=locale))


def day(wire_time: str | None, locale: str = "en") -> str:
    """`Nov 1, 2026` / `01.11.2026` for a wire timestamp; empty for none."""
    if not wire_time:
        return ""
    moment: datetime = clock.from_wire(wire_time)
    return str(format_date(moment.date(), format="medium", locale=locale))
