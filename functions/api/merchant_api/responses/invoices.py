"""`/v1/invoices`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from merchant_api.responses.base import Page, Wire
from merchant_api.responses.common import PostalAddress, Timestamp


class InvoiceLine(Wire):
    id: str
    description: str
    amount: int
    quantity: int
    unitAmount: int | None
    price: str | None
    periodStart: Timestamp
    periodEnd: Timestamp
    proration: bool
    discountAmount: int
    taxAmount: int


class Seller(Wire):
    """The account's details when the invoice was made."""

    name: str | None
    legalName: str | None
    address: PostalAddress | None
    taxId: str | None
    country: str | None


class PartyTaxId(Wire):
    type: str
    value: str


class CustomerDetails(Wire):
    """The customer's details when the invoice was made."""

    name: str | None
    email: str | None
    address: PostalAddress | None
    taxIds: list[PartyTaxId]
    preferredLocale: Literal["en", "de", "fr", "es"] | None = Field(
        None, description="the customer's preferred locale when the invoice was made: its language (absent: English)"
    )


class PaymentError(Wire):
    code: str | None
    message: str | None


class PaymentActionRequired(Wire):
    """What the customer must do to complete the payment (the portal's "pay this invoice" does it)."""

    type: Literal["authenticate"]
    message: str


class InvoiceAmounts(Wire):
    """An invoice's parts and amounts (in minor units of `currency`)."""

    number: str | None
    customer: str
    subscription: str | None
    currency: str
    lines: list[InvoiceLine]
    subtotal: int
    discount: int
    discountName: str | None
    tax: int
    taxName: str | None
    taxInclusive: bool
    reverseChargeNote: str | None
    total: int
    appliedCredit: int
    amountDue: int
    amountPaid: int
    amountRemaining: int
    creditedToCustomer: int
    periodStart: Timestamp
    periodEnd: Timestamp
    createdAt: Timestamp
    finalizedAt: Timestamp | None
    paidAt: Timestamp | None
    attemptCount: int
    lastPaymentError: PaymentError | None
    paymentProcessing: bool = Field(description="a payment is processing: the gateway reports its outcome later")
    paymentActionRequired: PaymentActionRequired | None = Field(
        description="the customer must authenticate the payment (3-D Secure) to complete it"
    )
    hostedInvoiceUrl: str | None = Field(
        description=(
            "the invoice's page on the portal, which the customer opens without signing in (view, download, pay);"
            " null for drafts and previews, and for invoices finalized before hosted pages existed until"
            " `POST /v1/invoices/{id}/hosted_link` makes one. It lapses 30 days after the invoice is paid,"
            " voided or marked uncollectible; `POST /v1/invoices/{id}/hosted_link` replaces it"
        )
    )
    object: Literal["invoice"]
    livemode: bool


class Invoice(InvoiceAmounts):
    """An invoice."""

    id: str
    status: Literal["draft", "open", "paid", "void", "uncollectible"]
    seller: Seller
    customerDetails: CustomerDetails


class InvoicePreview(InvoiceAmounts):
    """An invoice not made yet: no ID, number, seller or customer details."""

    id: None
    status: Literal["upcoming"]
    seller: None
    customerDetails: None


class UpcomingInvoice(Wire):
    """What a change would invoice now (`immediate`) and at the next renewal (`next`); nothing is written."""

    object: Literal["upcoming_invoice"]
    subscription: str
    prorationDate: Timestamp
    prorationBehavior: Literal["create_prorations", "none", "always_invoice"]
    immediate: InvoicePreview | None
    next: InvoicePreview | None


class InvoiceList(Page):
    """A page of invoices."""

    data: list[Invoice]
