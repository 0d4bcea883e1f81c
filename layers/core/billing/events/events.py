"""Events, written in the same transaction as the change they describe (the outbox).

Item: pk `<scope>#EVT#<evt>`, sk `EVENT`; gsi2 `<scope>#EVENTS` / id (every event, by time);
gsi3 `<scope>#CUST#<cust>#EVENTS` / id (a customer's). `outbox` marks it for the stream's
fanout. Kept 90 days (`expiresAt`; reads check it themselves).

A change the customer makes in the portal is audited by its event: the item also carries
`audit` (session, IP, user agent), outside the event that webhooks deliver; with the event's
object (after) and `previousAttributes` (before) it is the audit record, written in the same
transaction as the change by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from billing.kernel import clock
from billing.kernel.errors import NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.store.listing import collection_page
from billing.store.repository import Item, Put, Table

RETENTION = timedelta(days=90)


def event_item(
    scope: Scope,
    type_: str,
    data_object: dict[str, Any],
    request: RequestInfo,
    *,
    previous: dict[str, Any] | None = None,
    customer: str | None = None,
) -> Item:
    now = clock.now()
    event_id = sortable_id("evt")
    event = {
        "id": event_id,
        "object": "event",
        "type": type_,
        "createdAt": clock.to_wire(now),
        "livemode": scope.livemode,
        "data": {"object": data_object, "previousAttributes": previous or {}},
        "request": request.wire(),
    }
    item: Item = {
        "pk": scope.key("EVT", event_id),
        "sk": "EVENT",
        "type": "event",
        "outbox": True,
        "account": scope.account_id,
        "mode": scope.mode,
        "eventType": type_,
        "event": event,
        "gsi2pk": scope.key("EVENTS"),
        "gsi2sk": event_id,
        "expiresAt": clock.to_epoch(now + RETENTION),
    }
    audit = request.audit()
    if audit is not None:
        item["audit"] = audit
    if customer:
        item["gsi3pk"] = scope.key("CUST", customer, "EVENTS")
        item["gsi3sk"] = event_id
    return item


def event_op(item: Item) -> Put:
    return Put(item, condition="attribute_not_exists(pk)")


def previous_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The wire fields that changed, with their values before the change."""
    return {k: before.get(k) for k in after if k not in ("updatedAt",) and before.get(k) != after.get(k)}


def live_event_item(item: Item | None, event_id: str) -> Item:
    """The event item read for `event_id`, unless it is missing or past its retention (404)."""
    if item is None or item["expiresAt"] <= clock.to_epoch(clock.now()):
        raise NotFound(f"No such event: '{event_id}'.", param="id")
    return item


def get_event(scope: Scope, event_id: str, *, table: Table) -> dict[str, Any]:
    item = live_event_item(table.get(scope.key("EVT", event_id), "EVENT"), event_id)
    event: dict[str, Any] = item["event"]
    return event


def event_page(
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    customer: str | None,
    keep: Callable[[Item], bool],
    to_wire: Callable[[Item], dict[str, Any]],
    table: Table,
) -> dict[str, Any]:
    """A page of event items, newest first: a customer's, or the whole account's."""
    return collection_page(
        table,
        scope,
        "EVENTS",
        owner=("CUST", customer),
        limit=limit,
        starting_after=starting_after,
        primary_key=lambda event_id: (scope.key("EVT", event_id), "EVENT"),
        to_wire=to_wire,
        keep=keep,
    )


def list_events(
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    type_: str | None = None,
    customer: str | None = None,
    table: Table,
) -> dict[str, Any]:
    """Events newest first; `type_` may end in `*` (`invoice.*`); `customer` narrows to one."""

    def matches(item: Item) -> bool:
        if not type_:
            return True
        if type_.endswith("*"):
            return str(item["eventType"]).startswith(type_[:-1])
        return bool(item["eventType"] == type_)

    return event_page(
        scope,
        limit=limit,
        starting_after=starting_after,
        customer=customer,
        keep=matches,
        to_wire=lambda item: dict(item["event"]),
        table=table,
    )
