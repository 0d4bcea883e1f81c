"""Where subscriptions are kept.

Item: pk `<scope>#SUB#<sub>`, sk `SUBSCRIPTION` (versioned); gsi1 `<scope>#CUST#<cust>#ALL` /
`SUB#<sub>` (the customer's bundle); gsi2 `<scope>#SUBS` / id; due `DUE#<n>` (or
`CLOCK#<clock>` under a test clock) / `<dueAt>#<scope>#<sub>` while the clock has work to do
on it (its period end, or its failed renewal's next retry when that comes first; see
`Subscription.due_at`). `dunning` only while a failed renewal is retried; `retentionAcceptedAt`
once the portal's retention offer was accepted (written only where it is absent). `recurringAmount` is
stored for readers of the raw bundle; it is always the items' amount.

A change or preview reads what it needs together (`read_together`): the subscription with the
prices, products and coupons it names, the customer, the account and the invoice counter, each
item decoded by its area's store.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import msgspec

from billing.accounts import store as account_store
from billing.catalog import store as catalog_store
from billing.catalog.store import discount_from_stored, discount_to_stored
from billing.customers import store as customer_store
from billing.customers.store import bundle_partition
from billing.invoicing import store as invoice_store
from billing.kernel import clock
from billing.kernel.scope import Scope
from billing.store.listing import collection_page
from billing.store.repository import Item, Put, Table, versioned_put_op
from billing.subscriptions.reads import Reads
from billing.subscriptions.records import Dunning, PendingItem, ScheduledChange, Subscription, SubscriptionItem

BUNDLE_PREFIX = "SUB#"  # a subscription's sort key in its customer's bundle (gsi1)
DUE_SHARDS = 8
DUE_INDEX = "due"


# ------------------------------------------------------------------ keys
def sub_key(scope: Scope, sub_id: str) -> tuple[str, str]:
    return scope.key("SUB", sub_id), "SUBSCRIPTION"


def due_partitions() -> list[str]:
    """The partitions the scheduled clock runs: every subscription not under a test clock."""
    return [f"DUE#{shard}" for shard in range(DUE_SHARDS)]


def clock_due_partition(clock_id: str) -> str:
    """The partition of the work of the subscriptions under a test clock."""
    return f"CLOCK#{clock_id}"


def due_keys(scope: Scope, sub_id: str, due_at: str, test_clock: str | None) -> dict[str, str]:
    shard = clock_due_partition(test_clock) if test_clock else f"DUE#{zlib.crc32(sub_id.encode()) % DUE_SHARDS}"
    return {"duePk": shard, "dueSk": f"{due_at}#{scope.key('SUB', sub_id)}"}


# ------------------------------------------------------------------ items
def _item_from_stored(stored: Mapping[str, Any]) -> SubscriptionItem:
    return SubscriptionItem(
        id=stored["id"],
        price=stored["price"],
        product=stored["product"],
        description=stored["description"],
        quantity=int(stored["quantity"]),
        unit_amount=int(stored["unitAmount"]),
        currency=stored["currency"],
        interval=stored["interval"],
        interval_count=int(stored["intervalCount"]),
        net_amount=None if stored.get("netAmount") is None else int(stored["netAmount"]),
    )


def _item_to_stored(item: SubscriptionItem) -> dict[str, Any]:
    """A subscription item as stored (the wire shows it without `netAmount`)."""
    stored: dict[str, Any] = {
        "id": item.id,
        "price": item.price,
        "product": item.product,
        "description": item.description,
        "quantity": item.quantity,
        "unitAmount": item.unit_amount,
        "currency": item.currency,
        "interval": item.interval,
        "intervalCount": item.interval_count,
    }
    if item.net_amount is not None:
        stored["netAmount"] = item.net_amount
    return stored


def _pending_from_stored(stored: Mapping[str, Any]) -> PendingItem:
    return PendingItem(
        id=stored["id"],
        description=stored["description"],
        amount=int(stored["amount"]),
        quantity=int(stored["quantity"]),
        price=stored.get("price"),
        period_start=stored["periodStart"],
        period_end=stored["periodEnd"],
        discounted=bool(stored.get("discounted")),
        kind=stored.get("kind"),
        item_description=stored.get("itemDescription"),
        at=stored.get("at"),
    )


def _pending_to_stored(pending: PendingItem) -> dict[str, Any]:
    stored: dict[str, Any] = {
        "id": pending.id,
        "description": pending.description,
        "amount": pending.amount,
        "quantity": pending.quantity,
        "price": pending.price,
        "periodStart": pending.period_start,
        "periodEnd": pending.period_end,
    }
    if pending.discounted:
        stored["discounted"] = True
    parts = {"kind": pending.kind, "itemDescription": pending.item_description, "at": pending.at}
    stored.update({name: value for name, value in parts.items() if value is not None})
    return stored


def _scheduled_to_stored(change: ScheduledChange) -> dict[str, Any]:
    """A scheduled change as stored (and as the wire shows it)."""
    return {"items": [_item_to_stored(i) for i in change.items], "at": change.at}


def _scheduled_from_stored(stored: Mapping[str, Any] | None) -> ScheduledChange | None:
    if not stored:
        return None
    return ScheduledChange(items=tuple(_item_from_stored(i) for i in stored["items"]), at=stored["at"])


def _dunning_to_stored(dunning: Dunning) -> dict[str, Any]:
    return {
        "failedAt": dunning.failed_at,
        "retryDays": list(dunning.retry_days),
        "afterRetries": dunning.after_retries,
        "retries": dunning.retries,
    }


def _dunning_from_stored(stored: Mapping[str, Any] | None) -> Dunning | None:
    if not stored:
        return None
    return Dunning(
        failed_at=stored["failedAt"],
        retry_days=tuple(int(days) for days in stored["retryDays"]),
        after_retries=stored["afterRetries"],
        retries=int(stored["retries"]),
    )


# ------------------------------------------------------------------ the subscription
def from_item(item: Mapping[str, Any]) -> Subscription:
    discount = item.get("discount")
    return Subscription(
        id=item["id"],
        customer=item["customer"],
        status=item["status"],
        items=tuple(_item_from_stored(i) for i in item["items"]),
        currency=item["currency"],
        discount=discount_from_stored(discount) if discount else None,
        default_payment_method=item.get("defaultPaymentMethod"),
        billing_cycle_anchor=item["billingCycleAnchor"],
        current_period_start=item["currentPeriodStart"],
        current_period_end=item["currentPeriodEnd"],
        trial_start=item.get("trialStart"),
        trial_end=item.get("trialEnd"),
        cancel_at_period_end=bool(item.get("cancelAtPeriodEnd")),
        canceled_at=item.get("canceledAt"),
        ended_at=item.get("endedAt"),
        cancellation_details=item.get("cancellationDetails"),
        latest_invoice=item.get("latestInvoice"),
        pending_invoice_items=tuple(_pending_from_stored(p) for p in item.get("pendingInvoiceItems") or []),
        scheduled_change=_scheduled_from_stored(item.get("scheduledChange")),
        test_clock=item.get("testClock"),
        created_at=item["createdAt"],
        version=int(item["version"]),
        dunning=_dunning_from_stored(item.get("dunning")),
        retention_accepted_at=item.get("retentionAcceptedAt"),
        metadata=dict(item.get("metadata") or {}),
    )


def to_item(scope: Scope, sub: Subscription) -> Item:
    """The stored item: the due index attributes only while the clock has work to do on it;
    `scheduledChange` only while one is kept (a subscription never scheduled has none), and
    `dunning` only while a failed renewal is retried."""
    pk, sk = sub_key(scope, sub.id)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "subscription",
        "id": sub.id,
        "customer": sub.customer,
        "status": sub.status,
        "items": [_item_to_stored(i) for i in sub.items],
        "currency": sub.currency,
        "discount": discount_to_stored(sub.discount, scope) if sub.discount else None,
        "defaultPaymentMethod": sub.default_payment_method,
        "billingCycleAnchor": sub.billing_cycle_anchor,
        "currentPeriodStart": sub.current_period_start,
        "currentPeriodEnd": sub.current_period_end,
        "trialStart": sub.trial_start,
        "trialEnd": sub.trial_end,
        "cancelAtPeriodEnd": sub.cancel_at_period_end,
        "canceledAt": sub.canceled_at,
        "endedAt": sub.ended_at,
        "cancellationDetails": sub.cancellation_details,
        "latestInvoice": sub.latest_invoice,
        "recurringAmount": sub.recurring_amount,
        "pendingInvoiceItems": [_pending_to_stored(p) for p in sub.pending_invoice_items],
        "testClock": sub.test_clock,
        "createdAt": sub.created_at,
        "version": sub.version,
        "gsi1pk": bundle_partition(scope, sub.customer),
        "gsi1sk": f"{BUNDLE_PREFIX}{sub.id}",
        "gsi2pk": scope.key("SUBS"),
        "gsi2sk": sub.id,
    }
    if sub.scheduled_change is not None:
        item["scheduledChange"] = _scheduled_to_stored(sub.scheduled_change)
    if sub.dunning is not None:
        item["dunning"] = _dunning_to_stored(sub.dunning)
    if sub.retention_accepted_at is not None:
        item["retentionAcceptedAt"] = sub.retention_accepted_at
    if sub.metadata:
        item["metadata"] = sub.metadata
    if sub.due_at is not None:
        item.update(due_keys(scope, sub.id, sub.due_at, sub.test_clock))
    return item


# ------------------------------------------------------------------ reads
def get_subscription(table: Table, scope: Scope, sub_id: str) -> Subscription | None:
    item = table.get(*sub_key(scope, sub_id))
    return from_item(item) if item is not None else None


def list_page(
    table: Table,
    scope: Scope,
    *,
    customer: str | None,
    status: str | None,
    limit: int,
    starting_after: str | None,
    to_wire: Callable[[Subscription], dict[str, Any]],
    ending_before: str | None = None,
) -> dict[str, Any]:
    """A page of the account's subscriptions (or of one customer's), newest first."""
    return collection_page(
        table,
        scope,
        "SUBS",
        bundle=(bundle_partition(scope, customer), BUNDLE_PREFIX) if customer else None,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        primary_key=lambda sub_id: sub_key(scope, sub_id),
        to_wire=lambda item: to_wire(from_item(item)),
        keep=(lambda item: item["status"] == status) if status else (lambda _: True),
    )


class Due(msgspec.Struct, frozen=True):
    """A subscription the clock has work to do on, as the due index names it."""

    key: str  # its due sort key: the same work seen twice in one run is done once
    scope: Scope
    sub_id: str


def parse_due(due_sk: str) -> tuple[Scope, str]:
    """`<time>#ACCT#<acct>#<mode>#SUB#<sub>` → (scope, sub)."""
    _, _, rest = due_sk.partition("#")
    parts = rest.split("#")
    return Scope(parts[1], "live" if parts[2] == "live" else "test"), parts[4]


def due_by(table: Table, partition: str, now: datetime, *, limit: int) -> list[Due]:
    """The first `limit` pieces of work of `partition` due at or before `now`, earliest first."""
    keys, _ = table.query(partition, index=DUE_INDEX, upto=f"{clock.to_wire(now)}#~", limit=limit)
    return [Due(key["dueSk"], *parse_due(key["dueSk"])) for key in keys]


def of_customer(table: Table, scope: Scope, customer_id: str) -> list[Subscription]:
    """The customer's subscriptions, as its bundle (gsi1, eventually consistent) has them: one query."""
    items, _ = table.query(bundle_partition(scope, customer_id), index="gsi1", prefix=BUNDLE_PREFIX)
    return [from_item(item) for item in items]


