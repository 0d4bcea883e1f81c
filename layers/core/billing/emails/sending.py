"""The mailer's work: one queued email sent through SES, at most once after SES accepted it.

An attempt claims the email (a conditional update: still `queued`, no live lease), renders it,
sends it, and records the outcome under its claim. A transient SES refusal (throttling, quotas,
SES's faults) is recorded and retried on `RETRY_DELAYS`, then `failed` after `MAX_ATTEMPTS`; a
permanent one is `failed` at once; a suppressed address is `suppressed` and never mailed.

What is guaranteed: once the record says `sent`, no message sends it again (the claim needs
`queued`); when SES accepted the message but recording it fails (DynamoDB faults), the write is
retried here and, if it still fails, the message is let go rather than sent twice (the error is
logged with SES's message ID). Only a mailer that dies between SES's answer and the record (a
crash or a timeout, no exception) leaves the email `queued`: its lease lapses and the queue's
next receive sends it again, the one case of a duplicate. No email is lost: until an outcome is
recorded the queue message stays (and ends in the dead-letter queue after the last attempt).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Literal

import msgspec

from billing.emails import brand, content, layout, mime, ses, store
from billing.emails.outbox import Accounts, Message
from billing.emails.records import Email, EmailAttempt
from billing.events import events
from billing.invoicing import hostedinvoices
from billing.kernel import clock, config
from billing.kernel.errors import Conflict, ServiceUnavailable
from billing.kernel.ids import random_token
from billing.store.repository import Table

logger = logging.getLogger(__name__)

# Seconds to wait after failed attempt n before attempt n + 1: about 15 hours in all.
RETRY_DELAYS: tuple[int, ...] = (30, 120, 600, 1800, 3600, 10800, 21600, 14400)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1  # the queue's maxReceiveCount
LEASE_SECONDS = 60  # longer than the mailer's timeout: a live lease means a mailer is at work
RECORD_TRIES = 4

SendRaw = Callable[..., str]


class Outcome(msgspec.Struct, frozen=True):
    """`done`: delete the message; `retry`: show it again in `delay` seconds; `dead`: the last
    attempt failed, the message goes to the dead-letter queue."""

    kind: Literal["done", "retry", "dead"]
    delay: int = 0
    reason: str = ""


def send(
    message: Message,
    attempt: int,
    *,
    table: Table,
    send_raw: SendRaw = ses.send_raw,
    pause: Callable[[float], None] = time.sleep,
) -> Outcome:
    """One attempt at one (event, email); `attempt` is the message's receive count."""
    scope = message.scope
    now = clock.now()
    now_s = clock.to_epoch(now)
    claim = random_token(16)
    try:
        store.claim_email(
            table, scope, message.event, message.kind, now=now_s, lease=now_s + LEASE_SECONDS, claim=claim
        )
    except Conflict:
        current = store.get_email(table, scope, message.event, message.kind)
        if current is None or current.status != "queued":
            return Outcome("done", reason="duplicate")
        return Outcome("retry", delay=current.held_for(now_s), reason="held by another mailer")
    email = store.get_email(table, scope, message.event, message.kind)
    assert email is not None  # just claimed
    at = clock.to_wire(now)

    def outcome_of(status: str, error: str | None = None, *, message_id: str | None = None) -> None:
        _record(
            table, message, email, EmailAttempt(at=at, attempt=attempt, error=error), claim, status, message_id, pause
        )

    if store.is_suppressed(table, email.to):
        outcome_of("suppressed", "The address bounced or complained before; it is not mailed again.")
        return Outcome("done", reason="suppressed")
    event = events.find_event(scope, message.event, table=table)
    if event is None:
        outcome_of("failed", "The event expired before its email was sent.")
        return Outcome("done", reason="event expired")

    known = Accounts(table)
    settings = known.settings(scope.account_id)
    account = known.account(scope.account_id)
    look = brand.of(scope, account, known.branding(scope), settings)
    hosted = None
    if message.kind != "subscription_canceled":  # (the others are about an invoice)
        hosted = hostedinvoices.hosted_url(scope, str(event.data_object.get("id")), table=table)
    said = content.for_event(message.kind, event, locale=email.locale, merchant=account.name, hosted_url=hosted)
    raw = mime.build(
        merchant=account.name,
        domain=config.settings().sender_domain,
        to=email.to,
        reply_to=settings.reply_to,
        subject=said.subject,
        text=layout.text(said, look),
        html=layout.html(said, look),
        language=email.locale,
    )
    try:
        message_id = send_raw(raw, to=email.to)
    except ServiceUnavailable as error:
        if attempt >= MAX_ATTEMPTS:
            outcome_of("failed", f"SES refused {attempt} times; last: {error.message}")
            return Outcome("dead", reason="attempts exhausted")
        outcome_of("queued", error.message)
        return Outcome("retry", delay=RETRY_DELAYS[attempt - 1], reason=error.message)
    except ses.EmailRejected as error:
        outcome_of("failed", error.message)
        return Outcome("done", reason="rejected")
    try:
        outcome_of("sent", message_id=message_id)
    except ServiceUnavailable:
        logger.error(
            "email sent but not recorded; not sent again",
            extra={"event": message.event, "kind": message.kind, "sesMessageId": message_id},
        )
    return Outcome("done", reason="sent")


def _record(
    table: Table,
    message: Message,
    email: Email,
    attempt: EmailAttempt,
    claim: str,
    status: str,
    message_id: str | None,
    pause: Callable[[float], None],
) -> None:
    """The outcome under this attempt's claim, retried a few times on DynamoDB faults (a write
    answered late and retried is recognised by the store); a Conflict means another mailer took
    over after our lease lapsed, and its own record stands."""
    for n in range(RECORD_TRIES):
        try:
            with contextlib.suppress(Conflict):
                store.record(
                    table,
                    message.scope,
                    email.event,
                    email.kind,
                    attempt,
                    claim=claim,
                    status=status,
                    message_id=message_id,
                    failure_reason=attempt.error if status in ("failed", "suppressed") else None,
                )
            return
        except ServiceUnavailable:
            if n == RECORD_TRIES - 1:
                raise
            pause(0.2 * 2**n)
