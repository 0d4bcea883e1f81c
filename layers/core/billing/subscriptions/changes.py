"""Changing a subscription: prices, quantities (prorated as the caller asks), its coupon,
`cancelAtPeriodEnd`, changes kept for the period end (the portal's downgrades), and the portal's
retention offer, accepted once per subscription."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec
from msgspec.structs import replace

from billing.catalog.records import Discount
from billing.customers import customers
from billing.invoicing import invoices
from billing.kernel import clock
from billing.kernel.errors import Conflict, InvalidRequest
from billing.kernel.metadata import merge_metadata
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Table, UnitOfWork
from billing.subscriptions import proration
from billing.subscriptions import store as subscription_store
from billing.subscriptions.lines import (
    charged,
    discount_for,
    inherited,
    lines_to_pending,
    pending_to_lines,
    period_lines,
    proration_items,
    proration_lines,
)
from billing.subscriptions.reads import Reads
from billing.subscriptions.records import ScheduledChange, Subscription, SubscriptionItem, recurring_amount
from billing.subscriptions.store import read_together
from billing.subscriptions.subscriptions import (
    SUBSCRIPTION_CHANGED,
    change_ops,
    check_payment_method,
    draft_invoice,
    found,
    now_for,
    payment_method_for,
    period_after,
    resolve_discount,
    resolve_items,
)

Items = tuple[SubscriptionItem, ...]
ENDED = "A subscription that has ended ({status}) cannot be changed."


class PlanChange(msgspec.Struct, frozen=True):
    """What switching to `new_items` at `at` costs: lines for now, lines for later, a new period."""

    items: Items
    invoice_now: list[invoices.Line]
    pending: list[invoices.Line]
    period: tuple[datetime, datetime]
    resets_cycle: bool


def plan_change(sub: Subscription, new_items: Items, behavior: str, at: datetime) -> PlanChange:
    start, end = clock.from_wire(sub.current_period_start), clock.from_wire(sub.current_period_end)
    discount = discount_for(sub.discount, start)
    old = proration_items(sub.items, discount)
    new_cycle = new_items[0].cycle
    if sub.status == "trialing":
        return PlanChange(charged(new_items, discount), [], [], (start, end), False)
    if new_cycle != sub.cycle:
        # A new interval starts a new billing cycle now: credit what is left of the old period,
        # charge the new one in full, invoiced at once (whatever the proration behaviour).
        credit = proration_lines(proration.prorate(old, [], start, end, at))
        new_end = proration.period_boundary(at, new_cycle[0], new_cycle[1], 1)
        items = charged(new_items, discount_for(sub.discount, at))
        return PlanChange(items, credit + period_lines(items, at, new_end), [], (at, new_end), True)
    if behavior == "none":
        return PlanChange(inherited(sub.items, new_items, discount), [], [], (start, end), False)
    items = charged(new_items, discount)
    lines = proration_lines(proration.prorate(old, proration_items(items, discount), start, end, at))
    if behavior == "always_invoice":
        return PlanChange(items, lines, [], (start, end), False)
    return PlanChange(items, [], lines, (start, end), False)


def resolve_requested(scope: Scope, sub: Subscription, fields: Mapping[str, Any], table: Table) -> Items:
    items = resolve_items(scope, fields["items"], table)
    if items[0].currency != sub.currency:
        raise InvalidRequest(
            f"The subscription is billed in {sub.currency}; prices must be too.",
            param="items",
            code="currency_mismatch",
        )
    return items


def _requested_prices(fields: Mapping[str, Any]) -> list[str]:
    return [entry["price"] for entry in fields.get("items") or []]


def _update_reads(scope: Scope, sub_id: str, fields: Mapping[str, Any], known: Reads, table: Table) -> Reads:
    """What `update` reads before it decides, as few calls as the keys allow: the subscription
    (unless the caller has read it), the prices and coupon asked for and the prices' products and,
    for a switch invoiced at once, the customer, the account and the invoice counter."""
    held = known.subscription
    invoicing = "items" in fields and fields.get("prorationBehavior") == "always_invoice"
    wants_customer = invoicing and (held is None or known.customer_of(held) is None)
    fresh = read_together(
        table,
        scope,
        subscription=None if held else sub_id,
        prices=_requested_prices(fields),
        coupons=[fields["coupon"]] if fields.get("coupon") else [],
        customer=held.customer if wants_customer and held else None,
        customer_of_subscription=wants_customer and held is None,
        account=invoicing and known.account is None,
        invoice_number=invoicing and known.claim is None,
    )
    return known.merged(fresh)


def update(
    scope: Scope,
    sub_id: str,
    fields: Mapping[str, Any],
    request: RequestInfo,
    *,
    table: Table,
    known: Reads | None = None,
) -> Subscription:
    """Switch prices or quantities (with the proration behaviour), apply a coupon, or set
    `cancelAtPeriodEnd`. The same code path serves the API and the portal. `known` is what the
    request has already read (the portal's page read the subscription): it is not read again."""
    reads = _update_reads(scope, sub_id, fields, known or Reads(), table)
    sub = found(reads.subscription, sub_id)
    if sub.canceled:
        raise InvalidRequest(ENDED.format(status=sub.status), param="subscription", code="subscription_canceled")
    if sub.unpaid and "items" in fields:  # it charges nothing until its latest invoice is paid
        raise InvalidRequest(
            "The subscription is unpaid: pay its latest invoice before switching its items.",
            param="subscription",
            code="subscription_unpaid",
        )
    if sub.incomplete and "items" in fields:  # as Stripe's: a failed signup is paid (or expires) first
        raise InvalidRequest(
            "The subscription is incomplete: pay its first invoice before switching its items.",
            param="subscription",
            code="subscription_incomplete",
        )
    now = now_for(scope, sub.test_clock, table)
    after = sub
    change: PlanChange | None = None
    if "items" in fields:
        new_items = resolve_requested(scope, sub, fields, table)
        change = plan_change(sub, new_items, fields.get("prorationBehavior") or "create_prorations", now)
        after = replace(
            after,
            items=change.items,
            scheduled_change=None,  # a later switch replaces a scheduled one
            pending_invoice_items=sub.pending_invoice_items + lines_to_pending(change.pending),
        )
        if change.resets_cycle:
            start, end = change.period
            after = replace(
                after,
                current_period_start=clock.to_wire(start),
                current_period_end=clock.to_wire(end),
                billing_cycle_anchor=clock.to_wire(start),
            )
    if "coupon" in fields:
        discount = resolve_discount(scope, fields["coupon"] or None, sub.currency, now, table)
        invoicing_now = bool(change and change.invoice_now)
        after = replace(after, discount=_for_next_invoice(discount, sub, invoicing_now=invoicing_now))
    if "defaultPaymentMethod" in fields:
        check_payment_method(scope, sub.customer, fields["defaultPaymentMethod"], table)
        after = replace(after, default_payment_method=fields["defaultPaymentMethod"])
    if "cancelAtPeriodEnd" in fields:
        ending = bool(fields["cancelAtPeriodEnd"])
        after = replace(
            after,
            cancel_at_period_end=ending,
            canceled_at=clock.to_wire(now) if ending else None,
            cancellation_details=fields.get("cancellationDetails") if ending else None,
        )
        if ending:
            after = replace(after, scheduled_change=None)  # nothing starts at the end of a subscription that ends
    elif "cancellationDetails" in fields:
        after = replace(after, cancellation_details=fields["cancellationDetails"])
    if "metadata" in fields:  # Stripe's rule, as for a customer: keys merge, "" or null removes one
        if fields["metadata"] is None:
            raise InvalidRequest(
                'metadata cannot be null: omit it, or set a key to "" to remove it.',
                param="metadata",
                code="parameter_invalid",
            )
        after = replace(after, metadata=merge_metadata(sub.metadata, fields["metadata"]))
    if after == sub:
        return sub
    after = replace(after, version=sub.version + 1)
    invoice_lines = change.invoice_now if change else []
    draft = None
    if invoice_lines:
        invoice_lines = pending_to_lines(after.pending_invoice_items) + invoice_lines
        customer = reads.customer_of(sub) or customers.get(scope, sub.customer, table=table)
        method = payment_method_for(scope, customer, after.default_payment_method, table)
        period = clock.from_wire(after.current_period_start), clock.from_wire(after.current_period_end)
        draft = draft_invoice(
            scope,
            sub,
            customer,
            invoice_lines,
            discount=after.discount,
            period=period,
            now=now,
            table=table,
            account=reads.account,
        )
        outcome = invoices.charge(scope, draft, draft.amount_due, method, table=table)
        after = replace(
            after,
            latest_invoice=draft.id,
            pending_invoice_items=(),
            status=after.status if outcome.in_good_standing else "past_due",
        )
    ops = change_ops(scope, sub, after, "subscription.updated", request)
    if draft is not None:
        invoices.commit(scope, table, draft, outcome, now, request, ops, claim=reads.claim)
    else:
        UnitOfWork(table, request, conflict_message=SUBSCRIPTION_CHANGED).add(*ops).commit()
    return after


def _for_next_invoice(discount: Discount | None, sub: Subscription, *, invoicing_now: bool) -> Discount | None:
    """A `once` coupon applied mid-period starts with the next period, so the next invoice (the
    renewal) applies it: the current period's invoice is already made (`discount_for` applies a
    `once` coupon only to the period it started in). When the change itself invoices now, that
    invoice is the next one and takes it as it is."""
    if discount is None or discount.coupon.duration != "once" or invoicing_now:
        return discount
    if clock.from_wire(discount.start) <= clock.from_wire(sub.current_period_start):
        return discount
    return replace(discount, start=sub.current_period_end)


RETENTION_USED = "The retention offer was already accepted for this subscription."


def accept_retention(
    scope: Scope,
    sub_id: str,
    coupon_id: str,
    request: RequestInfo,
    *,
    table: Table,
    known: Reads | None = None,
) -> Subscription:
    """The portal's retention coupon applied to the subscription, once for its whole life: the
    acceptance is recorded on it (`retentionAcceptedAt`) in the same conditional write as the
    discount, so of two accepts racing, one writes and the other is a `Conflict`; any later one
    is refused as well, the coupon's months over or not. `known`: as `update`'s."""
    reads = _update_reads(scope, sub_id, {"coupon": coupon_id}, known or Reads(), table)
    sub = found(reads.subscription, sub_id)
    if sub.retention_accepted_at is not None:
        raise Conflict(RETENTION_USED, code="retention_offer_used")
    if sub.canceled:
        raise InvalidRequest(ENDED.format(status=sub.status), param="subscription", code="subscription_canceled")
    now = now_for(scope, sub.test_clock, table)
    discount = resolve_discount(scope, coupon_id, sub.currency, now, table)
    after = replace(
        sub,
        discount=_for_next_invoice(discount, sub, invoicing_now=False),
        retention_accepted_at=clock.to_wire(now),
        version=sub.version + 1,
    )
    _, event = change_ops(scope, sub, after, "subscription.updated", request)
    ops = [subscription_store.retention_accepted(scope, after, sub.version), event]
    UnitOfWork(table, request, conflict_message=SUBSCRIPTION_CHANGED).add(*ops).commit()
    return after


INTERVAL_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


def requested_items(scope: Scope, sub: Subscription, wanted: Sequence[Mapping[str, Any]], *, table: Table) -> Items:
    """`wanted` ({price, quantity}) resolved as a switch of `sub` would resolve them (400s included)."""
    return resolve_requested(scope, sub, {"items": wanted}, table)


def downgrade_conditions(sub: Subscription, new_items: Sequence[SubscriptionItem]) -> set[str]:
    """Which `scheduleAtPeriodEnd` conditions of a portal configuration a switch to `new_items`
    meets: a lower recurring amount (`decreasing_item_amount`), a shorter billing interval
    (`shortening_interval`)."""
    met = set()
    if recurring_amount(new_items) < sub.recurring_amount:
        met.add("decreasing_item_amount")
    (old_interval, old_count), (new_interval, new_count) = sub.cycle, new_items[0].cycle
    if INTERVAL_DAYS[new_interval] * new_count < INTERVAL_DAYS[old_interval] * old_count:
        met.add("shortening_interval")
    return met


def scheduled_period(sub: Subscription, items: Sequence[SubscriptionItem]) -> tuple[datetime, datetime]:
    """The first period of `items` when they replace the subscription's at its period end: the
    cycle goes on when the interval stays, and starts again at the period end when it changes."""
    end = clock.from_wire(sub.current_period_end)
    new_interval, new_count = items[0].cycle
    if sub.cycle == items[0].cycle and sub.status != "trialing":
        return period_after(clock.from_wire(sub.billing_cycle_anchor), end, items)
    return end, proration.period_boundary(end, new_interval, new_count, 1)


def schedule_change(
    scope: Scope,
    sub_id: str,
    fields: Mapping[str, Any],
    request: RequestInfo,
    *,
    table: Table,
    known: Reads | None = None,
) -> Subscription:
    """Keeps `items` as the subscription's `scheduledChange` ({items, at: currentPeriodEnd}):
    nothing is prorated or invoiced now; the renewal at the period end switches to them before
    it invoices. A later switch or a cancellation clears it. `known`: as `update`'s."""
    held = known.subscription if known else None
    reads = read_together(table, scope, subscription=None if held else sub_id, prices=_requested_prices(fields))
    sub = found(held or reads.subscription, sub_id)
    if sub.canceled:
        raise InvalidRequest(ENDED.format(status=sub.status), param="subscription", code="subscription_canceled")
    if sub.cancel_at_period_end:
        raise InvalidRequest(
            "The subscription ends at the period end; renew it before scheduling a change.",
            param="subscription",
            code="subscription_ending",
        )
    items = resolve_requested(scope, sub, fields, table)
    after = replace(
        sub, scheduled_change=ScheduledChange(items=items, at=sub.current_period_end), version=sub.version + 1
    )
    change = UnitOfWork(table, request, conflict_message=SUBSCRIPTION_CHANGED)
    change.add(*change_ops(scope, sub, after, "subscription.updated", request)).commit()
    return after
