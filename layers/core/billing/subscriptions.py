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

from billing import accounts, catalog, clock, customers, events, invoices, paymentmethods, taxrates
from billing.errors import InvalidRequest, NotFound
from billing.ids import sortable_id
from billing.listing import page
from billing.proration import add_months, period_boundary
from billing.repository import Item, Table, put_op
from billing.scope import RequestInfo, Scope

LIVE_STATUSES = ("trialing", "active", "past_due")
DUE_SHARDS = 8


def sub_key(scope: Scope, sub_id: str) -> tuple[str, str]:
    return scope.key("SUB", sub_id), "SUBSCRIPTION"


def due_keys(scope: Scope, sub_id: str, due_at: str, test_clock: str | None) -> dict[str, str]:
    shard = f"CLOCK#{test_clock}" if test_clock else f"DUE#{zlib.crc32(sub_id.encode()) % DUE_SHARDS}"
    return {"duePk": shard, "dueSk": f"{due_at}#{scope.key('SUB', sub_id)}"}


def to_wire(item: Item, scope: Scope) -> dict[str, Any]:
    shown = (
        "id customer status items currency discount defaultPaymentMethod billingCycleAnchor currentPeriodStart "
        "currentPeriodEnd trialStart trialEnd cancelAtPeriodEnd canceledAt endedAt cancellationDetails latestInvoice "
        "testClock createdAt"
    ).split()
    wire: dict[str, Any] = {"id": item["id"], "object": "subscription"}
    wire.update({field: item.get(field) for field in shown})
    wire["livemode"] = scope.livemode
    return wire


def _lookup(fetch: Any, param: str) -> Item:
    """A referenced object, or a 400 naming the parameter that referred to it."""
    try:
        found: Item = fetch()
    except NotFound as missing:
        raise InvalidRequest(missing.message, param=param, code="resource_missing") from None
    return found


def _items(scope: Scope, requested: Sequence[Mapping[str, Any]], table: Table) -> list[dict[str, Any]]:
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


def _discount(scope: Scope, coupon_id: str | None, currency: str, now: datetime, table: Table) -> dict[str, Any] | None:
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


def _payment_method(scope: Scope, customer: Item, requested: str | None, table: Table) -> Item | None:
    pm_id = requested or customer.get("defaultPaymentMethod")
    if not pm_id:
        return None
    return _lookup(lambda: paymentmethods.get(scope, customer["id"], pm_id, table=table), "defaultPaymentMethod")


def create(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table | None = None) -> Item:
    table = table or Table()
    customer = _lookup(lambda: customers.get(scope, fields["customer"], table=table), "customer")
    items = _items(scope, fields.get("items") or [], table)
    currency = items[0]["currency"]
    now = clock.now()
    discount = _discount(scope, fields.get("coupon"), currency, now, table)
    method = _payment_method(scope, customer, fields.get("defaultPaymentMethod"), table)
    recurring_amount = sum(i["unitAmount"] * i["quantity"] for i in items)
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
        if recurring_amount > 0 and method is None:
            raise InvalidRequest(
                "The customer has no payment method; attach one or pass defaultPaymentMethod.",
                param="defaultPaymentMethod",
                code="payment_method_missing",
            )
        lines = [
            invoices.Line(
                f"{i['description']} × {i['quantity']}" if i["quantity"] > 1 else i["description"],
                i["unitAmount"] * i["quantity"],
                i["quantity"],
                i["unitAmount"],
                i["price"],
                now,
                period_end,
            )
            for i in items
        ]
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
        "recurringAmount": recurring_amount,
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
        [put_op(subscription, condition="attribute_not_exists(pk)"), events.event_op(created)],
    )
    return subscription


def get(scope: Scope, sub_id: str, *, table: Table | None = None) -> Item:
    pk, sk = sub_key(scope, sub_id)
    item = (table or Table()).get(pk, sk)
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
    table: Table | None = None,
) -> dict[str, Any]:
    if customer:
        index, partition, prefix = "gsi1", customers.bundle_partition(scope, customer), "SUB#"
    else:
        index, partition, prefix = "gsi2", scope.key("SUBS"), None
    return page(
        table or Table(),
        index=index,
        partition=partition,
        prefix=prefix,
        limit=limit,
        starting_after=starting_after,
        primary_key=lambda sid: sub_key(scope, sid),
        sort_key=(lambda sid: f"SUB#{sid}") if customer else (lambda sid: sid),
        to_wire=lambda item: to_wire(item, scope),
        keep=(lambda item: item["status"] == status) if status else (lambda _: True),
    )
