"""The clock's work: at each period end a subscription renews (invoice, charge, events), ends
(`cancelAtPeriodEnd`), or leaves its trial. Run by the scheduled `clock` function over the
`DUE#<n>` shards, and by a test clock's `advance` over `CLOCK#<clock>`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from billing.customers import customers
from billing.invoicing import invoices
from billing.kernel import clock
from billing.kernel.errors import BillingError, Conflict
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Item, Table, UnitOfWork
from billing.subscriptions import changes as subscription_changes
from billing.subscriptions import lines as subscription_lines
from billing.subscriptions import subscriptions

BATCH = 25


def parse_due(due_sk: str) -> tuple[Scope, str]:
    """`<time>#ACCT#<acct>#<mode>#SUB#<sub>` → (scope, sub)."""
    _, _, rest = due_sk.partition("#")
    parts = rest.split("#")
    return Scope(parts[1], "live" if parts[2] == "live" else "test"), parts[4]


def run_due(partition: str, now: datetime, request: RequestInfo, *, table: Table) -> int:
    """Does every piece of work in `partition` due at or before `now`; answers how many."""
    bound = f"{clock.to_wire(now)}#~"
    seen: set[str] = set()
    done = 0
    while True:
        keys, _ = table.query(partition, index="due", upto=bound, limit=BATCH)
        fresh = [k for k in keys if k["dueSk"] not in seen]
        if not fresh:
            return done
        for key in fresh:
            seen.add(key["dueSk"])
            scope, sub_id = parse_due(key["dueSk"])
            if _step_over_conflicts(scope, sub_id, now, request, table):
                done += 1


STEP_ATTEMPTS = 5


def _step_over_conflicts(scope: Scope, sub_id: str, now: datetime, request: RequestInfo, table: Table) -> bool:
    """`step`, read again and redone when a change raced it (say, the customer switching plans
    right now): a test clock has no next scheduled run to pick the subscription up, so a lost
    race would leave it behind its clock. Other errors (the store busy) and a conflict that
    persists leave the due key as it is for the next run."""
    for _ in range(STEP_ATTEMPTS):
        try:
            return step(scope, sub_id, now, request, table=table)
        except Conflict:
            continue
        except BillingError:
            return False
    return False


def _after_period(sub: Item, changes: dict[str, Any]) -> Item:
    return {**sub, **changes, "version": sub["version"] + 1}


def step(scope: Scope, sub_id: str, now: datetime, request: RequestInfo, *, table: Table) -> bool:
    """One period boundary of one subscription, if it is due; answers whether it did anything."""
    sub = subscriptions.get(scope, sub_id, table=table)
    end = clock.from_wire(sub["currentPeriodEnd"])
    if sub["status"] == "canceled" or end > now:
        return False
    if sub.get("cancelAtPeriodEnd"):
        after = {k: v for k, v in sub.items() if k not in ("duePk", "dueSk")}
        after = _after_period(after, {"status": "canceled", "endedAt": clock.to_wire(end), "cancelAtPeriodEnd": True})
        UnitOfWork(table, request).add(
            *subscriptions.change_ops(scope, sub, after, "subscription.deleted", request)
        ).commit()
        return True
    items = sub["items"]
    switched: dict[str, Any] = {}
    scheduled = sub.get("scheduledChange")
    if scheduled:
        # A change kept for the period end (a portal downgrade) takes effect before the invoice.
        items = scheduled["items"]
        start, new_end = subscription_changes.scheduled_period(sub, items)
        switched = {
            "items": items,
            "recurringAmount": subscription_lines.recurring_amount(items),
            "scheduledChange": None,
        }
        old_cycle = (sub["items"][0]["interval"], sub["items"][0]["intervalCount"])
        if old_cycle != (items[0]["interval"], items[0]["intervalCount"]):
            switched["billingCycleAnchor"] = clock.to_wire(end)  # a new interval starts a new cycle
    elif sub["status"] == "trialing":
        start, new_end = subscriptions.period_after(end, end, items)
    else:
        start, new_end = subscriptions.period_after(clock.from_wire(sub["billingCycleAnchor"]), end, items)
    discount = _discount_for(sub.get("discount"), start)
    customer = customers.get(scope, sub["customer"], table=table)
    method = subscriptions.payment_method_for(scope, customer, sub.get("defaultPaymentMethod"), table)
    lines = subscription_lines.pending_to_lines(sub.get("pendingInvoiceItems") or []) + subscription_lines.period_lines(
        items, start, new_end
    )
    draft = subscriptions.draft_invoice(
        scope, sub, customer, lines, discount=discount, period=(start, new_end), now=start, table=table
    )
    outcome = invoices.charge(draft["amountDue"], method)
    after = _after_period(
        sub,
        {
            **switched,
            "status": "active" if outcome.paid else "past_due",
            "currentPeriodStart": clock.to_wire(start),
            "currentPeriodEnd": clock.to_wire(new_end),
            "discount": discount,
            "pendingInvoiceItems": [],
            "latestInvoice": draft["id"],
            **subscriptions.due_keys(scope, sub_id, clock.to_wire(new_end), sub.get("testClock")),
        },
    )
    ops = subscriptions.change_ops(scope, sub, after, "subscription.updated", request)
    invoices.commit(scope, table, draft, outcome, start, request, ops)
    return True


def _discount_for(discount: dict[str, Any] | None, period_start: datetime) -> dict[str, Any] | None:
    """A `once` coupon is spent on the first invoice; a `repeating` one ends with its months."""
    if not discount:
        return None
    duration = discount["coupon"]["duration"]
    if duration == "once":
        return None
    if duration == "repeating" and discount.get("end") and clock.from_wire(discount["end"]) <= period_start:
        return None
    return discount
