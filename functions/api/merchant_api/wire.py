"""What goes on the wire: JSON responses and the error envelope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from billing.errors import BillingError, InvalidRequest


def json_response(body: Any, status: int = 200) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def error_response(error: BillingError) -> Response[Any]:
    headers = {"Retry-After": "1"} if error.status in (429, 503) else None
    return Response(
        status_code=error.status,
        content_type=content_types.APPLICATION_JSON,
        body=error.envelope(),
        headers=headers,
    )


def _param(location: Sequence[Any]) -> str | None:
    """`("body", "address", "country")` → `address.country`; `("query", "limit")` → `limit`."""
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header", "[key]")]
    return ".".join(parts) or None


def validation_error(errors: Sequence[dict[str, Any]]) -> InvalidRequest:
    """The first pydantic error as a 400 naming its field."""
    if not errors:
        return InvalidRequest("The request is invalid.")
    first = errors[0]
    kind = str(first.get("type", ""))
    param = _param(first.get("loc", ()))
    if kind == "json_invalid":
        return InvalidRequest("The request body is not valid JSON.", code="body_invalid")
    if kind == "missing":
        if param is None:
            return InvalidRequest("A JSON request body is required.", code="body_missing")
        return InvalidRequest(f"Missing required parameter: {param}.", param=param, code="parameter_missing")
    if kind == "extra_forbidden":
        return InvalidRequest(f"Received unknown parameter: {param}.", param=param, code="parameter_unknown")
    message = str(first.get("msg", "Invalid value."))
    message = message.removeprefix("Value error, ")
    if param:
        message = f"Invalid {param}: {message}"
    return InvalidRequest(message, param=param, code="parameter_invalid")
