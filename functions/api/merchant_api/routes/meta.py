"""Health and the OpenAPI document (both public)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
_openapi: dict[str, Any] = {}


def configure(resolver: APIGatewayHttpResolver, options: dict[str, Any]) -> None:
    _openapi["resolver"] = resolver
    _openapi["options"] = options


@router.get("/health", include_in_schema=False)
def health() -> Any:
    return json_response({"status": "ok", "function": "api"})


@router.get("/v1/openapi.json", include_in_schema=False)
def openapi() -> Any:
    if "document" not in _openapi:
        resolver: APIGatewayHttpResolver = _openapi["resolver"]
        _openapi["document"] = json.loads(resolver.get_openapi_json_schema(**_openapi["options"]))
    return json_response(_openapi["document"])
