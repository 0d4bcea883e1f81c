"""The clock's work: at each period end a subscription renews (invoice, charge, events), ends
(`cancelAtPeriodEnd`), or leaves its trial; a failed renewal is retried on the account's schedule
(`billing.subscriptions.dunning`); an `incomplete` subscription (its first payment failed) expires
23 hours after its creation (`expire`). Run by the scheduled `clock` function over every
subscription's due work, and by a test clock's `advance` over the work of its customers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import replace

from billing.catalog.records import Discount
from billing.kernel import clock
from billing.kernel.errors import BillingError, Conflict
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Table, UnitOfWork
from billing.subscriptions import store
from billing.subscriptions.records import Subscription, SubscriptionItem

if TYPE_CHECKING:
    from billing.invoicing import invoices

BATCH = 25


class Renewal(msgspec.Struct, frozen=True, kw_only=True):
    """What a subscription's next period end makes: its items and period, its cycle's anchor,
    the discount then in force, and the invoice's lines."""

    items: tuple[SubscriptionItem, ...]
    anchor: str
    start: datetime
    end: datetime
    discount: Discount | None
    lines: list[invoices.Line]


def next_renewal(sub: Subscription) -> Renewal:
    """The renewal at the end of `sub`'s current period (`step` makes it; the portal's overview
    previews it): a change kept for the period end first, then the pending items and the
    period's lines at what is charged after the discount in force."""
    from billing.subscriptions import changes as subscription_changes
    from billing.subscriptions import lines as subscription_lines
    from billing.subscriptions import subscriptions

    end = clock.from_wire(sub.current_period_end)
    items = sub.items
    anchor = sub.billing_cycle_anchor
    if sub.scheduled_change is not None:
        # A change kept for the period end (a portal downgrade) takes effect before the invoice.
        items = sub.scheduled_change.items
        start, new_end = subscription_changes.scheduled_period(sub, items)
        if sub.cycle != items[0].cycle:
            anchor = clock.to_wire(end)  # a new interval starts a new cycle
    elif sub.status == "trialing":
        start, new_end = subscriptions.period_after(end, end, items)
    else:
        start, new_end = subscriptions.period_after(clock.from_wire(sub.billing_cycle_anchor), end, items)
    discount = subscription_lines.discount_for(sub.discount, start)
    items = subscription_lines.charged(items, discount)
    lines = subscription_lines.pending_to_lines(sub.pending_invoice_items) + subscription_lines.period_lines(
        items, start, new_end
    )
    return Renewal(items=items, anchor=anchor, start=start, end=new_end, discount=discount, lines=lines)


Failed = Callable[[Scope, str, Exception], None]
"""Told of a subscription whose due work raised (its scope, its ID, the error); the run goes on."""

_logger = logging.getLogger(__name__)


def log_failure(scope: Scope, sub_id: str, error: Exception) -> None:
    """The default `Failed` (a test clock's advance): the renewal is logged, left for the next run."""
    _logger.error("renewal failed", extra=failure_fields(scope, sub_id, error), exc_info=error)


def failure_fields(scope: Scope, sub_id: str, error: Exception) -> dict[str, str | bool]:
    """What a log says of a failed renewal: whose, and which error (its type and code, no data)."""
    fields: dict[str, str | bool] = {
        "account": scope.account_id,
        "livemode": scope.livemode,
        "subscription": sub_id,
        "error": type(error).__name__,
    }
    if isinstance(error, BillingError):
        fields["code"] = error.code
    return fields


def run_all_due(now: datetime, request: RequestInfo, *, table: Table, on_failure: Failed) -> int:
    """The scheduled run: every subscription's work due at or before `now` (the ones under a
    test clock wait for their clock); answers how many."""
    return sum(
        run_due(partition, now, request, table=table, on_failure=on_failure) for partition in store.due_partitions()
    )


def run_due(
    partition: str, now: datetime, request: RequestInfo, *, table: Table, on_failure: Failed = log_failure
) -> int:
    """Does every piece of work in `partition` due at or before `now`; answers how many. A piece
    that raises is told to `on_failure` and keeps its due key for the next run; the others go on."""
    return run_due_steps(partition, now, request, table=table, on_failure=on_failure).done


class Progress(msgspec.Struct, frozen=True):
    """What a run did: how many pieces of work, and whether work due by its time is left
    (`max_steps` reached) for another run."""

    done: int
    more: bool


def run_due_steps(
    partition: str,
    now: datetime,
    request: RequestInfo,
    *,
    table: Table,
    on_failure: Failed = log_failure,
    max_steps: int | None = None,
    seconds: float | None = None,
) -> Progress:
    """`run_due`, stopped after `max_steps` pieces of work (each one subscription's period end or
    retry, done or failed) or once `seconds` have passed, when given (the piece under way is
    finished): a test clock's advance is one request, bounded in time."""
    deadline = None if seconds is None else time.monotonic() + seconds
    seen: set[str] = set()
    done = steps = 0
    while True:
        fresh = [due for due in store.due_by(table, partition, now, limit=BATCH) if due.key not in seen]
        if not fresh:
            return Progress(done=done, more=False)
        for due in fresh:
            out_of_time = deadline is not None and time.monotonic() >= deadline
            if (max_steps is not None and steps >= max_steps) or out_of_time:
                return Progress(done=done, more=True)
            seen.add(due.key)
            steps += 1
            if _step_over_conflicts(due.scope, due.sub_id, now, request, table, on_failure):
                done += 1


