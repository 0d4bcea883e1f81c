"""Request limits one client or one account cannot exhaust for the others (issue 17, item 9): the
merchant API's per-key limit in the function, and the throttles template.yaml gives API Gateway."""

from __future__ import annotations

import time
from typing import Any

import pytest

from local.template import Template
from tests.conftest import Stack
from tests.support.apiclient import ApiClient

RATE = 2  # a second; the burst is twice this


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEY_RATE_LIMIT", str(RATE))


def test_a_key_past_its_limit_gets_429_rate_limited_while_other_keys_are_served(stack: Stack, limited: None) -> None:
    # Given two merchants, each with a key
    greedy = ApiClient(stack.template, key=stack.new_account("Greedy")[1])
    other = ApiClient(stack.template, key=stack.new_account("Other")[1])
    # When one sends more than its burst at once
    answers = [greedy.get("/v1/customers") for _ in range(2 * RATE + 3)]
    # Then the burst is served and the rest answered 429 rate_limited with Retry-After, before any work
    statuses = [a.status for a in answers]
    assert statuses[: 2 * RATE] == [200] * (2 * RATE)
    refused = answers[-1]
    assert refused.status == 429, statuses
    error: dict[str, Any] = refused.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limited")
    assert refused.header("Retry-After") == "1"
    # And the other merchant's key is served meanwhile
    assert other.get("/v1/customers").status == 200
    # And the greedy key is served again once Retry-After has passed
    time.sleep(1.1)
    assert greedy.get("/v1/customers").status == 200


def test_without_the_setting_there_is_no_per_key_limit(merchant: ApiClient) -> None:
    # The local stack and the other tests run without it; template.yaml always sets it (below)
    assert all(merchant.get("/v1/customers").status == 200 for _ in range(60))


def _resource(template: Template, logical_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = template.resources[logical_id]
    return resource


def test_the_template_limits_each_key_and_throttles_the_costly_routes_apart(template: Template) -> None:
    # Given the deployed API's function and both HTTP APIs
    api = _resource(template, "ApiFunction")["Properties"]
    assert float(api["Environment"]["Variables"]["API_KEY_RATE_LIMIT"]) > 0
    merchant = _resource(template, "MerchantHttpApi")["Properties"]
    portal = _resource(template, "PortalHttpApi")["Properties"]
    # Then each stage has a default throttle, from parameters an operator can raise
    assert merchant["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "MerchantApiRateLimit"}
    assert portal["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "PortalRateLimit"}
    # And the costly routes have limits of their own, below the default, on routes that exist
    routes = {
        (event["Properties"]["ApiId"]["Ref"], f"{event['Properties']['Method']} {event['Properties']['Path']}")
        for resource in template.resources.values()
        if resource.get("Type") == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
        if event.get("Type") == "HttpApi"
    }
    for api_id, settings, must in (
        ("MerchantHttpApi", merchant, {"GET /v1/invoices/{id}/pdf", "POST /v1/test_clocks/{id}/advance"}),
        ("PortalHttpApi", portal, {"POST /login/{configuration}", "GET /session/{session}", "GET /i/{token}/pdf"}),
    ):
        assert must <= set(settings["RouteSettings"])
        default_rate = int(
            template.raw["Parameters"][settings["DefaultRouteSettings"]["ThrottlingRateLimit"]["Ref"]]["Default"]
        )
        for route_key, limits in settings["RouteSettings"].items():
            assert (api_id, route_key) in routes, f"{route_key} throttled but not a route of {api_id}"
            assert 0 < limits["ThrottlingRateLimit"] < default_rate
            assert limits["ThrottlingBurstLimit"] >= limits["ThrottlingRateLimit"]
