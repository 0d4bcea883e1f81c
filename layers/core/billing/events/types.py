"""The event types: every type the billing core emits, the ones merchants subscribe to."""

from __future__ import annotations

EVENT_TYPES: tuple[str, ...] = (
    "coupon.created",
    "customer.created",
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
    "product.created",
    "subscription.created",
    "subscription.deleted",
    "subscription.updated",
    "tax_rate.created",
)
