"""Which email an event makes, if any (pure)."""

from __future__ import annotations

from billing.emails.records import EmailKind
from billing.events.records import Event

_BY_TYPE: dict[str, EmailKind] = {
    "invoice.paid": "receipt",
    "invoice.payment_failed": "payment_failed",
    "invoice.payment_action_required": "action_required",
    "subscription.deleted": "subscription_canceled",
}


def kind_for(event: Event) -> EmailKind | None:
    """`invoice.paid` → a receipt (when money was paid); `invoice.payment_failed` → the failed
    payment notice; `invoice.payment_action_required` → the notice to authenticate;
    `subscription.deleted`, or `subscription.updated` turning `cancelAtPeriodEnd` on → the
    cancellation confirmation."""
    if event.type == "subscription.updated":
        turned_on = event.data_object.get("cancelAtPeriodEnd") is True
        was_off = event.previous_attributes.get("cancelAtPeriodEnd") is False
        return "subscription_canceled" if turned_on and was_off else None
    kind = _BY_TYPE.get(event.type)
    if kind == "receipt" and not int(event.data_object.get("amountPaid") or 0):
        return None  # nothing was paid (a zero or fully credited invoice): no receipt
    return kind
