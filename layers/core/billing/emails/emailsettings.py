"""Which emails an account's customers get (`POST/GET /v1/account/emails`), and the address
their replies go to. One set per account, for test and live mode alike (as dunning)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec.structs import replace

from billing.emails import store
from billing.emails.records import EmailSettings
from billing.kernel.errors import InvalidRequest
from billing.store.repository import Table

# The wire's name of each kind's switch, and the record's.
SWITCHES = {
    "receipt": "receipt",
    "paymentFailed": "payment_failed",
    "actionRequired": "action_required",
    "subscriptionCanceled": "subscription_canceled",
}
FIELDS = (*SWITCHES, "replyTo")


def get_settings(account_id: str, *, table: Table) -> EmailSettings:
    return store.get_settings(table, account_id)


def update_settings(account_id: str, changes: Mapping[str, Any], *, table: Table) -> EmailSettings:
    """Applies `changes` (each switch true or false, `replyTo` an address or null to clear it),
    conditional on the version read."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidRequest(f"Unknown field {unknown[0]}.", param=unknown[0])
    current = store.get_settings(table, account_id)
    fields: dict[str, Any] = {}
    for wire, field in SWITCHES.items():
        if wire in changes:
            if type(changes[wire]) is not bool:
                raise InvalidRequest(f"{wire} must be true or false.", param=wire, code="parameter_invalid")
            fields[field] = changes[wire]
    if "replyTo" in changes:
        fields["reply_to"] = None if changes["replyTo"] in (None, "") else valid_address(changes["replyTo"])
    after = replace(current, **fields)
    if after == current:
        return current
    after = replace(after, version=current.version + 1)
    store.save_settings(table, account_id, current, after)
    return after


def valid_address(value: Any) -> str:
    from email_validator import EmailNotValidError, validate_email

    if not isinstance(value, str) or len(value) > 254:
        raise InvalidRequest("replyTo must be an email address.", param="replyTo", code="email_invalid")
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError as error:
        raise InvalidRequest(f"Invalid replyTo address: {error}", param="replyTo", code="email_invalid") from None


def to_wire(settings: EmailSettings, *, livemode: bool) -> dict[str, Any]:
    return {
        "object": "email_settings",
        **{wire: settings.sends(field) for wire, field in SWITCHES.items()},  # type: ignore[arg-type]
        "replyTo": settings.reply_to,
        "livemode": livemode,
    }
