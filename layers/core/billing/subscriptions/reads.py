"""What a request has read ahead for a change or preview of a subscription (`store.read_together`
reads it), handed to the services so that nothing is read twice in a request."""

from __future__ import annotations

import msgspec

from billing.accounts.records import Account
from billing.customers.records import Customer
from billing.store.repository import Update
from billing.subscriptions.records import Subscription


class Reads(msgspec.Struct, frozen=True):
    """What a change or preview of a subscription has read ahead, decoded; None where it was not
    asked for or is not stored. The products, prices and coupons read with them are kept by the
    catalog's store, where the catalog's reads find them."""

    subscription: Subscription | None = None
    customer: Customer | None = None
    account: Account | None = None
    claim: tuple[int, Update] | None = None  # the next invoice number, from the counter as read

    def customer_of(self, sub: Subscription) -> Customer | None:
        """The customer read, when it is `sub`'s."""
        return self.customer if self.customer is not None and self.customer.id == sub.customer else None

    def merged(self, other: Reads) -> Reads:
        """These reads, with `other`'s where these have none."""
        return Reads(
            subscription=self.subscription or other.subscription,
            customer=self.customer or other.customer,
            account=self.account or other.account,
            claim=self.claim or other.claim,
        )
