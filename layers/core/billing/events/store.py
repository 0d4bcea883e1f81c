"""Where events are kept.

Item: pk `<scope>#EVT#<evt>`, sk `EVENT`; gsi2 `<scope>#EVENTS` / id (every event, by time);
gsi3 `<scope>#CUST#<cust>#EVENTS` / id (a customer's). `outbox` marks it for the stream's
fanout; `eventType` is the event's type, `event` the event as webhooks carry it, `audit` (only
for a customer's own change in the portal) who made it; `expiresAt` the epoch second retention
ends; `changeRef` its [ID, type], and `change`, when its transaction wrote other events too, the
refs of them all (the unit of work adds it: `billing.store.repository`). The event's partition
also holds its deliveries (`billing.webhooks.store`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from billing.events.records import Audit, Event
from billing.kernel.scope import Scope
from billing.store.repository import CHANGE_REF, Item, Put, Table, deserialize

EVENT_SK = "EVENT"
COLLECTION = "EVENTS"


def partition(scope: Scope, event_id: str) -> str:
    """The event's partition: the event item and its deliveries."""
    return scope.key("EVT", event_id)


def event_key(scope: Scope, event_id: str) -> tuple[str, str]:
    return partition(scope, event_id), EVENT_SK


def is_event_item(item: Mapping[str, Any]) -> bool:
    """Whether an item of an event's partition is the event itself (not one of its deliveries)."""
    return item.get("sk") == EVENT_SK


def _customer_partition(scope: Scope, customer_id: str) -> str:
    return scope.key("CUST", customer_id, COLLECTION)


def customer_partition(scope: Scope, customer_id: str) -> str:
    """The gsi3 partition of a customer's events (newest last)."""
    return _customer_partition(scope, customer_id)


def _customer_of(item: Mapping[str, Any]) -> str | None:
    parts = str(item.get("gsi3pk", "")).split("#")
    return parts[-2] if len(parts) >= 3 and parts[-1] == COLLECTION and parts[-3] == "CUST" else None


def to_item(scope: Scope, event: Event) -> Item:
    item: Item = {
        "pk": partition(scope, event.id),
        "sk": EVENT_SK,
        "type": "event",
        "outbox": True,
        "account": scope.account_id,
        "mode": scope.mode,
        "eventType": event.type,
        "event": event.body,
        "gsi2pk": scope.key(COLLECTION),
        "gsi2sk": event.id,
        "expiresAt": event.expires_at,
        CHANGE_REF: [event.id, event.type],
    }
    if event.change:
        item["change"] = [list(ref) for ref in event.change]
    if event.audit is not None:
        item["audit"] = {"session": event.audit.session, "ip": event.audit.ip, "userAgent": event.audit.user_agent}
    if event.customer:
        item["gsi3pk"] = _customer_partition(scope, event.customer)
        item["gsi3sk"] = event.id
    return item


def from_item(item: Mapping[str, Any]) -> Event:
    body = item["event"]
    data = body["data"]
    audit = item.get("audit")
    return Event(
        id=body["id"],
        type=str(item["eventType"]),
        account=str(item["account"]),
        mode=item["mode"],
        created_at=body["createdAt"],
        data_object=dict(data["object"]),
        previous_attributes=dict(data.get("previousAttributes") or {}),
        request=dict(body.get("request") or {}),
        expires_at=int(item["expiresAt"]),
        customer=_customer_of(item),
        change=tuple((str(ref[0]), str(ref[1])) for ref in item.get("change") or ()),
        audit=None
        if audit is None
        else Audit(session=audit.get("session"), ip=audit.get("ip"), user_agent=audit.get("userAgent")),
    )


def outbox_event(image: Mapping[str, Any]) -> Event | None:
    """The event of a stream record's new image (DynamoDB's typed JSON), or None when the item
    is not an outbox event."""
    item = deserialize(image)
    if item.get("type") != "event" or not item.get("outbox"):
        return None
    return from_item(item)


def insert(scope: Scope, event: Event) -> Put:
    return Put(to_item(scope, event), condition="attribute_not_exists(pk)")


def get_event(table: Table, scope: Scope, event_id: str) -> Event | None:
    item = table.get(*event_key(scope, event_id))
    return None if item is None else from_item(item)


def event_page(
    table: Table,
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    customer: str | None,
    keep: Callable[[Event], bool],
    to_wire: Callable[[Event], dict[str, Any]],
    ending_before: str | None = None,
) -> dict[str, Any]:
    """A page of events, newest first: a customer's, or the whole account's (expired ones left out)."""
    from billing.store.listing import collection_page  # a list's alone: the mailer reads one event

    return collection_page(
        table,
        scope,
        COLLECTION,
        owner=("CUST", customer),
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        primary_key=lambda event_id: event_key(scope, event_id),
        to_wire=lambda item: to_wire(from_item(item)),
        keep=lambda item: keep(from_item(item)),
        object_id=lambda item: str(item["event"]["id"]),
    )
