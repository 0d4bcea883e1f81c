"""An event's emails as the API shows them beside its webhook deliveries."""

from __future__ import annotations

from typing import Any

from billing.emails import store
from billing.emails.records import Email
from billing.kernel.scope import Scope
from billing.store.repository import Table


def to_wire(email: Email) -> dict[str, Any]:
    return {
        "object": "email",
        "type": email.kind,
        "to": email.to,
        "locale": email.locale,
        "status": email.status,
        "attempts": email.attempt_count,
        "sentAt": email.sent_at,
        "failureReason": email.failure_reason,
        "createdAt": email.created_at,
    }


def of_event(scope: Scope, event_id: str, *, table: Table) -> list[dict[str, Any]]:
    return [to_wire(e) for e in store.emails_of(table, scope, event_id)]
