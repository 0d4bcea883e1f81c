"""A subscription's invoice lines: what its items cost a period, the proration of a change
inside a period, and the pending items kept for the next invoice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from billing.invoicing import invoices
from billing.kernel import clock
from billing.kernel.ids import sortable_id
from billing.subscriptions import proration
from billing.subscriptions.records import PendingItem, SubscriptionItem


def proration_items(items: Sequence[SubscriptionItem]) -> list[proration.Item]:
    return [proration.Item(i.price, i.unit_amount, i.quantity, i.description) for i in items]


def proration_lines(prorated: Sequence[proration.ProrationLine]) -> list[invoices.Line]:
    return [
        invoices.Line(p.description, p.amount, p.quantity, None, p.price, p.period_start, p.period_end, proration=True)
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
        )
        for line in lines
    )
