"""The event types the core emits (what webhook endpoints may subscribe to)."""

from __future__ import annotations

from billing.events.types import EVENT_TYPES


def test_every_type_the_core_emits_is_known() -> None:
    # The types API.md promises at least
    promised = {
        "customer.created",
        "customer.updated",
        "customer.tax_id.created",
        "customer.tax_id.deleted",
        "payment_method.attached",
        "payment_method.detached",
        "subscription.created",
        "subscription.updated",
        "subscription.deleted",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_failed",
        "portal_session.created",
        "portal_configuration.created",
        "portal_configuration.updated",
    }
    assert promised <= set(EVENT_TYPES)
    assert len(set(EVENT_TYPES)) == len(EVENT_TYPES)
