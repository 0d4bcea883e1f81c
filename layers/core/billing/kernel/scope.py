"""Whose data: one account in one mode. Test and live objects live in separate key spaces,
so a test key can never read a live object (nor the other way round), by construction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

Mode = Literal["test", "live"]


class Scope(msgspec.Struct, frozen=True):
    account_id: str
    mode: Mode

    @property
    def livemode(self) -> bool:
        return self.mode == "live"

    def key(self, *parts: str) -> str:
        """`ACCT#acct_1#test#CUST#cust_2` for `key("CUST", "cust_2")`."""
        return "#".join([f"ACCT#{self.account_id}#{self.mode}", *parts])


@dataclass
class IdempotencyMark:
    """The write that marks a request's `Idempotency-Key` carried out (a store operation). It
    commits with the request's first transaction, so that the two commit together or not at
    all: a retry under the same key then can never commit the change a second time."""

    operation: Any
    committed: bool = False


@dataclass(frozen=True)
class RequestInfo:
    """Where a change came from, carried into its event (and audit record), and the mark its
    first transaction commits when the request carries an `Idempotency-Key`."""

    source: str  # "api" | "portal" | "clock"
    request_id: str | None = None
    idempotency_key: str | None = None
    # Who, for a customer's own change in the portal: kept in the audit record, not in the event.
    session: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    idempotency_mark: IdempotencyMark | None = field(default=None, compare=False, repr=False)

    def audit(self) -> dict[str, str | None] | None:
        if self.source != "portal":
            return None
        return {"session": self.session, "ip": self.ip, "userAgent": self.user_agent}

    def wire(self) -> dict[str, str | None]:
        return {"source": self.source, "id": self.request_id, "idempotencyKey": self.idempotency_key}
