"""The resolver: routes, authentication, and one mapping from errors to the wire envelope."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from billing.kernel.errors import BillingError, Conflict, InvalidRequest, NotFound, ServiceUnavailable
from merchant_api import auth, idempotency, request
from merchant_api.routes import (
    account,
    branding,
    catalog,
    customers,
    dunning,
    emails,
    events,
    gateway_webhooks,
    invoices,
    meta,
    payment_gateway,
    payment_methods,
    portal_configurations,
    portal_sessions,
    subscriptions,
    testclocks,
    webhook_endpoints,
)
from merchant_api.wire import (
    JsonOnlyRequestValidation,
    UnsupportedMediaType,
    error_response,
    json_body,
    validation_error,
)

logger = Logger()
resolver = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=json_body)
resolver._request_validation_middleware = JsonOnlyRequestValidation()  # JSON bodies only (415 otherwise)
resolver.use(
    middlewares=[
        request.answer_unmatched_requests,  # before the key's lookup: public, as the OpenAPI document is
        auth.authenticate_request,
        request.refuse_unknown_query_parameters,
        idempotency.idempotent_requests,
    ]
)
for router in (
    meta.router,
    account.router,
    dunning.router,
    emails.router,
    customers.router,
    payment_methods.router,
    payment_gateway.router,
    catalog.router,
    subscriptions.router,
    invoices.router,
    testclocks.router,
    events.router,
    portal_sessions.router,
    portal_configurations.router,
    branding.router,
    webhook_endpoints.router,
    gateway_webhooks.router,
):
    resolver.include_router(router)

OPENAPI = {
    "title": "VINR merchant API",
    "version": "2026-11-24",
    "description": "Customers, subscriptions, invoices and the hosted customer portal.",
    "security_schemes": {"secretKey": HTTPBearer(description="A secret key: sk_test_… or sk_live_…")},
    "security": [{"secretKey": []}],
}
meta.configure(resolver, OPENAPI)


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


@resolver.exception_handler(IdempotencyValidationError)
def _idempotency_key_reused(_: IdempotencyValidationError) -> Response[Any]:
    return error_response(
        InvalidRequest(
            "This Idempotency-Key was used with a different request; use a new key for a new request.",
            param="Idempotency-Key",
            code="idempotency_key_reused",
        )
    )


@resolver.exception_handler(IdempotencyAlreadyInProgressError)
def _idempotency_in_progress(_: IdempotencyAlreadyInProgressError) -> Response[Any]:
    return error_response(
        Conflict(
            "A request with this Idempotency-Key is still in progress; retry shortly.", code="idempotency_in_progress"
        )
    )


@resolver.exception_handler(IdempotencyPersistenceLayerError)
def _idempotency_store_unavailable(_: IdempotencyPersistenceLayerError) -> Response[Any]:
    return error_response(
        ServiceUnavailable("The data store did not answer in time; retry the request with the same Idempotency-Key.")
    )


@resolver.not_found
def _not_found(_: NotFoundError) -> Response[Any]:
    return error_response(NotFound("Unrecognized request URL.", code="route_not_found"))


@resolver.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[Any]:
    logger.exception("unhandled error", extra={"error_type": type(error).__name__})
    return Response(
        status_code=500,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"type": "api_error", "code": "internal_error", "message": "An internal error occurred."}},
    )


__all__ = ["InvalidRequest", "logger", "resolver"]
