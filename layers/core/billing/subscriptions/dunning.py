"""Dunning: a renewal whose charge failed is retried on the account's schedule (days after the
first failure, `billing.accounts.records.DunningSettings`), then the subscription ends as the
account chose: `unpaid` (kept, not renewed, until its latest invoice is paid) or `canceled`.

The state is the subscription's `dunning` (`billing.subscriptions.records.Dunning`); its next
retry is part of `Subscription.due_at`, so the clock (`renewals.step`) finds it in the `due`
index and calls `retry` when the retry is what is due.
"""

from __future__ import annotations

from datetime import datetime

from msgspec.structs import replace

from billing.accounts.records import DunningSettings
from billing.customers import customers
from billing.invoicing import invoices
from billing.kernel import clock
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Operation, Table, UnitOfWork
from billing.subscriptions import collection, store
from billing.subscriptions.records import Dunning, Subscription
from billing.subscriptions.subscriptions import SUBSCRIPTION_CHANGED, change_ops


def after_renewal(sub: Subscription, failed_at: datetime, settings: DunningSettings) -> Dunning:
    """The dunning of `sub` once a renewal charge failed at `failed_at`: the one under way (its
    schedule counts from the first failure), or a new one on the account's schedule."""
    if sub.status == "past_due" and sub.dunning is not None:
        return sub.dunning
    return Dunning(
        failed_at=clock.to_wire(failed_at), retry_days=settings.retry_days, after_retries=settings.after_retries
    )


def retry(scope: Scope, sub: Subscription, now: datetime, request: RequestInfo, *, table: Table) -> bool:
    """The retry due on `sub` (`past_due`, its `retry_due_at` reached): its latest invoice charged
    again off-session; paid, the subscription is `active` in the same transaction; failed, the
    retry is counted, and after the last one the subscription ends as the account chose. Answers
    whether it did anything."""
    dunning = sub.dunning
    if dunning is None or sub.status != "past_due":
        return False
    invoice = invoices.get(scope, sub.latest_invoice, table=table) if sub.latest_invoice else None
    if invoice is None or invoice.status != "open":
        # Paid, voided or written off meanwhile (`collection.closing_ops` moves it on at once;
        # this is one closed before that): nothing more is collected, it is active again.
        _commit(table, request, change_ops(scope, sub, collection.revived(sub, now), "subscription.updated", request))
        return True
    counted = replace(sub, dunning=replace(dunning, retries=dunning.retries + 1), version=sub.version + 1)
    if invoice.payment_pending == "processing":
        # The gateway has yet to say how the last attempt went: it stands for this retry, and the
        # end waits for its outcome.
        if dunning.exhausted:
            return False
        _commit(table, request, [store.replace(scope, counted, sub.version)])
        return True
    if dunning.exhausted:  # the last retry failed before its end was written
        _commit(table, request, end_ops(scope, sub, sub, now, request))
        return True
    customer = customers.get(scope, sub.customer, table=table)
    method = collection.method_to_charge(scope, customer, sub, table)
    revival = change_ops(scope, sub, collection.revived(sub, now), "subscription.updated", request)
    attempted = invoices.pay(
        scope, invoice.id, method, request, now, subscription_ops=revival, table=table, off_session=True
    )
    if attempted.status == "paid":
        return True
    assert counted.dunning is not None
    if counted.dunning.exhausted and attempted.payment_pending != "processing":
        _commit(table, request, end_ops(scope, sub, counted, now, request))
    else:
        # The count alone: nothing a merchant sees of the subscription changed (the invoice's
        # attempt and its event are written by the payment).
        _commit(table, request, [store.replace(scope, counted, sub.version)])
    return True


def end_ops(
    scope: Scope, before: Subscription, counted: Subscription, now: datetime, request: RequestInfo
) -> list[Operation]:
    """`before` (as read) ended as its dunning says, every retry failed: `unpaid`
    (`subscription.updated`) or `canceled` now (`subscription.deleted`); its invoices stay open."""
    assert counted.dunning is not None
    ended = replace(counted, dunning=None, version=before.version + 1)
    if counted.dunning.after_retries == "unpaid":
        return change_ops(scope, before, replace(ended, status="unpaid"), "subscription.updated", request)
    moment = clock.to_wire(now)
    canceled = replace(
        ended,
        status="canceled",
        canceled_at=before.canceled_at or moment,
        ended_at=moment,
        cancel_at_period_end=False,
        scheduled_change=None,
    )
    return change_ops(scope, before, canceled, "subscription.deleted", request)


def _commit(table: Table, request: RequestInfo, ops: list[Operation]) -> None:
    UnitOfWork(table, request, conflict_message=SUBSCRIPTION_CHANGED).add(*ops).commit()
