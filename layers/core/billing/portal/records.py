"""The portal's stored objects: a portal session and a portal configuration; and what the portal
reads but never stores as such: the view of a customer it draws its overview from, and what
minting a session reads.

A session keeps, at mint time, what the portal needs to draw any page without another read:
its configuration in its wire form and the brand's portal snapshot (both as they were then,
so free-form maps here), and the merchant's name.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from billing.accounts.records import Account, Branding
from billing.customers.records import Customer
from billing.invoicing.records import Invoice
from billing.kernel.scope import Mode, Scope
from billing.payments.records import PaymentMethod
from billing.subscriptions.records import Subscription


def default_id(scope: Scope) -> str:
    """The default configuration's ID: the same for every request of the scope, unguessable
    across scopes (not that it matters: another scope's ID is a 404)."""
    digest = hashlib.sha256(f"{scope.account_id}#{scope.mode}#default".encode()).hexdigest()
    return f"bpc_{digest[:20]}"


class PortalConfiguration(msgspec.Struct, frozen=True, kw_only=True):
    """What the hosted portal offers a customer. `business_profile` and `features` are in their
    wire shape, complete and normalised (see `billing.portal.portalconfigs.CONFIGURATION`)."""

    id: str
    is_default: bool
    name: str | None
    business_profile: dict[str, Any]  # headline, privacyPolicyUrl, termsOfServiceUrl
    features: dict[str, Any]
    metadata: dict[str, str]
    created_at: str
    updated_at: str
    version: int
    login_page: dict[str, Any] = msgspec.field(default_factory=lambda: {"enabled": False})  # {enabled}

    @property
    def login_page_enabled(self) -> bool:
        return bool(self.login_page.get("enabled"))


class Flow(msgspec.Struct, frozen=True, kw_only=True):
    """The one action a session was opened for (a deep link)."""

    type: str  # payment_method_update | subscription_cancel | subscription_update
    subscription: str | None = None  # the subscription of a subscription_* flow


class PortalSession(msgspec.Struct, frozen=True, kw_only=True):
    """One customer's portal, minted by the merchant and opened once by a link."""

    id: str
    account: str
    mode: Mode
    customer: str
    configuration: dict[str, Any]  # the configuration's wire form at mint time
    branding: dict[str, Any]  # the brand's portal snapshot at mint time (no logo bytes)
    merchant_name: str | None
    return_url: str
    locale: str  # auto | en | de | fr | es
    flow: Flow | None
    secret_hash: str  # SHA-256 of the link's secret
    created_at: str
    expires_at: int  # epoch seconds
    used_at: str | None = None  # when the link was exchanged for a cookie
    cookie_hash: str | None = None  # SHA-256 of the cookie's token, from the exchange on
    revoked_at: str | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.account, self.mode)

    @property
    def configuration_id(self) -> str:
        return str(self.configuration["id"])

    @property
    def features(self) -> dict[str, Any]:
        """The configuration's features, as the session was minted with."""
        return dict(self.configuration["features"])

    @property
    def business_profile(self) -> dict[str, Any]:
        return dict(self.configuration.get("businessProfile") or {})

    @property
    def portal_domain(self) -> str | None:
        """The account's custom portal domain, if it had one at mint time."""
        domain = self.branding.get("portalDomain")
        return str(domain) if domain else None

    def expired(self, now: int) -> bool:
        """Whether the session has expired at `now` (epoch seconds)."""
        return self.expires_at <= now

    def status(self, now: int) -> str:
        """revoked | expired | used | open, at `now` (epoch seconds)."""
        if self.revoked_at:
            return "revoked"
        if self.expired(now):
            return "expired"
        return "used" if self.used_at else "open"


class CustomerView(msgspec.Struct, frozen=True, kw_only=True):
    """A customer with its payment methods, subscriptions and invoices (each newest first)."""

    customer: Customer
    payment_methods: tuple[PaymentMethod, ...]
    subscriptions: tuple[Subscription, ...]
    invoices: tuple[Invoice, ...]

    @property
    def default_payment_method(self) -> PaymentMethod | None:
        """The customer's default payment method, when it is one of theirs."""
        wanted = self.customer.default_payment_method
        return next((pm for pm in self.payment_methods if pm.id == wanted), None) if wanted else None


class MintReads(msgspec.Struct, frozen=True, kw_only=True):
    """What minting a session reads, all at once: each one None when it is not stored."""

    customer: Customer | None
    configuration: PortalConfiguration | None  # the one named, or the scope's default
    account: Account | None
    branding: Branding | None
    subscription: Subscription | None = None  # the flow's, when it names one
