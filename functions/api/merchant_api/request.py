"""What a route needs of the request beyond its parameters: who, where from, which scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from billing.errors import InvalidRequest
from billing.scope import RequestInfo, Scope
from merchant_api.auth import PUBLIC_PATHS, caller
from merchant_api.idempotency import key_of


def scope(router: BaseRouter) -> Scope:
    return caller(router).scope


def info(router: BaseRouter) -> RequestInfo:
    return RequestInfo(
        source="api",
        request_id=str(router.current_event.raw_event.get("requestContext", {}).get("requestId", "")) or None,
        idempotency_key=key_of(router),
    )


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
