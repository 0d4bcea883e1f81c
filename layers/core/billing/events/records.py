"""The events area's stored objects: an event (the outbox) and the audit trail it carries."""

from __future__ import annotations

from typing import Any

import msgspec

from billing.kernel.scope import Mode, Scope


class Audit(msgspec.Struct, frozen=True, kw_only=True):
    """Who made a customer's own change in the portal (kept beside the event, never delivered)."""

    session: str | None
    ip: str | None
    user_agent: str | None


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """One change, as webhooks carry it (`body`), kept until `expires_at` (epoch seconds)."""

    id: str
    type: str
    account: str
    mode: Mode
    created_at: str
    data_object: dict[str, Any]
    previous_attributes: dict[str, Any]
    request: dict[str, str | None]
    expires_at: int
    customer: str | None = None
    audit: Audit | None = None
    # (ID, type) of every event written in the same transaction, this one too; empty when alone
    change: tuple[tuple[str, str], ...] = ()

    @property
    def scope(self) -> Scope:
        return Scope(self.account, self.mode)

    @property
    def livemode(self) -> bool:
        return self.mode == "live"

    @property
    def body(self) -> dict[str, Any]:
        """The event as webhooks deliver it and the API shows it."""
        return {
            "id": self.id,
            "object": "event",
            "type": self.type,
            "createdAt": self.created_at,
            "livemode": self.livemode,
            "data": {"object": self.data_object, "previousAttributes": self.previous_attributes},
            "request": self.request,
        }

    def live_at(self, now_epoch: int) -> bool:
        """Still kept at `now_epoch` (reads check retention themselves; the table's TTL is late)."""
        return self.expires_at > now_epoch

    def matches(self, type_filter: str | None) -> bool:
        """Of the type `type_filter` names: exactly, or by prefix when it ends in `*` (`invoice.*`)."""
        if not type_filter:
            return True
        if type_filter.endswith("*"):
            return self.type.startswith(type_filter[:-1])
        return self.type == type_filter

    @property
    def after(self) -> dict[str, Any]:
        """The changed fields as they are now, or the whole object when it was created."""
        before = self.previous_attributes
        return {k: self.data_object.get(k) for k in before} if before else dict(self.data_object)
