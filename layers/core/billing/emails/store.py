"""Where email settings, an event's emails and suppressed addresses are kept.

Settings: pk `ACCT#<acct>`, sk `EMAIL_SETTINGS` (one per account, both modes; versioned).

Email: pk `<scope>#EVT#<evt>` (beside its event and its webhook deliveries: one Query reads them
all), sk `EMAIL#<kind>`. Written by update expressions only: `lease`, `claim`, `sentAt`,
`messageId` and `failureReason` are absent until set. Kept as long as its event (`expiresAt`).

Suppression: pk `SUPPRESSED#<sha256 of the lowercased address>`, sk `SUPPRESSION`: an address
SES reported as a hard bounce or a complaint, for the whole platform (a mailbox that does not
exist, or a person who marked us as spam, does so for every merchant). Only the hash is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from billing.accounts.store import account_pk
from billing.emails.records import Email, EmailAttempt, EmailKind, EmailSettings
from billing.events import store as event_store
from billing.events.records import Event
from billing.kernel.scope import Scope
from billing.store.repository import Item, Table, holds

SETTINGS_SK = "EMAIL_SETTINGS"
EMAIL_SK_PREFIX = "EMAIL#"
SUPPRESSION_SK = "SUPPRESSION"


# ------------------------------------------------------------------ settings
def settings_key(account_id: str) -> tuple[str, str]:
    return account_pk(account_id), SETTINGS_SK


def settings_to_item(account_id: str, settings: EmailSettings) -> Item:
    pk, sk = settings_key(account_id)
    return {
        "pk": pk,
        "sk": sk,
        "type": "email_settings",
        "receipt": settings.receipt,
        "paymentFailed": settings.payment_failed,
        "actionRequired": settings.action_required,
        "subscriptionCanceled": settings.subscription_canceled,
        "replyTo": settings.reply_to,
        "version": settings.version,
    }


def settings_from_item(item: Mapping[str, Any]) -> EmailSettings:
    return EmailSettings(
        receipt=bool(item["receipt"]),
        payment_failed=bool(item["paymentFailed"]),
        action_required=bool(item["actionRequired"]),
        subscription_canceled=bool(item["subscriptionCanceled"]),
        reply_to=item.get("replyTo"),
        version=int(item["version"]),
    )


def get_settings(table: Table, account_id: str) -> EmailSettings:
    item = table.get(*settings_key(account_id))
    return EmailSettings() if item is None else settings_from_item(item)


def save_settings(table: Table, account_id: str, before: EmailSettings, after: EmailSettings) -> None:
    """`after` written whole, over the version read (none stored when `before` is version 0)."""
    item = settings_to_item(account_id, after)
    if before.version == 0:
        condition, values = "attribute_not_exists(pk)", None
    else:
        condition, values = "#version = :read", {":read": before.version}
    table.put(
        item,
        condition=condition,
        names={"#version": "version"} if values else None,
        values=values,
        conflict_message="The email settings were changed by another request; retry.",
        already=holds({k: v for k, v in item.items() if k not in ("pk", "sk")}),
    )


# ------------------------------------------------------------------ an event's emails
def email_key(scope: Scope, event_id: str, kind: EmailKind) -> tuple[str, str]:
    return event_store.partition(scope, event_id), EMAIL_SK_PREFIX + kind


def _attempt_to_stored(attempt: EmailAttempt) -> dict[str, Any]:
    return {"at": attempt.at, "attempt": attempt.attempt, "error": attempt.error}


def email_from_item(item: Mapping[str, Any]) -> Email:
    lease = item.get("lease")
    return Email(
        event=item["event"],
        kind=item["kind"],
        to=item["to"],
        locale=item["locale"],
        status=item["status"],
        attempts=tuple(
            EmailAttempt(at=a["at"], attempt=int(a["attempt"]), error=a.get("error"))
            for a in item.get("attempts") or []
        ),
        created_at=item["createdAt"],
        expires_at=int(item["expiresAt"]),
        sent_at=item.get("sentAt"),
        message_id=item.get("messageId"),
        failure_reason=item.get("failureReason"),
        lease=None if lease is None else int(lease),
        claim=item.get("claim"),
    )


def open_email(table: Table, scope: Scope, event: Event, kind: EmailKind, to: str, locale: str, at: str) -> Email:
    """The (event, kind) email, `queued` when new; as it is when it exists (a duplicated stream
    record changes nothing)."""
    fields = {
        "type": "email",
        "event": event.id,
        "kind": kind,
        "to": to,
        "locale": locale,
        "status": "queued",
        "createdAt": at,
        "expiresAt": event.expires_at,
    }
    names = {f"#{name}": name for name in fields}
    values = {f":{name}": value for name, value in fields.items()}
    expression = "SET " + ", ".join(f"#{n} = if_not_exists(#{n}, :{n})" for n in fields)
    return email_from_item(
        table.update(*email_key(scope, event.id, kind), expression=expression, names=names, values=values)
    )


def get_email(table: Table, scope: Scope, event_id: str, kind: EmailKind) -> Email | None:
    item = table.get(*email_key(scope, event_id, kind))
    return None if item is None else email_from_item(item)


def emails_of(table: Table, scope: Scope, event_id: str) -> list[Email]:
    items, _ = table.query(event_store.partition(scope, event_id), prefix=EMAIL_SK_PREFIX, consistent=True)
    return [email_from_item(i) for i in items]


def claim_email(
    table: Table, scope: Scope, event_id: str, kind: EmailKind, *, now: int, lease: int, claim: str
) -> None:
    """Hold a queued email until `lease` for the attempt `claim`; a `Conflict` when it is sent,
    failed, suppressed or held by a live lease. A retry answered late finds its own claim."""
    table.update(
        *email_key(scope, event_id, kind),
        expression="SET #lease = :lease, #claim = :claim",
        condition="#status = :queued AND (attribute_not_exists(#lease) OR #lease < :now)",
        names={"#lease": "lease", "#claim": "claim", "#status": "status"},
        values={":lease": lease, ":claim": claim, ":queued": "queued", ":now": now},
        already=holds({"lease": lease, "claim": claim}),
    )


def record(
    table: Table,
    scope: Scope,
    event_id: str,
    kind: EmailKind,
    attempt: EmailAttempt,
    *,
    claim: str,
    status: str,
    message_id: str | None = None,
    failure_reason: str | None = None,
) -> None:
    """The attempt appended, the status set and the lease let go, only while `claim` holds the
    email and it is still queued; a write answered late and retried is recognised as done."""
    sets = ["#status = :status", "#attempts = list_append(if_not_exists(#attempts, :none), :attempt)"]
    names = {"#status": "status", "#attempts": "attempts", "#claim": "claim", "#lease": "lease"}
    values: dict[str, Any] = {
        ":status": status,
        ":none": [],
        ":attempt": [_attempt_to_stored(attempt)],
        ":claim": claim,
        ":queued": "queued",
    }
    done: dict[str, Any] = {"status": status, "claim": claim}
    for attribute, value in (("sentAt", attempt.at if status == "sent" else None), ("messageId", message_id)):
        if value is not None:
            sets.append(f"#{attribute} = :{attribute}")
            names[f"#{attribute}"] = attribute
            values[f":{attribute}"] = value
            done[attribute] = value
    if failure_reason is not None:
        sets.append("#failureReason = :failureReason")
        names["#failureReason"] = "failureReason"
        values[":failureReason"] = failure_reason
    table.update(
        *email_key(scope, event_id, kind),
        expression="SET " + ", ".join(sets) + " REMOVE #lease",
        condition="#claim = :claim AND #status = :queued",
        names=names,
        values=values,
        already=lambda stored: (
            all(stored.get(k) == v for k, v in done.items())
            and any(a.get("attempt") == attempt.attempt for a in stored.get("attempts") or [])
        ),
    )


# ------------------------------------------------------------------ suppressed addresses
def _address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def suppression_key(address: str) -> tuple[str, str]:
    return f"SUPPRESSED#{_address_hash(address)}", SUPPRESSION_SK


def suppress(table: Table, address: str, reason: str, at: str) -> None:
    pk, sk = suppression_key(address)
    table.put({"pk": pk, "sk": sk, "type": "email_suppression", "reason": reason, "suppressedAt": at})


def is_suppressed(table: Table, address: str) -> bool:
    return table.get(*suppression_key(address)) is not None
