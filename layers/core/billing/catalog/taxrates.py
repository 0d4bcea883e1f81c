"""Tax rates an account charges, chosen by the customer's billing country (and state).

Percentages are exact decimals (stored as DynamoDB numbers, never floats in arithmetic). The
items are `billing.catalog.store`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from billing.catalog import store as catalog_store
from billing.catalog.records import TaxRate
from billing.catalog.wire import tax_rate_to_wire as to_wire
from billing.events import events
from billing.kernel import clock
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Table, UnitOfWork


def create(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> TaxRate:
    rate = TaxRate(
        id=sortable_id("txr"),
        country=fields["country"],
        state=fields.get("state"),
        percentage=Decimal(str(fields["percentage"])),
        display_name=fields["displayName"],
        inclusive=bool(fields.get("inclusive", False)),
        active=True,
        created_at=clock.to_wire(clock.now()),
    )
    event = events.event_item(scope, "tax_rate.created", to_wire(rate, scope), request)
    UnitOfWork(table, request).add(catalog_store.insert_tax_rate(scope, rate), events.event_op(event)).commit()
    return rate


def list_rates(
    scope: Scope, *, limit: int, starting_after: str | None, ending_before: str | None = None, table: Table
) -> dict[str, Any]:
    return catalog_store.tax_rates_page(
        table,
        scope,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        to_wire=lambda rate: to_wire(rate, scope),
    )


def all_active(scope: Scope, *, table: Table) -> list[TaxRate]:
    """Every active rate of the account (a handful), for invoicing."""
    return catalog_store.active_tax_rates(table, scope)
