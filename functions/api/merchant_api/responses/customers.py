"""`/v1/customers` and their tax IDs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from merchant_api.responses.base import Page, Wire
from merchant_api.responses.common import Metadata, PostalAddress, Timestamp


class TaxId(Wire):
    """A customer's tax ID."""

    id: str
    object: Literal["tax_id"]
    type: str
    value: str
    country: str | None
    customer: str
    createdAt: Timestamp


class DeletedTaxId(TaxId):
    """The tax ID removed."""

    deleted: bool


class DeletedCustomer(Wire):
    """A deleted customer: its ID only (its personal data is erased). `GET /v1/customers/{id}`
    answers this too once the customer is deleted."""

    id: str
    object: Literal["customer"]
    deleted: Literal[True]


class Customer(Wire):
    """A customer."""

    id: str
    object: Literal["customer"]
    email: str | None
    name: str | None
    phone: str | None
    address: PostalAddress | None
    metadata: Metadata
    testClock: str | None
    defaultPaymentMethod: str | None
    taxIds: list[TaxId]
    preferredLocale: Literal["en", "de", "fr", "es"] | None = Field(
        description="the language of the customer's invoices (null: English)"
    )
    creditBalance: dict[str, int] = Field(description="credit by currency, in minor units (none: {})")
    createdAt: Timestamp
    livemode: bool


class CustomerList(Page):
    """A page of customers."""

    data: list[Customer]
