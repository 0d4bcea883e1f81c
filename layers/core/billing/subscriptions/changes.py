"""Changing a subscription: prices, quantities (prorated as the caller asks), its coupon,
`cancelAtPeriodEnd`, and changes kept for the period end (the portal's downgrades)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing.customers import customers
from billing.invoicing import invoices
from billing.kernel import clock
from billing.kernel.errors import InvalidRequest
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Item, Table, UnitOfWork
from billing.subscriptions import proration
from billing.subscriptions.lines import (
    lines_to_pending,
    pending_to_lines,
    period_lines,
    proration_items,
    proration_lines,
    recurring_amount,
)
from billing.subscriptions.subscriptions import (
    SUBSCRIPTION_CHANGED,
    change_ops,
    draft_invoice,
    due_keys,
    get,
    now_for,
    payment_method_for,
    period_after,
    resolve_discount,
    resolve_items,
)


@dataclass(frozen=True)
class PlanChange:
    """What switching to `new_items` at `at` costs: lines for now, lines for later, a new period."""

    items: list[dict[str, Any]]
    invoice_now: list[invoices.Line]
    pending: list[invoices.Line]
    period: tuple[datetime, datetime]
    resets_cycle: bool


def plan_change(sub: Item, new_items: list[dict[str, Any]], behavior: str, at: datetime) -> PlanChange:
    start, end = clock.from_wire(sub["currentPeriodStart"]), clock.from_wire(sub["currentPeriodEnd"])
    old_cycle = (sub["items"][0]["interval"], sub["items"][0]["intervalCount"])
    new_cycle = (new_items[0]["interval"], new_items[0]["intervalCount"])
    if sub["status"] == "trialing":
        return PlanChange(new_items, [], [], (start, end), False)
    if new_cycle != old_cycle:
        # A new interval starts a new billing cycle now: credit what is left of the old period,
        # charge the new one in full, invoiced at once (whatever the proration behaviour).
        credit = proration_lines(proration.prorate(proration_items(sub["items"]), [], start, end, at))
        new_end = proration.period_boundary(at, new_cycle[0], new_cycle[1], 1)
        return PlanChange(new_items, credit + period_lines(new_items, at, new_end), [], (at, new_end), True)
    if behavior == "none":
        return PlanChange(new_items, [], [], (start, end), False)
    lines = proration_lines(
        proration.prorate(proration_items(sub["items"]), proration_items(new_items), start, end, at)
    )
    if behavior == "always_invoice":
        return PlanChange(new_items, lines, [], (start, end), False)
    return PlanChange(new_items, [], lines, (start, end), False)


def resolve_requested(scope: Scope, sub: Item, fields: Mapping[str, Any], table: Table) -> list[dict[str, Any]]:
    items = resolve_items(scope, fields["items"], table)
    if items[0]["currency"] != sub["currency"]:
        raise InvalidRequest(
            f"The subscription is billed in {sub['currency']}; prices must be too.",
            param="items",
            code="currency_mismatch",
        )
    return items


def update(scope: Scope, sub_id: str, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Item:
    """Switch prices or quantities (with the proration behaviour), apply a coupon, or set
    `cancelAtPeriodEnd`. The same code path serves the API and the portal."""
    sub = get(scope, sub_id, table=table)
    if sub["status"] == "canceled":
        raise InvalidRequest("A canceled subscription cannot be changed.", param="id", code="subscription_canceled")
    now = now_for(scope, sub.get("testClock"), table)
    changes: dict[str, Any] = {}
    change: PlanChange | None = None
    if "items" in fields:
        new_items = resolve_requested(scope, sub, fields, table)
        change = plan_change(sub, new_items, fields.get("prorationBehavior") or "create_prorations", now)
        changes["items"] = new_items
        changes["scheduledChange"] = None  # a later switch replaces a scheduled one
        changes["recurringAmount"] = recurring_amount(new_items)
        changes["pendingInvoiceItems"] = list(sub.get("pendingInvoiceItems") or []) + lines_to_pending(change.pending)
        if change.resets_cycle:
            start, end = change.period
            changes.update(
                currentPeriodStart=clock.to_wire(start),
                currentPeriodEnd=clock.to_wire(end),
                billingCycleAnchor=clock.to_wire(start),
                **due_keys(scope, sub_id, clock.to_wire(end), sub.get("testClock")),
            )
    if "coupon" in fields:
        changes["discount"] = resolve_discount(scope, fields["coupon"] or None, sub["currency"], now, table)
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
        UnitOfWork(table, request, conflict_message=SUBSCRIPTION_CHANGED).add(*ops).commit()
    return after


INTERVAL_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


def requested_items(
    scope: Scope, sub: Item, wanted: Sequence[Mapping[str, Any]], *, table: Table
) -> list[dict[str, Any]]:
    """`wanted` ({price, quantity}) resolved as a switch of `sub` would resolve them (400s included)."""
    return resolve_requested(scope, sub, {"items": wanted}, table)


def downgrade_conditions(sub: Mapping[str, Any], new_items: Sequence[Mapping[str, Any]]) -> set[str]:
    """Which `scheduleAtPeriodEnd` conditions of a portal configuration a switch to `new_items`
    meets: a lower recurring amount (`decreasing_item_amount`), a shorter billing interval
    (`shortening_interval`)."""
    met = set()
    if recurring_amount(new_items) < recurring_amount(sub["items"]):
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
    scope: Scope, sub_id: str, fields: Mapping[str, Any], request: RequestInfo, *, table: Table
) -> Item:
    """Keeps `items` as the subscription's `scheduledChange` ({items, at: currentPeriodEnd}):
    nothing is prorated or invoiced now; the renewal at the period end switches to them before
    it invoices. A later switch or a cancellation clears it."""
    sub = get(scope, sub_id, table=table)
    if sub["status"] == "canceled":
        raise InvalidRequest("A canceled subscription cannot be changed.", param="id", code="subscription_canceled")
    if sub.get("cancelAtPeriodEnd"):
        raise InvalidRequest(
            "The subscription ends at the period end; renew it before scheduling a change.",
            param="id",
            code="subscription_ending",
        )
    items = resolve_requested(scope, sub, fields, table)
    after = {**sub, "scheduledChange": {"items": items, "at": sub["currentPeriodEnd"]}, "version": sub["version"] + 1}
    change = UnitOfWork(table, request, conflict_message=SUBSCRIPTION_CHANGED)
    change.add(*change_ops(scope, sub, after, "subscription.updated", request)).commit()
    return after
