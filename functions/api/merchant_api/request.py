"""What a route needs of the request beyond its parameters: who, where from, which scope."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from billing.scope import RequestInfo, Scope
from merchant_api.auth import caller
from merchant_api.idempotency import key_of


def scope(router: BaseRouter) -> Scope:
    return caller(router).scope


def info(router: BaseRouter) -> RequestInfo:
    return RequestInfo(
        source="api",
        request_id=str(router.current_event.raw_event.get("requestContext", {}).get("requestId", "")) or None,
        idempotency_key=key_of(router),
    )
