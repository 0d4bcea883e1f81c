"""The event types: every type the billing core emits, the ones merchants subscribe to."""

from __future__ import annotations

EVENT_TYPES: tuple[str, ...] = (
    "coupon.created",
    "customer.created",
    "customer.deleted",
    "customer.portal_login",
    "customer.updated",
    "customer.tax_id.created",
    "customer.tax_id.deleted",
    "invoice.created",
    "invoice.finalized",
    "invoice.marked_uncollectible",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.voided",
    "payment_method.attached",
    "payment_method.detached",
    "portal_configuration.created",
    "portal_configuration.updated",
    "portal_session.created",
    "price.created",
    "price.updated",
    "product.created",
    "product.updated",
    "subscription.created",
    "subscription.deleted",
    "subscription.updated",
    "tax_rate.created",
)

# Events that tell how an object already there changed as a result of the rest of its change
# (a new default payment method, a subscription naming its new latest invoice, an object gone):
# delivered after the change's other events, whose objects they may name.
_CONSEQUENCES = ("subscription.deleted", "customer.deleted")


def causal_order(change: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (event ID, type) pairs of one change in the order they are delivered: what the change
    made or did first (`*.created`, `payment_method.attached`, `invoice.paid`...) in the order it
    happened (IDs sort by creation), then the `*.updated` and `*.deleted` of the objects it
    changed as a result (`customer.updated` after the `payment_method.attached` that made the
    method its default, `subscription.updated` after the `invoice.created` of its new latest
    invoice)."""
    return sorted(change, key=lambda ref: (_is_consequence(ref[1]), ref[0]))


def _is_consequence(event_type: str) -> bool:
    return event_type.endswith(".updated") or event_type in _CONSEQUENCES
