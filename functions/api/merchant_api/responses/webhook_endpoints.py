"""`/v1/webhook_endpoints`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from merchant_api.models import NullRefused
from merchant_api.responses.base import Page, Wire
from merchant_api.responses.common import Metadata, Timestamp


class WebhookEndpoint(Wire):
    """A webhook endpoint. `secret` only in the answers that create it and roll its secret."""

    id: str
    object: Literal["webhook_endpoint"]
    url: str
    enabledEvents: list[str]
    description: str | None
    disabled: bool
    status: Literal["enabled", "disabled"]
    disabledReason: str | None
    metadata: Metadata
    createdAt: Timestamp
    updatedAt: Timestamp
    livemode: bool
    secretExpiresAt: Timestamp | None = Field(description="when the previous secret stops signing; null when none does")
    secret: Annotated[str | None, NullRefused] = None


class DeletedWebhookEndpoint(Wire):
    """The webhook endpoint deleted."""

    id: str
    object: Literal["webhook_endpoint"]
    deleted: bool


class WebhookEndpointList(Page):
    """A page of webhook endpoints."""

    data: list[WebhookEndpoint]