# ------------------------------------------------------------------ reads together
def read_together(
    table: Table,
    scope: Scope,
    *,
    subscription: str | None = None,
    customer: str | None = None,
    customer_of_subscription: bool = False,
    prices: Iterable[str] = (),
    products: Iterable[str] = (),
    coupons: Iterable[str] = (),
    account: bool = False,
    invoice_number: bool = False,
) -> Reads:
    """The items named, read consistently in one BatchGetItem; then, in a second, the products
    of the prices read and (`customer_of_subscription`) the subscription's customer. Catalog
    objects the request has already read are not read again; nothing left to read, no call."""
    price_keys = [catalog_store.price_key(scope, price) for price in prices]
    keys = catalog_store.unread(
        table,
        [
            *price_keys,
            *(catalog_store.product_key(scope, product) for product in products),
            *(catalog_store.coupon_key(scope, coupon) for coupon in coupons),
        ],
    )
    if subscription:
        keys.append(sub_key(scope, subscription))
    if customer:
        keys.append(customer_store.customer_key(scope, customer))
    if account:
        keys.append(account_store.account_key(scope.account_id))
    if invoice_number:
        keys.append(invoice_store.counter_key(scope))
    found = table.batch_get(keys) if keys else {}
    catalog_store.keep(table, found.values())
    stored = found.get(sub_key(scope, subscription)) if subscription else None
    sub = from_item(stored) if stored is not None else None
    learned = catalog_store.unread(
        table,
        [
            catalog_store.product_key(scope, catalog_store.price_from_item(found[key]).product)
            for key in price_keys
            if key in found
        ],
    )
    if customer_of_subscription and sub is not None and not customer:
        customer = sub.customer
        learned.append(customer_store.customer_key(scope, customer))
    if learned:
        more = table.batch_get(learned)
        catalog_store.keep(table, more.values())
        found.update(more)
    customer_item = found.get(customer_store.customer_key(scope, customer)) if customer else None
    account_item = found.get(account_store.account_key(scope.account_id)) if account else None
    return Reads(
        subscription=sub,
        customer=customer_store.customer_from_item(customer_item) if customer_item is not None else None,
        account=account_store.account_from_item(account_item) if account_item is not None else None,
        claim=invoice_store.claim_after(scope, found.get(invoice_store.counter_key(scope))) if invoice_number else None,
    )


# ------------------------------------------------------------------ writes
def insert(scope: Scope, sub: Subscription) -> Put:
    return Put(to_item(scope, sub), condition="attribute_not_exists(pk)")


def replace(scope: Scope, after: Subscription, expected_version: int) -> Put:
    """`after` written whole, only over the version it was read at (no lost updates)."""
    return versioned_put_op(to_item(scope, after), expected_version)


def retention_accepted(scope: Scope, after: Subscription, expected_version: int) -> Put:
    """`replace`, and only while no retention offer was accepted on the subscription: the offer
    is accepted once, whatever version a racing request read."""
    put = replace(scope, after, expected_version)
    return msgspec.structs.replace(put, condition=f"{put.condition} AND attribute_not_exists(retentionAcceptedAt)")
