"""The event types the core emits (what webhook endpoints may subscribe to)."""

from __future__ import annotations

from billing.events.types import EVENT_TYPES, causal_order


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


def test_a_change_s_events_go_what_it_did_first_then_what_that_changed() -> None:
    # A card attached that became the customer's default
    assert causal_order([("evt_2", "customer.updated"), ("evt_1", "payment_method.attached")]) == [
        ("evt_1", "payment_method.attached"),
        ("evt_2", "customer.updated"),
    ]
    # A renewal: the subscription.updated (made first, naming the new invoice) after the invoice's events
    renewal = [
        ("evt_1", "subscription.updated"),
        ("evt_2", "invoice.created"),
        ("evt_3", "invoice.finalized"),
        ("evt_4", "invoice.paid"),
    ]
    assert [t for _, t in causal_order(renewal)] == [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "subscription.updated",
    ]
    # A new subscription keeps its creation first; a cancellation's end comes after its invoice
    signup = [("evt_1", "subscription.created"), ("evt_2", "invoice.created"), ("evt_3", "invoice.paid")]
    assert causal_order(signup) == signup
    ended = [("evt_1", "subscription.deleted"), ("evt_2", "invoice.created")]
    assert [t for _, t in causal_order(ended)] == ["invoice.created", "subscription.deleted"]
    # A tax ID removed is a cause, like a card detached, not the customer's own end
    removed = [("evt_1", "customer.updated"), ("evt_2", "customer.tax_id.deleted")]
    assert [t for _, t in causal_order(removed)] == ["customer.tax_id.deleted", "customer.updated"]
