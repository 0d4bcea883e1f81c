"""The resolver: routes, authentication, and one mapping from errors to the wire envelope."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from billing.kernel import correlation
from billing.kernel.errors import BillingError, InvalidRequest, NotFound
from merchant_api import auth, request
from merchant_api.routes import meta
from merchant_api.routing import LazyRoutesResolver
from merchant_api.wire import (
    JsonOnlyRequestValidation,
    UnsupportedMediaType,
    error_response,
    json_body,
    validation_error,
)

logger = Logger(service="api")
correlation.install(logger)


class InternalError(BillingError):
    """What an unexpected exception answers (its details only in the log)."""

    status = 500
    type = "api_error"
    code = "internal_error"


# The route modules (`routing.PREFIXES`) are included when a request first needs them.
resolver = LazyRoutesResolver(enable_validation=True, json_body_deserializer=json_body)
resolver._request_validation_middleware = JsonOnlyRequestValidation()  # JSON bodies only (415 otherwise)
resolver.use(
    middlewares=[
        request.answer_unmatched_requests,  # before the key's lookup: public, as the OpenAPI document is
        auth.authenticate_request,
        request.refuse_unknown_query_parameters,
        request.idempotent_requests,  # Powertools' idempotency: imported by a keyed request only
    ]
)
resolver.include_router(meta.router)


def openapi_options() -> dict[str, Any]:
    """The document's info and security scheme. Called for `/v1/openapi.json` only: Powertools'
    OpenAPI models (~50 ms of pydantic) stay out of every other request's cold start."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return {
        "title": "VINR merchant API",
        "version": "2026-11-24",
        "description": "Customers, subscriptions, invoices and the hosted customer portal.",
        "security_schemes": {"secretKey": HTTPBearer(description="A secret key: sk_test_… or sk_live_…")},
        "security": [{"secretKey": []}],
    }


meta.configure(resolver, openapi_options)


@resolver.exception_handler(BillingError)
def _billing_error(error: BillingError) -> Response[Any]:
    return error_response(error)


@resolver.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[Any]:
    # The validation middleware runs before ours: a request without a valid key must still
    # get its 401 rather than a 400 about the body.
    try:
        auth.check_key(resolver)
    except BillingError as auth_error:
        return error_response(auth_error)
    return error_response(validation_error(error.errors()))


@resolver.exception_handler(RequestUnsupportedContentType)
def _unsupported_content_type(_: RequestUnsupportedContentType) -> Response[Any]:
    try:
        auth.check_key(resolver)
    except BillingError as auth_error:
        return error_response(auth_error)
    return error_response(UnsupportedMediaType("Send the request body as JSON, with 'Content-Type: application/json'."))


@resolver.not_found
def _not_found(_: NotFoundError) -> Response[Any]:
    return error_response(NotFound("Unrecognized request URL.", code="route_not_found"))


@resolver.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[Any]:
    logger.exception("unhandled error", extra={"error_type": type(error).__name__})
    return error_response(InternalError("An internal error occurred."))


__all__ = ["InvalidRequest", "logger", "resolver"]
