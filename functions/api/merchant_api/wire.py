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

from billing.kernel.errors import BillingError, InvalidRequest


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
