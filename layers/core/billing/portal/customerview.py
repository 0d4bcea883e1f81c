"""The customer as the portal's overview shows it: the customer with its payment methods,
subscriptions and invoices, from one read of the customer's items."""

from __future__ import annotations

from billing.kernel.errors import NotFound
from billing.kernel.scope import Scope
from billing.portal import store
from billing.portal.records import CustomerView
from billing.store.repository import Table

__all__ = ["CustomerView", "bundle"]


def bundle(scope: Scope, customer_id: str, *, table: Table) -> CustomerView:
    """The customer and its payment methods, subscriptions and invoices (each newest first)."""
    found = store.customer_view(table, scope, customer_id)
    if found is None:
        raise NotFound(f"No such customer: '{customer_id}'.", param="customer")
    return found
