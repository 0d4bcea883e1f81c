"""What the portal offers a customer on a subscription: the plans to switch to, and the coupon
to stay instead of cancelling.

Both follow the session's configuration (`subscriptionUpdate.products`, `allowedUpdates`;
`subscriptionCancel.retention.offerCoupon`) and read the catalog through its services. What the
retention coupon saves is what it takes off the next invoice: the invoice's own discount
arithmetic (`invoicemath.line_discounts`, a percentage rounded per line), not a figure of its own;
the page shows it with the tax it saves too (`pricing.TaxNote.charged`), as the invoice's total drops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from billing.catalog import catalog
from billing.catalog.records import Coupon, Price, Recurring
from billing.invoicing import invoicemath, invoices
from billing.kernel.errors import NotFound
from billing.kernel.scope import Scope
from billing.portal.pricing import TaxNote
from billing.store.repository import Table
from billing.subscriptions import changes as subscription_changes
from billing.subscriptions.records import Subscription, SubscriptionItem

PRICES_PER_PRODUCT = 100


class PlanOffer(msgspec.Struct, frozen=True):
    """A plan the customer may switch to (or the current one, `current`)."""

    price: str
    name: str
    nickname: str | None
    unit_amount: int
    currency: str
    interval: str
    interval_count: int
    current: bool


class RetentionOffer(msgspec.Struct, frozen=True):
    """The configured coupon, as what it saves on each of the next invoices."""

    coupon: str
    saving: int  # minor units, per invoice of the subscription's items: the invoice's discount
    charged_less: int  # what those invoices' totals drop by: the saving with the tax it saves
    currency: str
    duration: str  # once | repeating | forever
    months: int  # durationInMonths of a repeating coupon, else 0
    item: SubscriptionItem  # the subscription's first item: the interval the saving is counted per
    # Whether "per <interval> for N months" reads well (a period of a month or less).
    short_interval: bool


# ------------------------------------------------------------------ plans
def _current_plan(item: SubscriptionItem) -> PlanOffer:
    """The subscription's item, as the plan it is on."""
    return PlanOffer(
        price=item.price,
        name=item.description,
        nickname=None,
        unit_amount=item.unit_amount,
        currency=item.currency,
        interval=item.interval,
        interval_count=item.interval_count,
        current=True,
    )


def _plan(price: Price, name: str) -> PlanOffer:
    """A catalog price as a plan on offer."""
    return PlanOffer(
        price=price.id,
        name=name,
        nickname=price.nickname,
        unit_amount=price.unit_amount,
        currency=price.currency,
        interval=price.recurring.interval,
        interval_count=price.recurring.interval_count,
        current=False,
    )


def _interval_days(recurring: Recurring) -> int:
    return subscription_changes.INTERVAL_DAYS.get(recurring.interval, 30) * recurring.interval_count


def _prices_of(scope: Scope, product_id: str, listed: Sequence[str], table: Table) -> list[Price]:
    """The configured prices of a product (`prices: []` = all of the product's)."""
    if not listed:
        return catalog.product_prices(scope, product_id, limit=PRICES_PER_PRODUCT, table=table)
    prices: list[Price] = []
    for price_id in listed:
        try:
            prices.append(catalog.get_price(scope, price_id, table=table))
        except NotFound:
            continue
    return prices


def configured_catalog(settings: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The products and the prices listed for them that `offered_plans` reads under `settings`
    (none when the configuration does not let the price change)."""
    if "price" not in (settings.get("allowedUpdates") or []):
        return [], []
    entries = settings.get("products") or []
    return [entry["product"] for entry in entries], [price for entry in entries for price in entry.get("prices") or []]


def offered_plans(scope: Scope, settings: Mapping[str, Any], sub: Subscription, *, table: Table) -> list[PlanOffer]:
    """The current plan first, then every active recurring price in the subscription's currency
    of the configured products, once each: shortest interval first, then cheapest."""
    current = sub.items[0]
    plans = [_current_plan(current)]
    seen = {current.price}
    if "price" not in (settings.get("allowedUpdates") or []):
        return plans
    for entry in settings.get("products") or []:
        try:
            product = catalog.get_product(scope, entry["product"], table=table)
        except NotFound:
            continue
        if not product.active:
            continue
        prices = _prices_of(scope, product.id, entry.get("prices") or [], table)
        prices.sort(key=lambda p: (_interval_days(p.recurring), p.unit_amount, p.id))
        for price in prices:
            if price.id in seen or price.product != product.id or not price.active or price.currency != sub.currency:
                continue
            seen.add(price.id)
            plans.append(_plan(price, price.description(product)))
    return plans


def find_plan(plans: Sequence[PlanOffer], price_id: str) -> PlanOffer | None:
    return next((plan for plan in plans if plan.price == price_id), None)


# ------------------------------------------------------------------ retention
def coupon_saving(coupon: Coupon, items: Sequence[SubscriptionItem]) -> int:
    """What `coupon` takes off an invoice of `items`: one line per item, as the renewal bills
    them (`subscription_lines.period_lines`), each discounted by the invoice's arithmetic."""
    return sum(invoicemath.line_discounts([item.amount for item in items], invoices.coupon_discount(coupon)))


def charged_less(coupon: Coupon, items: Sequence[SubscriptionItem], tax_note: TaxNote | None) -> int:
    """What `coupon` takes off the total of an invoice of `items`: each line's discount, and
    the tax an exclusive rate no longer adds to it (rounded per line, as the invoice does)."""
    amounts = [item.amount for item in items]
    discounts = invoicemath.line_discounts(amounts, invoices.coupon_discount(coupon))
    if tax_note is None:
        return sum(discounts)
    return sum(tax_note.charged(a) - tax_note.charged(a - d) for a, d in zip(amounts, discounts, strict=True))


def retention_coupon(settings: Mapping[str, Any]) -> str | None:
    """The coupon the cancellation settings offer to stay, if any."""
    coupon_id: str | None = (settings.get("retention") or {}).get("offerCoupon")
    return coupon_id


def retention_offer(
    scope: Scope,
    settings: Mapping[str, Any],
    sub: Subscription,
    *,
    table: Table,
    tax_note: TaxNote | None = None,
) -> RetentionOffer | None:
    """The configured coupon, when the subscription has no discount yet, is not ending and never
    accepted the offer (once per subscription), and the coupon exists, is valid, fits the
    subscription's currency and saves something; its saving counted with the customer's tax
    (`tax_note`, `pricing`'s for the customer)."""
    coupon_id = retention_coupon(settings)
    if not coupon_id or sub.discount is not None or sub.cancel_at_period_end or sub.retention_accepted_at:
        return None
    try:
        coupon = catalog.get_coupon(scope, coupon_id, table=table)
    except NotFound:
        return None
    if not coupon.valid or not coupon.applies_to(sub.currency):
        return None
    saving = coupon_saving(coupon, sub.items)
    if saving <= 0:
        return None
    item = sub.items[0]
    return RetentionOffer(
        coupon=coupon_id,
        saving=saving,
        charged_less=charged_less(coupon, sub.items, tax_note),
        currency=sub.currency,
        duration=coupon.duration,
        months=coupon.duration_in_months or 0,
        item=item,
        short_interval=item.interval in ("day", "week") or item.cycle == ("month", 1),
    )
