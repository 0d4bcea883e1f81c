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
# The one shape of every error this API answers (`BillingError.envelope()`, `wire.error_response`).
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "code", "message"],
            "additionalProperties": False,
            "properties": {
                "type": {
                    "type": "string",
                    "enum": [
                        "invalid_request_error",
                        "authentication_error",
                        "permission_error",
                        "rate_limit_error",
                        "api_error",
                    ],
                },
                "code": {"type": "string", "examples": ["parameter_invalid"]},
                "message": {"type": "string"},
                "param": {"type": "string", "description": "the parameter at fault, as `address.country`"},
            },
        }
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ERROR_RESPONSES = {
    "4XX": {
        "description": "The request was refused: 400 invalid, 401 no valid key, 403 forbidden, 404 no such object "
        "or URL, 405 a method the URL does not take (with `Allow`), 409 conflict, 415 a body not in JSON, "
        "429 too many requests",
        "content": {_JSON: {"schema": _ERROR_REF}},
    },
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
            built = json.loads(resolver.get_openapi_json_schema(**_openapi["options"]()))
            _openapi["document"] = with_error_responses(with_response_models(built))
    return _openapi["document"]


def with_response_models(document: dict[str, Any]) -> dict[str, Any]:
    """The models the routes answer (`responses=ok("Model")` refers to them), next to the request
    models Powertools states: built here, on the document's first request, never per request."""
    from merchant_api import responses

    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in responses.schemas().items():
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
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses.update(_ERROR_RESPONSES)
    text = json.dumps(document.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}" not in text:
            schemas.pop(unused, None)
    return document
