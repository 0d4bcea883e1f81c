"""`/v1/account`, `/v1/account/dunning` and `/v1/branding`."""

from __future__ import annotations

from typing import Literal

from merchant_api.responses.base import Wire
from merchant_api.responses.common import PostalAddress, Timestamp


class Account(Wire):
    """The account: the seller shown on invoices."""

    id: str
    object: Literal["account"]
    name: str
    legalName: str | None
    country: str | None
    address: PostalAddress | None
    taxId: str | None
    defaultCurrency: str
    defaultSessionMinutes: int
    createdAt: Timestamp
    livemode: bool


class DunningSettings(Wire):
    """How the account retries a failed renewal, and how the subscription ends after the last retry."""

    object: Literal["dunning_settings"]
    retryDays: list[int]
    afterRetries: Literal["unpaid", "canceled"]
    livemode: bool


class EmailSettings(Wire):
    """Which emails the account's customers get, and where their replies go."""

    object: Literal["email_settings"]
    receipt: bool
    paymentFailed: bool
    actionRequired: bool
    subscriptionCanceled: bool
    replyTo: str | None
    livemode: bool


class DnsRecord(Wire):
    """The DNS record that proves the portal domain is the merchant's: publish it, then verify."""

    type: Literal["TXT"]
    name: str
    value: str


class Branding(Wire):
    """The branding the portal and invoice PDFs wear."""

    object: Literal["branding"]
    logo: str | None
    accentColor: str
    textColor: str
    supportUrl: str | None
    privacyUrl: str | None
    termsUrl: str | None
    portalDomain: str | None
    portalDomainStatus: Literal["pending_verification", "verified"] | None
    portalDomainRecord: DnsRecord | None
    livemode: bool
    updatedAt: Timestamp | None
