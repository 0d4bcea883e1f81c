"""The customers area's records: a customer with its tax IDs and credit, and a test clock.

Pure values (no keys, no table): `billing.customers.store` reads and writes them.
"""

from __future__ import annotations

from typing import Any

import msgspec


class TaxId(msgspec.Struct, frozen=True, kw_only=True):
    """A validated tax ID on a customer (`value` normalized, `country` the one it belongs to)."""

    id: str
    type: str
    value: str
    country: str
    created_at: str


class Customer(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    address: dict[str, Any] | None = None
    metadata: dict[str, str] = msgspec.field(default_factory=dict)
    test_clock: str | None = None
    default_payment_method: str | None = None
    tax_ids: tuple[TaxId, ...] = ()
    preferred_locale: str | None = None  # the language of its invoices: en, de, fr or es
    # Credit by currency in minor units, as kept (a spent credit stays, at 0).
    credit: dict[str, int] = msgspec.field(default_factory=dict)
    created_at: str
    version: int = 1

    def credit_balance(self, currency: str) -> int:
        """What the customer has to its credit in `currency` (from credit notes of earlier invoices)."""
        return self.credit.get(currency) or 0

    def credit_balances(self) -> dict[str, int]:
        """The currencies the customer has credit in, with the credit, by currency code."""
        return {currency: amount for currency, amount in sorted(self.credit.items()) if amount}

    def tax_id(self, tax_id: str) -> TaxId | None:
        return next((t for t in self.tax_ids if t.id == tax_id), None)

    def holds_tax_id(self, type_: str, value: str) -> bool:
        return any(t.type == type_ and t.value == value for t in self.tax_ids)


class TestClock(msgspec.Struct, frozen=True, kw_only=True):
    """A test-mode clock: the customers created on it live in its `frozen_time`."""

    __test__ = False  # (not a pytest test class)

    id: str
    name: str | None = None
    frozen_time: str
    status: str = "ready"
    created_at: str
    version: int = 1
