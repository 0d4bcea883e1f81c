"""The webhooks (OpenAPI's `webhooks`): one per event type (`billing.events.types.EVENT_TYPES`),
the POST each subscribed endpoint receives, its body the event with `data.object` typed as the
object's response model (`subscription.updated` carries a `Subscription`)."""

from __future__ import annotations

import copy
from typing import Any

from billing.events.types import EVENT_TYPES

_REF = "#/components/schemas/{model}"
_JSON = "application/json"
# The response model of an event's object, by the type's prefix (`customer.tax_id.created` →
# `customer.tax_id`); `OBJECT_OF_TYPE` names those whose object is another.
OBJECT_OF_PREFIX = {
    "coupon": "Coupon",
    "customer": "Customer",
    "customer.tax_id": "TaxId",
    "invoice": "Invoice",
    "payment_method": "PaymentMethod",
    "portal_configuration": "PortalConfiguration",
    "portal_session": "PortalSession",
    "price": "Price",
    "product": "Product",
    "subscription": "Subscription",
    "tax_rate": "TaxRate",
}
OBJECT_OF_TYPE = {
    "customer.portal_login": "PortalSession",  # the session the customer signed in with
    "customer.tax_id.deleted": "DeletedTaxId",
    "customer.deleted": "DeletedCustomer",  # nothing personal: the customer's data is erased
}
# Fields an object's events leave out (the invoice's hosted URL carries its link's token, which
# the table does not keep): the events' object is the model without them, `<Model>InEvent`.
LEFT_OUT_OF_EVENTS = {"Invoice": ("hostedInvoiceUrl",)}
_HEADERS = [
    ("webhook-id", "the event's ID (Standard Webhooks): the same on every attempt, to deduplicate on"),
    ("webhook-timestamp", "Unix seconds of this attempt (Standard Webhooks)"),
    ("webhook-signature", "`v1,<base64 HMAC-SHA256 of {id}.{timestamp}.{body}>`, one per live secret"),
    ("Vinr-Signature", "`t=<unix>,v1=<hex HMAC-SHA256 of {t}.{body}>`, for `vinr.webhooks.verify`"),
]


def object_model(event_type: str) -> str:
    """The response model of the object an event of `event_type` carries."""
    if event_type in OBJECT_OF_TYPE:
        return OBJECT_OF_TYPE[event_type]
    prefix = event_type.rsplit(".", 1)[0]
    if prefix not in OBJECT_OF_PREFIX:
        raise RuntimeError(f"event type {event_type}: name its object's response model in OBJECT_OF_PREFIX")
    return OBJECT_OF_PREFIX[prefix]


def models() -> set[str]:
    """The response models the webhooks refer to."""
    return {"Event", "EventData", *(object_model(event_type) for event_type in EVENT_TYPES)}


def schema_name(event_type: str) -> str:
    """`customer.tax_id.created` → `CustomerTaxIdCreatedEvent`."""
    words = event_type.replace(".", "_").split("_")
    return "".join(word.capitalize() for word in words) + "Event"


def with_webhooks(document: dict[str, Any]) -> dict[str, Any]:
    """`webhooks`, and each event type's schema: the `Event` schema with its `type` and `data.object` stated."""
    schemas = document["components"]["schemas"]
    for model, fields in LEFT_OUT_OF_EVENTS.items():
        schemas[f"{model}InEvent"] = _without(schemas[model], fields, f"{model}InEvent")
    webhooks = document.setdefault("webhooks", {})
    for event_type in EVENT_TYPES:
        name = schema_name(event_type)
        if name in schemas:
            raise RuntimeError(f"the schema of {event_type} is named {name}, as another schema is")
        schemas[name], schemas[f"{name}Data"] = _event_schemas(schemas, event_type, name)
        webhooks[event_type] = {"post": _delivery(event_type, name)}
    return document


def _event_schemas(schemas: dict[str, Any], event_type: str, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The event's schema and its `data`'s."""
    event = copy.deepcopy(schemas["Event"])
    data = copy.deepcopy(schemas["EventData"])
    data["title"] = f"{name}Data"
    model = object_model(event_type)
    data["properties"]["object"] = {
        "$ref": _REF.format(model=f"{model}InEvent" if model in LEFT_OUT_OF_EVENTS else model),
        "description": data["properties"]["object"].get("description", ""),
    }
    event["title"] = name
    event["description"] = f"The event `{event_type}`, as its webhook carries it."
    event["properties"]["type"] = {"type": "string", "const": event_type}
    event["properties"]["data"] = {"$ref": _REF.format(model=f"{name}Data")}
    return event, data


def _without(schema: dict[str, Any], fields: tuple[str, ...], name: str) -> dict[str, Any]:
    kept = copy.deepcopy(schema)
    kept["title"] = name
    kept["description"] = f"{schema.get('description', '')} In an event: without {', '.join(fields)}.".strip()
    kept["properties"] = {key: value for key, value in kept["properties"].items() if key not in fields}
    kept["required"] = [key for key in kept.get("required", []) if key not in fields]
    return kept


def _delivery(event_type: str, name: str) -> dict[str, Any]:
    return {
        "summary": event_type,
        "operationId": "webhook_" + event_type.replace(".", "_"),
        "tags": ["Webhooks"],
        "description": f"Sent to each enabled endpoint subscribed to `{event_type}` (or `*`); signed, "
        "retried until a 2xx (docs/webhooks.md).",
        "security": [],
        "parameters": [
            {"name": header, "in": "header", "required": True, "description": about, "schema": {"type": "string"}}
            for header, about in _HEADERS
        ],
        "requestBody": {"required": True, "content": {_JSON: {"schema": {"$ref": _REF.format(model=name)}}}},
        "responses": {
            "2XX": {"description": "Received, within 10 seconds: not sent again"},
            "410": {"description": "Gone: the endpoint is disabled, and not retried"},
            "default": {"description": "Any other answer, or none in time: retried later"},
        },
    }
