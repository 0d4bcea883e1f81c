"""`/v1/events` with their webhook deliveries, and `/v1/audit_log`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from merchant_api.responses.base import Page, Wire
from merchant_api.responses.common import AnyObject, Timestamp


class EventRequest(Wire):
    """What made the change: the API (with its request ID and Idempotency-Key), the portal, the clock…"""

    source: str
    id: str | None
    idempotencyKey: str | None


class EventData(Wire):
    object: AnyObject = Field(description="the object after the change, as its endpoint answers it")
    previousAttributes: AnyObject = Field(description="the fields that changed, with their values before")


class Event(Wire):
    """An event: a change, as its webhook carries it."""

    id: str
    object: Literal["event"]
    type: str
    createdAt: Timestamp
    livemode: bool
    data: EventData
    request: EventRequest


class DeliveryAttempt(Wire):
    at: Timestamp
    attempt: int
    round: int
    status: int | None = Field(description="the receiver's HTTP status; null when none came")
    latencyMs: int
    error: str | None
    response: str = Field(description="the start of the receiver's answer")


class WebhookDelivery(Wire):
    """An event's delivery to one webhook endpoint."""

    object: Literal["webhook_delivery"]
    event: str
    endpoint: str
    url: str | None
    status: Literal["pending", "succeeded", "failed"]
    round: int
    attemptCount: int
    lastAttemptAt: Timestamp | None
    nextAttemptAt: Timestamp | None
    deliveredAt: Timestamp | None
    failureReason: str | None
    attempts: list[DeliveryAttempt]
    createdAt: Timestamp | None


class EventEmail(Wire):
    """An email the event made for the customer."""

    object: Literal["email"]
    type: Literal["receipt", "payment_failed", "action_required", "subscription_canceled"]
    to: str
    locale: str
    status: Literal["queued", "sent", "failed", "suppressed"]
    attempts: int
    sentAt: Timestamp | None
    failureReason: str | None
    createdAt: Timestamp


class EventWithDeliveries(Event):
    """An event, with its delivery to each webhook endpoint it was sent to and the emails it made."""

    deliveries: list[WebhookDelivery]
    emails: list[EventEmail]


class EventList(Page):
    """A page of events."""

    data: list[Event]


class WebhookDeliveryList(Page):
    """The deliveries started again (`hasMore` is false)."""

    data: list[WebhookDelivery]


class AuditActor(Wire):
    type: Literal["customer"]
    customer: str | None
    session: str | None
    ip: str | None
    userAgent: str | None


class AuditTarget(Wire):
    object: str | None
    id: str | None


class AuditEntry(Wire):
    """A change a customer made in the portal: who, what, before and after."""

    id: str
    object: Literal["audit_entry"]
    createdAt: Timestamp
    livemode: bool
    customer: str | None
    action: str
    actor: AuditActor
    target: AuditTarget
    before: AnyObject
    after: AnyObject
    event: str


class AuditEntryList(Page):
    """A page of audit entries."""

    data: list[AuditEntry]
