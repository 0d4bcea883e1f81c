"""The upcoming invoice of a subscription, with or without a change (`GET /v1/invoices/upcoming`
and the portal's confirmation page): the invoice that the change or the next renewal would make;
the final invoice an immediate cancellation would make (the portal's cancel page); and the
renewal's invoice from what is already read (the portal's overview)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from billing.accounts import accounts
from billing.accounts.records import Account
from billing.catalog.records import TaxRate
from billing.customers import customers
from billing.customers.records import Customer
from billing.invoicing import invoices
from billing.invoicing.records import Invoice
from billing.kernel import clock
from billing.kernel.errors import InvalidRequest
from billing.kernel.scope import Scope
from billing.store.repository import Table
from billing.subscriptions import renewals
from billing.subscriptions.changes import plan_change, resolve_requested, scheduled_period
from billing.subscriptions.lines import (
    cancellation_lines,
    discount_for,
    pending_to_lines,
    period_lines,
    span,
)
from billing.subscriptions.reads import Reads
from billing.subscriptions.records import Subscription
from billing.subscriptions.store import read_together
from billing.subscriptions.subscriptions import draft_invoice, found, now_for, period_after, tax_rates_for


def preview(
    scope: Scope,
    sub_id: str,
    *,
    price: str | None,
    quantity: int | None,
    behavior: str,
    at_period_end: bool = False,
    table: Table,
    known: Reads | None = None,
) -> dict[str, Any]:
    """What a change would cost now and on the next invoice; nothing is written. With
    `at_period_end`, the change is the one `schedule_change` would keep: nothing now, the new
    items from the next period on (as is a change already scheduled when none is asked for).
    `known` is what the request has already read (the portal's page: the subscription, the
    customer, the account); the rest is read together."""
    reads = _preview_reads(scope, sub_id, price, known or Reads(), table)
    sub = found(reads.subscription, sub_id)
    if sub.canceled:
        raise InvalidRequest(
            "A canceled subscription has no upcoming invoice.", param="subscription", code="subscription_canceled"
        )
    now = now_for(scope, sub.test_clock, table)
    items, change, later = sub.items, None, None
    if price or quantity:
        if len(sub.items) != 1:
            raise InvalidRequest("Previewing a switch takes a subscription with one item.", param="price")
        current = sub.items[0]
        wanted = [{"price": price or current.price, "quantity": quantity or current.quantity}]
        items = resolve_requested(scope, sub, {"items": wanted}, table)
        if at_period_end:
            later = scheduled_period(sub, items)
        else:
            change = plan_change(sub, items, behavior, now)
    elif sub.scheduled_change is not None:
        items = sub.scheduled_change.items
        later = scheduled_period(sub, items)
    pending = pending_to_lines(sub.pending_invoice_items)
    customer = reads.customer_of(sub) or customers.get(scope, sub.customer, table=table)
    account = reads.account or accounts.get_account(scope.account_id, table=table)
    rates = tax_rates_for(scope, customer, table=table)

    def draft(lines: list[invoices.Line], start: datetime, end: datetime) -> dict[str, Any]:
        built = invoices.build(
            scope,
            account=account,
            customer=customer,
            currency=sub.currency,
            lines=lines,
            discount=discount_for(sub.discount, start),
            tax_rates=rates,
            subscription=sub_id,
            period_start=start,
            period_end=end,
            now=now,
        )
        wire = invoices.to_wire(built, scope)
        wire.update(id=None, status="upcoming", seller=None, customerDetails=None, hostedInvoiceUrl=None)
        return wire

    immediate = None
    period_start, period_end = clock.from_wire(sub.current_period_start), clock.from_wire(sub.current_period_end)
    if change is not None:
        period_start, period_end = change.period
        if change.invoice_now:
            immediate = draft(pending + change.invoice_now, period_start, period_end)
            pending = []
        pending += change.pending
    upcoming = None
    if not sub.cancel_at_period_end:
        resets = change is not None and change.resets_cycle
        anchor = period_start if resets else clock.from_wire(sub.billing_cycle_anchor)
        next_start, next_end = later or period_after(anchor, period_end, items)
        upcoming = draft(pending + period_lines(items, next_start, next_end), next_start, next_end)
    return {
        "object": "upcoming_invoice",
        "subscription": sub_id,
        "prorationDate": clock.to_wire(now),
        "prorationBehavior": behavior,
        "immediate": immediate,
        "next": upcoming,
    }


def _preview_reads(scope: Scope, sub_id: str, price: str | None, known: Reads, table: Table) -> Reads:
    """What a preview reads that the caller has not: the subscription, the price asked for and
    its product, the customer and the account, together."""
    held = known.subscription
    wants_customer = held is None or known.customer_of(held) is None
    fresh = read_together(
        table,
        scope,
        subscription=None if held else sub_id,
        prices=[price] if price else [],
        customer=held.customer if wants_customer and held else None,
        customer_of_subscription=wants_customer and held is None,
        account=known.account is None,
    )
    return known.merged(fresh)


def cancellation(
    scope: Scope,
    sub: Subscription,
    *,
    prorate: bool,
    invoice_now: bool,
    table: Table,
    known: Reads | None = None,
    tax_rates: Sequence[TaxRate] | None = None,
) -> Invoice | None:
    """The final invoice `subscriptions.cancel` would issue now with the same options (None when
    it would issue none), built by the same rule; nothing is written. Its `credited_to_customer`
    is what the cancellation adds to the customer's credit. The customer, the account and the
    rates are read unless the caller has (`known`, `tax_rates`)."""
    now = now_for(scope, sub.test_clock, table)
    lines = cancellation_lines(sub, now, prorate=prorate, invoice_now=invoice_now)
    if not lines:
        return None
    known = known or Reads()
    customer = known.customer_of(sub) or customers.get(scope, sub.customer, table=table)
    return draft_invoice(
        scope,
        sub,
        customer,
        lines,
        discount=sub.discount,
        period=span(lines),
        now=now,
        table=table,
        account=known.account,
        tax_rates=tax_rates,
    )


def renewal(
    scope: Scope,
    sub: Subscription,
    customer: Customer,
    *,
    tax_rates: Sequence[TaxRate],
    seller_country: str | None,
) -> Invoice | None:
    """The invoice the subscription's next period end makes, as `renewals.step` makes it (a
    change kept for the period end first, the pending items, the discount then in force, the
    customer's credit applied), from records already read: no AWS call. None when the
    subscription ends then. Only its figures are meant: its seller is a stand-in with the
    account's country, the one thing of the seller the figures depend on."""
    if not sub.renews:
        return None
    coming = renewals.next_renewal(sub)
    seller = Account(id=scope.account_id, name="", country=seller_country, created_at=sub.created_at, version=0)
    return invoices.build(
        scope,
        account=seller,
        customer=customer,
        currency=sub.currency,
        lines=coming.lines,
        discount=coming.discount,
        tax_rates=tax_rates,
        subscription=sub.id,
        period_start=coming.start,
        period_end=coming.end,
        now=coming.start,
    )
