"""POST/GET /v1/billing/portal_sessions and …/revoke, as a merchant calls them."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from billing.accounts import accounts
from billing.accounts.domains import RecordsResolver
from billing.kernel import clock
from billing.store.repository import Table
from billing.webhooks import egress
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.dns import verified_domain
from tests.support.livekeys import live_client

URL = re.compile(r"^http://127\.0\.0\.1:3001/session/(bps_[A-Za-z0-9]+)#([A-Za-z0-9]{32})$")


def new_customer(merchant: ApiClient, name: str = "Grace Hopper") -> str:
    return str(merchant.post("/v1/customers", {"name": name, "email": "grace@example.com"}).json()["id"])


def mint(merchant: ApiClient, customer: str, **fields: Any) -> Any:
    return merchant.post(
        "/v1/billing/portal_sessions", {"customer": customer, "returnUrl": "https://app.example.com/account", **fields}
    )


def subscribed_customer(merchant: ApiClient) -> tuple[str, str]:
    merchant.post("/v1/products", {"id": "prod_basic", "name": "Basic"})
    price = merchant.post(
        "/v1/prices",
        {"product": "prod_basic", "unitAmount": 900, "currency": "eur", "recurring": {"interval": "month"}},
    ).json()["id"]
    customer = new_customer(merchant)
    merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"})
    sub = merchant.post("/v1/subscriptions", {"customer": customer, "items": [{"price": price}]}).json()["id"]
    return customer, sub


def test_a_session_answers_its_object_with_a_secret_url_once(merchant: ApiClient) -> None:
    # Given a customer
    customer = new_customer(merchant)
    # When the merchant mints a session
    response = mint(merchant, customer, locale="de")
    # Then it answers the object, with the secret only in the URL's fragment
    assert response.status == 200, response.text
    body = response.json()
    found = URL.match(body["url"])
    assert found, body["url"]
    assert found.group(1) == body["id"]
    assert body["object"] == "billing_portal.session"
    assert (body["customer"], body["returnUrl"], body["locale"], body["livemode"]) == (
        customer,
        "https://app.example.com/account",
        "de",
        False,
    )
    assert body["configuration"].startswith("bpc_") and body["status"] == "open"
    # And it lives 30 minutes
    created, expires = clock.from_wire(body["createdAt"]), clock.from_wire(body["expiresAt"])
    assert expires - created == timedelta(minutes=30)
    # And retrieving it never shows the secret again
    again = merchant.get(f"/v1/billing/portal_sessions/{body['id']}").json()
    assert again["url"] is None and found.group(2) not in json.dumps(again)
    assert again["id"] == body["id"] and again["expiresAt"] == body["expiresAt"]
    # And its event is written, without the secret
    events = merchant.get("/v1/events", query={"type": "portal_session.created"}).json()["data"]
    assert [e["data"]["object"]["id"] for e in events] == [body["id"]]
    assert found.group(2) not in json.dumps(events)


def test_the_account_session_lifetime_is_used(merchant: ApiClient) -> None:
    # Given an account whose sessions last 5 minutes
    assert live_client(merchant).post("/v1/account", {"defaultSessionMinutes": 5}).status == 200
    # When a session is minted
    body = mint(merchant, new_customer(merchant)).json()
    # Then it expires 5 minutes after its creation
    assert clock.from_wire(body["expiresAt"]) - clock.from_wire(body["createdAt"]) == timedelta(minutes=5)


def test_a_custom_domain_is_used_in_the_url(merchant: ApiClient, dns: RecordsResolver) -> None:
    # Given a merchant whose portal is on its own domain, verified
    # (a live key's: test sessions stay on the platform's host)
    test, merchant = merchant, live_client(merchant)
    verified_domain(merchant, dns, "billing.example.com")
    assert urlsplit(mint(test, new_customer(test)).json()["url"]).netloc == "127.0.0.1:3001"
    # When a session is minted
    body = mint(merchant, new_customer(merchant)).json()
    # Then its URL is on that domain
    assert urlsplit(body["url"]).netloc == "billing.example.com"
    assert body["url"].startswith(f"https://billing.example.com/session/{body['id']}#")


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("http://app.example.com/account", "https"),
        ("javascript:alert(1)", "https"),
        ("ftp://app.example.com/", "https"),
        ("https://user:pass@app.example.com/", "user name"),
        ("https:///nohost", "host"),
        ("https://app.example.com/<script>", "markup"),
        ("https://app.example.com/" + "a" * 2100, "2048"),
    ],
)
def test_an_unsafe_return_url_is_refused(merchant: ApiClient, url: str, hint: str) -> None:
    # When a session names an unsafe return URL
    response = merchant.post("/v1/billing/portal_sessions", {"customer": new_customer(merchant), "returnUrl": url})
    # Then it is a 400 naming returnUrl
    assert response.status == 400, response.text
    assert response.json()["error"]["param"] == "returnUrl"
    assert hint in response.json()["error"]["message"]


def test_http_to_localhost_is_for_test_mode_only(stack: Stack) -> None:
    # Given an account with a test key and a live key
    account_id, test_key = stack.new_account()
    live_key = accounts.add_key(account_id, "live", table=Table()).secret
    test = ApiClient(stack.template, key=test_key)
    live = ApiClient(stack.template, key=live_key)
    body = {"returnUrl": "http://localhost:8000/account"}
    # Then test mode accepts a loopback http return URL
    assert mint(test, new_customer(test), **body).status == 200
    # And live mode refuses it
    refused = mint(live, new_customer(live), **body)
    assert refused.status == 400 and refused.json()["error"]["param"] == "returnUrl"
    assert refused.json()["error"]["message"].startswith("returnUrl must be an https URL")


def test_http_to_localhost_is_refused_in_test_mode_of_a_deployed_stack(
    merchant: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the stack as deployed: loopback URLs not enabled (only the local stack sets it; issue 17.8)
    monkeypatch.delenv(egress.LOOPBACK_SETTING)
    # When a test-mode session names an http return URL on this machine
    refused = mint(merchant, new_customer(merchant), returnUrl="http://127.0.0.1:8000/account")
    # Then it is a 400 naming returnUrl, as for webhooks
    assert refused.status == 400 and refused.json()["error"]["param"] == "returnUrl"
    assert "deployed" in refused.json()["error"]["message"]


def test_browsers_cannot_mint_sessions(merchant: ApiClient) -> None:
    # When the request carries an Origin header (a browser's cross-origin call)
    customer = new_customer(merchant)
    response = merchant.post(
        "/v1/billing/portal_sessions",
        {"customer": customer, "returnUrl": "https://app.example.com/"},
        headers={"origin": "https://app.example.com"},
    )
    # Then it is refused with a message saying why, and nothing is minted
    assert response.status == 403
    assert "server-side" in response.json()["error"]["message"]
    assert merchant.get("/v1/events", query={"type": "portal_session.created"}).json()["data"] == []
    # Even when its body is invalid
    invalid = merchant.post("/v1/billing/portal_sessions", {"nope": 1}, headers={"origin": "https://x.example"})
    assert invalid.status == 403


def test_publishable_and_revoked_keys_are_401(stack: Stack) -> None:
    account_id, key = stack.new_account()
    merchant = ApiClient(stack.template, key=key)
    customer = new_customer(merchant)
    body = {"customer": customer, "returnUrl": "https://app.example.com/"}
    # A publishable key is refused
    assert merchant.post("/v1/billing/portal_sessions", body, key="pk_test_" + "a" * 32).status == 401
    # And a revoked key is refused
    [listed] = accounts.list_keys(account_id, table=Table())
    accounts.revoke_key(account_id, listed["id"], table=Table())
    refused = merchant.post("/v1/billing/portal_sessions", body)
    assert refused.status == 401 and refused.json()["error"]["type"] == "authentication_error"


def test_another_accounts_objects_are_indistinguishable_from_missing_ones(stack: Stack) -> None:
    # Given two merchants
    _, key_a = stack.new_account()
    _, key_b = stack.new_account()
    a, b = ApiClient(stack.template, key=key_a), ApiClient(stack.template, key=key_b)
    customer_a = new_customer(a)
    config_a = a.post("/v1/billing/portal_configurations", {"name": "dunning"}).json()["id"]
    session_a = mint(a, customer_a).json()["id"]
    # When B names A's customer, or a customer that does not exist
    foreign = mint(b, customer_a)
    missing = mint(b, "cust_doesnotexist000000000")
    # Then both are the same 404, apart from the ID
    assert foreign.status == missing.status == 404
    strip = lambda r: json.dumps(r.json()).replace(customer_a, "X").replace("cust_doesnotexist000000000", "X")  # noqa: E731
    assert strip(foreign) == strip(missing)
    assert foreign.json()["error"]["param"] == "customer"
    # And A's configuration is B's 404 too
    customer_b = new_customer(b)
    wrong_config = mint(b, customer_b, configuration=config_a)
    assert wrong_config.status == 404 and wrong_config.json()["error"]["param"] == "configuration"
    # And B can neither read nor revoke A's session
    assert b.get(f"/v1/billing/portal_sessions/{session_a}").status == 404
    assert b.post(f"/v1/billing/portal_sessions/{session_a}/revoke", {}).status == 404
    assert a.get(f"/v1/billing/portal_sessions/{session_a}").json()["status"] == "open"


def test_a_session_uses_the_named_configuration_or_the_default(merchant: ApiClient) -> None:
    customer = new_customer(merchant)
    # Without one, the default (made on first use)
    default = merchant.get("/v1/billing/portal_configurations/default").json()
    assert mint(merchant, customer).json()["configuration"] == default["id"]
    # With one, that one
    restricted = merchant.post(
        "/v1/billing/portal_configurations",
        {"name": "dunning", "features": {"subscriptionCancel": {"enabled": False}}},
    ).json()
    assert mint(merchant, customer, configuration=restricted["id"]).json()["configuration"] == restricted["id"]
    assert mint(merchant, customer, configuration="default").json()["configuration"] == default["id"]


def test_flows_are_validated_against_the_customer_and_the_configuration(merchant: ApiClient) -> None:
    customer, sub = subscribed_customer(merchant)
    other = new_customer(merchant, "Someone Else")
    # A cancellation flow for the customer's own subscription
    ok = mint(merchant, customer, flow={"type": "subscription_cancel", "subscription": sub})
    assert ok.status == 200 and ok.json()["flow"] == {"type": "subscription_cancel", "subscription": sub}
    # A payment method flow needs no subscription
    assert mint(merchant, customer, flow={"type": "payment_method_update"}).status == 200
    # Another customer's subscription, a missing one, none at all: 400 naming the field
    for flow, param in (
        ({"type": "subscription_cancel", "subscription": sub}, "flow.subscription"),
        ({"type": "subscription_cancel", "subscription": "sub_nope"}, "flow.subscription"),
        ({"type": "subscription_cancel"}, "flow.subscription"),
        ({"type": "subscription_update", "subscription": sub}, "flow.type"),  # disabled by default
        ({"type": "teleport"}, "flow.type"),
    ):
        who = other if flow.get("subscription") == sub else customer
        refused = mint(merchant, who, flow=flow)
        assert refused.status == 400, (flow, refused.text)
        assert refused.json()["error"]["param"] == param, (flow, refused.text)


def test_locale_and_fields_are_validated(merchant: ApiClient) -> None:
    customer = new_customer(merchant)
    assert mint(merchant, customer, locale="xx").json()["error"]["param"] == "locale"
    missing = merchant.post("/v1/billing/portal_sessions", {"customer": customer})
    assert missing.status == 400 and missing.json()["error"]["param"] == "returnUrl"
    unknown = mint(merchant, customer, colour="red")
    assert unknown.status == 400 and unknown.json()["error"]["param"] == "colour"


def test_revoking_is_idempotent_and_shows_in_the_status(merchant: ApiClient) -> None:
    session = mint(merchant, new_customer(merchant)).json()["id"]
    first = merchant.post(f"/v1/billing/portal_sessions/{session}/revoke", {})
    second = merchant.post(f"/v1/billing/portal_sessions/{session}/revoke", {})
    assert first.status == second.status == 200
    assert first.json()["status"] == "revoked" and first.json()["revokedAt"] == second.json()["revokedAt"]
