"""An invoice as the billing core holds it: its lines, the state of its collection, and the
figures its lines add up to (computed here, and only here)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

InvoiceStatus = Literal["draft", "open", "paid", "void", "uncollectible"]
# What a line is, so that it can be worded in the invoice's language (`billing.invoicing.wording`).
LineKind = Literal["plan", "trial", "unused_time", "remaining_time"]


class InvoiceLine(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    description: str
    amount: int  # negative for a credit (unused time)
    quantity: int
    unit_amount: int | None
    price: str | None
    period_start: str
    period_end: str
    proration: bool
    discount_amount: int
    tax_amount: int
    # The line's parts (None on lines stored before they were kept: `description` is their text).
    # `description` stays the English text the API answers.
    kind: LineKind | None = None
    item_description: str | None = None  # the price's own name, the merchant's words
    at: str | None = None  # the instant of a change (proration lines)


class CouponTerms(msgspec.Struct, frozen=True, kw_only=True):
    """The coupon an invoice's discount came from, in parts: its name as the merchant wrote it,
    and what it takes off (a percentage, as a decimal string, or an amount in the invoice's currency)."""

    name: str
    percent_off: str | None = None
    amount_off: int | None = None


PaymentPending = Literal["processing", "requires_action"]


class PaymentError(msgspec.Struct, frozen=True, kw_only=True):
    """Why the last charge of an invoice failed (the gateway's code and message); `declined`
    when the issuer or bank said no (then `code` is its reason), rather than the charge not
    being made or processed."""

    code: str | None
    message: str | None
    declined: bool = False


class Invoice(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    number: str | None  # given at finalization
    customer: str
    subscription: str | None
    status: InvoiceStatus
    currency: str
    lines: tuple[InvoiceLine, ...]
    discount_name: str | None  # the English label the API answers
    discount_terms: CouponTerms | None = None  # None on invoices stored before it was kept
    tax_name: str | None
    tax_inclusive: bool
    reverse_charge_note: str | None
    applied_credit: int  # the customer's credit this invoice used
    amount_paid: int
    amount_remaining: int
    period_start: str
    period_end: str
    created_at: str
    finalized_at: str | None
    paid_at: str | None
    attempt_count: int
    last_payment_error: PaymentError | None
    # The gateway's payment of the last attempt (Stripe: pi_…), and what it waits for: the
    # outcome the gateway reports later (SEPA), or the customer's authentication (3-D Secure).
    payment_reference: str | None = None
    payment_pending: PaymentPending | None = None
    seller: dict[str, Any]  # the account as it stood when the invoice was made
    # The customer as it stood (name, email, address, tax IDs, preferredLocale: the invoice's language)
    customer_details: dict[str, Any]
    version: int
    # The hosted link's generation (`billing.invoicing.hostedlinks`): replacing the link moves it on.
    link_generation: int = 1
    # When it was voided or marked uncollectible (None on invoices stored before it was kept).
    closed_at: str | None = None

    @property
    def locale(self) -> str | None:
        """The language the invoice is written in (its customer's preferred locale when it was made)."""
        value = self.customer_details.get("preferredLocale")
        return value if isinstance(value, str) else None

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount_amount for line in self.lines)

    @property
    def tax(self) -> int:
        return sum(line.tax_amount for line in self.lines)

    @property
    def total(self) -> int:
        """The lines after discounts, with the tax on top unless the prices include it."""
        return self.subtotal - self.discount + (0 if self.tax_inclusive else self.tax)

    @property
    def amount_before_credit(self) -> int:
        """What the invoice charges before the customer's credit (a negative total charges nothing)."""
        return max(self.total, 0)

    @property
    def amount_due(self) -> int:
        return self.amount_before_credit - self.applied_credit

    @property
    def credited_to_customer(self) -> int:
        """What a negative total leaves to the customer's credit."""
        return max(-self.total, 0)

    @property
    def credit_change(self) -> int:
        """The change this invoice makes to the customer's credit in its currency."""
        return self.credited_to_customer - self.applied_credit
