"""A subscription's invoice lines: what its items cost a period, the proration of a change
inside a period, and the pending items kept for the next invoice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from billing.invoicing import invoices
from billing.kernel import clock
from billing.kernel.ids import sortable_id
from billing.subscriptions import proration


def proration_items(items: Sequence[Mapping[str, Any]]) -> list[proration.Item]:
    return [proration.Item(i["price"], i["unitAmount"], i["quantity"], i["description"]) for i in items]


def proration_lines(prorated: Sequence[proration.ProrationLine]) -> list[invoices.Line]:
    return [
        invoices.Line(p.description, p.amount, p.quantity, None, p.price, p.period_start, p.period_end, proration=True)
        for p in prorated
        if p.amount != 0
    ]


def item_amount(item: Mapping[str, Any]) -> int:
    """What one subscription item costs a period: its unit amount times its quantity."""
    return int(item["unitAmount"]) * int(item["quantity"])


def recurring_amount(items: Sequence[Mapping[str, Any]]) -> int:
    """What the items cost each period before discount and tax (stored as `recurringAmount`)."""
    return sum(item_amount(i) for i in items)


def period_lines(items: Sequence[Mapping[str, Any]], start: datetime, end: datetime) -> list[invoices.Line]:
    return [
        invoices.Line(
            f"{i['description']} × {i['quantity']}" if i["quantity"] > 1 else i["description"],
            item_amount(i),
            i["quantity"],
            i["unitAmount"],
            i["price"],
            start,
            end,
        )
        for i in items
    ]


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


def lines_to_pending(lines: Sequence[invoices.Line]) -> list[dict[str, Any]]:
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
