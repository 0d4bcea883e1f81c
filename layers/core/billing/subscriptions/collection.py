"""Collecting a subscription's invoices: an open invoice paid again with the subscription's (or
the customer's) payment method; paying the latest invoice brings a `past_due` subscription back.
A customer's last payment method stays while a subscription charges it; removing one that
subscriptions name makes them fall back to the customer's default."""

from __future__ import annotations

import functools

from msgspec.structs import replace

from billing.customers import customers
from billing.invoicing import invoices
from billing.invoicing.records import Invoice
from billing.kernel.scope import RequestInfo, Scope
from billing.payments import paymentmethods
from billing.payments.records import PaymentMethod
from billing.store.repository import Operation, Table
from billing.subscriptions import store
from billing.subscriptions.subscriptions import change_ops, get, now_for, payment_method_for


def pay_invoice(scope: Scope, invoice_id: str, request: RequestInfo, *, table: Table) -> Invoice:
    """Retries an open invoice with the subscription's (or customer's) payment method; a paid
    latest invoice brings a `past_due` subscription back to `active` in the same transaction."""
    invoice = invoices.get(scope, invoice_id, table=table)
    customer = customers.get(scope, invoice.customer, table=table)
    sub = get(scope, invoice.subscription, table=table) if invoice.subscription else None
    method = payment_method_for(scope, customer, sub.default_payment_method if sub else None, table)
    now = now_for(scope, customer.test_clock, table)
    ops: list[Operation] = []
    if sub and sub.status == "past_due" and sub.latest_invoice == invoice_id:
        revived = replace(sub, status="active", version=sub.version + 1)
        ops = change_ops(scope, sub, revived, "subscription.updated", request)
    return invoices.pay(scope, invoice_id, method, request, now, subscription_ops=ops, table=table)


def detach_payment_method(
    scope: Scope, customer_id: str, pm_id: str, request: RequestInfo, *, table: Table
) -> PaymentMethod:
    """Removes a payment method, refusing the last one while a live paid subscription charges it.
    The subscriptions that name it fall back to the customer's default (their
    `defaultPaymentMethod` is cleared, with a `subscription.updated` each) in the same
    transaction, so no renewal is left naming a method that is gone."""
    subs = functools.cache(lambda: store.of_customer(table, scope, customer_id))

    def repoint() -> list[Operation]:
        ops: list[Operation] = []
        for listed in subs():
            if listed.default_payment_method != pm_id:
                continue
            sub = get(scope, listed.id, table=table)  # the index may lag: write over the current version
            if sub.default_payment_method == pm_id:
                after = replace(sub, default_payment_method=None, version=sub.version + 1)
                ops += change_ops(scope, sub, after, "subscription.updated", request)
        return ops

    return paymentmethods.detach(
        scope,
        customer_id,
        pm_id,
        request,
        still_charged=lambda: any(sub.charges for sub in subs()),
        repoint=repoint,
        table=table,
    )
