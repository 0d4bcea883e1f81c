"""Subscriptions: items on recurring prices, billed in advance each period (kept by
`billing.subscriptions.store`; the record is `billing.subscriptions.records.Subscription`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from msgspec.structs import replace

from billing.accounts import accounts
from billing.accounts.records import Account
from billing.catalog import catalog, taxrates
from billing.catalog.records import Discount, TaxRate
from billing.catalog.wire import coupon_to_wire
from billing.customers import customers
from billing.customers import store as customer_store
from billing.customers.records import Customer
from billing.events import events
from billing.invoicing import invoices
from billing.invoicing.records import Invoice
from billing.kernel import clock
from billing.kernel.errors import InvalidRequest, NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.metadata import merge_metadata
from billing.kernel.scope import RequestInfo, Scope
from billing.payments import gateway, paymentmethods
from billing.payments.records import PaymentMethod
from billing.store.repository import Operation, Table, UnitOfWork
from billing.subscriptions import proration, store
from billing.subscriptions.lines import (
    cancellation_lines,
    charged,
    discount_for,
    period_lines,
    span,
)
from billing.subscriptions.proration import add_months, period_boundary
from billing.subscriptions.reads import Reads
from billing.subscriptions.records import ScheduledChange, Subscription, SubscriptionItem, recurring_amount

SUBSCRIPTION_CHANGED = "The subscription was changed by another request; retry."
T = TypeVar("T")


def now_for(scope: Scope, test_clock: str | None, table: Table) -> datetime:
    """The time a customer's objects live in: its test clock's, or the real one."""
    if not test_clock:
        return clock.now()
    frozen = customer_store.get_test_clock(table, scope, test_clock)
    if frozen is None:
        raise InvalidRequest(f"No such test clock: '{test_clock}'.", param="testClock")
    return clock.from_wire(frozen.frozen_time)


# ------------------------------------------------------------------ wire
def item_to_wire(item: SubscriptionItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "price": item.price,
        "product": item.product,
        "description": item.description,
        "quantity": item.quantity,
        "unitAmount": item.unit_amount,
        "currency": item.currency,
        "interval": item.interval,
        "intervalCount": item.interval_count,
    }


def discount_to_wire(discount: Discount, scope: Scope) -> dict[str, Any]:
    return {"coupon": coupon_to_wire(discount.coupon, scope), "start": discount.start, "end": discount.end}


def scheduled_change_to_wire(change: ScheduledChange) -> dict[str, Any]:
    return {"items": [item_to_wire(i) for i in change.items], "at": change.at}


def to_wire(sub: Subscription, scope: Scope) -> dict[str, Any]:
    return {
        "id": sub.id,
        "object": "subscription",
        "customer": sub.customer,
        "status": sub.status,
        "items": [item_to_wire(i) for i in sub.items],
        "currency": sub.currency,
        "discount": discount_to_wire(sub.discount, scope) if sub.discount else None,
        "defaultPaymentMethod": sub.default_payment_method,
        "billingCycleAnchor": sub.billing_cycle_anchor,
        "currentPeriodStart": sub.current_period_start,
        "currentPeriodEnd": sub.current_period_end,
        "trialStart": sub.trial_start,
        "trialEnd": sub.trial_end,
        "cancelAtPeriodEnd": sub.cancel_at_period_end,
        "canceledAt": sub.canceled_at,
        "endedAt": sub.ended_at,
        "cancellationDetails": sub.cancellation_details,
        "latestInvoice": sub.latest_invoice,
        "scheduledChange": scheduled_change_to_wire(sub.scheduled_change) if sub.scheduled_change else None,
        "testClock": sub.test_clock,
        "metadata": sub.metadata,
        "createdAt": sub.created_at,
        "livemode": scope.livemode,
    }


# ------------------------------------------------------------------ writes
def change_ops(
    scope: Scope, before: Subscription, after: Subscription, event_type: str, request: RequestInfo
) -> list[Operation]:
    """`after` written only over the version read (`before`), with the event that says so."""
    before_wire, after_wire = to_wire(before, scope), to_wire(after, scope)
    event = events.event_item(
        scope,
        event_type,
        after_wire,
        request,
        previous=events.previous_attributes(before_wire, after_wire),
        customer=before.customer,
    )
    return [store.replace(scope, after, before.version), events.event_op(event)]


def draft_invoice(
    scope: Scope,
    sub: Subscription,
    customer: Customer,
    lines: list[invoices.Line],
    *,
    discount: Discount | None,
    period: tuple[datetime, datetime],
    now: datetime,
    table: Table,
    account: Account | None = None,
    tax_rates: Sequence[TaxRate] | None = None,
) -> Invoice:
    """A draft invoice of `sub` with the account as seller and its current tax rates, and the
    discount as far as it is in force in the invoice's period. The account and the rates are
    read unless the caller has read them."""
    return invoices.build(
        scope,
        account=account or accounts.get_account(scope.account_id, table=table),
        customer=customer,
        currency=sub.currency,
        lines=lines,
        discount=discount_for(discount, period[0]),
        tax_rates=tax_rates_for(scope, customer, table=table) if tax_rates is None else tax_rates,
        subscription=sub.id,
        period_start=period[0],
        period_end=period[1],
        now=now,
    )


def tax_rates_for(scope: Scope, customer: Customer, *, table: Table) -> list[TaxRate]:
    """The rates an invoice of `customer` chooses from: the account's active ones, read only for
    a customer with a billing country (without one, no rate applies)."""
    return taxrates.all_active(scope, table=table) if (customer.address or {}).get("country") else []


def _lookup(fetch: Callable[[], T], param: str) -> T:
    """A referenced object, or a 400 naming the parameter that referred to it."""
    try:
        return fetch()
    except NotFound as missing:
        raise InvalidRequest(missing.message, param=param, code="resource_missing") from None


def resolve_items(scope: Scope, requested: Sequence[Mapping[str, Any]], table: Table) -> tuple[SubscriptionItem, ...]:
    """The requested items resolved against their prices: one currency, one billing interval."""
    if not requested:
        raise InvalidRequest("A subscription needs at least one item.", param="items")
    resolved = []
    for n, entry in enumerate(requested):
        price = _lookup(partial(catalog.get_price, scope, entry["price"], table=table), f"items.{n}.price")
        if not price.active:
            raise InvalidRequest(f"Price '{price.id}' is not active.", param=f"items.{n}.price")
        product = catalog.get_product(scope, price.product, table=table)
        if not product.active:  # archived: kept by the subscriptions that have it, offered to no new one
            raise InvalidRequest(f"Price '{price.id}' is of an archived product.", param=f"items.{n}.price")
        resolved.append(
            SubscriptionItem(
                id=sortable_id("si"),
                price=price.id,
                product=price.product,
                description=price.description(product),
                quantity=int(entry.get("quantity", 1)),
                unit_amount=price.unit_amount,
                currency=price.currency,
                interval=price.recurring.interval,
                interval_count=price.recurring.interval_count,
            )
        )
    if len({i.currency for i in resolved}) > 1:
        raise InvalidRequest(
            "All items of a subscription must be in one currency.", param="items", code="currency_mismatch"
        )
    if len({i.cycle for i in resolved}) > 1:
        raise InvalidRequest(
            "All items of a subscription must bill on one interval.", param="items", code="interval_mismatch"
        )
    if len({i.price for i in resolved}) < len(resolved):
        raise InvalidRequest("Each price may appear once; use quantity instead.", param="items")
    return tuple(resolved)


def resolve_discount(
    scope: Scope, coupon_id: str | None, currency: str, now: datetime, table: Table
) -> Discount | None:
    if not coupon_id:
        return None
    coupon = _lookup(lambda: catalog.get_coupon(scope, coupon_id, table=table), "coupon")
    if not coupon.applies_to(currency):
        raise InvalidRequest(
            f"Coupon '{coupon_id}' is in {coupon.currency}, the subscription in {currency}.", param="coupon"
        )
    end = None
    if coupon.duration == "repeating":
        end = clock.to_wire(add_months(now, int(coupon.duration_in_months or 0)))
    # The discount keeps the coupon's terms as they are now (its place in the coupon list aside).
    return Discount(coupon=replace(coupon, created_order=None), start=clock.to_wire(now), end=end)


def payment_method_for(scope: Scope, customer: Customer, requested: str | None, table: Table) -> PaymentMethod | None:
    return _payment_method(scope, customer.id, requested or customer.default_payment_method, table)


def _payment_method(scope: Scope, customer_id: str, pm_id: str | None, table: Table) -> PaymentMethod | None:
    if not pm_id:
        return None
    return _lookup(lambda: paymentmethods.get(scope, customer_id, pm_id, table=table), "defaultPaymentMethod")


def check_payment_method(scope: Scope, customer_id: str, pm_id: str | None, table: Table) -> None:
    """400 unless `pm_id` (when given) is one of the customer's payment methods."""
    _payment_method(scope, customer_id, pm_id, table)


