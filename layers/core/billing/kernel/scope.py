"""Whose data: one account in one mode. Test and live objects live in separate key spaces,
so a test key can never read a live object (nor the other way round), by construction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mode = Literal["test", "live"]


@dataclass(frozen=True)
class Scope:
    account_id: str
    mode: Mode

    @property
    def livemode(self) -> bool:
        return self.mode == "live"

    def key(self, *parts: str) -> str:
        """`ACCT#acct_1#test#CUST#cust_2` for `key("CUST", "cust_2")`."""
        return "#".join([f"ACCT#{self.account_id}#{self.mode}", *parts])


@dataclass(frozen=True)
class RequestInfo:
    """Where a change came from, carried into its event (and audit record)."""

    source: str  # "api" | "portal" | "clock"
    request_id: str | None = None
    idempotency_key: str | None = None
    # Who, for a customer's own change in the portal: kept in the audit record, not in the event.
    session: str | None = None
    ip: str | None = None
    user_agent: str | None = None

    def audit(self) -> dict[str, str | None] | None:
        if self.source != "portal":
            return None
        return {"session": self.session, "ip": self.ip, "userAgent": self.user_agent}

    def wire(self) -> dict[str, str | None]:
        return {"source": self.source, "id": self.request_id, "idempotencyKey": self.idempotency_key}
