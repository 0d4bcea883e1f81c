"""The merchant's stored objects: the account, its secret API keys and its branding."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from billing.kernel.scope import Mode

DEFAULT_CURRENCY = "usd"
DEFAULT_SESSION_MINUTES = 30
DEFAULT_ACCENT = "#635BFF"
AfterRetries = Literal["unpaid", "canceled"]
DEFAULT_RETRY_DAYS = (3, 5, 7)
DEFAULT_AFTER_RETRIES: AfterRetries = "unpaid"


class DunningSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How the account collects a failed renewal: retried this many days after the first failure,
    then the subscription is left `unpaid` or `canceled`."""

    retry_days: tuple[int, ...] = DEFAULT_RETRY_DAYS
    after_retries: AfterRetries = DEFAULT_AFTER_RETRIES


class Account(msgspec.Struct, frozen=True, kw_only=True):
    """The merchant: the seller shown on invoices, and its defaults for the portal."""

    id: str
    name: str
    legal_name: str | None = None
    country: str | None = None
    address: dict[str, Any] | None = None
    tax_id: str | None = None
    default_currency: str = DEFAULT_CURRENCY
    default_session_minutes: int = DEFAULT_SESSION_MINUTES
    # None until the account sets its own: then the defaults of `DunningSettings` apply.
    dunning: DunningSettings | None = None
    created_at: str
    version: int

    @property
    def dunning_settings(self) -> DunningSettings:
        return self.dunning or DunningSettings()


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """One secret key: only its SHA-256, mode, prefix and last 4 characters are kept."""

    id: str
    account_id: str
    mode: Mode
    key_hash: str
    prefix: str
    last4: str
    created_at: str
    revoked_at: str | None = None

    @property
    def display(self) -> str:
        """What a merchant sees of the key: `sk_test_…abcd`."""
        return f"{self.prefix}…{self.last4}"

    @property
    def revoked(self) -> bool:
        return bool(self.revoked_at)


class Branding(msgspec.Struct, frozen=True, kw_only=True):
    """The brand the portal and invoice PDFs wear; `Branding()` is the look of an account that has
    written none (version 0: not stored)."""

    logo: str | None = None  # a data URI (see billing.accounts.branding)
    accent_color: str = DEFAULT_ACCENT
    support_url: str | None = None
    privacy_url: str | None = None
    terms_url: str | None = None
    # The custom domain the merchant set, the TXT value that proves it is theirs, and when that
    # was checked: until then the portal, its links and emails stay on the platform's host.
    domain: str | None = None
    domain_token: str | None = None
    domain_verified_at: str | None = None
    updated_at: str | None = None
    version: int = 0

    @property
    def stored(self) -> bool:
        return self.version > 0

    @property
    def portal_domain(self) -> str | None:
        """The domain the portal serves this brand on: the one set, once its ownership is verified."""
        return self.domain if self.domain and self.domain_verified_at else None
