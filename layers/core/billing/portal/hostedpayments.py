"""Paying an invoice from its hosted page (no portal session): with the customer's saved method
(the path `POST /v1/invoices/{id}/pay` takes), or with a card just saved in the gateway's fields.

Either way the payment is the invoice's own (`invoices.pay`): a paid latest invoice brings its
`past_due` or `unpaid` subscription back in the same transaction, and the events carry the
request's source (the portal, with the browser's address and user agent).
"""

from __future__ import annotations

from billing.customers import customers
from billing.invoicing import invoices
from billing.invoicing.records import Invoice
from billing.kernel.scope import RequestInfo, Scope
from billing.payments import paymentmethods
from billing.payments.records import PaymentMethod
from billing.store.repository import Table
from billing.subscriptions import collection, subscriptions


def saved_method(scope: Scope, invoice: Invoice, *, table: Table) -> PaymentMethod | None:
    """The method a payment with the saved method would charge: the subscription's, else the
    customer's default (None: there is nothing to charge)."""
    customer = customers.get(scope, invoice.customer, table=table)
    sub = subscriptions.get(scope, invoice.subscription, table=table) if invoice.subscription else None
    return collection.method_to_charge(scope, customer, sub, table)


def pay_with_saved_method(scope: Scope, invoice_id: str, request: RequestInfo, *, table: Table) -> Invoice:
    return collection.pay_invoice(scope, invoice_id, request, table=table)


def pay_with_new_card(scope: Scope, invoice: Invoice, setup_ref: str, request: RequestInfo, *, table: Table) -> Invoice:
    """The card a setup in the gateway's fields saved, attached to the invoice's customer (their
    default only when they have none), then charged for the invoice."""
    details = paymentmethods.details_from_setup(scope, invoice.customer, setup_ref, table=table)
    method = paymentmethods.attach(scope, invoice.customer, details, "succeed", request, table=table)
    customer = customers.get(scope, invoice.customer, table=table)
    now = subscriptions.now_for(scope, customer.test_clock, table)
    revival = []
    if invoice.subscription:
        sub = subscriptions.get(scope, invoice.subscription, table=table)
        revival = collection.revival_ops(scope, sub, invoice.id, now, request)
    return invoices.pay(scope, invoice.id, method, request, now, subscription_ops=revival, table=table)
