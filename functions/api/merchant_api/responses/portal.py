"""`/v1/billing/portal_sessions` and `/v1/billing/portal_configurations`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from billing.portal.portalconfigs import (
    CancellationReason,
    CancelMode,
    CustomerUpdateField,
    PaymentMethodType,
    ProrationBehavior,
    ScheduleCondition,
    SubscriptionUpdateField,
)
from merchant_api.responses.base import Page, Wire
from merchant_api.responses.common import Metadata, Timestamp


class PortalFlow(Wire):
    """The one thing the session opens the portal for."""

    type: Literal["payment_method_update", "subscription_cancel", "subscription_update"]
    subscription: str | None


class PortalSession(Wire):
    """A portal session: `url` (only in the answer that creates it) opens the portal once."""

    id: str
    object: Literal["billing_portal.session"]
    customer: str
    configuration: str
    url: str | None
    returnUrl: str
    locale: str
    flow: PortalFlow | None
    status: Literal["open", "used", "expired", "revoked"]
    createdAt: Timestamp
    expiresAt: Timestamp
    usedAt: Timestamp | None
    revokedAt: Timestamp | None
    livemode: bool


class BusinessProfile(Wire):
    headline: str | None
    privacyPolicyUrl: str | None
    termsOfServiceUrl: str | None


class CustomerUpdateFeature(Wire):
    enabled: bool
    allowedUpdates: list[CustomerUpdateField]


class InvoiceHistoryFeature(Wire):
    enabled: bool


class PaymentMethodUpdateFeature(Wire):
    enabled: bool
    types: list[PaymentMethodType]


class CancellationReasonFeature(Wire):
    enabled: bool
    options: list[CancellationReason]


class RetentionOffer(Wire):
    offerCoupon: str


class SubscriptionCancelFeature(Wire):
    enabled: bool
    mode: CancelMode
    prorationBehavior: ProrationBehavior
    cancellationReason: CancellationReasonFeature
    retention: RetentionOffer | None


class ProductPrices(Wire):
    product: str
    prices: list[str]


class ScheduleAtPeriodEnd(Wire):
    conditions: list[ScheduleCondition]


class SubscriptionUpdateFeature(Wire):
    enabled: bool
    products: list[ProductPrices]
    allowedUpdates: list[SubscriptionUpdateField]
    prorationBehavior: ProrationBehavior
    scheduleAtPeriodEnd: ScheduleAtPeriodEnd


class ConfigurationFeatures(Wire):
    customerUpdate: CustomerUpdateFeature
    invoiceHistory: InvoiceHistoryFeature
    paymentMethodUpdate: PaymentMethodUpdateFeature
    subscriptionCancel: SubscriptionCancelFeature
    subscriptionUpdate: SubscriptionUpdateFeature


class LoginPage(Wire):
    """The configuration's public sign-in page (an email, then a one-time code)."""

    enabled: bool
    url: str | None = Field(description="the page's address while it is enabled (read-only)")


class PortalConfiguration(Wire):
    """A portal configuration: what the hosted portal offers a customer."""

    id: str
    object: Literal["billing_portal.configuration"]
    isDefault: bool
    name: str | None
    businessProfile: BusinessProfile
    features: ConfigurationFeatures
    metadata: Metadata
    loginPage: LoginPage
    createdAt: Timestamp
    updatedAt: Timestamp
    livemode: bool


class PortalConfigurationList(Page):
    """A page of portal configurations."""

    data: list[PortalConfiguration]
