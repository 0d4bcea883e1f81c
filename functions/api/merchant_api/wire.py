"""What goes on the wire: JSON responses and the error envelope."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from billing.kernel.errors import BillingError, InvalidRequest, NotFound


class UnsupportedMediaType(InvalidRequest):
    """A body in anything but JSON (415)."""

    status = 415
    code = "unsupported_media_type"


class MethodNotAllowed(InvalidRequest):
    """A method the URL's route does not have (405, with the ones it has in `Allow`)."""

    status = 405
    code = "method_not_allowed"

    def __init__(self, method: str, allowed: Sequence[str]) -> None:
        shown = method if len(method) <= 20 else f"{method[:20]}…"
        super().__init__(f"This URL does not take {shown}; it takes {', '.join(allowed)}.")
        self.allowed = tuple(allowed)


def json_body(text: str) -> Any:
    """The request body's JSON; one nested too deeply to parse is as invalid as broken JSON
    (the parser's RecursionError would otherwise be a 500)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text[:100], 0) from None


_NOT_AN_OBJECT = "Input should be a valid dictionary or object to extract fields from"


class JsonOnlyRequestValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, reading a body only as JSON: it would also parse
    form-encoded and multipart bodies (a multipart one without its boundary was a 500), which
    this API never documented. Any other declared media type is a 415. A JSON array is refused as
    any body but an object is."""

    def _get_body(self, app: Any) -> Any:
        content_type = str(app.current_event.headers.get("content-type") or "").strip().lower()
        if not content_type or content_type.startswith(content_types.APPLICATION_JSON):
            try:
                body = self._parse_json_data(app)
            except UnicodeDecodeError:  # bytes that are not UTF-8 (API Gateway sent them base64-encoded)
                raise RequestValidationError(
                    [{"type": "json_invalid", "loc": ("body", 0), "msg": "not UTF-8", "input": {}}]
                ) from None
            if isinstance(body, list):
                # No route takes an array; Powertools would read `[{…}]` as its first element.
                raise RequestValidationError(
                    [{"type": "model_type", "loc": ("body",), "msg": _NOT_AN_OBJECT, "input": []}]
                )
            return body
        raise RequestUnsupportedContentType(
            "Unsupported content type",
            errors=[{"type": "unsupported_content_type", "loc": ("body",), "msg": content_type, "input": {}}],
        )


def json_response(body: Any, status: int = 200) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def error_response(error: BillingError) -> Response[Any]:
    headers = {"Retry-After": "1"} if error.status in (429, 503) else None
    if isinstance(error, MethodNotAllowed):
        headers = {"Allow": ", ".join(error.allowed)}
    return Response(
        status_code=error.status,
        content_type=content_types.APPLICATION_JSON,
        body=error.envelope(),
        headers=headers,
    )


# What each path parameter names, by its name: one rule for every route, a path parameter is
# named for the object it names, as that object is named wherever the API refers to it
# (`/v1/customers/{customer}`, `…/payment_methods/{paymentMethod}`; a body's `customer`). An ID
# that is malformed answers as one that names nothing: 404 `resource_missing` naming the
# parameter, in the words of the service's own 404 (so its shape is no oracle, and never a regex).
PATH_OBJECTS: dict[str, str] = {
    "customer": "customer",
    "taxId": "tax ID",
    "paymentMethod": "payment method",
    "product": "product",
    "price": "price",
    "coupon": "coupon",
    "subscription": "subscription",
    "invoice": "invoice",
    "testClock": "test clock",
    "event": "event",
    "session": "portal session",
    "configuration": "portal configuration",
    "endpoint": "webhook endpoint",
}
# Path parameters whose missing object the service answers in words of its own.
PATH_MISSING_MESSAGES: dict[str, str] = {
    "account": "No payment gateway is connected for this account and mode.",
}
SHOWN_ID_LENGTH = 100


def missing_path_object(name: str, value: Any) -> NotFound:
    """The 404 for path parameter `name` holding `value`, which names nothing (or is malformed)."""
    if name in PATH_MISSING_MESSAGES:
        return NotFound(PATH_MISSING_MESSAGES[name], param=name)
    text = str(value)
    shown = text if len(text) <= SHOWN_ID_LENGTH else f"{text[:SHOWN_ID_LENGTH]}…"
    return NotFound(f"No such {PATH_OBJECTS.get(name, name)}: '{shown}'.", param=name)


def _param(location: Sequence[Any]) -> str | None:
    """`("body", "address", "country")` → `address.country`; `("query", "limit")` → `limit`."""
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header", "[key]")]
    return ".".join(parts) or None


def validation_error(errors: Sequence[dict[str, Any]]) -> BillingError:
    """The first pydantic error as a 400 naming its field."""
    if not errors:
        return InvalidRequest("The request is invalid.")
    first = errors[0]
    kind = str(first.get("type", ""))
    location = tuple(first.get("loc", ()))
    param = _param(location)
    if location[:1] == ("path",) and param:
        return missing_path_object(param, first.get("input", ""))
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
    if kind == "string_pattern_mismatch":  # a regex is no message for a person (the schema states it)
        message = "not in the form this parameter takes (see its pattern in the OpenAPI document)."
    if param:
        message = f"Invalid {param}: {message}"
    return InvalidRequest(message, param=param, code="parameter_invalid")
