"""Health and the OpenAPI document (both public)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
_openapi: dict[str, Any] = {}
_building = threading.Lock()  # the local stack's gateway serves requests on threads
_JSON = "application/json"
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_POWERTOOLS_SCHEMAS = ("HTTPValidationError", "ResponseValidationError", "ValidationError")
_ERROR_RESPONSES = {
    "4XX": {
        "description": "The request was refused: 400 invalid, 401 no valid key, 402 a payment declined "
        "(`card_error`), 403 forbidden, 404 no such object or URL, 405 a method the URL does not take "
        "(with `Allow`), 409 conflict, 415 a body not in JSON, 429 too many requests",
        "content": {_JSON: {"schema": _ERROR_REF}},
    },
    "500": {"description": "An internal error (`api_error`)", "content": {_JSON: {"schema": _ERROR_REF}}},
    "503": {
        "description": "Busy: retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"schema": {"type": "string"}}},
        "content": {_JSON: {"schema": _ERROR_REF}},
    },
}


def configure(resolver: APIGatewayHttpResolver, options: Callable[[], dict[str, Any]]) -> None:
    """`options()`: `get_openapi_json_schema`'s keywords, asked for with the document's first request."""
    _openapi["resolver"] = resolver
    _openapi["options"] = options


@router.get("/health", include_in_schema=False)
def health() -> Any:
    return json_response({"status": "ok", "function": "api"})


@router.get("/v1/openapi.json", include_in_schema=False)
def openapi() -> Any:
    return json_response(document())


def document() -> dict[str, Any]:
    """The OpenAPI document, built once, on its first request."""
    with _building:
        if "document" not in _openapi:
            resolver: APIGatewayHttpResolver = _openapi["resolver"]
            from merchant_api.document.operation_ids import with_operation_ids
            from merchant_api.document.webhooks import with_webhooks

            built = json.loads(resolver.get_openapi_json_schema(**_openapi["options"]()))
            typed = with_error_responses(with_response_models(built))
            _openapi["document"] = without_unused_validation_schemas(with_webhooks(with_operation_ids(typed)))
    return _openapi["document"]


def with_response_models(document: dict[str, Any]) -> dict[str, Any]:
    """The models the routes answer (`responses=ok("Model")` refers to them), next to the request
    models Powertools states: built here, on the document's first request, never per request."""
    from merchant_api import responses
    from merchant_api.document import webhooks

    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in responses.schemas(also=webhooks.models()).items():
        if name in schemas and schemas[name] != schema:
            raise RuntimeError(f"two schemas named {name}: name the response model apart from the request model")
        schemas[name] = schema
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            for answer in operation.get("responses", {}).values():
                ref = answer.get("content", {}).get(_JSON, {}).get("schema", {}).get("$ref", "")
                model = ref.removeprefix("#/components/schemas/")
                if ref and answer.get("description") == model:  # `ok(model)`'s placeholder
                    answer["description"] = responses.description(model)
    return document


def with_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """The errors as this API answers them. Powertools documents a 422 with its own validation
    body on every operation; this API answers a 400 with the error envelope instead (and 401,
    404, 409, … in the same envelope), so each operation documents those."""
    from merchant_api.document import errors

    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = errors.schema()
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses.update(_ERROR_RESPONSES)
    return document


def without_unused_validation_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """Without Powertools' validation schemas, which no answer of this API has: left, nothing
    referred to them but each other (`ResponseValidationError` to `ValidationError`, …)."""
    schemas = document["components"]["schemas"]
    removed = True
    while removed:
        removed = False
        for name in [name for name in _POWERTOOLS_SCHEMAS if name in schemas]:
            rest = [value for key, value in document.items() if key != "components"]
            rest += [schema for other, schema in schemas.items() if other != name]
            if f'"#/components/schemas/{name}"' not in json.dumps(rest):
                del schemas[name]
                removed = True
    return document
