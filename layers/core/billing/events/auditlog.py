"""The audit log: the changes customers made themselves, in the portal.

Each entry is read from the event of the change (`events.event_item` records `audit` there in
the change's own transaction): who (the customer, the portal session, IP, user agent), what
(the event type and the object), before (`previousAttributes`) and after (those fields now, or
the whole object when it was created).
"""

from __future__ import annotations

from typing import Any

from billing.events import events
from billing.events.records import Event
from billing.kernel.scope import Scope
from billing.store.repository import Table


def to_wire(event: Event) -> dict[str, Any]:
    obj = event.data_object
    audit = event.audit
    return {
        "id": event.id,
        "object": "audit_entry",
        "createdAt": event.created_at,
        "livemode": event.livemode,
        "customer": event.customer,
        "action": event.type,
        "actor": {
            "type": "customer",
            "customer": event.customer,
            "session": audit.session if audit else None,
            "ip": audit.ip if audit else None,
            "userAgent": audit.user_agent if audit else None,
        },
        "target": {"object": obj.get("object"), "id": obj.get("id")},
        "before": dict(event.previous_attributes),
        "after": event.after,
        "event": event.id,
    }


def list_entries(
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    ending_before: str | None = None,
    customer: str | None = None,
    table: Table,
) -> dict[str, Any]:
    """Newest first; of one customer, or of every customer of the account."""
    return events.event_page(
        scope,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        customer=customer,
        keep=lambda event: event.audit is not None,
        to_wire=to_wire,
        table=table,
    )
