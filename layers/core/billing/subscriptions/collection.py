"""Collecting a subscription's invoices: an open invoice paid again with the subscription's (or
the customer's) payment method; paying the latest invoice brings a `past_due` or `unpaid`
subscription back, and makes an `incomplete` one `active`; a new default payment method retries
the open invoices it would pay. Voiding or marking uncollectible that invoice moves the
subscription on too (`close_invoice`). A customer's last payment method stays while a
subscription charges it; removing one that subscriptions name makes them fall back to the
customer's default."""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from typing import Literal

from msgspec.structs import replace

from billing.customers import customers
from billing.customers.records import Customer
from billing.invoicing import invoices
from billing.invoicing.records import Invoice
from billing.kernel import clock
from billing.kernel.errors import BillingError, NotFound
from billing.kernel.scope import RequestInfo, Scope
from billing.payments import paymentmethods
from billing.payments.records import Behavior, PaymentMethod
from billing.store.repository import Operation, Table
from billing.subscriptions import store
from billing.subscriptions.records import Subscription
from billing.subscriptions.subscriptions import change_ops, get, now_for, payment_method_for

_logger = logging.getLogger(__name__)
# The subscriptions whose latest invoice, paid, makes them `active`.
OVERDUE = ("incomplete", "past_due", "unpaid")


def revived(sub: Subscription, now: datetime) -> Subscription:
    """`sub` (`incomplete`, `past_due` or `unpaid`) once its latest invoice is paid (or, but for an
    `incomplete` one, voided or written off): `active`, its retries over. An `unpaid` one whose
    period ended while it was not renewed starts a new cycle now (the clock renews it at once),
    rather than being charged for each period it was not renewed in."""
    after = replace(sub, status="active", dunning=None, version=sub.version + 1)
    if sub.unpaid and clock.from_wire(sub.current_period_end) < now:
        moment = clock.to_wire(now)
        after = replace(after, current_period_end=moment, billing_cycle_anchor=moment)
    return after


def revival_ops(
    scope: Scope, sub: Subscription, invoice_id: str, now: datetime, request: RequestInfo
) -> list[Operation]:
    """The writes that bring `sub` back when `invoice_id` is paid (to go with the payment, in its
    transaction): none unless it is the latest invoice of an `incomplete`, `past_due` or `unpaid`
    subscription."""
    if sub.status not in OVERDUE or sub.latest_invoice != invoice_id:
        return []
    return change_ops(scope, sub, revived(sub, now), "subscription.updated", request)


def expired(sub: Subscription, at: datetime) -> Subscription:
    """`sub` (`incomplete`) once its first invoice will not be paid: `incomplete_expired`, for good."""
    return replace(sub, status="incomplete_expired", ended_at=clock.to_wire(at), version=sub.version + 1)


def closing_ops(
    scope: Scope, sub: Subscription, invoice_id: str, now: datetime, request: RequestInfo
) -> list[Operation]:
    """The writes that move `sub` on when `invoice_id` is voided or marked uncollectible (to go
    with the invoice's change, in its transaction), as Stripe's: nothing is collected for it any
    more, so a `past_due` or `unpaid` subscription whose latest invoice it is is `active` again
    (its retries over; it renews as usual), and an `incomplete` one whose first invoice it is is
    `incomplete_expired`. None for any other invoice or subscription."""
    if sub.latest_invoice != invoice_id:
        return []
    if sub.incomplete:
        return change_ops(scope, sub, expired(sub, now), "subscription.updated", request)
    if sub.status in OVERDUE:
        return change_ops(scope, sub, revived(sub, now), "subscription.updated", request)
    return []


def close_invoice(
    scope: Scope, invoice_id: str, status: Literal["void", "uncollectible"], request: RequestInfo, *, table: Table
) -> Invoice:
    """Voids an open invoice or marks it uncollectible (`invoices.void`, `invoices.mark_uncollectible`),
    and moves the subscription it was collected for on in the same transaction (`closing_ops`)."""
    invoice = invoices.get(scope, invoice_id, table=table)
    ops: list[Operation] = []
    if invoice.subscription and invoice.status == "open":
        sub = get(scope, invoice.subscription, table=table)
        ops = closing_ops(scope, sub, invoice_id, now_for(scope, sub.test_clock, table), request)
    close = invoices.void if status == "void" else invoices.mark_uncollectible
    return close(scope, invoice_id, request, table=table, known=invoice, extra_ops=ops)


