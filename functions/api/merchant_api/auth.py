"""Secret-key authentication for every route but the public ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from billing.accounts import Caller
from billing.accounts import authenticate as authenticate_header

PUBLIC_PATHS = frozenset({"/health", "/v1/openapi.json"})


def authenticate(app: BaseRouter) -> Caller:
    return authenticate_header(app.current_event.headers.get("authorization"))


def authenticate_request(app: BaseRouter, next_middleware: Callable[..., Response[Any]]) -> Response[Any]:
    if app.current_event.path not in PUBLIC_PATHS:
        app.append_context(caller=authenticate(app))
    return next_middleware(app)


def caller(router: BaseRouter) -> Caller:
    found = router.context.get("caller")
    if not isinstance(found, Caller):
        raise RuntimeError("route reached without authentication")
    return found
