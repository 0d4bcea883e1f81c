"""The resolver, with each route module included when a request first needs it.

A cold start imports the module of the route it serves, and the billing services that module
calls, never all seventeen (they cost about as much as the rest of the function's import). A
module is included when the request's path is under one of its prefixes (`PREFIXES`), so every
route that could take the path is there when Powertools matches it and when a 405 names the
methods the URL takes; the OpenAPI document includes them all. The routes stay in the order an
eager inclusion gave them, whatever order requests came in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Route
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Each route module and the paths its routes are under ("*": any one segment), in the order
# their routes are matched. Including a module with a route outside its prefixes fails.
PREFIXES: dict[str, tuple[str, ...]] = {
    "account": ("/v1/account",),
    "dunning": ("/v1/account/dunning",),
    "emails": ("/v1/account/emails",),
    "customers": ("/v1/customers",),
    "payment_methods": ("/v1/customers/*/payment_methods",),
    "payment_gateway": ("/v1/payment_gateway",),
    "catalog": ("/v1/coupons", "/v1/prices", "/v1/products", "/v1/tax_rates"),
    "subscriptions": ("/v1/subscriptions",),
    "invoices": ("/v1/invoices",),
    "testclocks": ("/v1/test_clocks",),
    "events": ("/v1/events", "/v1/audit_log"),
    "portal_sessions": ("/v1/billing/portal_sessions",),
    "portal_configurations": ("/v1/billing/portal_configurations",),
    "branding": ("/v1/branding",),
    "webhook_endpoints": ("/v1/webhook_endpoints",),
    "gateway_webhooks": ("/v1/gateway_webhooks",),
}
_ORDER = {f"merchant_api.routes.{name}": index for index, name in enumerate(PREFIXES)}


def _segments(path: str) -> list[str]:
    return path.split("/")[1:]


def _starts_with(segments: Sequence[str], prefix: Sequence[str]) -> bool:
    return len(segments) >= len(prefix) and all(p in ("*", s) for p, s in zip(prefix, segments, strict=False))


def modules_for(path: str) -> list[str]:
    """The route modules whose routes may take `path`. Matched at any depth, so that a stage in
    the raw path (`/prod/v1/…`) changes nothing; a module too many is harmless, one too few is not."""
    segments = _segments(path)
    return [
        name
        for name, prefixes in PREFIXES.items()
        if any(
            _starts_with(segments[start:], _segments(prefix)) for prefix in prefixes for start in range(len(segments))
        )
    ]


def outside_prefixes(name: str, rules: Iterable[str]) -> list[str]:
    """The rules (`/v1/customers/<customer_id>`) of module `name` under none of its prefixes."""
    return [
        rule for rule in rules if not any(_starts_with(_segments(rule), _segments(prefix)) for prefix in PREFIXES[name])
    ]


def _router(name: str) -> APIGatewayHttpRouter:
    # One import a module, spelled out: the bundle checks (tests/support/imports.py) follow them.
    match name:
        case "account":
            from merchant_api.routes import account

            return account.router
        case "dunning":
            from merchant_api.routes import dunning

            return dunning.router
        case "emails":
            from merchant_api.routes import emails

            return emails.router
        case "customers":
            from merchant_api.routes import customers

            return customers.router
        case "payment_methods":
            from merchant_api.routes import payment_methods

            return payment_methods.router
        case "payment_gateway":
            from merchant_api.routes import payment_gateway

            return payment_gateway.router
        case "catalog":
            from merchant_api.routes import catalog

            return catalog.router
        case "subscriptions":
            from merchant_api.routes import subscriptions

            return subscriptions.router
        case "invoices":
            from merchant_api.routes import invoices

            return invoices.router
        case "testclocks":
            from merchant_api.routes import testclocks

            return testclocks.router
        case "events":
            from merchant_api.routes import events

            return events.router
        case "portal_sessions":
            from merchant_api.routes import portal_sessions

            return portal_sessions.router
        case "portal_configurations":
            from merchant_api.routes import portal_configurations

            return portal_configurations.router
        case "branding":
            from merchant_api.routes import branding

            return branding.router
        case "webhook_endpoints":
            from merchant_api.routes import webhook_endpoints

            return webhook_endpoints.router
        case "gateway_webhooks":
            from merchant_api.routes import gateway_webhooks

            return gateway_webhooks.router
    raise KeyError(name)


class LazyRoutesResolver(APIGatewayHttpResolver):
    """`APIGatewayHttpResolver` including the route modules of `PREFIXES` on demand. The routers
    included with `include_router` at start (health, the document) are matched first."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._included: set[str] = set()
        # The local stack's gateway and the race tests call one handler from several threads.
        self._including = threading.Lock()

    def include_routes(self, names: Iterable[str]) -> None:
        """Includes the route modules `names` not included yet, each once."""
        missing = [name for name in names if name not in self._included]
        if not missing:
            return
        with self._including:
            for name in missing:
                if name not in self._included:
                    self._include(name)

    def _include(self, name: str) -> None:
        router = _router(name)
        module = f"merchant_api.routes.{name}"
        before = {id(route) for route in self._static_routes + self._dynamic_routes}
        self.include_router(router)
        added = [route for route in self._static_routes + self._dynamic_routes if id(route) not in before]
        stray = outside_prefixes(name, [route.path for route in added])
        if stray:
            raise RuntimeError(f"{module} has routes outside its PREFIXES {PREFIXES[name]}: {stray}")
        # As eager inclusion in PREFIXES' order would have them (new lists: a request being
        # matched on another thread keeps iterating the one it has).
        self._static_routes = sorted(self._static_routes, key=_rank)
        self._dynamic_routes = sorted(self._dynamic_routes, key=_rank)
        self._included.add(name)

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        self.include_routes(modules_for(str(event.get("rawPath") or "")))
        return super().resolve(event, context)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        self.include_routes(PREFIXES)
        return super().get_openapi_schema(*args, **kwargs)


def _rank(route: Route) -> int:
    return _ORDER.get(getattr(route.func, "__module__", ""), -1)
