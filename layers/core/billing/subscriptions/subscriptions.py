"""Subscriptions: items on recurring prices, billed in advance each period.

Item: pk `<scope>#SUB#<sub>`, sk `SUBSCRIPTION` (versioned); gsi1 `<scope>#CUST#<cust>#ALL` /
`SUB#<sub>`; gsi2 `<scope>#SUBS` / id; due `DUE#<n>` (or `CLOCK#<clock>` under a test clock) /
`<currentPeriodEnd>#<scope>#<sub>` while the clock has work to do on it.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
from billing.store.repository import Item, Table, put_op, versioned_put_op
from billing.subscriptions import proration
from billing.subscriptions.proration import add_months, period_boundary

LIVE_STATUSES = ("trialing", "active", "past_due")
DUE_SHARDS = 8


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


def change_ops(scope: Scope, before: Item, after: Item, event_type: str, request: RequestInfo) -> list[dict[str, Any]]:
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


def payment_method_for(scope: Scope, customer: Item, requested: str | None, table: Table) -> Item | None:
    pm_id = requested or customer.get("defaultPaymentMethod")
    if not pm_id:
        return None
    return _lookup(lambda: paymentmethods.get(scope, customer["id"], pm_id, table=table), "defaultPaymentMethod")


def create(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table | None = None) -> Item:
    table = table or Table()
    customer = _lookup(lambda: customers.get(scope, fields["customer"], table=table), "customer")
    items = _items(scope, fields.get("items") or [], table)
    currency = items[0]["currency"]
    now = now_for(scope, customer.get("testClock"), table)
    discount = _discount(scope, fields.get("coupon"), currency, now, table)
    method = payment_method_for(scope, customer, fields.get("defaultPaymentMethod"), table)
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
@dataclass(frozen=True)
class PlanChange:
    """What switching to `new_items` at `at` costs: lines for now, lines for later, a new period."""

    items: list[dict[str, Any]]
    invoice_now: list[invoices.Line]
    pending: list[invoices.Line]
    period: tuple[datetime, datetime]
    resets_cycle: bool


def _as_proration_items(items: Sequence[Mapping[str, Any]]) -> list[proration.Item]:
    return [proration.Item(i["price"], i["unitAmount"], i["quantity"], i["description"]) for i in items]


def _lines(prorated: Sequence[proration.ProrationLine]) -> list[invoices.Line]:
    return [
        invoices.Line(p.description, p.amount, p.quantity, None, p.price, p.period_start, p.period_end, proration=True)
        for p in prorated
        if p.amount != 0
    ]


def period_lines(items: Sequence[Mapping[str, Any]], start: datetime, end: datetime) -> list[invoices.Line]:
    return [
        invoices.Line(
            f"{i['description']} × {i['quantity']}" if i["quantity"] > 1 else i["description"],
            i["unitAmount"] * i["quantity"],
            i["quantity"],
            i["unitAmount"],
            i["price"],
            start,
            end,
        )
        for i in items
    ]


def plan_change(sub: Item, new_items: list[dict[str, Any]], behavior: str, at: datetime) -> PlanChange:
    start, end = clock.from_wire(sub["currentPeriodStart"]), clock.from_wire(sub["currentPeriodEnd"])
    old_cycle = (sub["items"][0]["interval"], sub["items"][0]["intervalCount"])
    new_cycle = (new_items[0]["interval"], new_items[0]["intervalCount"])
    if sub["status"] == "trialing":
        return PlanChange(new_items, [], [], (start, end), False)
    if new_cycle != old_cycle:
        # A new interval starts a new billing cycle now: credit what is left of the old period,
        # charge the new one in full, invoiced at once (whatever the proration behaviour).
        credit = _lines(proration.prorate(_as_proration_items(sub["items"]), [], start, end, at))
        new_end = proration.period_boundary(at, new_cycle[0], new_cycle[1], 1)
        return PlanChange(new_items, credit + period_lines(new_items, at, new_end), [], (at, new_end), True)
    if behavior == "none":
        return PlanChange(new_items, [], [], (start, end), False)
    lines = _lines(proration.prorate(_as_proration_items(sub["items"]), _as_proration_items(new_items), start, end, at))
    if behavior == "always_invoice":
        return PlanChange(new_items, lines, [], (start, end), False)
    return PlanChange(new_items, [], lines, (start, end), False)


def pending_to_lines(stored: Sequence[Mapping[str, Any]]) -> list[invoices.Line]:
    return [
        invoices.Line(
            p["description"],
            p["amount"],
            p["quantity"],
            None,
            p["price"],
            clock.from_wire(p["periodStart"]),
            clock.from_wire(p["periodEnd"]),
            proration=True,
        )
        for p in stored
    ]


def _lines_to_pending(lines: Sequence[invoices.Line]) -> list[dict[str, Any]]:
    return [
        {
            "id": sortable_id("ii"),
            "description": line.description,
            "amount": line.amount,
            "quantity": line.quantity,
            "price": line.price,
            "periodStart": clock.to_wire(line.period_start),
            "periodEnd": clock.to_wire(line.period_end),
        }
        for line in lines
    ]


def _requested_items(scope: Scope, sub: Item, fields: Mapping[str, Any], table: Table) -> list[dict[str, Any]]:
    items = _items(scope, fields["items"], table)
    if items[0]["currency"] != sub["currency"]:
        raise InvalidRequest(
            f"The subscription is billed in {sub['currency']}; prices must be too.",
            param="items",
            code="currency_mismatch",
        )
    return items


def update(
    scope: Scope, sub_id: str, fields: Mapping[str, Any], request: RequestInfo, *, table: Table | None = None
) -> Item:
    """Switch prices or quantities (with the proration behaviour), apply a coupon, or set
    `cancelAtPeriodEnd`. The same code path serves the API and the portal."""
    table = table or Table()
    sub = get(scope, sub_id, table=table)
    if sub["status"] == "canceled":
        raise InvalidRequest("A canceled subscription cannot be changed.", param="id", code="subscription_canceled")
    now = now_for(scope, sub.get("testClock"), table)
    changes: dict[str, Any] = {}
    change: PlanChange | None = None
    if "items" in fields:
        new_items = _requested_items(scope, sub, fields, table)
        change = plan_change(sub, new_items, fields.get("prorationBehavior") or "create_prorations", now)
        changes["items"] = new_items
        changes["scheduledChange"] = None  # a later switch replaces a scheduled one
        changes["recurringAmount"] = sum(i["unitAmount"] * i["quantity"] for i in new_items)
        changes["pendingInvoiceItems"] = list(sub.get("pendingInvoiceItems") or []) + _lines_to_pending(change.pending)
        if change.resets_cycle:
            start, end = change.period
            changes.update(
                currentPeriodStart=clock.to_wire(start),
                currentPeriodEnd=clock.to_wire(end),
                billingCycleAnchor=clock.to_wire(start),
                **due_keys(scope, sub_id, clock.to_wire(end), sub.get("testClock")),
            )
    if "coupon" in fields:
        changes["discount"] = _discount(scope, fields["coupon"] or None, sub["currency"], now, table)
    if "defaultPaymentMethod" in fields:
        customer_stub = {"id": sub["customer"], "defaultPaymentMethod": None}
        payment_method_for(scope, customer_stub, fields["defaultPaymentMethod"], table)
        changes["defaultPaymentMethod"] = fields["defaultPaymentMethod"]
    if "cancelAtPeriodEnd" in fields:
        changes["cancelAtPeriodEnd"] = bool(fields["cancelAtPeriodEnd"])
        changes["canceledAt"] = clock.to_wire(now) if fields["cancelAtPeriodEnd"] else None
        changes["cancellationDetails"] = fields.get("cancellationDetails") if fields["cancelAtPeriodEnd"] else None
        if fields["cancelAtPeriodEnd"]:
            changes["scheduledChange"] = None  # nothing starts at the end of a subscription that ends
    elif "cancellationDetails" in fields:
        changes["cancellationDetails"] = fields["cancellationDetails"]
    changes = {k: v for k, v in changes.items() if sub.get(k) != v}
    if not changes:
        return sub
    after = {**sub, **changes, "version": sub["version"] + 1}
    invoice_lines = change.invoice_now if change else []
    draft = None
    if invoice_lines:
        invoice_lines = pending_to_lines(after.get("pendingInvoiceItems") or []) + invoice_lines
        customer = customers.get(scope, sub["customer"], table=table)
        method = payment_method_for(scope, customer, after.get("defaultPaymentMethod"), table)
        period = clock.from_wire(after["currentPeriodStart"]), clock.from_wire(after["currentPeriodEnd"])
        draft = draft_invoice(
            scope, sub, customer, invoice_lines, discount=after.get("discount"), period=period, now=now, table=table
        )
        outcome = invoices.charge(draft["amountDue"], method)
        after.update(latestInvoice=draft["id"], pendingInvoiceItems=[])
        if not outcome.paid:
            after["status"] = "past_due"
    ops = change_ops(scope, sub, after, "subscription.updated", request)
    if draft is not None:
        invoices.commit(scope, table, draft, outcome, now, request, ops)
    else:
        table.transact(ops, conflict_message="The subscription was changed by another request; retry.")
    return after


def cancel(
    scope: Scope,
    sub_id: str,
    request: RequestInfo,
    *,
    prorate: bool = False,
    invoice_now: bool = False,
    cancellation_details: Mapping[str, Any] | None = None,
    table: Table | None = None,
) -> Item:
    """Ends the subscription now. `prorate` credits the unused time and `invoice_now` bills the
    pending items; either issues a final invoice at once when there is something on it.
    `cancellation_details` ({reason, comment}) records why, as the portal's survey asks."""
    table = table or Table()
    sub = get(scope, sub_id, table=table)
    if sub["status"] == "canceled":
        raise InvalidRequest("The subscription is already canceled.", param="id", code="subscription_canceled")
    now = now_for(scope, sub.get("testClock"), table)
    lines: list[invoices.Line] = []
    if invoice_now:
        lines += pending_to_lines(sub.get("pendingInvoiceItems") or [])
    if prorate and sub["status"] != "trialing":
        start, end = clock.from_wire(sub["currentPeriodStart"]), clock.from_wire(sub["currentPeriodEnd"])
        lines += _lines(proration.prorate(_as_proration_items(sub["items"]), [], start, end, now))
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
        table.transact(ops, conflict_message="The subscription was changed by another request; retry.")
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
INTERVAL_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


