"""SES's bounce and complaint events (its configuration set's EventBridge destination): the
addresses not to mail again.

Only a permanent bounce (the mailbox does not exist) and a complaint (marked as spam) suppress an
address; a transient bounce (a full mailbox) does not. The suppression holds for the whole
platform (`billing.emails.store`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing.emails import store
from billing.kernel import clock
from billing.store.repository import Table


def addresses_to_suppress(notification: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(address, reason) of an SES event (a configuration set's `eventType` or an identity's
    `notificationType`)."""
    kind = notification.get("eventType") or notification.get("notificationType")
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        return [
            (str(r["emailAddress"]), "bounce") for r in bounce.get("bouncedRecipients") or [] if r.get("emailAddress")
        ]
    if kind == "Complaint":
        complaint = notification.get("complaint") or {}
        return [
            (str(r["emailAddress"]), "complaint")
            for r in complaint.get("complainedRecipients") or []
            if r.get("emailAddress")
        ]
    return []


def handle_notification(notification: Mapping[str, Any], *, table: Table) -> int:
    """Suppresses the addresses of one SES event (an EventBridge event's `detail`); how many."""
    found = addresses_to_suppress(notification)
    at = clock.to_wire(clock.now())
    for address, reason in found:
        store.suppress(table, address, reason, at)
    return len(found)


def suppressed(address: str, *, table: Table) -> bool:
    return store.is_suppressed(table, address)