def create(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Subscription:
    customer = _lookup(lambda: customers.get(scope, fields["customer"], table=table), "customer")
    items = resolve_items(scope, fields.get("items") or [], table)
    currency = items[0].currency
    now = now_for(scope, customer.test_clock, table)
    discount = resolve_discount(scope, fields.get("coupon"), currency, now, table)
    method = payment_method_for(scope, customer, fields.get("defaultPaymentMethod"), table)
    trial_days = fields.get("trialDays")
    interval, count = items[0].cycle
    if trial_days:
        period_end = now + timedelta(days=int(trial_days))
        lines = [
            invoices.Line(
                f"Trial period for {i.description}",
                0,
                i.quantity,
                0,
                i.price,
                now,
                period_end,
                kind="trial",
                item_description=i.description,
            )
            for i in items
        ]
    else:
        period_end = period_boundary(now, interval, count, 1)
        # (in live mode the charge itself refuses, 409 `payment_gateway_not_configured`)
        if recurring_amount(items) > 0 and method is None and gateway.connected(scope):
            raise InvalidRequest(
                "The customer has no payment method; attach one or pass defaultPaymentMethod.",
                param="defaultPaymentMethod",
                code="payment_method_missing",
            )
        lines = period_lines(items, now, period_end)
    items = charged(items, discount_for(discount, now))
    account = accounts.get_account(scope.account_id, table=table)
    sub_id = sortable_id("sub")
    draft = invoices.build(
        scope,
        account=account,
        customer=customer,
        currency=currency,
        lines=lines,
        discount=discount,
        tax_rates=tax_rates_for(scope, customer, table=table),
        subscription=sub_id,
        period_start=now,
        period_end=period_end,
        now=now,
    )
    outcome = invoices.charge(scope, draft, draft.amount_due, method, table=table)
    subscription = Subscription(
        id=sub_id,
        customer=customer.id,
        # A first payment that fails is a failed signup (`incomplete`), not a failed renewal.
        status="trialing" if trial_days else ("active" if outcome.in_good_standing else "incomplete"),
        items=items,
        currency=currency,
        discount=discount,
        default_payment_method=fields.get("defaultPaymentMethod"),
        billing_cycle_anchor=clock.to_wire(period_end if trial_days else now),
        current_period_start=clock.to_wire(now),
        current_period_end=clock.to_wire(period_end),
        trial_start=clock.to_wire(now) if trial_days else None,
        trial_end=clock.to_wire(period_end) if trial_days else None,
        cancel_at_period_end=False,
        canceled_at=None,
        ended_at=None,
        cancellation_details=None,
        latest_invoice=draft.id,
        pending_invoice_items=(),
        scheduled_change=None,
        test_clock=customer.test_clock,
        created_at=clock.to_wire(now),
        version=1,
        metadata=merge_metadata({}, fields.get("metadata") or {}),
    )
    created = events.event_item(
        scope, "subscription.created", to_wire(subscription, scope), request, customer=customer.id
    )
    invoices.commit(
        scope, table, draft, outcome, now, request, [store.insert(scope, subscription), events.event_op(created)]
    )
    return subscription


def get(scope: Scope, sub_id: str, *, table: Table) -> Subscription:
    return found(store.get_subscription(table, scope, sub_id), sub_id)


def found(sub: Subscription | None, sub_id: str) -> Subscription:
    """`sub` as read, or the 404 of a subscription that is not there."""
    if sub is None:
        raise NotFound(f"No such subscription: '{sub_id}'.", param="subscription")
    return sub


def list_subscriptions(
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    customer: str | None = None,
    status: str | None = None,
    ending_before: str | None = None,
    table: Table,
) -> dict[str, Any]:
    return store.list_page(
        table,
        scope,
        customer=customer,
        status=status,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        to_wire=lambda sub: to_wire(sub, scope),
    )


# ------------------------------------------------------------------ changes


def cancel(
    scope: Scope,
    sub_id: str,
    request: RequestInfo,
    *,
    prorate: bool = False,
    invoice_now: bool = False,
    cancellation_details: Mapping[str, Any] | None = None,
    table: Table,
    known: Reads | None = None,
) -> Subscription:
    """Ends the subscription now. `prorate` credits the unused time and `invoice_now` bills the
    pending items; either issues a final invoice at once when there is something on it.
    `cancellation_details` ({reason, comment}) records why, as the portal's survey asks.
    `known` is what the request has already read (the subscription, the customer, ...)."""
    known = known or Reads()
    sub = known.subscription or get(scope, sub_id, table=table)
    if sub.canceled:
        raise InvalidRequest(
            f"The subscription has already ended ({sub.status}).", param="subscription", code="subscription_canceled"
        )
    now = now_for(scope, sub.test_clock, table)
    lines = cancellation_lines(sub, now, prorate=prorate, invoice_now=invoice_now)
    after = replace(
        sub,
        status="canceled",
        cancel_at_period_end=False,
        canceled_at=sub.canceled_at or clock.to_wire(now),
        ended_at=clock.to_wire(now),
        scheduled_change=None,
        dunning=None,
        cancellation_details=(
            dict(cancellation_details) if cancellation_details is not None else sub.cancellation_details
        ),
        version=sub.version + 1,
    )
    if not lines:
        ops = change_ops(scope, sub, after, "subscription.deleted", request)
        UnitOfWork(table, request, conflict_message=SUBSCRIPTION_CHANGED).add(*ops).commit()
        return after
    customer = known.customer_of(sub) or customers.get(scope, sub.customer, table=table)
    method = payment_method_for(scope, customer, sub.default_payment_method, table)
    draft = draft_invoice(
        scope,
        sub,
        customer,
        lines,
        discount=sub.discount,
        period=span(lines),
        now=now,
        table=table,
        account=known.account,
    )
    # Before the event is made from it: the event says what the subscription is, final invoice included.
    after = replace(after, pending_invoice_items=(), latest_invoice=draft.id)
    ops = change_ops(scope, sub, after, "subscription.deleted", request)
    outcome = invoices.charge(scope, draft, draft.amount_due, method, off_session=True, table=table)
    invoices.commit(scope, table, draft, outcome, now, request, ops, claim=known.claim)
    return after


def period_after(anchor: datetime, end: datetime, items: Sequence[SubscriptionItem]) -> tuple[datetime, datetime]:
    """The period that follows one ending at `end`, counted from the billing-cycle anchor."""
    interval, count = items[0].cycle
    n = 1
    while proration.period_boundary(anchor, interval, count, n) <= end:
        n += 1
    return end, proration.period_boundary(anchor, interval, count, n)