def requested_items(
    scope: Scope, sub: Item, wanted: Sequence[Mapping[str, Any]], *, table: Table | None = None
) -> list[dict[str, Any]]:
    """`wanted` ({price, quantity}) resolved as a switch of `sub` would resolve them (400s included)."""
    return _requested_items(scope, sub, {"items": wanted}, table or Table())


def downgrade_conditions(sub: Mapping[str, Any], new_items: Sequence[Mapping[str, Any]]) -> set[str]:
    """Which `scheduleAtPeriodEnd` conditions of a portal configuration a switch to `new_items`
    meets: a lower recurring amount (`decreasing_item_amount`), a shorter billing interval
    (`shortening_interval`)."""
    met = set()
    old_amount = sum(i["unitAmount"] * i["quantity"] for i in sub["items"])
    if sum(i["unitAmount"] * i["quantity"] for i in new_items) < old_amount:
        met.add("decreasing_item_amount")
    old, new = sub["items"][0], new_items[0]
    if INTERVAL_DAYS[new["interval"]] * new["intervalCount"] < INTERVAL_DAYS[old["interval"]] * old["intervalCount"]:
        met.add("shortening_interval")
    return met


def scheduled_period(sub: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> tuple[datetime, datetime]:
    """The first period of `items` when they replace the subscription's at its period end: the
    cycle goes on when the interval stays, and starts again at the period end when it changes."""
    end = clock.from_wire(sub["currentPeriodEnd"])
    old, new = sub["items"][0], items[0]
    if (old["interval"], old["intervalCount"]) == (new["interval"], new["intervalCount"]) and sub[
        "status"
    ] != "trialing":
        return period_after(clock.from_wire(sub["billingCycleAnchor"]), end, items)
    return end, proration.period_boundary(end, new["interval"], new["intervalCount"], 1)


def schedule_change(
    scope: Scope, sub_id: str, fields: Mapping[str, Any], request: RequestInfo, *, table: Table | None = None
) -> Item:
    """Keeps `items` as the subscription's `scheduledChange` ({items, at: currentPeriodEnd}):
    nothing is prorated or invoiced now; the renewal at the period end switches to them before
    it invoices. A later switch or a cancellation clears it."""
    table = table or Table()
    sub = get(scope, sub_id, table=table)
    if sub["status"] == "canceled":
        raise InvalidRequest("A canceled subscription cannot be changed.", param="id", code="subscription_canceled")
    if sub.get("cancelAtPeriodEnd"):
        raise InvalidRequest(
            "The subscription ends at the period end; renew it before scheduling a change.",
            param="id",
            code="subscription_ending",
        )
    items = _requested_items(scope, sub, fields, table)
    after = {**sub, "scheduledChange": {"items": items, "at": sub["currentPeriodEnd"]}, "version": sub["version"] + 1}
    table.transact(
        change_ops(scope, sub, after, "subscription.updated", request),
        conflict_message="The subscription was changed by another request; retry.",
    )
    return after


def preview(
    scope: Scope,
    sub_id: str,
    *,
    price: str | None,
    quantity: int | None,
    behavior: str,
    at_period_end: bool = False,
    table: Table | None = None,
) -> dict[str, Any]:
    """What a change would cost now and on the next invoice; nothing is written. With
    `at_period_end`, the change is the one `schedule_change` would keep: nothing now, the new
    items from the next period on (as is a change already scheduled when none is asked for)."""
    table = table or Table()
    sub = get(scope, sub_id, table=table)
    if sub["status"] == "canceled":
        raise InvalidRequest(
            "A canceled subscription has no upcoming invoice.", param="subscription", code="subscription_canceled"
        )
    now = now_for(scope, sub.get("testClock"), table)
    items, change, later = sub["items"], None, None
    if price or quantity:
        if len(sub["items"]) != 1:
            raise InvalidRequest("Previewing a switch takes a subscription with one item.", param="price")
        current = sub["items"][0]
        wanted = [{"price": price or current["price"], "quantity": quantity or current["quantity"]}]
        items = _requested_items(scope, sub, {"items": wanted}, table)
        if at_period_end:
            later = scheduled_period(sub, items)
        else:
            change = plan_change(sub, items, behavior, now)
    elif sub.get("scheduledChange"):
        items = sub["scheduledChange"]["items"]
        later = scheduled_period(sub, items)
    pending = pending_to_lines(sub.get("pendingInvoiceItems") or [])
    customer = customers.get(scope, sub["customer"], table=table)
    account = accounts.get_account(scope.account_id, table=table)
    rates = taxrates.all_active(scope, table=table)

    def draft(lines: list[invoices.Line], start: datetime, end: datetime) -> dict[str, Any]:
        built = invoices.build(
            scope,
            account=account,
            customer=customer,
            currency=sub["currency"],
            lines=lines,
            discount=sub.get("discount"),
            tax_rates=rates,
            subscription=sub_id,
            period_start=start,
            period_end=end,
            now=now,
        )
        wire = invoices.to_wire(built, scope)
        wire.update(id=None, status="upcoming", seller=None, customerDetails=None)
        return wire

    immediate = None
    period_start, period_end = clock.from_wire(sub["currentPeriodStart"]), clock.from_wire(sub["currentPeriodEnd"])
    if change is not None:
        period_start, period_end = change.period
        if change.invoice_now:
            immediate = draft(pending + change.invoice_now, period_start, period_end)
            pending = []
        pending += change.pending
    upcoming = None
    if not sub.get("cancelAtPeriodEnd"):
        resets = change is not None and change.resets_cycle
        anchor = period_start if resets else clock.from_wire(sub["billingCycleAnchor"])
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


def pay_invoice(scope: Scope, invoice_id: str, request: RequestInfo, *, table: Table | None = None) -> Item:
    """Retries an open invoice with the subscription's (or customer's) payment method; a paid
    latest invoice brings a `past_due` subscription back to `active` in the same transaction."""
    table = table or Table()
    invoice = invoices.get(scope, invoice_id, table=table)
    customer = customers.get(scope, invoice["customer"], table=table)
    sub = get(scope, invoice["subscription"], table=table) if invoice.get("subscription") else None
    method = payment_method_for(scope, customer, (sub or {}).get("defaultPaymentMethod"), table)
    now = now_for(scope, customer.get("testClock"), table)
    ops: list[dict[str, Any]] = []
    if sub and sub["status"] == "past_due" and sub.get("latestInvoice") == invoice_id:
        ops = change_ops(
            scope, sub, {**sub, "status": "active", "version": sub["version"] + 1}, "subscription.updated", request
        )
    return invoices.pay(scope, invoice_id, method, request, now, subscription_ops=ops, table=table)
