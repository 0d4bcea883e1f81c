"""The API's objects as `TypedDict`s, key for key as the API answers them (camelCase). Every SDK
call is annotated with the one it returns, so a type checker checks their fields, e.g.

    customer = vinr.customers.retrieve("cust_…")  # a Customer
    customer["createdAt"]  # str; customer["created_at"] is an error under mypy

Written from the merchant API's response models (`functions/api/merchant_api/responses`);
tests/sdk/test_sdk_follows_openapi.py checks that each one's keys are its schema's properties in
the API's OpenAPI document. Timestamps are ISO 8601 strings in UTC; amounts are in minor units.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, NotRequired, TypeAlias, TypedDict, TypeVar

T = TypeVar("T")

# The enumerations the SDK's parameters take (tests/sdk/test_sdk_follows_openapi.py holds each to
# the OpenAPI document's enum).
ProrationBehavior: TypeAlias = Literal["create_prorations", "none", "always_invoice"]
SubscriptionStatus: TypeAlias = Literal[
    "incomplete", "incomplete_expired", "trialing", "active", "past_due", "unpaid", "canceled"
]
InvoiceStatus: TypeAlias = Literal["draft", "open", "paid", "void", "uncollectible"]
Locale: TypeAlias = Literal["en", "de", "fr", "es"]
SessionLocale: TypeAlias = Literal["auto", "en", "de", "fr", "es"]
CouponDuration: TypeAlias = Literal["once", "repeating", "forever"]
AfterRetries: TypeAlias = Literal["unpaid", "canceled"]


class Page(TypedDict, Generic[T]):
    """One page of a list, newest first; `hasMore` when a next page exists (`starting_after=` the last ID,
    or `nextStartingAfter` when given: the server's read bound cut a filtered page short)."""

    object: Literal["list"]
    data: list[T]
    hasMore: bool
    nextStartingAfter: NotRequired[str]
    nextEndingBefore: NotRequired[str]


class Account(TypedDict):
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
    createdAt: str
    livemode: bool


class DunningSettings(TypedDict):
    """How the account retries a failed renewal, and how the subscription ends after the last retry."""

    object: Literal["dunning_settings"]
    retryDays: list[int]
    afterRetries: Literal["unpaid", "canceled"]
    livemode: bool


class EmailSettings(TypedDict):
    """Which emails the account's customers get, and where their replies go."""

    object: Literal["email_settings"]
    receipt: bool
    paymentFailed: bool
    actionRequired: bool
    subscriptionCanceled: bool
    replyTo: str | None
    livemode: bool


class PaymentGateway(TypedDict):
    """The payment gateway connected for this mode, without its secrets (the secret key shows as
    its last 4 only; the webhook signing secret not at all)."""

    id: str
    object: Literal["payment_gateway"]
    type: Literal["stripe"]
    publishableKey: str
    secretKeyLast4: str
    webhookUrl: str  # give this URL to the gateway (Stripe: a webhook endpoint in its dashboard)
    connectedAt: str
    livemode: bool


class DeletedPaymentGateway(TypedDict):
    """The payment gateway disconnected."""

    id: str
    object: Literal["payment_gateway"]
    deleted: bool
    livemode: bool


class DnsRecord(TypedDict):
    """The DNS record that proves the portal domain is the merchant's: publish it, then verify."""

    type: Literal["TXT"]
    name: str
    value: str


class Branding(TypedDict):
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
    updatedAt: str | None


class PostalAddress(TypedDict):
    """An address as it was given: only the parts that were set."""

    line1: NotRequired[str | None]
    line2: NotRequired[str | None]
    city: NotRequired[str | None]
    postalCode: NotRequired[str | None]
    state: NotRequired[str | None]
    country: NotRequired[str | None]


class TaxId(TypedDict):
    """A customer's tax ID."""

    id: str
    object: Literal["tax_id"]
    type: str
    value: str
    country: str | None
    customer: str
    createdAt: str


class DeletedTaxId(TaxId):
    """The tax ID removed."""

    deleted: bool


class DeletedCustomer(TypedDict):
    """A deleted customer (its personal data erased); `customers.retrieve` answers this too then."""

    id: str
    object: Literal["customer"]
    deleted: Literal[True]


class Customer(TypedDict):
    """A customer."""

    id: str
    object: Literal["customer"]
    email: str | None
    name: str | None
    phone: str | None
    address: PostalAddress | None
    metadata: dict[str, str]
    testClock: str | None
    defaultPaymentMethod: str | None
    taxIds: list[TaxId]
    preferredLocale: Literal["en", "de", "fr", "es"] | None
    creditBalance: dict[str, int]
    createdAt: str
    livemode: bool


class Card(TypedDict):
    brand: str
    last4: str
    expMonth: int
    expYear: int
    country: str


class SepaMandate(TypedDict):
    reference: str
    acceptedAt: str
    ip: str | None
    userAgent: str | None


class SepaDebit(TypedDict):
    bankCode: str
    last4: str
    country: str
    mandate: SepaMandate


class PaymentMethod(TypedDict):
    """A payment method: `card` for a card, `sepaDebit` for a SEPA debit."""

    id: str
    object: Literal["payment_method"]
    type: Literal["card", "sepa_debit"]
    customer: str
    fingerprint: str
    createdAt: str
    livemode: bool
    card: NotRequired[Card]
    sepaDebit: NotRequired[SepaDebit]


class DeletedPaymentMethod(PaymentMethod):
    """The payment method detached."""

    deleted: bool


class Product(TypedDict):
    """A product."""

    id: str
    object: Literal["product"]
    name: str
    description: str | None
    active: bool
    metadata: dict[str, str]
    createdAt: str
    livemode: bool


class PriceRecurring(TypedDict):
    interval: Literal["day", "week", "month", "year"]
    intervalCount: int


class Price(TypedDict):
    """A recurring price of a product."""

    id: str
    object: Literal["price"]
    product: str
    unitAmount: int
    currency: str
    recurring: PriceRecurring
    nickname: str | None
    active: bool
    createdAt: str
    livemode: bool


class Coupon(TypedDict):
    """A coupon: `percentOff` or `amountOff` (with its `currency`)."""

    id: str
    object: Literal["coupon"]
    name: str | None
    percentOff: float | None
    amountOff: int | None
    currency: str | None
    duration: Literal["once", "repeating", "forever"]
    durationInMonths: int | None
    valid: bool
    createdAt: str
    livemode: bool


class TaxRate(TypedDict):
    """A tax rate."""

    id: str
    object: Literal["tax_rate"]
    country: str
    state: str | None
    percentage: float
    displayName: str
    inclusive: bool
    active: bool
    createdAt: str
    livemode: bool


class SubscriptionItemEntry(TypedDict):
    """A price on a subscription, as it was when subscribed to."""

    id: str
    price: str
    product: str
    description: str
    quantity: int
    unitAmount: int
    currency: str
    interval: Literal["day", "week", "month", "year"]
    intervalCount: int


class Discount(TypedDict):
    """A coupon applied: its snapshot, from `start` until `end` (null: for good)."""

    coupon: Coupon
    start: str
    end: str | None


class SubscriptionCancellation(TypedDict):
    """Why the subscription was canceled: the parts that were given."""

    reason: NotRequired[str | None]
    comment: NotRequired[str | None]


class ScheduledChange(TypedDict):
    """The items the subscription switches to `at` the end of its period."""

    items: list[SubscriptionItemEntry]
    at: str


class Subscription(TypedDict):
    """A subscription."""

    id: str
    object: Literal["subscription"]
    customer: str
    status: Literal["incomplete", "incomplete_expired", "trialing", "active", "past_due", "unpaid", "canceled"]
    items: list[SubscriptionItemEntry]
    currency: str
    discount: Discount | None
    defaultPaymentMethod: str | None
    billingCycleAnchor: str
    currentPeriodStart: str
    currentPeriodEnd: str
    trialStart: str | None
    trialEnd: str | None
    cancelAtPeriodEnd: bool
    canceledAt: str | None
    endedAt: str | None
    cancellationDetails: SubscriptionCancellation | None
    latestInvoice: str | None
    scheduledChange: ScheduledChange | None
    testClock: str | None
    metadata: dict[str, str]
    createdAt: str
    livemode: bool


class InvoiceLine(TypedDict):
    id: str
    description: str
    amount: int
    quantity: int
    unitAmount: int | None
    price: str | None
    periodStart: str
    periodEnd: str
    proration: bool
    discountAmount: int
    taxAmount: int


class Seller(TypedDict):
    """The account's details when the invoice was made."""

    name: str | None
    legalName: str | None
    address: PostalAddress | None
    taxId: str | None
    country: str | None


class PartyTaxId(TypedDict):
    type: str
    value: str


class CustomerDetails(TypedDict):
    """The customer's details when the invoice was made."""

    name: str | None
    email: str | None
    address: PostalAddress | None
    taxIds: list[PartyTaxId]
    preferredLocale: NotRequired[Literal["en", "de", "fr", "es"] | None]  # the invoice's language


class PaymentError(TypedDict):
    code: str | None
    message: str | None


class PaymentActionRequired(TypedDict):
    """What the customer must do to complete the payment (the portal's "pay this invoice" does it)."""

    type: Literal["authenticate"]
    message: str


class _InvoiceParts(TypedDict):
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
    periodStart: str
    periodEnd: str
    createdAt: str
    finalizedAt: str | None
    paidAt: str | None
    attemptCount: int
    lastPaymentError: PaymentError | None
    paymentProcessing: bool  # a payment is processing: the gateway reports its outcome later
    paymentActionRequired: PaymentActionRequired | None  # the customer must authenticate it (3-D Secure)
    # The invoice's page on the portal (view, download, pay) without signing in; null for drafts and
    # previews. `client.invoices.replace_hosted_link(id)` replaces it (the old link stops working).
    hostedInvoiceUrl: str | None
    object: Literal["invoice"]
    livemode: bool


class Invoice(_InvoiceParts):
    """An invoice."""

    id: str
    status: Literal["draft", "open", "paid", "void", "uncollectible"]
    seller: Seller
    customerDetails: CustomerDetails


class InvoicePreview(_InvoiceParts):
    """An invoice not made yet: no ID, number, seller or customer details."""

    id: None
    status: Literal["upcoming"]
    seller: None
    customerDetails: None


class UpcomingInvoice(TypedDict):
    """What a change would invoice now (`immediate`) and at the next renewal (`next`); nothing is written."""

    object: Literal["upcoming_invoice"]
    subscription: str
    prorationDate: str
    prorationBehavior: Literal["create_prorations", "none", "always_invoice"]
    immediate: InvoicePreview | None
    next: InvoicePreview | None


class TestClock(TypedDict):
    """A test clock: its customers live at `frozenTime`."""

    id: str
    object: Literal["test_clock"]
    name: str | None
    frozenTime: str
    status: str
    createdAt: str
    livemode: bool


class EventRequest(TypedDict):
    """What made the change: the API (with its request ID and Idempotency-Key), the portal, the clock…"""

    source: str
    id: str | None
    idempotencyKey: str | None


class EventData(TypedDict):
    object: dict[str, Any]
    previousAttributes: dict[str, Any]


class Event(TypedDict):
    """An event: a change, as its webhook carries it."""

    id: str
    object: Literal["event"]
    type: str
    createdAt: str
    livemode: bool
    data: EventData
    request: EventRequest


class DeliveryAttempt(TypedDict):
    at: str
    attempt: int
    round: int
    status: int | None
    latencyMs: int
    error: str | None
    response: str


class WebhookDelivery(TypedDict):
    """An event's delivery to one webhook endpoint."""

    object: Literal["webhook_delivery"]
    event: str
    endpoint: str
    url: str | None
    status: Literal["pending", "succeeded", "failed"]
    round: int
    attemptCount: int
    lastAttemptAt: str | None
    nextAttemptAt: str | None
    deliveredAt: str | None
    failureReason: str | None
    attempts: list[DeliveryAttempt]
    createdAt: str | None


class EventEmail(TypedDict):
    """An email the event made for the customer."""

    object: Literal["email"]
    type: Literal["receipt", "payment_failed", "action_required", "subscription_canceled"]
    to: str
    locale: str
    status: Literal["queued", "sent", "failed", "suppressed"]
    attempts: int
    sentAt: str | None
    failureReason: str | None
    createdAt: str


class EventWithDeliveries(Event):
    """An event, with its delivery to each webhook endpoint it was sent to and the emails it made."""

    deliveries: list[WebhookDelivery]
    emails: list[EventEmail]


class AuditActor(TypedDict):
    type: Literal["customer"]
    customer: str | None
    session: str | None
    ip: str | None
    userAgent: str | None


class AuditTarget(TypedDict):
    object: str | None
    id: str | None


class AuditEntry(TypedDict):
    """A change a customer made in the portal: who, what, before and after."""

    id: str
    object: Literal["audit_entry"]
    createdAt: str
    livemode: bool
    customer: str | None
    action: str
    actor: AuditActor
    target: AuditTarget
    before: dict[str, Any]
    after: dict[str, Any]
    event: str


class PortalFlow(TypedDict):
    """The one thing the session opens the portal for."""

    type: Literal["payment_method_update", "subscription_cancel", "subscription_update"]
    subscription: str | None


class PortalSession(TypedDict):
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
    createdAt: str
    expiresAt: str
    usedAt: str | None
    revokedAt: str | None
    livemode: bool


class BusinessProfile(TypedDict):
    headline: str | None
    privacyPolicyUrl: str | None
    termsOfServiceUrl: str | None


class CustomerUpdateFeature(TypedDict):
    enabled: bool
    allowedUpdates: list[Literal["name", "email", "address", "phone", "taxId"]]


class InvoiceHistoryFeature(TypedDict):
    enabled: bool


class PaymentMethodUpdateFeature(TypedDict):
    enabled: bool
    types: list[Literal["card", "sepa_debit"]]


class CancellationReasonFeature(TypedDict):
    enabled: bool
    options: list[
        Literal[
            "too_expensive",
            "missing_features",
            "switched_service",
            "unused",
            "customer_service",
            "too_complex",
            "low_quality",
            "other",
        ]
    ]


class RetentionOffer(TypedDict):
    offerCoupon: str


class SubscriptionCancelFeature(TypedDict):
    enabled: bool
    mode: Literal["immediately", "at_period_end"]
    prorationBehavior: Literal["create_prorations", "none", "always_invoice"]
    cancellationReason: CancellationReasonFeature
    retention: RetentionOffer | None


class ProductPrices(TypedDict):
    product: str
    prices: list[str]


class ScheduleAtPeriodEnd(TypedDict):
    conditions: list[Literal["decreasing_item_amount", "shortening_interval"]]


class SubscriptionUpdateFeature(TypedDict):
    enabled: bool
    products: list[ProductPrices]
    allowedUpdates: list[Literal["price", "quantity"]]
    prorationBehavior: Literal["create_prorations", "none", "always_invoice"]
    scheduleAtPeriodEnd: ScheduleAtPeriodEnd


class ConfigurationFeatures(TypedDict):
    customerUpdate: CustomerUpdateFeature
    invoiceHistory: InvoiceHistoryFeature
    paymentMethodUpdate: PaymentMethodUpdateFeature
    subscriptionCancel: SubscriptionCancelFeature
    subscriptionUpdate: SubscriptionUpdateFeature


class LoginPage(TypedDict):
    """A configuration's public sign-in page (an email, then a one-time code); `url` is read-only."""

    enabled: bool
    url: str | None


class PortalConfiguration(TypedDict):
    """A portal configuration: what the hosted portal offers a customer."""

    id: str
    object: Literal["billing_portal.configuration"]
    isDefault: bool
    name: str | None
    businessProfile: BusinessProfile
    features: ConfigurationFeatures
    metadata: dict[str, str]
    loginPage: LoginPage
    createdAt: str
    updatedAt: str
    livemode: bool


class WebhookEndpoint(TypedDict):
    """A webhook endpoint. `secret` only in the answers that create it and roll its secret."""

    id: str
    object: Literal["webhook_endpoint"]
    url: str
    enabledEvents: list[str]
    description: str | None
    disabled: bool
    status: Literal["enabled", "disabled"]
    disabledReason: str | None
    metadata: dict[str, str]
    createdAt: str
    updatedAt: str
    livemode: bool
    secretExpiresAt: str | None
    secret: NotRequired[str]


class DeletedWebhookEndpoint(TypedDict):
    """The webhook endpoint deleted."""

    id: str
    object: Literal["webhook_endpoint"]
    deleted: bool
