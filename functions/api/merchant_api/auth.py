"""Secret-key authentication for every route but the public ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from billing.accounts.accounts import Caller
from billing.accounts.accounts import authenticate as authenticate_header
from billing.kernel import correlation
from billing.kernel.errors import PermissionDenied
from billing.store.repository import Table
from merchant_api import ratelimit

PUBLIC_PATHS = frozenset({"/health", "/v1/openapi.json"})
# The gateway's webhooks: its signature, checked against the account's connected secret, authenticates them.
PUBLIC_PREFIXES = ("/v1/gateway_webhooks/",)
# Routes only a merchant's server may call: a browser sends `Origin` on every cross-origin
# POST, so a request carrying one comes from a page that holds a secret key.
SERVER_ONLY = frozenset({("POST", "/v1/billing/portal_sessions")})


def authenticate(app: BaseRouter, table: Table) -> Caller:
    """The caller (401 without a valid secret key), refused on server-only routes from a browser (403)."""
    found = authenticate_header(app.current_event.headers.get("authorization"), table=table)
    event = app.current_event
    if (event.http_method, event.path) in SERVER_ONLY and event.headers.get("origin") is not None:
        raise PermissionDenied(
            "Portal sessions are created server-side with a secret key, never from a browser.",
            code="browser_request_refused",
        )
    return found


def check_key(app: BaseRouter) -> None:
    """The 401 (or 403) of a request without a valid key, for answers given before the middlewares
    run; none on the public routes (a gateway webhook's malformed account is its 404, not a 401)."""
    path = app.current_event.path
    if path not in PUBLIC_PATHS and not path.startswith(PUBLIC_PREFIXES):
        authenticate(app, Table())


def authenticate_request(app: BaseRouter, next_middleware: Callable[..., Response[Any]]) -> Response[Any]:
    path = app.current_event.path
    if path.startswith(PUBLIC_PREFIXES):
        app.append_context(table=Table())
    elif path not in PUBLIC_PATHS:
        # The request's table: the services it calls read and write through it (`request.table`).
        table = Table()
        found = authenticate(app, table)
        correlation.bind(account=found.account_id, mode=found.mode)  # on the request's log lines
        ratelimit.check(found.key_id)  # per key, before any route's work (a 429 `rate_limited`)
        app.append_context(table=table, caller=found)
    return next_middleware(app)


def caller(router: BaseRouter) -> Caller:
    found = router.context.get("caller")
    if not isinstance(found, Caller):
        raise RuntimeError("route reached without authentication")
    return found
