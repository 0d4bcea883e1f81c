"""What a portal configuration lets a customer do to a subscription, read once into typed
policies: which switches it offers and how they are billed (`subscriptionUpdate`), and how a
cancellation goes (`subscriptionCancel`). Both settings are the session's configuration,
normalised by `portalconfigs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from billing.kernel.scope import Scope
from billing.store.repository import Table
from billing.subscriptions import changes as subscription_changes
from billing.subscriptions.records import Subscription


class UpdatePolicy(msgspec.Struct, frozen=True):
    can_price: bool
    can_quantity: bool
    proration_behavior: str
    # The `scheduleAtPeriodEnd` conditions: a switch that meets one waits for the period end.
    period_end_conditions: frozenset[str]

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> UpdatePolicy:
        allowed = settings.get("allowedUpdates") or []
        return cls(
            can_price="price" in allowed,
            can_quantity="quantity" in allowed,
            proration_behavior=settings.get("prorationBehavior") or "create_prorations",
            period_end_conditions=frozenset((settings.get("scheduleAtPeriodEnd") or {}).get("conditions") or []),
        )


class CancelPolicy(msgspec.Struct, frozen=True):
    immediately: bool  # mode `immediately`; else at the period end
    prorate: bool  # an immediate cancellation credits the unused time (and invoices it at once)
    survey: bool  # the reason survey is asked
    reasons: tuple[str, ...]  # the survey's reason codes, in the configured order

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> CancelPolicy:
        survey = settings.get("cancellationReason") or {}
        return cls(
            immediately=(settings.get("mode") or "at_period_end") == "immediately",
            prorate=(settings.get("prorationBehavior") or "none") != "none",
            survey=bool(survey.get("enabled")),
            reasons=tuple(survey.get("options") or []),
        )


def changeable(sub: Subscription) -> bool:
    """Whether the portal switches this subscription's plan: one item, not ending."""
    return len(sub.items) == 1 and not sub.cancel_at_period_end


def keeps_for_period_end(
    scope: Scope, policy: UpdatePolicy, sub: Subscription, price: str, quantity: int, *, table: Table
) -> bool:
    """Whether the configuration keeps this switch for the period end: a downgrade it names
    (a lower recurring amount, a shorter interval). Raises InvalidRequest for a price the
    subscription cannot switch to."""
    new_items = subscription_changes.requested_items(scope, sub, [{"price": price, "quantity": quantity}], table=table)
    return bool(policy.period_end_conditions & subscription_changes.downgrade_conditions(sub, new_items))
