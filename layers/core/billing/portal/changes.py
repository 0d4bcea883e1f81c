"""The changes a customer makes to a subscription in the portal, as its configuration's policies
say: a switch now or kept for the period end, a cancellation now or at the period end, the
retention coupon accepted. They go through the subscription services the merchant API calls
(`billing.subscriptions.preview`, `changes.update` and `schedule_change`, `cancel`), so every rule of those holds.

A page reads what it shows and what its change needs in one round trip (`read_for_update`,
`read_for_cancel`), and hands those reads on: nothing is read twice in a request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec

from billing.catalog.records import TaxRate
from billing.kernel.scope import RequestInfo, Scope
from billing.portal import offers
from billing.portal.offers import RetentionOffer
from billing.portal.policies import CancelPolicy, UpdatePolicy, keeps_for_period_end
from billing.store.repository import Table
from billing.subscriptions import changes as subscription_changes
from billing.subscriptions import preview as upcoming
from billing.subscriptions import store as subscription_store
from billing.subscriptions import subscriptions
from billing.subscriptions.reads import Reads
from billing.subscriptions.records import Subscription


def read_for_update(
    scope: Scope, customer_id: str, sub_id: str, settings: Mapping[str, Any], *, table: Table, invoicing: bool = False
) -> Reads:
    """What the plan pages read, in one BatchGetItem: the subscription, the customer, the account
    and the configured products and listed prices (kept by the catalog's store, where `offers`
    reads them); for a switch the configuration invoices at once, the invoice counter too."""
    products, prices = offers.configured_catalog(settings)
    return subscription_store.read_together(
        table,
        scope,
        subscription=sub_id,
        customer=customer_id,
        products=products,
        prices=prices,
        account=True,
        invoice_number=invoicing,
    )


def read_for_cancel(
    scope: Scope, customer_id: str, sub_id: str, settings: Mapping[str, Any], *, table: Table, invoicing: bool = False
) -> Reads:
    """What the cancellation pages read, in one BatchGetItem: the subscription, the customer, the
    account and the retention coupon; for a cancellation that invoices, the invoice counter too."""
    coupon = offers.retention_coupon(settings)
    return subscription_store.read_together(
        table,
        scope,
        subscription=sub_id,
        customer=customer_id,
        coupons=[coupon] if coupon else [],
        account=True,
        invoice_number=invoicing,
    )


class SwitchPreview(msgspec.Struct, frozen=True):
    at_period_end: bool  # the switch waits for the period end (nothing is billed now)
    behavior: str  # the proration behaviour a switch now is billed with
    immediate: dict[str, Any] | None  # the invoice the switch issues now, if any
    upcoming: dict[str, Any] | None  # the next invoice, the switch included


def preview_switch(
    scope: Scope,
    policy: UpdatePolicy,
    sub: Subscription,
    price: str,
    quantity: int,
    *,
    table: Table,
    known: Reads | None = None,
) -> SwitchPreview:
    """What the switch would cost, now and on the next invoice; nothing is written. Raises
    InvalidRequest for a price the subscription cannot switch to. `known`: what the page read."""
    later = keeps_for_period_end(scope, policy, sub, price, quantity, table=table)
    preview = upcoming.preview(
        scope,
        sub.id,
        price=price,
        quantity=quantity,
        behavior=policy.proration_behavior,
        at_period_end=later,
        table=table,
        known=_with(known, sub),
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
    known: Reads | None = None,
) -> Literal["scheduled", "changed"]:
    """The switch: kept for the period end when the policy says so, else made now with the
    configured proration. Switching back to the current plan drops a scheduled change. `known`:
    what the page read (the subscription is `sub`, read in this request: not read again)."""
    items = [{"price": price, "quantity": quantity}]
    if keeps_for_period_end(scope, policy, sub, price, quantity, table=table):
        subscription_changes.schedule_change(
            scope, sub.id, {"items": items}, request, table=table, known=_with(known, sub)
        )
        return "scheduled"
    fields = {"items": items, "prorationBehavior": policy.proration_behavior}
    subscription_changes.update(scope, sub.id, fields, request, table=table, known=_with(known, sub))
    return "changed"


def _with(known: Reads | None, sub: Subscription) -> Reads:
    """What the page read, with `sub` as the page has it."""
    return Reads(subscription=sub).merged(known or Reads())


def cancel_credit(
    scope: Scope,
    policy: CancelPolicy,
    sub: Subscription,
    *,
    table: Table,
    known: Reads | None = None,
    tax_rates: Sequence[TaxRate] | None = None,
) -> int:
    """What the configured cancellation, confirmed now, adds to the customer's credit (tax as
    the credit has it): the final invoice `cancel` would issue, previewed by the same rule. A
    cancellation at the period end, one that does not prorate, and a trial credit nothing.
    `known` and `tax_rates`: what the page has read (the customer, the account; the rates)."""
    if not (policy.immediately and policy.prorate) or sub.status == "trialing":
        return 0
    final = upcoming.cancellation(
        scope, sub, prorate=policy.prorate, invoice_now=policy.prorate, table=table, known=known, tax_rates=tax_rates
    )
    return final.credited_to_customer if final is not None else 0


def cancel(
    scope: Scope,
    policy: CancelPolicy,
    sub: Subscription,
    details: Mapping[str, Any] | None,
    request: RequestInfo,
    *,
    table: Table,
    known: Reads | None = None,
) -> Literal["canceled", "scheduled"]:
    """The configured cancellation, with the survey's answer (`details`, None when not asked):
    now (with a credit for the unused time when the policy prorates) or at the period end.
    `known`: what the page read (the subscription is `sub`: not read again)."""
    if policy.immediately:
        subscriptions.cancel(
            scope,
            sub.id,
            request,
            prorate=policy.prorate,
            invoice_now=policy.prorate,
            cancellation_details=details,
            table=table,
            known=_with(known, sub),
        )
        return "canceled"
    if not sub.cancel_at_period_end:
        fields: dict[str, Any] = {"cancelAtPeriodEnd": True}
        if details is not None:
            fields["cancellationDetails"] = dict(details)
        subscription_changes.update(scope, sub.id, fields, request, table=table, known=_with(known, sub))
    return "scheduled"


def accept_retention(
    scope: Scope,
    offer: RetentionOffer,
    sub: Subscription,
    request: RequestInfo,
    *,
    table: Table,
    known: Reads | None = None,
) -> None:
    """The retention coupon applied instead of the cancellation, once per subscription
    (`subscription_changes.accept_retention`; `known`: as `cancel`'s)."""
    subscription_changes.accept_retention(scope, sub.id, offer.coupon, request, table=table, known=_with(known, sub))


def renew(scope: Scope, sub: Subscription, request: RequestInfo, *, table: Table, known: Reads | None = None) -> None:
    """A cancellation at the period end taken back before it ends (`known`: as `cancel`'s)."""
    if sub.cancel_at_period_end:
        fields = {"cancelAtPeriodEnd": False}
        subscription_changes.update(scope, sub.id, fields, request, table=table, known=_with(known, sub))
