"""Tax rates an account charges, chosen by the customer's billing country (and state).

Item: `<scope>#TXR#<txr>` / `TAXRATE`; gsi2 `<scope>#TAXRATES` / id. Percentages are exact
decimals (stored as DynamoDB numbers, never floats in arithmetic).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from billing.events import events
from billing.kernel import clock
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.store.listing import page
from billing.store.repository import Item, Put, Table, UnitOfWork


def to_wire(item: Item, scope: Scope) -> dict[str, Any]:
    return {
        "id": item["id"],
        "object": "tax_rate",
        "country": item["country"],
        "state": item.get("state"),
        "percentage": item["percentage"],
        "displayName": item["displayName"],
        "inclusive": item["inclusive"],
        "active": item.get("active", True),
        "createdAt": item["createdAt"],
        "livemode": scope.livemode,
    }


def create(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Item:
    rate_id = sortable_id("txr")
    percentage = Decimal(str(fields["percentage"]))
    item: Item = {
        "pk": scope.key("TXR", rate_id),
        "sk": "TAXRATE",
        "type": "tax_rate",
        "id": rate_id,
        "country": fields["country"],
        "state": fields.get("state"),
        "percentage": float(percentage) if percentage != percentage.to_integral_value() else int(percentage),
        "displayName": fields["displayName"],
        "inclusive": bool(fields.get("inclusive", False)),
        "active": True,
        "createdAt": clock.to_wire(clock.now()),
        "version": 1,
        "gsi2pk": scope.key("TAXRATES"),
        "gsi2sk": rate_id,
    }
    event = events.event_item(scope, "tax_rate.created", to_wire(item, scope), request)
    UnitOfWork(table, request).add(Put(item, condition="attribute_not_exists(pk)"), events.event_op(event)).commit()
    return item


def list_rates(scope: Scope, *, limit: int, starting_after: str | None, table: Table) -> dict[str, Any]:
    return page(
        table,
        index="gsi2",
        partition=scope.key("TAXRATES"),
        limit=limit,
        starting_after=starting_after,
        primary_key=lambda rid: (scope.key("TXR", rid), "TAXRATE"),
        to_wire=lambda item: to_wire(item, scope),
    )


def all_active(scope: Scope, *, table: Table) -> list[Item]:
    """Every active rate of the account (a handful), for invoicing."""
    return [i for i in table.query_all(scope.key("TAXRATES"), index="gsi2") if i.get("active", True)]
