"""Subscriptions: items on recurring prices, billed in advance each period.

Item: pk `<scope>#SUB#<sub>`, sk `SUBSCRIPTION` (versioned); gsi1 `<scope>#CUST#<cust>#ALL` /
`SUB#<sub>`; gsi2 `<scope>#SUBS` / id; due `DUE#<n>` (or `CLOCK#<clock>` under a test clock) /
`<currentPeriodEnd>#<scope>#<sub>` while the clock has work to do on it.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from billing.accounts import accounts
from billing.catalog import catalog, taxrates
from billing.customers import customers
from billing.events import events
from billing.invoicing import invoices
from billing.kernel import clock
from billing.kernel.errors import InvalidRequest, NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.payments import paymentmethods
from billing.store.listing import collection_page
from billing.store.repository import Item, Operation, Put, Table, UnitOfWork, versioned_put_op
from billing.subscriptions import proration
from billing.subscriptions.lines import (
    pending_to_lines,
    period_lines,
    proration_items,
    proration_lines,
    recurring_amount,
)
from billing.subscriptions.proration import add_months, period_boundary

LIVE_STATUSES = ("trialing", "active", "past_due")
DUE_SHARDS = 8
SUBSCRIPTION_CHANGED = "The subscription was changed by another request; retry."


def sub_key(scope: Scope, sub_id: str) -> tuple[str, str]:
    return scope.key("SUB", sub_id), "SUBSCRIPTION"


def due_keys(scope: Scope, sub_id: str, due_at: str, test_clock: str | None) -> dict[str, str]:
    shard = f"CLOCK#{test_clock}" if test_clock else f"DUE#{zlib.crc32(sub_id.encode()) % DUE_SHARDS}"
    return {"duePk": shard, "dueSk": f"{due_at}#{scope.key('SUB', sub_id)}"}


def now_for(scope: Scope, test_clock: str | None, table: Table) -> datetime:
    """The time a customer's objects live in: its test clock's, or the real one."""
    if not test_clock:
        return clock.now()
    frozen = table.get(scope.key("CLOCK", test_clock), "TESTCLOCK")
    if frozen is None:
        raise InvalidRequest(f"No such test clock: '{test_clock}'.", param="testClock")
    return clock.from_wire(frozen["frozenTime"])


def to_wire(item: Item, scope: Scope) -> dict[str, Any]:
    shown = (
        "id customer status items currency discount defaultPaymentMethod billingCycleAnchor currentPeriodStart "
        "currentPeriodEnd trialStart trialEnd cancelAtPeriodEnd canceledAt endedAt cancellationDetails latestInvoice "
        "scheduledChange testClock createdAt"
    ).split()
    wire: dict[str, Any] = {"id": item["id"], "object": "subscription"}
    wire.update({field: item.get(field) for field in shown})
    wire["livemode"] = scope.livemode
    return wire


def change_ops(scope: Scope, before: Item, after: Item, event_type: str, request: RequestInfo) -> list[Operation]:
    """`after` written only over the version read (`before`), with the event that says so."""
    before_wire, after_wire = to_wire(before, scope), to_wire(after, scope)
    event = events.event_item(
        scope,
        event_type,
        after_wire,
        request,
        previous=events.previous_attributes(before_wire, after_wire),
        customer=before["customer"],
    )
    return [versioned_put_op(after, before["version"]), events.event_op(event)]


def draft_invoice(
    scope: Scope,
    sub: Item,
    customer: Item,
    lines: list[invoices.Line],
    *,
    discount: dict[str, Any] | None,
    period: tuple[datetime, datetime],
    now: datetime,
    table: Table,
) -> Item:
    """A draft invoice of `sub` with the account as seller and its current tax rates."""
    return invoices.build(
        scope,
        account=accounts.get_account(scope.account_id, table=table),
        customer=customer,
        currency=sub["currency"],
        lines=lines,
        discount=discount,
        tax_rates=taxrates.all_active(scope, table=table),
        subscription=sub["id"],
        period_start=period[0],
        period_end=period[1],
        now=now,
    )


def _lookup(fetch: Any, param: str) -> Item:
    """A referenced object, or a 400 naming the parameter that referred to it."""
    try:
        found: Item = fetch()
    except NotFound as missing:
        raise InvalidRequest(missing.message, param=param, code="resource_missing") from None
    return found


def resolve_items(scope: Scope, requested: Sequence[Mapping[str, Any]], table: Table) -> list[dict[str, Any]]:
    """The requested items resolved against their prices: one currency, one billing interval."""
    if not requested:
        raise InvalidRequest("A subscription needs at least one item.", param="items")
    resolved = []
    for n, entry in enumerate(requested):
        price = _lookup(lambda e=entry: catalog.get_price(scope, e["price"], table=table), f"items.{n}.price")
        if not price["active"]:
            raise InvalidRequest(f"Price '{price['id']}' is not active.", param=f"items.{n}.price")
        product = catalog.get_product(scope, price["product"], table=table)
        resolved.append(
            {
                "id": sortable_id("si"),
                "price": price["id"],
                "product": price["product"],
                "description": price.get("nickname") or product["name"],
                "quantity": int(entry.get("quantity", 1)),
                "unitAmount": price["unitAmount"],
                "currency": price["currency"],
                "interval": price["recurring"]["interval"],
                "intervalCount": price["recurring"]["intervalCount"],
            }
        )
    if len({i["currency"] for i in resolved}) > 1:
        raise InvalidRequest(
            "All items of a subscription must be in one currency.", param="items", code="currency_mismatch"
        )
    if len({(i["interval"], i["intervalCount"]) for i in resolved}) > 1:
        raise InvalidRequest(
            "All items of a subscription must bill on one interval.", param="items", code="interval_mismatch"
        )
    if len({i["price"] for i in resolved}) < len(resolved):
        raise InvalidRequest("Each price may appear once; use quantity instead.", param="items")
    return resolved


def resolve_discount(
    scope: Scope, coupon_id: str | None, currency: str, now: datetime, table: Table
) -> dict[str, Any] | None:
    if not coupon_id:
        return None
    coupon = _lookup(lambda: catalog.get_coupon(scope, coupon_id, table=table), "coupon")
    if coupon.get("currency") and coupon["currency"] != currency:
        raise InvalidRequest(
            f"Coupon '{coupon_id}' is in {coupon['currency']}, the subscription in {currency}.", param="coupon"
        )
    snapshot = catalog.coupon_to_wire(coupon, scope)
    end = None
    if coupon["duration"] == "repeating":
        end = clock.to_wire(add_months(now, int(coupon["durationInMonths"])))
    return {"coupon": snapshot, "start": clock.to_wire(now), "end": end}


def payment_method_for(scope: Scope, customer: Item, requested: str | None, table: Table) -> Item | None:
    pm_id = requested or customer.get("defaultPaymentMethod")
    if not pm_id:
        return None
    return _lookup(lambda: paymentmethods.get(scope, customer["id"], pm_id, table=table), "defaultPaymentMethod")


def create(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Item:
    customer = _lookup(lambda: customers.get(scope, fields["customer"], table=table), "customer")
    items = resolve_items(scope, fields.get("items") or [], table)
    currency = items[0]["currency"]
    now = now_for(scope, customer.get("testClock"), table)
    discount = resolve_discount(scope, fields.get("coupon"), currency, now, table)
    method = payment_method_for(scope, customer, fields.get("defaultPaymentMethod"), table)
    amount = recurring_amount(items)
    trial_days = fields.get("trialDays")
    interval, count = items[0]["interval"], items[0]["intervalCount"]
    if trial_days:
        period_end = now + timedelta(days=int(trial_days))
        lines = [
            invoices.Line(f"Trial period for {i['description']}", 0, i["quantity"], 0, i["price"], now, period_end)
            for i in items
        ]
    else:
        period_end = period_boundary(now, interval, count, 1)
        if amount > 0 and method is None:
            raise InvalidRequest(
                "The customer has no payment method; attach one or pass defaultPaymentMethod.",
                param="defaultPaymentMethod",
                code="payment_method_missing",
            )
        lines = period_lines(items, now, period_end)
    account = accounts.get_account(scope.account_id, table=table)
    sub_id = sortable_id("sub")
    draft = invoices.build(
        scope,
        account=account,
        customer=customer,
        currency=currency,
        lines=lines,
        discount=discount,
        tax_rates=taxrates.all_active(scope, table=table),
        subscription=sub_id,
        period_start=now,
        period_end=period_end,
        now=now,
    )
    outcome = invoices.charge(draft["amountDue"], method)
    status = "trialing" if trial_days else ("active" if outcome.paid else "past_due")
    pk, sk = sub_key(scope, sub_id)
    subscription: Item = {
        "pk": pk,
        "sk": sk,
        "type": "subscription",
        "id": sub_id,
        "customer": customer["id"],
        "status": status,
        "items": items,
        "currency": currency,
        "discount": discount,
        "defaultPaymentMethod": fields.get("defaultPaymentMethod"),
        "billingCycleAnchor": clock.to_wire(period_end if trial_days else now),
        "currentPeriodStart": clock.to_wire(now),
        "currentPeriodEnd": clock.to_wire(period_end),
        "trialStart": clock.to_wire(now) if trial_days else None,
        "trialEnd": clock.to_wire(period_end) if trial_days else None,
        "cancelAtPeriodEnd": False,
        "canceledAt": None,
        "endedAt": None,
        "cancellationDetails": None,
        "latestInvoice": draft["id"],
        "recurringAmount": amount,
        "pendingInvoiceItems": [],
        "testClock": customer.get("testClock"),
        "createdAt": clock.to_wire(now),
        "version": 1,
        "gsi1pk": customers.bundle_partition(scope, customer["id"]),
        "gsi1sk": f"SUB#{sub_id}",
        "gsi2pk": scope.key("SUBS"),
        "gsi2sk": sub_id,
        **due_keys(scope, sub_id, clock.to_wire(period_end), customer.get("testClock")),
    }
    created = events.event_item(
        scope, "subscription.created", to_wire(subscription, scope), request, customer=customer["id"]
    )
    invoices.commit(
        scope,
        table,
        draft,
        outcome,
        now,
        request,
        [Put(subscription, condition="attribute_not_exists(pk)"), events.event_op(created)],
    )
    return subscription


def get(scope: Scope, sub_id: str, *, table: Table) -> Item:
    pk, sk = sub_key(scope, sub_id)
    item = table.get(pk, sk)
    if item is None:
        raise NotFound(f"No such subscription: '{sub_id}'.", param="id")
    return item


def list_subscriptions(
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    customer: str | None = None,
    status: str | None = None,
    table: Table,
) -> dict[str, Any]:
    return collection_page(
        table,
        scope,
        "SUBS",
        bundle=(customers.bundle_partition(scope, customer), "SUB#") if customer else None,
        limit=limit,
        starting_after=starting_after,
        primary_key=lambda sid: sub_key(scope, sid),
        to_wire=lambda item: to_wire(item, scope),
        keep=(lambda item: item["status"] == status) if status else (lambda _: True),
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
) -> Item:
    """Ends the subscription now. `prorate` credits the unused time and `invoice_now` bills the
    pending items; either issues a final invoice at once when there is something on it.
    `cancellation_details` ({reason, comment}) records why, as the portal's survey asks."""
    sub = get(scope, sub_id, table=table)
    if sub["status"] == "canceled":
        raise InvalidRequest("The subscription is already canceled.", param="id", code="subscription_canceled")
    now = now_for(scope, sub.get("testClock"), table)
    lines: list[invoices.Line] = []
    if invoice_now:
        lines += pending_to_lines(sub.get("pendingInvoiceItems") or [])
    if prorate and sub["status"] != "trialing":
        start, end = clock.from_wire(sub["currentPeriodStart"]), clock.from_wire(sub["currentPeriodEnd"])
        lines += proration_lines(proration.prorate(proration_items(sub["items"]), [], start, end, now))
    after = {k: v for k, v in sub.items() if k not in ("duePk", "dueSk")}
    after.update(
        status="canceled",
        cancelAtPeriodEnd=False,
        canceledAt=sub.get("canceledAt") or clock.to_wire(now),
        endedAt=clock.to_wire(now),
        version=sub["version"] + 1,
    )
    if sub.get("scheduledChange"):
        after["scheduledChange"] = None
    if cancellation_details is not None:
        after["cancellationDetails"] = dict(cancellation_details)
    if not lines:
        ops = change_ops(scope, sub, after, "subscription.deleted", request)
        UnitOfWork(table, request, conflict_message=SUBSCRIPTION_CHANGED).add(*ops).commit()
        return after
    customer = customers.get(scope, sub["customer"], table=table)
    method = payment_method_for(scope, customer, sub.get("defaultPaymentMethod"), table)
    draft = draft_invoice(
        scope, sub, customer, lines, discount=sub.get("discount"), period=(now, now), now=now, table=table
    )
    # Before the event is made from it: the event says what the subscription is, final invoice included.
    after.update(pendingInvoiceItems=[], latestInvoice=draft["id"])
    ops = change_ops(scope, sub, after, "subscription.deleted", request)
    invoices.commit(scope, table, draft, invoices.charge(draft["amountDue"], method), now, request, ops)
    return after


def period_after(anchor: datetime, end: datetime, items: Sequence[Mapping[str, Any]]) -> tuple[datetime, datetime]:
    """The period that follows one ending at `end`, counted from the billing-cycle anchor."""
    interval, count = items[0]["interval"], items[0]["intervalCount"]
    n = 1
    while proration.period_boundary(anchor, interval, count, n) <= end:
        n += 1
    return end, proration.period_boundary(anchor, interval, count, n)


# ------------------------------------------------------------------ changes scheduled at period end
