"""Events, written in the same transaction as the change they describe (the outbox).

Kept 90 days (reads check it themselves). A change the customer makes in the portal is
audited by its event: the event also carries `audit` (session, IP, user agent), outside the
event that webhooks deliver; with the event's object (after) and `previousAttributes` (before)
it is the audit record, written in the same transaction as the change by construction. Where
and how events are kept: `billing.events.store`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from billing.events import store, types
from billing.events.records import Audit, Event
from billing.kernel import clock
from billing.kernel.errors import NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Put, Table

RETENTION = timedelta(days=90)


def event_item(
    scope: Scope,
    type_: str,
    data_object: dict[str, Any],
    request: RequestInfo,
    *,
    previous: dict[str, Any] | None = None,
    customer: str | None = None,
) -> Event:
    """The event of a change (`event_op` writes it in the change's transaction)."""
    now = clock.now()
    audit = request.audit()
    return Event(
        id=sortable_id("evt"),
        type=type_,
        account=scope.account_id,
        mode=scope.mode,
        created_at=clock.to_wire(now),
        data_object=data_object,
        previous_attributes=previous or {},
        request=request.wire(),
        expires_at=clock.to_epoch(now + RETENTION),
        customer=customer or None,
        audit=None if audit is None else Audit(session=audit["session"], ip=audit["ip"], user_agent=audit["userAgent"]),
    )


def event_op(event: Event) -> Put:
    return store.insert(event.scope, event)


def to_wire(event: Event) -> dict[str, Any]:
    """The event as webhooks carry it."""
    return event.body


def outbox_event(image: Mapping[str, Any]) -> Event | None:
    """The event of a table stream record's new image (DynamoDB's typed JSON); None when the
    inserted item is not an outbox event."""
    return store.outbox_event(image)


def earlier_in_change(event: Event, wanted: Callable[[str, str], bool]) -> str | None:
    """The event of `event`'s change delivered just before it to a receiver that gets the events
    `wanted(id, type)` accepts (`types.causal_order`); None when it comes first."""
    earlier = None
    for event_id, type_ in types.causal_order(list(event.change)):
        if event_id == event.id:
            return earlier
        if wanted(event_id, type_):
            earlier = event_id
    return None


def previous_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The wire fields that changed, with their values before the change."""
    return {k: before.get(k) for k in after if k not in ("updatedAt",) and before.get(k) != after.get(k)}


def live_event_item(event: Event | None, event_id: str) -> Event:
    """The event read for `event_id`, unless it is missing or past its retention (404)."""
    if event is None or not event.live_at(clock.to_epoch(clock.now())):
        raise NotFound(f"No such event: '{event_id}'.", param="event")
    return event


def find_event(scope: Scope, event_id: str, *, table: Table) -> Event | None:
    """The event, unless it is missing or past its retention."""
    event = store.get_event(table, scope, event_id)
    return event if event is not None and event.live_at(clock.to_epoch(clock.now())) else None


def get_event(scope: Scope, event_id: str, *, table: Table) -> dict[str, Any]:
    return to_wire(live_event_item(store.get_event(table, scope, event_id), event_id))


def event_page(
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    customer: str | None,
    keep: Callable[[Event], bool],
    to_wire: Callable[[Event], dict[str, Any]],
    table: Table,
    ending_before: str | None = None,
) -> dict[str, Any]:
    """A page of events, newest first: a customer's, or the whole account's."""
    return store.event_page(
        table,
        scope,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        customer=customer,
        keep=keep,
        to_wire=to_wire,
    )


def list_events(
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    type_: str | None = None,
    customer: str | None = None,
    ending_before: str | None = None,
    table: Table,
) -> dict[str, Any]:
    """Events newest first; `type_` may end in `*` (`invoice.*`); `customer` narrows to one."""
    return event_page(
        scope,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        customer=customer,
        keep=lambda event: event.matches(type_),
        to_wire=to_wire,
        table=table,
    )
