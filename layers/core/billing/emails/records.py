"""The emails area's stored objects: an account's email settings, one email of an event, and a
suppressed address."""

from __future__ import annotations

from typing import Literal

import msgspec

EmailKind = Literal["receipt", "payment_failed", "action_required", "subscription_canceled"]
EmailStatus = Literal["queued", "sent", "failed", "suppressed"]
KINDS: tuple[EmailKind, ...] = ("receipt", "payment_failed", "action_required", "subscription_canceled")


class EmailSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Which emails the account's customers get, and where their replies go. Every kind is on by
    default except receipts, as Stripe has it (a merchant turns receipts on when it wants them);
    `EmailSettings()` is an account that has set nothing (version 0: not stored)."""

    receipt: bool = False
    payment_failed: bool = True
    action_required: bool = True
    subscription_canceled: bool = True
    reply_to: str | None = None
    version: int = 0

    def sends(self, kind: EmailKind) -> bool:
        return bool(getattr(self, kind))


class EmailAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """One SendEmail call: when, which try, and what SES said when it refused."""

    at: str
    attempt: int
    error: str | None = None


class Email(msgspec.Struct, frozen=True, kw_only=True):
    """One email an event makes (at most one per kind). `lease` (epoch seconds) is held while
    one mailer sends it and `claim` names that mailer's attempt."""

    event: str
    kind: EmailKind
    to: str
    locale: str
    status: EmailStatus
    attempts: tuple[EmailAttempt, ...] = ()
    created_at: str
    expires_at: int
    sent_at: str | None = None
    message_id: str | None = None
    failure_reason: str | None = None
    lease: int | None = None
    claim: str | None = None

    @property
    def attempt_count(self) -> int:
        return len(self.attempts)

    def held_for(self, now_epoch: int) -> int:
        """Seconds until the current mailer's lease ends (at least 1, so a retry waits)."""
        return max(1, (self.lease if self.lease is not None else now_epoch) - now_epoch)
