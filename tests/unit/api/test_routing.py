"""Route modules included on demand: the right ones for a path, in the eager order, once each."""

from __future__ import annotations

import pytest

from tests.support.functions import cold_start_json, import_api_module

routing = import_api_module("merchant_api.routing")


@pytest.mark.parametrize(
    ("path", "modules"),
    [
        ("/v1/account", ["account"]),
        ("/v1/account/dunning", ["account", "dunning"]),
        ("/v1/customers", ["customers"]),
        ("/v1/customers/cust_1/payment_methods/pm_1/default", ["customers", "payment_methods"]),
        ("/v1/customers/cust_1/tax_ids", ["customers"]),
        ("/v1/audit_log", ["events"]),
        ("/v1/billing/portal_sessions/bps_1/revoke", ["portal_sessions"]),
        ("/prod/v1/invoices/inv_1/pdf", ["invoices"]),  # a stage in the raw path
        ("/v1/customers/", ["customers"]),
        ("/v1/accounts", []),
        ("/v1/nothing", []),
        ("/health", []),
        ("", []),
    ],
)
def test_a_path_needs_the_modules_whose_prefixes_it_is_under(path: str, modules: list[str]) -> None:
    assert routing.modules_for(path) == modules


def test_a_rule_outside_its_modules_prefixes_is_named() -> None:
    rules = ["/v1/customers/<customer_id>/payment_methods", "/v1/customers", "/v1/customers/<customer_id>/x"]
    assert routing.outside_prefixes("payment_methods", rules) == ["/v1/customers", "/v1/customers/<customer_id>/x"]
    assert routing.outside_prefixes("catalog", ["/v1/prices/<price_id>", "/v1/tax_rates", "/v1/taxes"]) == ["/v1/taxes"]


def _cold_start(script: str) -> dict[str, object]:
    """`script` run in a fresh interpreter with the API function's code as Lambda has it; it
    prints its findings as JSON (`routes()`: what the resolver matches, in order)."""
    prelude = (
        "import json, sys, threading\n"
        "from merchant_api.app import resolver\n"
        "from merchant_api import routing\n"
        "def routes():\n"
        "    found = resolver._static_routes + resolver._dynamic_routes\n"
        "    return [(r.method, r.path, r.func.__module__.rpartition('.')[2]) for r in found]\n"
    )
    found: dict[str, object] = cold_start_json("api", prelude + script)
    return found


def test_a_cold_start_imports_only_the_route_modules_its_path_needs() -> None:
    found = _cold_start(
        "before = sorted(m for m in sys.modules if m.startswith('merchant_api.routes.'))\n"
        "resolver.include_routes(routing.modules_for('/v1/account'))\n"
        "after = sorted(m for m in sys.modules if m.startswith('merchant_api.routes.'))\n"
        "print(json.dumps({'before': before, 'after': after, 'routes': routes()}))\n"
    )
    assert found["before"] == ["merchant_api.routes.meta"]
    assert found["after"] == ["merchant_api.routes.account", "merchant_api.routes.meta"]
    assert found["routes"] == [
        ["GET", "/health", "meta"],
        ["GET", "/v1/openapi.json", "meta"],
        ["GET", "/v1/account", "account"],
        ["POST", "/v1/account", "account"],
    ]


def test_routes_included_in_any_order_are_matched_in_the_eager_order_each_once() -> None:
    # Given one cold start including every module at once (as the OpenAPI document does), one
    # including them one by one in reverse, and one where eight threads include them all at once
    found = _cold_start(
        "resolver.include_routes(routing.PREFIXES)\neager = routes()\nprint(json.dumps({'eager': eager}))\n"
    )
    reverse = _cold_start(
        "for name in reversed(routing.PREFIXES):\n"
        "    resolver.include_routes([name])\n"
        "print(json.dumps({'routes': routes()}))\n"
    )
    threaded = _cold_start(
        "start = threading.Barrier(8)\n"
        "def include():\n"
        "    start.wait()\n"
        "    resolver.include_routes(routing.PREFIXES)\n"
        "threads = [threading.Thread(target=include) for _ in range(8)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print(json.dumps({'routes': routes()}))\n"
    )
    eager = found["eager"]
    assert isinstance(eager, list) and len(eager) > 60
    # Then every route is there once, in the same order
    assert len({tuple(route) for route in eager}) == len(eager)
    assert reverse["routes"] == eager
    assert threaded["routes"] == eager
    # And a request for each route's path includes the module that holds it
    for _, path, module in eager:
        concrete = path.replace("<", "x").replace(">", "")
        assert module == "meta" or module in routing.modules_for(concrete), (path, module)
