"""The audit log: the changes customers made themselves, in the portal.

Each entry is read from the event item of the change (`events.event_item` writes `audit` there
in the change's own transaction): who (the customer, the portal session, IP, user agent), what
(the event type and the object), before (`previousAttributes`) and after (those fields now, or
the whole object when it was created).
"""

from __future__ import annotations

from typing import Any

from billing.events import events
from billing.kernel.scope import Scope
from billing.store.repository import Item, Table


def _customer_of(item: Item) -> str | None:
    partition = str(item.get("gsi3pk", ""))
    parts = partition.split("#")
    return parts[-2] if len(parts) >= 2 and parts[-1] == "EVENTS" and parts[-3] == "CUST" else None


def to_wire(item: Item) -> dict[str, Any]:
    event = item["event"]
    obj = event["data"]["object"]
    before = dict(event["data"].get("previousAttributes") or {})
    after = {k: obj.get(k) for k in before} if before else dict(obj)
    audit = item["audit"]
    customer = _customer_of(item)
    return {
        "id": event["id"],
        "object": "audit_entry",
        "createdAt": event["createdAt"],
        "livemode": event["livemode"],
        "customer": customer,
        "action": event["type"],
        "actor": {
            "type": "customer",
            "customer": customer,
            "session": audit.get("session"),
            "ip": audit.get("ip"),
            "userAgent": audit.get("userAgent"),
        },
        "target": {"object": obj.get("object"), "id": obj.get("id")},
        "before": before,
        "after": after,
        "event": event["id"],
    }


def list_entries(
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    customer: str | None = None,
    table: Table,
) -> dict[str, Any]:
    """Newest first; of one customer, or of every customer of the account."""
    return events.event_page(
        scope,
        limit=limit,
        starting_after=starting_after,
        customer=customer,
        keep=lambda item: "audit" in item,
        to_wire=to_wire,
        table=table,
    )