STEP_ATTEMPTS = 5


def _step_over_conflicts(
    scope: Scope, sub_id: str, now: datetime, request: RequestInfo, table: Table, on_failure: Failed
) -> bool:
    """`step`, read again and redone when a change raced it (say, the customer switching plans
    right now): a test clock has no next scheduled run to pick the subscription up, so a lost
    race would leave it behind its clock. Any other error (the store busy, a bug) and a conflict
    that persists go to `on_failure`, and the due key stays for the next run."""
    for attempt in range(STEP_ATTEMPTS):
        try:
            return step(scope, sub_id, now, request, table=table)
        except Conflict as conflict:
            if attempt == STEP_ATTEMPTS - 1:
                on_failure(scope, sub_id, conflict)
        except Exception as error:  # one subscription's failure must not stop the others'
            on_failure(scope, sub_id, error)
            return False
    return False


def step(scope: Scope, sub_id: str, now: datetime, request: RequestInfo, *, table: Table) -> bool:
    """One period boundary of one subscription, or one retry of its failed renewal, whichever is
    due first; answers whether it did anything. A renewal that cannot be charged (no payment
    method left, a decline, a failure, no gateway) still renews: its invoice stays open with the
    error (`invoice.payment_failed`) and the subscription goes `past_due`, retried on the
    account's schedule (`billing.subscriptions.dunning`). What raises here is a race
    (`Conflict`) or a fault."""
    # Imported with the first due work: a clock run with nothing due loads none of the renewal's
    # services (invoicing, collection, dunning), only the due-work query.
    from billing.accounts import accounts
    from billing.customers import customers
    from billing.invoicing import invoices
    from billing.subscriptions import collection, dunning, subscriptions

    sub = subscriptions.get(scope, sub_id, table=table)
    if sub.due_at is None or clock.from_wire(sub.due_at) > now:
        return False
    if sub.incomplete:  # a failed signup, unpaid since: it expires (it was never renewed)
        return expire(scope, sub, clock.from_wire(sub.due_at), request, table=table)
    if sub.retry_due_at == sub.due_at:  # a failed renewal's retry comes before the period end
        return dunning.retry(scope, sub, now, request, table=table)
    end = clock.from_wire(sub.current_period_end)
    if sub.cancel_at_period_end:
        after = replace(sub, status="canceled", ended_at=clock.to_wire(end), dunning=None, version=sub.version + 1)
        UnitOfWork(table, request).add(
            *subscriptions.change_ops(scope, sub, after, "subscription.deleted", request)
        ).commit()
        return True
    renewal = next_renewal(sub)
    customer = customers.get(scope, sub.customer, table=table)
    method = collection.method_to_charge(scope, customer, sub, table)
    start, new_end = renewal.start, renewal.end
    draft = subscriptions.draft_invoice(
        scope, sub, customer, renewal.lines, discount=renewal.discount, period=(start, new_end), now=start, table=table
    )
    outcome = invoices.charge(scope, draft, draft.amount_due, method, off_session=True, table=table)
    after = replace(
        sub,
        items=renewal.items,
        scheduled_change=None,
        billing_cycle_anchor=renewal.anchor,
        status="active" if outcome.in_good_standing else "past_due",
        dunning=(
            None
            if outcome.in_good_standing
            else dunning.after_renewal(sub, start, accounts.get_dunning(scope.account_id, table=table))
        ),
        current_period_start=clock.to_wire(start),
        current_period_end=clock.to_wire(new_end),
        discount=renewal.discount,
        pending_invoice_items=(),
        latest_invoice=draft.id,
        version=sub.version + 1,
    )
    ops = subscriptions.change_ops(scope, sub, after, "subscription.updated", request)
    invoices.commit(scope, table, draft, outcome, start, request, ops)
    return True


def expire(scope: Scope, sub: Subscription, at: datetime, request: RequestInfo, *, table: Table) -> bool:
    """An `incomplete` subscription still unpaid when it expires (`at`, 23 hours after its
    creation): `incomplete_expired` for good, its open first invoice voided, in one transaction
    (written over the versions read: a payment that races it wins, and the clock finds the
    subscription `active`). Answers whether it did anything: not while a payment of the invoice
    is processing (the gateway's word decides)."""
    from billing.invoicing import invoices
    from billing.subscriptions import collection, subscriptions

    invoice = invoices.get(scope, sub.latest_invoice, table=table) if sub.latest_invoice else None
    if invoice is not None and invoice.payment_pending == "processing":
        return False
    ops = subscriptions.change_ops(scope, sub, collection.expired(sub, at), "subscription.updated", request)
    if invoice is not None and invoice.status == "open":
        ops += invoices.void_ops(scope, invoice, at, request)
    UnitOfWork(table, request, conflict_message=subscriptions.SUBSCRIPTION_CHANGED).add(*ops).commit()
    return True
