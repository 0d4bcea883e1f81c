"""Deleting a customer (`DELETE /v1/customers/{id}`): its personal data erased, its invoices kept.

Refused (409 `customer_has_subscriptions`) while it has a subscription that has not ended: cancel
them first, with the proration and final invoice the merchant chooses (a deletion never decides
what a customer is charged or credited). Then, in one transaction over the customer's version:
its item goes (name, email, phone, address, tax IDs, metadata, credit, default method), a
deletion record takes its place, every payment method and fingerprint item goes, and
`customer.deleted` is written. Its invoices stay as they are: each keeps the customer's details
as they stood when it was made (`customer_details`), as the law requires of issued invoices.
The methods are detached at the gateway after the commit (`paymentmethods.detach_all_at_gateway`).
This area holds it because it reads the customer's subscriptions and payment methods both.
"""

from __future__ import annotations

from typing import Any

from billing.customers import customers
from billing.kernel.errors import Conflict, NotFound
from billing.kernel.scope import RequestInfo, Scope
from billing.payments import paymentmethods
from billing.payments.records import PaymentMethod
from billing.store.repository import Table, UnitOfWork
from billing.subscriptions import store

# A transaction holds at most 100 items: the customer's two, its event, the fingerprints mark,
# and two per method (the method and its fingerprint). More methods go first, in batches.
METHODS_PER_TRANSACTION = 45


def delete_customer(scope: Scope, customer_id: str, request: RequestInfo, *, table: Table) -> dict[str, Any]:
    """The customer deleted (see the module); a customer deleted before answers the same again."""
    try:
        customer = customers.get(scope, customer_id, table=table)
    except NotFound:
        return customers.retrieve(scope, customer_id, table=table)  # deleted before, or the 404
    live = _live_subscriptions(table, scope, customer_id)
    if live:
        raise Conflict(
            f"The customer has {len(live)} subscription(s) that have not ended ({', '.join(sorted(live))}): "
            "cancel them first.",
            param="customer",
            code="customer_has_subscriptions",
        )
    methods = paymentmethods.held_by(scope, customer_id, table=table)
    first, rest = _batches(methods, keep=customer.default_payment_method)
    for batch in rest:  # (only a customer with many methods: each batch alone leaves it consistent)
        UnitOfWork(table, request).add(*paymentmethods.erase_ops(scope, customer_id, batch, last=False)).commit()
    extra = paymentmethods.erase_ops(scope, customer_id, first, last=True)
    answer = customers.erase(scope, customer, request, extra_ops=extra, table=table)
    # A method attached while the deletion was decided is not left behind.
    late = paymentmethods.held_by(scope, customer_id, table=table)
    if late:
        UnitOfWork(table, request).add(*paymentmethods.erase_ops(scope, customer_id, late, last=True)).commit()
    paymentmethods.detach_all_at_gateway(scope, [*methods, *late], table)
    return answer


def _live_subscriptions(table: Table, scope: Scope, customer_id: str) -> list[str]:
    """The IDs of the customer's subscriptions that have not ended (the index may lag: each one
    it lists as live is read again)."""
    listed = [sub.id for sub in store.of_customer(table, scope, customer_id) if not sub.canceled]
    current = (store.get_subscription(table, scope, sub_id) for sub_id in listed)
    return [sub.id for sub in current if sub is not None and not sub.canceled]


def _batches(
    methods: list[PaymentMethod], *, keep: str | None
) -> tuple[list[PaymentMethod], list[list[PaymentMethod]]]:
    """The methods that go with the customer (the default among them), and the batches before."""
    ordered = sorted(methods, key=lambda pm: pm.id != keep)  # the default first: it goes last
    first, others = ordered[:METHODS_PER_TRANSACTION], ordered[METHODS_PER_TRANSACTION:]
    return first, [others[n : n + METHODS_PER_TRANSACTION] for n in range(0, len(others), METHODS_PER_TRANSACTION)]
