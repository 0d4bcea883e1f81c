"""Money and dates by locale: what the portal and the invoice PDF show."""

from __future__ import annotations

from billing.kernel import formatting


def test_money_uses_the_currency_exponent_and_the_locale() -> None:
    assert formatting.money(123456, "eur") == "€1,234.56"
    assert formatting.money(500, "jpy") == "¥500"
    assert formatting.money(1234, "kwd").endswith("1.234")  # three decimals
    assert formatting.money(-533, "usd", "de") == "-5,33\xa0$"
    assert formatting.money(2900, "eur", "fr") == "29,00\xa0€"


def test_days_by_locale() -> None:
    assert formatting.day("2026-11-01T10:00:00Z") == "Nov 1, 2026"
    assert formatting.day("2026-11-01T10:00:00Z", "de") == "01.11.2026"
    assert formatting.day(None) == ""