def pay_invoice(scope: Scope, invoice_id: str, request: RequestInfo, *, table: Table) -> Invoice:
    """Retries an open invoice with the subscription's (or customer's) payment method; a paid
    latest invoice brings an `incomplete`, `past_due` or `unpaid` subscription to `active` in the
    same transaction."""
    invoice = invoices.get(scope, invoice_id, table=table)
    customer = customers.get(scope, invoice.customer, table=table)
    sub = get(scope, invoice.subscription, table=table) if invoice.subscription else None
    method = payment_method_for(scope, customer, sub.default_payment_method if sub else None, table)
    now = now_for(scope, customer.test_clock, table)
    ops = revival_ops(scope, sub, invoice_id, now, request) if sub else []
    return invoices.pay(scope, invoice_id, method, request, now, subscription_ops=ops, table=table)


def method_to_charge(scope: Scope, customer: Customer, sub: Subscription | None, table: Table) -> PaymentMethod | None:
    """The subscription's payment method, or the customer's default when it names none or one
    that is gone (or the invoice has no subscription); None when neither is there (the charge
    then fails: `payment_method_missing`)."""
    named = sub.default_payment_method if sub is not None else None
    for pm_id in dict.fromkeys((named, customer.default_payment_method)):
        if pm_id:
            try:
                return paymentmethods.get(scope, customer.id, pm_id, table=table)
            except NotFound:
                continue
    return None


def attach_payment_method(
    scope: Scope,
    customer_id: str,
    details: paymentmethods.PaymentDetails,
    behavior: Behavior,
    request: RequestInfo,
    *,
    set_default: bool = False,
    table: Table,
) -> PaymentMethod:
    """Attaches a method (`paymentmethods.attach`); when it becomes the customer's default, the
    overdue invoices that charge the default are retried with it at once."""

    def retry(customer: Customer) -> None:
        assert customer.default_payment_method is not None
        retry_with_new_default(
            scope, customer_id, customer.default_payment_method, request, table=table, customer=customer
        )

    return paymentmethods.attach(
        scope, customer_id, details, behavior, request, set_default=set_default, on_new_default=retry, table=table
    )


def retry_with_new_default(
    scope: Scope,
    customer_id: str,
    pm_id: str,
    request: RequestInfo,
    *,
    table: Table,
    customer: Customer | None = None,
) -> None:
    """Called once `pm_id` is saved as the customer's default (the API's or the portal's change
    committed): the open latest invoice of each of the customer's `incomplete`, `past_due` or
    `unpaid` subscriptions that charge the default is charged with it at once, each in its own
    transaction; paid, the subscription is `active` again. A retry that fails leaves the method
    saved and the invoice open (with its `invoice.payment_failed`); one that cannot be made is
    logged, never raised: the change the customer asked for is done."""
    try:
        if customer is None:
            customer = customers.get(scope, customer_id, table=table)
        if customer.default_payment_method != pm_id:
            return
        overdue = [sub.id for sub in store.of_customer(table, scope, customer_id) if sub.status in OVERDUE]
    except Exception as error:  # the method is saved whatever happens here
        _log_retry_failure(scope, customer_id, None, error)
        return
    for sub_id in overdue:
        try:
            _retry_latest(scope, customer, sub_id, pm_id, request, table)
        except Exception as error:  # one subscription's retry must not stop the others'
            _log_retry_failure(scope, customer_id, sub_id, error)


def _retry_latest(
    scope: Scope, customer: Customer, sub_id: str, pm_id: str, request: RequestInfo, table: Table
) -> None:
    sub = get(scope, sub_id, table=table)  # the bundle may lag: the current version
    if sub.status not in OVERDUE or sub.latest_invoice is None or sub.default_payment_method not in (None, pm_id):
        return  # (a subscription that names another method of its own is charged with that one)
    invoice = invoices.get(scope, sub.latest_invoice, table=table)
    if invoice.status != "open" or invoice.payment_pending == "processing":
        return
    method = paymentmethods.get(scope, customer.id, pm_id, table=table)
    now = now_for(scope, customer.test_clock, table)
    ops = revival_ops(scope, sub, invoice.id, now, request)
    invoices.pay(scope, invoice.id, method, request, now, subscription_ops=ops, table=table, off_session=True)


def _log_retry_failure(scope: Scope, customer_id: str, sub_id: str | None, error: Exception) -> None:
    fields: dict[str, str | bool | None] = {
        "account": scope.account_id,
        "livemode": scope.livemode,
        "customer": customer_id,
        "subscription": sub_id,
        "error": type(error).__name__,
    }
    if isinstance(error, BillingError):
        fields["code"] = error.code
    _logger.warning("retry with the new default payment method failed", extra=fields)


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
