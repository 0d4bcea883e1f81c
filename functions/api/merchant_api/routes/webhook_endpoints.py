"""Webhook endpoints: where events are delivered; the signing secret is shown once."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field, WithJsonSchema

from billing.events.types import EVENT_TYPES
from billing.webhooks import egress, webhookendpoints
from merchant_api import request
from merchant_api.models import (
    EndingBefore,
    Limit,
    Metadata,
    NullRefused,
    Request,
    StartingAfter,
    StrictBool,
    WholeNumber,
    any_case,
)
from merchant_api.responses import ok
from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
TAGS = ["Webhook endpoints"]
EndpointId = Annotated[str, Path(alias="endpoint", pattern=r"^we_[A-Za-z0-9]{1,40}$")]
# Absolute http(s) with a host, no user name or password, spaces or fragment; the service checks
# the rest (https to a public host in both modes; localhost only on the local stack), naming `url`.
URL_PATTERN = rf"^{any_case('http')}[Ss]?://[^\s/?#@]+(?:[/?][^\s#]*)?$"
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=egress.MAX_URL_LENGTH,
        examples=["https://example.com/webhooks/vinr"],
        description="https to a public host; no fragment (http to localhost only in test mode on the local stack)",
        json_schema_extra={"pattern": URL_PATTERN},
    ),
]
# Checked against the known event types by the service (one clear message naming the entry);
# the schema lists them for clients, and "*" only alone (repeats are dropped).
EnabledEvents = Annotated[
    list[Annotated[str, Field(max_length=100)]],
    Field(min_length=1, max_length=webhookendpoints.MAX_ENABLED_EVENTS),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "array",
                    "items": {"type": "string", "enum": list(EVENT_TYPES)},
                    "minItems": 1,
                    "maxItems": webhookendpoints.MAX_ENABLED_EVENTS,
                },
                {
                    "type": "array",
                    "items": {"type": "string", "const": webhookendpoints.ALL_EVENTS},
                    "minItems": 1,
                    "maxItems": webhookendpoints.MAX_ENABLED_EVENTS,
                },
            ],
            "description": 'event types to deliver, or ["*"] for all',
            "examples": [["invoice.paid", "customer.updated"], ["*"]],
        }
    ),
]
Description = Annotated[str, Field(max_length=webhookendpoints.DESCRIPTION_MAX)]


class WebhookEndpointCreate(Request):
    url: Url
    enabledEvents: EnabledEvents
    description: Description | None = None
    disabled: StrictBool = False
    metadata: Metadata | None = None


class WebhookEndpointUpdate(Request):
    """Partial: only the fields sent change; metadata merges (null or "" removes a key)."""

    url: Annotated[Url | None, NullRefused] = None
    enabledEvents: Annotated[EnabledEvents | None, NullRefused] = None
    description: Description | None = None
    disabled: Annotated[StrictBool | None, NullRefused] = None
    metadata: Metadata | None = None


class RollSecret(Request):
    expiresInSeconds: Annotated[
        int,
        Field(
            ge=0,
            le=webhookendpoints.MAX_ROLL_SECONDS,
            strict=True,
            description="how long the old secret keeps signing (0: it, and any an earlier roll kept, stop at once)",
        ),
        WholeNumber,
    ] = webhookendpoints.DEFAULT_ROLL_SECONDS


@router.post(
    "/v1/webhook_endpoints",
    summary="Create a webhook endpoint (its secret is shown once)",
    tags=TAGS,
    responses=ok("WebhookEndpoint"),
)
def create_endpoint(body: Annotated[WebhookEndpointCreate, Body()]) -> Any:
    scope = request.scope(router)
    fields = body.model_dump(exclude_unset=True, mode="json")
    endpoint, secret = webhookendpoints.create(scope, fields, request.info(router), table=request.table(router))
    return json_response(webhookendpoints.to_wire(endpoint, secret=secret))


@router.get(
    "/v1/webhook_endpoints",
    summary="List webhook endpoints, newest first",
    tags=TAGS,
    responses=ok("WebhookEndpointList"),
)
def list_endpoints(limit: Limit = 10, startingAfter: StartingAfter = None, endingBefore: EndingBefore = None) -> Any:
    return webhookendpoints.list_endpoints(
        request.scope(router),
        limit=limit,
        starting_after=startingAfter,
        ending_before=endingBefore,
        table=request.table(router),
    )


@router.get(
    "/v1/webhook_endpoints/<endpoint>",
    summary="Retrieve a webhook endpoint",
    tags=TAGS,
    responses=ok("WebhookEndpoint"),
)
def get_endpoint(endpoint_id: EndpointId) -> Any:
    return webhookendpoints.to_wire(
        webhookendpoints.get(request.scope(router), endpoint_id, table=request.table(router))
    )


@router.post(
    "/v1/webhook_endpoints/<endpoint>",
    summary="Update a webhook endpoint (partial)",
    tags=TAGS,
    responses=ok("WebhookEndpoint"),
)
def update_endpoint(endpoint_id: EndpointId, body: Annotated[WebhookEndpointUpdate, Body()]) -> Any:
    scope = request.scope(router)
    fields = body.model_dump(exclude_unset=True, mode="json")
    return webhookendpoints.to_wire(
        webhookendpoints.update(scope, endpoint_id, fields, request.info(router), table=request.table(router))
    )


@router.delete(
    "/v1/webhook_endpoints/<endpoint>",
    summary="Delete a webhook endpoint",
    tags=TAGS,
    responses=ok("DeletedWebhookEndpoint"),
)
def delete_endpoint(endpoint_id: EndpointId) -> Any:
    webhookendpoints.delete(request.scope(router), endpoint_id, request.info(router), table=request.table(router))
    return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


@router.post(
    "/v1/webhook_endpoints/<endpoint>/roll_secret",
    summary="Roll the signing secret (the new one is shown once; the old one signs until it expires)",
    tags=TAGS,
    responses=ok("WebhookEndpoint"),
)
def roll_secret(endpoint_id: EndpointId, body: Annotated[RollSecret | None, Body()] = None) -> Any:
    expires_in = (body or RollSecret()).expiresInSeconds
    endpoint, secret = webhookendpoints.roll_secret(
        request.scope(router), endpoint_id, expires_in, request.info(router), table=request.table(router)
    )
    return webhookendpoints.to_wire(endpoint, secret=secret)
