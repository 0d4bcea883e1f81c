"""A subscription's invoice lines: what its items cost a period, the proration of a change
inside a period, and the pending items kept for the next invoice.

Proration is of what was charged: each item keeps the net amount a whole period of it was
charged at (after the discount in force then), and a change credits the unused share of that
and charges the remaining share of the new items' net amount. Such lines are already net, so
the invoice's coupon does not discount them again, and no sequence of changes credits more
than was charged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from msgspec.structs import replace

from billing.catalog.records import Discount
from billing.invoicing import invoicemath, invoices
from billing.invoicing.records import LineKind
from billing.kernel import clock
from billing.kernel.ids import sortable_id
from billing.kernel.money import split_proportional
from billing.subscriptions import proration
from billing.subscriptions.records import PendingItem, Subscription, SubscriptionItem


def discount_for(discount: Discount | None, period_start: datetime) -> Discount | None:
    """The discount an invoice of the period starting at `period_start` applies: a `once` coupon
    only in the period it was applied in, a `repeating` one until its months end."""
    if discount is None:
        return None
    duration = discount.coupon.duration
    if duration == "once" and clock.from_wire(discount.start) < period_start:
        return None
    if duration == "repeating" and discount.end and clock.from_wire(discount.end) <= period_start:
        return None
    return discount


def net_amounts(items: Sequence[SubscriptionItem], discount: Discount | None) -> list[int]:
    """What a whole period of each item costs after `discount`, as the period's invoice
    discounts its lines (a percentage per line, an amount spread over them)."""
    amounts = [i.amount for i in items]
    coupon = discount.coupon if discount and items and discount.coupon.applies_to(items[0].currency) else None
    cut = invoicemath.line_discounts(amounts, invoices.coupon_discount(coupon) if coupon else None)
    return [amount - reduction for amount, reduction in zip(amounts, cut, strict=True)]


def charged(items: Sequence[SubscriptionItem], discount: Discount | None) -> tuple[SubscriptionItem, ...]:
    """`items` as charged for a period under `discount` (each with its net amount)."""
    return tuple(replace(i, net_amount=n) for i, n in zip(items, net_amounts(items, discount), strict=True))


def inherited(
    old: Sequence[SubscriptionItem], new: Sequence[SubscriptionItem], discount: Discount | None
) -> tuple[SubscriptionItem, ...]:
    """`new` taking over what `old` was charged for the period (a switch that prorates nothing):
    the old net amounts' total, spread over the new items in proportion to their amounts."""
    shares = split_proportional(max(sum(_nets(old, discount)), 0), [max(i.amount, 0) for i in new])
    return tuple(replace(i, net_amount=share) for i, share in zip(new, shares, strict=True))


def _nets(items: Sequence[SubscriptionItem], discount: Discount | None) -> list[int]:
    fallback = net_amounts(items, discount)
    return [i.net_amount if i.net_amount is not None else fallback[n] for n, i in enumerate(items)]


def proration_items(items: Sequence[SubscriptionItem], discount: Discount | None) -> list[proration.Item]:
    """The items as proration sees them: what a whole period of each was charged at (items
    stored without it count at the net amount under `discount`)."""
    return [
        proration.Item(i.price, i.unit_amount, i.quantity, i.description, period_amount=net)
        for i, net in zip(items, _nets(items, discount), strict=True)
    ]


def _kind(value: str | None) -> LineKind | None:
    return cast(LineKind, value) if value in ("plan", "trial", "unused_time", "remaining_time") else None


def proration_lines(prorated: Sequence[proration.ProrationLine]) -> list[invoices.Line]:
    return [
        invoices.Line(
            p.description,
            p.amount,
            p.quantity,
            None,
            p.price,
            p.period_start,
            p.period_end,
            proration=True,
            discountable=False,
            kind=_kind(p.kind),
            item_description=p.item_description,
            at=p.period_start,
        )
        for p in prorated
        if p.amount != 0
    ]


def period_lines(items: Sequence[SubscriptionItem], start: datetime, end: datetime) -> list[invoices.Line]:
    return [
        invoices.Line(
            f"{i.description} × {i.quantity}" if i.quantity > 1 else i.description,
            i.amount,
            i.quantity,
            i.unit_amount,
            i.price,
            start,
            end,
            kind="plan",
            item_description=i.description,
        )
        for i in items
    ]


def pending_to_lines(pending: Sequence[PendingItem]) -> list[invoices.Line]:
    return [
        invoices.Line(
            p.description,
            p.amount,
            p.quantity,
            None,
            p.price,
            clock.from_wire(p.period_start),
            clock.from_wire(p.period_end),
            proration=True,
            discountable=not p.discounted,
            kind=_kind(p.kind),
            item_description=p.item_description,
            at=clock.from_wire(p.at) if p.at else None,
        )
        for p in pending
    ]


def lines_to_pending(lines: Sequence[invoices.Line]) -> tuple[PendingItem, ...]:
    return tuple(
        PendingItem(
            id=sortable_id("ii"),
            description=line.description,
            amount=line.amount,
            quantity=line.quantity,
            price=line.price,
            period_start=clock.to_wire(line.period_start),
            period_end=clock.to_wire(line.period_end),
            discounted=not line.discountable,
            kind=line.kind,
            item_description=line.item_description,
            at=clock.to_wire(line.at) if line.at is not None else None,
        )
        for line in lines
    )


def cancellation_lines(sub: Subscription, now: datetime, *, prorate: bool, invoice_now: bool) -> list[invoices.Line]:
    """The final invoice's lines of a cancellation at `now`: the pending items when `invoice_now`,
    and a credit for the unused time of what was charged when `prorate` (none in a trial)."""
    lines: list[invoices.Line] = []
    if invoice_now:
        lines += pending_to_lines(sub.pending_invoice_items)
    if prorate and sub.status != "trialing":
        start, end = clock.from_wire(sub.current_period_start), clock.from_wire(sub.current_period_end)
        old = proration_items(sub.items, discount_for(sub.discount, start))
        lines += proration_lines(proration.prorate(old, [], start, end, now))
    return lines


def span(lines: Sequence[invoices.Line]) -> tuple[datetime, datetime]:
    """The time `lines` are for (a final invoice's period: a credit names the time it credits)."""
    return min(line.period_start for line in lines), max(line.period_end for line in lines)
