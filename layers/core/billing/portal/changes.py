"""The changes a customer makes to a subscription in the portal, as its configuration's policies
say: a switch now or kept for the period end, a cancellation now or at the period end, the
retention coupon accepted. They go through the subscription services the merchant API calls
(`billing.subscriptions.preview`, `changes.update` and `schedule_change`, `cancel`), so every rule of those holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from billing.kernel.scope import RequestInfo, Scope
from billing.portal.offers import RetentionOffer
from billing.portal.policies import CancelPolicy, UpdatePolicy, keeps_for_period_end
from billing.store.repository import Table
from billing.subscriptions import changes as subscription_changes
from billing.subscriptions import preview as upcoming
from billing.subscriptions import subscriptions
from billing.subscriptions.records import Subscription


class SwitchPreview(msgspec.Struct, frozen=True):
    at_period_end: bool  # the switch waits for the period end (nothing is billed now)
    behavior: str  # the proration behaviour a switch now is billed with
    immediate: dict[str, Any] | None  # the invoice the switch issues now, if any
    upcoming: dict[str, Any] | None  # the next invoice, the switch included


def preview_switch(
    scope: Scope, policy: UpdatePolicy, sub: Subscription, price: str, quantity: int, *, table: Table
) -> SwitchPreview:
    """What the switch would cost, now and on the next invoice; nothing is written. Raises
    InvalidRequest for a price the subscription cannot switch to."""
    later = keeps_for_period_end(scope, policy, sub, price, quantity, table=table)
    preview = upcoming.preview(
        scope,
        sub.id,
        price=price,
        quantity=quantity,
        behavior=policy.proration_behavior,
        at_period_end=later,
        table=table,
    )
    return SwitchPreview(later, policy.proration_behavior, preview["immediate"], preview["next"])


def switch(
    scope: Scope,
    policy: UpdatePolicy,
    sub: Subscription,
    price: str,
    quantity: int,
    request: RequestInfo,
    *,
    table: Table,
) -> Literal["scheduled", "changed"]:
    """The switch: kept for the period end when the policy says so, else made now with the
    configured proration. Switching back to the current plan drops a scheduled change."""
    items = [{"price": price, "quantity": quantity}]
    if keeps_for_period_end(scope, policy, sub, price, quantity, table=table):
        subscription_changes.schedule_change(scope, sub.id, {"items": items}, request, table=table)
        return "scheduled"
    subscription_changes.update(
        scope, sub.id, {"items": items, "prorationBehavior": policy.proration_behavior}, request, table=table
    )
    return "changed"


def cancel_credit(scope: Scope, policy: CancelPolicy, sub: Subscription, *, table: Table) -> int:
    """What the configured cancellation, confirmed now, adds to the customer's credit (tax as
    the credit has it): the final invoice `cancel` would issue, previewed by the same rule. A
    cancellation at the period end, one that does not prorate, and a trial credit nothing."""
    if not (policy.immediately and policy.prorate) or sub.status == "trialing":
        return 0
    final = upcoming.cancellation(scope, sub, prorate=policy.prorate, invoice_now=policy.prorate, table=table)
    return final.credited_to_customer if final is not None else 0


def cancel(
    scope: Scope,
    policy: CancelPolicy,
    sub: Subscription,
    details: Mapping[str, Any] | None,
    request: RequestInfo,
    *,
    table: Table,
) -> Literal["canceled", "scheduled"]:
    """The configured cancellation, with the survey's answer (`details`, None when not asked):
    now (with a credit for the unused time when the policy prorates) or at the period end."""
    if policy.immediately:
        subscriptions.cancel(
            scope,
            sub.id,
            request,
            prorate=policy.prorate,
            invoice_now=policy.prorate,
            cancellation_details=details,
            table=table,
        )
        return "canceled"
    if not sub.cancel_at_period_end:
        fields: dict[str, Any] = {"cancelAtPeriodEnd": True}
        if details is not None:
            fields["cancellationDetails"] = dict(details)
        subscription_changes.update(scope, sub.id, fields, request, table=table)
    return "scheduled"


def accept_retention(
    scope: Scope, offer: RetentionOffer, sub: Subscription, request: RequestInfo, *, table: Table
) -> None:
    """The retention coupon applied instead of the cancellation."""
    subscription_changes.update(scope, sub.id, {"coupon": offer.coupon}, request, table=table)


def renew(scope: Scope, sub: Subscription, request: RequestInfo, *, table: Table) -> None:
    """A cancellation at the period end taken back before it ends."""
    if sub.cancel_at_period_end:
        subscription_changes.update(scope, sub.id, {"cancelAtPeriodEnd": False}, request, table=table)
