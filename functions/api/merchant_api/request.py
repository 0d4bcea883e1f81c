"""What a route needs of the request beyond its parameters: who, where from, which scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from billing.kernel.errors import InvalidRequest, NotFound
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Table
from merchant_api.auth import PUBLIC_PATHS, caller
from merchant_api.wire import MethodNotAllowed, error_response

IDEMPOTENCY_HEADER = "idempotency-key"
IDEMPOTENT_METHODS = ("POST", "DELETE")


def scope(router: BaseRouter) -> Scope:
    return caller(router).scope


def table(router: BaseRouter) -> Table:
    """The table the authentication middleware made for this request, handed to every service."""
    found = router.context.get("table")
    if not isinstance(found, Table):
        raise RuntimeError("route reached without authentication")
    return found


def info(router: BaseRouter) -> RequestInfo:
    return RequestInfo(
        source="api",
        request_id=str(router.current_event.raw_event.get("requestContext", {}).get("requestId", "")) or None,
        idempotency_key=idempotency_key(router),
        idempotency_mark=router.context.get("idempotency_mark"),
    )


def idempotency_key(router: BaseRouter) -> str | None:
    value = router.current_event.headers.get(IDEMPOTENCY_HEADER)
    return value.strip() if value and value.strip() else None


def idempotent_requests(app: BaseRouter, next_middleware: Callable[..., Response[Any]]) -> Response[Any]:
    """A POST or DELETE with an `Idempotency-Key` answers what the key's first request did
    (`merchant_api.idempotency`). Powertools' idempotency is imported with the first such request,
    out of every other request's cold start; Python runs a module once however many threads import it."""
    key = idempotency_key(app)
    if key is None or app.current_event.http_method not in IDEMPOTENT_METHODS:
        return next_middleware(app)
    from merchant_api import idempotency

    return idempotency.answer_once(app, key, next_middleware)


def refuse_unknown_query_parameters(app: BaseRouter, next_middleware: Callable[..., Response[Any]]) -> Response[Any]:
    """A query parameter the route does not have is a 400 naming it, as an unknown body field
    is: a typo (`?limt=5`) is never silently ignored."""
    route = app.context.get("_route")
    if route is not None and app.current_event.path not in PUBLIC_PATHS:
        declared = {param.alias for param in route.dependant.query_params}
        for name in app.current_event.query_string_parameters or {}:
            if name not in declared:
                shown = name if len(name) <= 100 else f"{name[:100]}…"
                raise InvalidRequest(f"Received unknown parameter: {shown}.", param=shown, code="parameter_unknown")
    return next_middleware(app)


def answer_unmatched_requests(app: BaseRouter, next_middleware: Callable[..., Response[Any]]) -> Response[Any]:
    """A request no route takes (API Gateway's `$default` route sends it here): a 404 for an
    unknown URL, a 405 naming the methods in `Allow` for a known URL with another method.
    Answered first: with or without a key (the routes are public, in the OpenAPI document),
    without a key lookup for stray traffic, and never kept by the idempotency middleware."""
    assert isinstance(app, APIGatewayHttpResolver)
    routes = app._static_routes + app._dynamic_routes  # as `resolve` matches them
    if any(route is app.context.get("_route") for route in routes):
        return next_middleware(app)
    path = app.current_event.path
    allowed = sorted({route.method for route in routes if route.rule.match(path)})
    if allowed:
        return error_response(MethodNotAllowed(app.current_event.http_method, allowed))
    return error_response(NotFound("Unrecognized request URL.", code="route_not_found"))
