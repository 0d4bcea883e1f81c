"""The customer's credit as the overview shows it: the balance in each currency it holds credit
in, and what the credit pays of the next invoice in that currency (the renewal the nearest
period end makes, figured by `billing.subscriptions.preview.renewal` from what the overview has
already read: no AWS call of its own).
"""

from __future__ import annotations

import msgspec

from billing.invoicing.records import Invoice
from billing.kernel.scope import Scope
from billing.portal.pricing import Taxation
from billing.portal.records import CustomerView
from billing.subscriptions import preview


class CreditOutlook(msgspec.Struct, frozen=True):
    currency: str
    balance: int  # the customer's credit in `currency`, above zero
    next_invoice: Invoice | None  # the next invoice in `currency` that charges something, if one is ahead

    @property
    def next_total(self) -> int:
        """What the next invoice charges before the credit."""
        return self.next_invoice.amount_before_credit if self.next_invoice else 0

    @property
    def covered(self) -> int:
        """What the credit pays of the next invoice."""
        return self.next_invoice.applied_credit if self.next_invoice else 0

    @property
    def pays_all(self) -> bool:
        return self.next_invoice is not None and self.covered == self.next_total


def outlooks(scope: Scope, view: CustomerView, taxation: Taxation) -> list[CreditOutlook]:
    """The customer's credit balances (those above zero, by currency) with the next invoice each pays."""
    customer = view.customer
    found = []
    for currency, balance in customer.credit_balances().items():
        if balance <= 0:
            continue
        ahead = [
            invoice
            for sub in view.subscriptions
            if sub.currency == currency
            and (
                invoice := preview.renewal(
                    scope,
                    sub,
                    customer,
                    tax_rates=taxation.rates,
                    seller_country=taxation.seller_country_if_needed(),
                )
            )
            is not None
            and invoice.amount_before_credit > 0
        ]
        ahead.sort(key=lambda invoice: invoice.period_start)
        found.append(CreditOutlook(currency, balance, ahead[0] if ahead else None))
    return found
