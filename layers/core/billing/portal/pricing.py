"""How the portal's prices relate to tax: a price is the amount before tax, and the invoice adds
the account's rate for the customer's billing country on top (an exclusive rate), or the price
already contains it (an inclusive rate), or no tax applies (no rate for the country, or the EU
reverse charge). The decision is the invoice's own (`billing.invoicing.tax`), so what a page says
next to a price is what the next invoice does.

It costs the rates query (skipped when the customer has no billing country), the customer read
when the page has not made it (skipped when the account has no rates), and, only for a customer
with an EU VAT ID who would otherwise be taxed, the account read when the page has not made it
(the seller's country decides the reverse charge).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import msgspec
from babel.numbers import format_percent

from billing.accounts import accounts
from billing.accounts.records import Account
from billing.catalog import taxrates
from billing.catalog.records import TaxRate
from billing.customers import customers
from billing.customers.records import Customer
from billing.invoicing import tax
from billing.kernel.scope import Scope
from billing.store.repository import Table


class TaxNote(msgspec.Struct, frozen=True):
    """What a page says next to a price: the tax the invoice adds to it, or the tax it contains."""

    tax_rate: TaxRate  # the rate the customer's invoices are taxed at

    @property
    def kind(self) -> Literal["added", "included"]:
        return "included" if self.tax_rate.inclusive else "added"

    @property
    def name(self) -> str:
        """The rate's display name, as the invoice names it."""
        return self.tax_rate.display_name

    @property
    def percentage(self) -> Decimal:
        return self.tax_rate.percentage

    def rate(self, locale: str) -> str:
        """`19%`, `19 %`, `8,875 %`: the percentage as `locale` writes it."""
        return str(format_percent(self.percentage / 100, locale=locale, decimal_quantization=False))

    def charged(self, amount: int) -> int:
        """What an invoice line of `amount` (after discounts) charges: with the tax an
        exclusive rate adds, rounded per line as the invoice rounds it."""
        return amount if self.tax_rate.inclusive else amount + tax.line_tax(amount, self.tax_rate)


def decide(rates: Sequence[TaxRate], customer: Customer, seller_country: Callable[[], str | None]) -> TaxNote | None:
    """The note for `customer`'s prices under `rates`, as `tax.compute` would tax an invoice:
    no rate for the billing country, or the reverse charge, is no note. `seller_country` is
    asked only when the reverse charge could apply."""
    address = customer.address or {}
    rate = tax.choose_rate(rates, address.get("country"), address.get("state"))
    if rate is None:
        return None
    if any(t.type == "eu_vat" for t in customer.tax_ids) and tax.is_reverse_charge(seller_country(), customer.tax_ids):
        return None
    return TaxNote(rate)


@dataclass
class Taxation:
    """What a customer's invoices are taxed by, for a page that shows several figures: the
    account's rates, read once (none for a customer without a billing country: no rate applies),
    and the seller's country, read at most once and only when a reverse charge could apply."""

    customer: Customer
    rates: Sequence[TaxRate]
    _seller_country: Callable[[], str | None]
    _seller_read: list[str | None] = field(default_factory=list)

    def seller_country(self) -> str | None:
        if not self._seller_read:
            self._seller_read.append(self._seller_country())
        return self._seller_read[0]

    def seller_country_if_needed(self) -> str | None:
        """The seller's country where the invoice's tax depends on it (a rate applies and the
        customer has an EU VAT ID, so a reverse charge could apply); else None, unread."""
        address = self.customer.address or {}
        rate = tax.choose_rate(self.rates, address.get("country"), address.get("state"))
        if rate is None or not any(t.type == "eu_vat" for t in self.customer.tax_ids):
            return None
        return self.seller_country()

    @property
    def note(self) -> TaxNote | None:
        return decide(self.rates, self.customer, self.seller_country)


def taxation(scope: Scope, customer: Customer, *, table: Table, account: Account | None = None) -> Taxation:
    """The customer's `Taxation`: the rates query only for a customer with a billing country (the
    account, for its country, only when needed and not given)."""
    rates = taxrates.all_active(scope, table=table) if (customer.address or {}).get("country") else []
    return Taxation(customer, rates, lambda: (account or accounts.get_account(scope.account_id, table=table)).country)


def tax_note(scope: Scope, customer: Customer, *, table: Table, account: Account | None = None) -> TaxNote | None:
    """The note for the customer's prices; a customer without a billing country reads nothing."""
    if not (customer.address or {}).get("country"):
        return None
    return taxation(scope, customer, table=table, account=account).note


def customer_tax_note(scope: Scope, customer_id: str, *, table: Table) -> TaxNote | None:
    """The note for a customer the page has not read: an account without rates reads no customer."""
    rates = taxrates.all_active(scope, table=table)
    if not rates:
        return None
    customer = customers.get(scope, customer_id, table=table)
    return decide(rates, customer, lambda: accounts.get_account(scope.account_id, table=table).country)
