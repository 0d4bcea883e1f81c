"""The webhooks area's stored objects: endpoints (with their signing secrets) and deliveries."""

from __future__ import annotations

from typing import Literal

import msgspec

from billing.kernel.scope import Mode, Scope

ALL_EVENTS = "*"
DeliveryStatus = Literal["pending", "succeeded", "failed"]


class Secret(msgspec.Struct, frozen=True, kw_only=True):
    """A signing secret: the current one (`expires_at` None), or a rolled one that signs until
    `expires_at` (epoch seconds)."""

    secret: str
    expires_at: int | None = None

    def signs_at(self, now_epoch: int) -> bool:
        return self.expires_at is None or self.expires_at > now_epoch


def live_secrets(secrets: tuple[Secret, ...], now_epoch: int) -> list[str]:
    """The secrets that sign a delivery at `now_epoch`: the current one first, then the rolled
    ones that have not expired yet."""
    current = [s.secret for s in secrets if s.expires_at is None]
    rolled = [s.secret for s in secrets if s.expires_at is not None and s.expires_at > now_epoch]
    return current + rolled


class WebhookEndpoint(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    account: str
    mode: Mode
    url: str
    enabled_events: tuple[str, ...]
    description: str | None
    disabled: bool
    disabled_reason: str | None
    metadata: dict[str, str]
    secrets: tuple[Secret, ...]
    created_at: str
    updated_at: str
    version: int

    @property
    def scope(self) -> Scope:
        return Scope(self.account, self.mode)

    @property
    def livemode(self) -> bool:
        return self.mode == "live"

    @property
    def status(self) -> str:
        return "disabled" if self.disabled else "enabled"

    def wants(self, event_type: str) -> bool:
        """Enabled, and listed for `event_type` or for every type."""
        return not self.disabled and (ALL_EVENTS in self.enabled_events or event_type in self.enabled_events)

    def live_secrets(self, now_epoch: int) -> list[str]:
        return live_secrets(self.secrets, now_epoch)

    def rolled_until(self, now_epoch: int) -> int | None:
        """When the last rolled secret still signing stops (None when none does)."""
        live = [s.expires_at for s in self.secrets if s.expires_at is not None and s.expires_at > now_epoch]
        return max(live) if live else None

    def rolled_secrets(self, new_secret: str, now_epoch: int, expires_in_seconds: int, keep: int) -> tuple[Secret, ...]:
        """The secrets after a roll to `new_secret`: the current one keeps signing for
        `expires_in_seconds`; expired rolled ones are dropped, and beyond `keep` rolled ones the
        soonest to expire. 0 ends every older secret at once, those an earlier roll kept too (a
        roll after a leak must leave no old secret signing)."""
        if expires_in_seconds == 0:
            return (Secret(secret=new_secret),)
        rolled = [s for s in self.secrets if s.expires_at is not None and s.expires_at > now_epoch]
        rolled = [
            Secret(secret=s.secret, expires_at=now_epoch + expires_in_seconds)
            for s in self.secrets
            if s.expires_at is None
        ] + rolled
        rolled.sort(key=lambda s: s.expires_at or 0, reverse=True)
        return (Secret(secret=new_secret), *rolled[:keep])


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    """One POST of a delivery: when, which try and round, the HTTP status (None when there was
    no answer), how long it took, the error, and the start of the answer."""

    at: str
    attempt: int
    round: int
    status: int | None
    latency_ms: int
    error: str | None
    response: str


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """One event to one endpoint. `round` names the queue messages of the current (re)delivery;
    `lease` (epoch seconds) is set while one sender holds it, `claim` names that sender's
    attempt and `recorded_claim` the last attempt recorded."""

    event: str
    endpoint: str
    url: str
    status: DeliveryStatus
    round: int
    attempt_count: int
    attempts: tuple[Attempt, ...]
    created_at: str
    expires_at: int
    last_attempt_at: str | None = None
    next_attempt_at: str | None = None
    delivered_at: str | None = None
    failure_reason: str | None = None
    lease: int | None = None
    claim: str | None = None
    recorded_claim: str | None = None

    def held_for(self, now_epoch: int) -> int:
        """Seconds until the current sender's lease ends (at least 1, so a retry waits)."""
        return max(1, (self.lease if self.lease is not None else now_epoch) - now_epoch)
