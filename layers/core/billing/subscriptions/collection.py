"""Collecting a subscription's invoices: an open invoice paid again with the subscription's (or
the customer's) payment method; paying the latest invoice brings a `past_due` subscription back."""

from __future__ import annotations

from billing.customers import customers
from billing.invoicing import invoices
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Item, Operation, Table
from billing.subscriptions.subscriptions import change_ops, get, now_for, payment_method_for


def pay_invoice(scope: Scope, invoice_id: str, request: RequestInfo, *, table: Table) -> Item:
    """Retries an open invoice with the subscription's (or customer's) payment method; a paid
    latest invoice brings a `past_due` subscription back to `active` in the same transaction."""
    invoice = invoices.get(scope, invoice_id, table=table)
    customer = customers.get(scope, invoice["customer"], table=table)
    sub = get(scope, invoice["subscription"], table=table) if invoice.get("subscription") else None
    method = payment_method_for(scope, customer, (sub or {}).get("defaultPaymentMethod"), table)
    now = now_for(scope, customer.get("testClock"), table)
    ops: list[Operation] = []
    if sub and sub["status"] == "past_due" and sub.get("latestInvoice") == invoice_id:
        ops = change_ops(
            scope, sub, {**sub, "status": "active", "version": sub["version"] + 1}, "subscription.updated", request
        )
    return invoices.pay(scope, invoice_id, method, request, now, subscription_ops=ops, table=table)
