"""Every merchant API route, called with another account's object IDs, answers exactly what it
answers for a missing object of that type (apart from the ID): a 404 for an ID in the path,
and nothing of the other account is shown or changed.

The routes come from template.yaml (the ApiFunction's and InvoicePdfFunction's HttpApi events);
a route added there without a probe here fails `test_every_api_route_is_probed_or_has_no_object_reference`.
The portal's own matrix (another customer's IDs on every portal route) is
tests/integration/test_portal_isolation.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from billing.kernel import ids
from tests.conftest import Stack
from tests.security.state import queued_messages, table_items
from tests.support.apiclient import ApiClient
from tests.support.livekeys import live_client
from tests.support.shop import open_shop

# Routes that name no object of an account (nothing to confuse across accounts). The
# coverage test below keeps this list honest: every other route must have probes.
NO_OBJECT_REFERENCE = {
    ("GET", "/health"),
    ("GET", "/v1/openapi.json"),
    ("ANY", "$default"),  # what no route takes: a 404 or 405, before any object is looked up
    ("GET", "/v1/account"),
    ("POST", "/v1/account"),
    ("GET", "/v1/customers"),
    ("POST", "/v1/products"),
    ("GET", "/v1/products"),
    ("POST", "/v1/coupons"),
    ("POST", "/v1/tax_rates"),
    ("GET", "/v1/tax_rates"),
    ("POST", "/v1/test_clocks"),
    ("GET", "/v1/billing/portal_configurations"),
    ("GET", "/v1/branding"),
    ("POST", "/v1/branding"),
    # (another account's domain: tests/integration/test_portal_domains.py)
    ("POST", "/v1/branding/portal_domain/verify"),
    ("POST", "/v1/webhook_endpoints"),
    ("GET", "/v1/webhook_endpoints"),
    ("GET", "/v1/payment_gateway"),
    ("POST", "/v1/payment_gateway"),
    ("DELETE", "/v1/payment_gateway"),
    ("GET", "/v1/account/dunning"),
    ("POST", "/v1/account/dunning"),
    ("GET", "/v1/account/emails"),
    ("POST", "/v1/account/emails"),
}
# Public routes whose path names an account and whose authentication is another party's
# signature: their cross-account cases (another account's secret, another account's payment)
# are tested where the signature is (tests/integration/test_gateway_payments.py).
SIGNED_BY_THE_GATEWAY = {("POST", "/v1/gateway_webhooks/{account}/stripe")}

SECRET_NAME = "Alice Secret-of-A"
SECRET_EMAIL = "alice.only.a@example.com"

# The kinds of object and the prefix of a well-formed ID of each.
PREFIXES = {
    "customer": "cust",
    "payment_method": "pm",
    "tax_id": "txi",
    "product": "prod",
    "price": "price",
    "coupon": "rwd",
    "subscription": "sub",
    "invoice": "inv",
    "test_clock": "clock",
    "event": "evt",
    "portal_session": "bps",
    "portal_configuration": "bpc",
    "webhook_endpoint": "we",
}


@dataclass
class Probe:
    """One request of a route: `build(theirs, mine)` gives (path, json body, query), where
    `theirs` is either account A's objects or well-formed IDs that exist nowhere."""

    method: str
    route: str
    build: Callable[[dict[str, str], dict[str, str]], tuple[str, Any, dict[str, Any] | None]]
    path_id: bool = True  # an ID of `theirs` in the path: must be a 404


def P(method: str, route: str, path: str, body: Any = None, *, query: Any = None) -> Probe:
    """A probe whose path names A's objects: `path`, `body` and `query` are format strings over
    `t` (theirs) and `m` (mine)."""

    def build(t: dict[str, str], m: dict[str, str]) -> tuple[str, Any, dict[str, Any] | None]:
        def fill(value: Any) -> Any:
            if isinstance(value, str):
                return value.format(t=t, m=m)
            if isinstance(value, dict):
                return {k: fill(v) for k, v in value.items()}
            if isinstance(value, list):
                return [fill(v) for v in value]
            return value

        return fill(path), fill(body), fill(query)

    return Probe(method, route, build, path_id="{t[" in path)


PROBES: list[Probe] = [
    # customers and what hangs off them
    P("GET", "/v1/customers/{id}", "/v1/customers/{t[customer]}"),
    P("POST", "/v1/customers/{id}", "/v1/customers/{t[customer]}", {"name": "Mallory"}),
    P("POST", "/v1/customers", "/v1/customers", {"name": "Mallory", "testClock": "{t[test_clock]}"}),
    P(
        "POST",
        "/v1/customers/{id}/tax_ids",
        "/v1/customers/{t[customer]}/tax_ids",
        {"type": "eu_vat", "value": "DE136695976"},
    ),
    P("DELETE", "/v1/customers/{id}/tax_ids/{taxId}", "/v1/customers/{t[customer]}/tax_ids/{t[tax_id]}"),
    P("DELETE", "/v1/customers/{id}/tax_ids/{taxId}", "/v1/customers/{m[customer]}/tax_ids/{t[tax_id]}"),
    P(
        "POST",
        "/v1/customers/{id}/payment_methods",
        "/v1/customers/{t[customer]}/payment_methods",
        {"token": "tok_visa"},
    ),
    P("GET", "/v1/customers/{id}/payment_methods", "/v1/customers/{t[customer]}/payment_methods"),
    P(
        "DELETE",
        "/v1/customers/{id}/payment_methods/{pm}",
        "/v1/customers/{t[customer]}/payment_methods/{t[payment_method]}",
    ),
    P(
        "DELETE",
        "/v1/customers/{id}/payment_methods/{pm}",
        "/v1/customers/{m[customer]}/payment_methods/{t[payment_method]}",
    ),
    P(
        "POST",
        "/v1/customers/{id}/payment_methods/{pm}/default",
        "/v1/customers/{t[customer]}/payment_methods/{t[payment_method]}/default",
    ),
    P(
        "POST",
        "/v1/customers/{id}/payment_methods/{pm}/default",
        "/v1/customers/{m[customer]}/payment_methods/{t[payment_method]}/default",
    ),
    # the catalog
    P("GET", "/v1/products/{id}", "/v1/products/{t[product]}"),
    P("GET", "/v1/prices/{id}", "/v1/prices/{t[price]}"),
    P(
        "POST",
        "/v1/prices",
        "/v1/prices",
        {"product": "{t[product]}", "unitAmount": 100, "currency": "eur", "recurring": {"interval": "month"}},
    ),
    P("GET", "/v1/prices", "/v1/prices", query={"product": "{t[product]}"}),
    P("GET", "/v1/coupons/{id}", "/v1/coupons/{t[coupon]}"),
    # subscriptions and invoices
    P("GET", "/v1/subscriptions/{id}", "/v1/subscriptions/{t[subscription]}"),
    P("POST", "/v1/subscriptions/{id}", "/v1/subscriptions/{t[subscription]}", {"cancelAtPeriodEnd": True}),
    P("DELETE", "/v1/subscriptions/{id}", "/v1/subscriptions/{t[subscription]}"),
    P(
        "POST",
        "/v1/subscriptions",
        "/v1/subscriptions",
        {"customer": "{t[customer]}", "items": [{"price": "{m[price]}"}]},
    ),
    P(
        "POST",
        "/v1/subscriptions",
        "/v1/subscriptions",
        {"customer": "{m[customer]}", "items": [{"price": "{t[price]}"}]},
    ),
    P(
        "POST",
        "/v1/subscriptions",
        "/v1/subscriptions",
        {"customer": "{m[customer]}", "items": [{"price": "{m[price]}"}], "coupon": "{t[coupon]}"},
    ),
    P(
        "POST",
        "/v1/subscriptions",
        "/v1/subscriptions",
        {
            "customer": "{m[customer]}",
            "items": [{"price": "{m[price]}"}],
            "defaultPaymentMethod": "{t[payment_method]}",
        },
    ),
    P("POST", "/v1/subscriptions/{id}", "/v1/subscriptions/{m[subscription]}", {"items": [{"price": "{t[price]}"}]}),
    P("POST", "/v1/subscriptions/{id}", "/v1/subscriptions/{m[subscription]}", {"coupon": "{t[coupon]}"}),
    P(
        "POST",
        "/v1/subscriptions/{id}",
        "/v1/subscriptions/{m[subscription]}",
        {"defaultPaymentMethod": "{t[payment_method]}"},
    ),
    P("GET", "/v1/subscriptions", "/v1/subscriptions", query={"customer": "{t[customer]}"}),
    P("GET", "/v1/invoices", "/v1/invoices", query={"customer": "{t[customer]}"}),
    P("GET", "/v1/invoices", "/v1/invoices", query={"subscription": "{t[subscription]}"}),
    P("GET", "/v1/invoices/upcoming", "/v1/invoices/upcoming", query={"subscription": "{t[subscription]}"}),
    P(
        "GET",
        "/v1/invoices/upcoming",
        "/v1/invoices/upcoming",
        query={"subscription": "{m[subscription]}", "price": "{t[price]}"},
    ),
    P("GET", "/v1/invoices/{id}", "/v1/invoices/{t[invoice]}"),
    P("GET", "/v1/invoices/{id}/pdf", "/v1/invoices/{t[invoice]}/pdf"),
    P("POST", "/v1/invoices/{id}/pay", "/v1/invoices/{t[invoice]}/pay", {}),
    P("POST", "/v1/invoices/{id}/void", "/v1/invoices/{t[invoice]}/void", {}),
    P("POST", "/v1/invoices/{id}/mark_uncollectible", "/v1/invoices/{t[invoice]}/mark_uncollectible", {}),
    P("POST", "/v1/invoices/{id}/hosted_link", "/v1/invoices/{t[invoice]}/hosted_link", {}),
    # test clocks
    P("GET", "/v1/test_clocks/{id}", "/v1/test_clocks/{t[test_clock]}"),
    P(
        "POST",
        "/v1/test_clocks/{id}/advance",
        "/v1/test_clocks/{t[test_clock]}/advance",
        {"frozenTime": "2030-01-01T00:00:00Z"},
    ),
    # events and the audit log
    P("GET", "/v1/events", "/v1/events", query={"customer": "{t[customer]}"}),
    P("GET", "/v1/events/{id}", "/v1/events/{t[event]}"),
    P("POST", "/v1/events/{id}/redeliver", "/v1/events/{t[event]}/redeliver", {}),
    P("POST", "/v1/events/{id}/redeliver", "/v1/events/{m[event]}/redeliver", {"endpoint": "{t[webhook_endpoint]}"}),
    P("GET", "/v1/audit_log", "/v1/audit_log", query={"customer": "{t[customer]}"}),
    # the portal's objects
    P(
        "POST",
        "/v1/billing/portal_sessions",
        "/v1/billing/portal_sessions",
        {"customer": "{t[customer]}", "returnUrl": "https://b.example.com/"},
    ),
    P(
        "POST",
        "/v1/billing/portal_sessions",
        "/v1/billing/portal_sessions",
        {
            "customer": "{m[customer]}",
            "returnUrl": "https://b.example.com/",
            "configuration": "{t[portal_configuration]}",
        },
    ),
    P(
        "POST",
        "/v1/billing/portal_sessions",
        "/v1/billing/portal_sessions",
        {
            "customer": "{m[customer]}",
            "returnUrl": "https://b.example.com/",
            "flow": {"type": "subscription_cancel", "subscription": "{t[subscription]}"},
        },
    ),
    P("GET", "/v1/billing/portal_sessions/{id}", "/v1/billing/portal_sessions/{t[portal_session]}"),
    P("POST", "/v1/billing/portal_sessions/{id}/revoke", "/v1/billing/portal_sessions/{t[portal_session]}/revoke", {}),
    P(
        "POST",
        "/v1/billing/portal_configurations",
        "/v1/billing/portal_configurations",
        {"features": {"subscriptionUpdate": {"enabled": True, "products": ["{t[product]}"]}}},
    ),
    P(
        "POST",
        "/v1/billing/portal_configurations",
        "/v1/billing/portal_configurations",
        {"features": {"subscriptionCancel": {"enabled": True, "retention": {"offerCoupon": "{t[coupon]}"}}}},
    ),
    P("GET", "/v1/billing/portal_configurations/{id}", "/v1/billing/portal_configurations/{t[portal_configuration]}"),
    P(
        "POST",
        "/v1/billing/portal_configurations/{id}",
        "/v1/billing/portal_configurations/{t[portal_configuration]}",
        {"name": "stolen"},
    ),
    # webhook endpoints
    P("GET", "/v1/webhook_endpoints/{id}", "/v1/webhook_endpoints/{t[webhook_endpoint]}"),
    P(
        "POST",
        "/v1/webhook_endpoints/{id}",
        "/v1/webhook_endpoints/{t[webhook_endpoint]}",
        {"url": "https://evil.example.com/hook"},
    ),
    P("POST", "/v1/webhook_endpoints/{id}/roll_secret", "/v1/webhook_endpoints/{t[webhook_endpoint]}/roll_secret", {}),
    P("DELETE", "/v1/webhook_endpoints/{id}", "/v1/webhook_endpoints/{t[webhook_endpoint]}"),
]


def merchant_routes(stack: Stack) -> set[tuple[str, str]]:
    found = set()
    for name in ("api", "invoicepdf"):
        for route in stack.template.function(name).routes:
            assert route.api == "MerchantHttpApi"
            found.add((route.method, route.path))
    return found


def account_a(api: ApiClient) -> dict[str, str]:
    """Account A with one of everything the API can address."""
    shop = open_shop(api)
    clock = api.post("/v1/test_clocks", {"frozenTime": "2026-01-01T00:00:00Z", "name": "A clock"})
    assert clock.status == 200, clock.text
    customer = shop.customer(name=SECRET_NAME, email=SECRET_EMAIL)
    tax_id = api.post(f"/v1/customers/{customer}/tax_ids", {"type": "eu_vat", "value": "DE136695976"}).json()["id"]
    [method] = api.get(f"/v1/customers/{customer}/payment_methods").json()["data"]
    sub = shop.subscribe(customer)
    assert sub.status == 200, sub.text
    coupon = api.post("/v1/coupons", {"name": "A only", "percentOff": 10, "duration": "once"})
    assert coupon.status == 200, coupon.text
    configuration = api.post("/v1/billing/portal_configurations", {"name": "A config"})
    assert configuration.status == 200, configuration.text
    session = api.post("/v1/billing/portal_sessions", {"customer": customer, "returnUrl": "https://a.example.com/"})
    assert session.status == 200, session.text
    endpoint = api.post("/v1/webhook_endpoints", {"url": "https://hooks.a.example.com/vinr", "enabledEvents": ["*"]})
    assert endpoint.status == 200, endpoint.text
    event = api.get("/v1/events", query={"customer": customer}).json()["data"][0]["id"]
    return {
        "customer": customer,
        "payment_method": method["id"],
        "tax_id": tax_id,
        "product": "prod_pro",
        "price": shop.monthly,
        "coupon": coupon.json()["id"],
        "subscription": sub.json()["id"],
        "invoice": sub.json()["latestInvoice"],
        "test_clock": clock.json()["id"],
        "event": event,
        "portal_session": session.json()["id"],
        "portal_configuration": configuration.json()["id"],
        "webhook_endpoint": endpoint.json()["id"],
    }


def account_b(api: ApiClient) -> dict[str, str]:
    """Account B with a customer, a product of its own (not A's `prod_pro`) and a subscription."""
    details = {"country": "DE", "legalName": "B GmbH", "defaultCurrency": "eur"}
    assert live_client(api).post("/v1/account", details).status == 200
    assert api.post("/v1/products", {"id": "prod_onlyb", "name": "B plan"}).status == 200
    price = api.post(
        "/v1/prices",
        {"product": "prod_onlyb", "unitAmount": 1500, "currency": "eur", "recurring": {"interval": "month"}},
    ).json()["id"]
    customer = api.post("/v1/customers", {"name": "Bob of B", "address": {"country": "DE"}}).json()["id"]
    assert api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"}).status == 200
    sub = api.post("/v1/subscriptions", {"customer": customer, "items": [{"price": price}]})
    assert sub.status == 200, sub.text
    event = api.get("/v1/events", query={"customer": customer}).json()["data"][0]["id"]
    # The default portal configuration is made on first use; made now, a refused request that
    # would have made it (a session with a bad flow) is seen to write nothing at all.
    assert api.get("/v1/billing/portal_configurations/default").status == 200
    return {"customer": customer, "price": price, "subscription": sub.json()["id"], "event": event}


def missing_ids() -> dict[str, str]:
    """Well-formed IDs of every kind that name nothing anywhere."""
    return {kind: ids.sortable_id(prefix) for kind, prefix in PREFIXES.items()}


def normalised(text: str, replacements: dict[str, str]) -> str:
    # Longest first, so that no ID is replaced inside another one.
    for value in sorted(replacements, key=len, reverse=True):
        text = text.replace(value, replacements[value])
    return text


def test_every_api_route_is_probed_or_has_no_object_reference(stack: Stack) -> None:
    # Given the merchant API's routes, read from template.yaml
    routes = merchant_routes(stack)
    probed = {(p.method, p.route) for p in PROBES}
    # Then every route that can name an object has at least one probe, and every route with
    # an object ID in its path is probed with a foreign ID there
    assert probed <= routes, f"probes for routes the template lacks: {sorted(probed - routes)}"
    unprobed = routes - probed - NO_OBJECT_REFERENCE - SIGNED_BY_THE_GATEWAY
    assert not unprobed, f"routes without a cross-account probe: {sorted(unprobed)}"
    for method, path in routes - SIGNED_BY_THE_GATEWAY:
        if "{" in path:
            assert any(p.path_id and (p.method, p.route) == (method, path) for p in PROBES), (method, path)
    assert not (NO_OBJECT_REFERENCE & {r for r in routes if "{" in r[1]})


def test_another_accounts_ids_answer_exactly_as_missing_ones_and_change_nothing(stack: Stack) -> None:
    # Given account A with one of everything, and account B with a customer and a subscription
    account_a_id, key_a = stack.new_account("Account A")
    _, key_b = stack.new_account("Account B")
    a, b = ApiClient(stack.template, key=key_a), ApiClient(stack.template, key=key_b)
    theirs, mine = account_a(a), account_b(b)
    missing = missing_ids()
    a_views = {
        path: a.get(path).text
        for path in (
            f"/v1/customers/{theirs['customer']}",
            f"/v1/customers/{theirs['customer']}/payment_methods",
            f"/v1/subscriptions/{theirs['subscription']}",
            f"/v1/invoices/{theirs['invoice']}",
            f"/v1/billing/portal_sessions/{theirs['portal_session']}",
            f"/v1/billing/portal_configurations/{theirs['portal_configuration']}",
            f"/v1/webhook_endpoints/{theirs['webhook_endpoint']}",
            f"/v1/test_clocks/{theirs['test_clock']}",
            f"/v1/events/{theirs['event']}",
        )
    }
    of_a = lambda: [i for i in table_items(stack) if account_a_id in json.dumps(i)]  # noqa: E731
    before_a, queued_before = of_a(), queued_messages(stack)
    # Text of A's that must never reach B (names, email, IDs that B was not given)
    leaks = [SECRET_NAME, SECRET_EMAIL, "A clock", "A config", "hooks.a.example.com", "whsec_"]
    replacements = {**{v: f"<{k}>" for k, v in theirs.items()}, **{v: f"<{k}>" for k, v in missing.items()}}
    failures: list[str] = []
    for probe in PROBES:
        # When B calls the route with A's IDs, and with IDs that exist nowhere
        path, body, query = probe.build(theirs, mine)
        before = table_items(stack)
        foreign = b.request(probe.method, path, json_body=body, query=query)
        label = f"{probe.method} {path} {json.dumps(body) if body else ''} {query or ''}"
        # A refused request writes nothing at all (no item, no event, no idempotency record)
        if foreign.status >= 400 and table_items(stack) != before:
            failures.append(f"{label}: answered {foreign.status} but wrote to the table")
        m_path, m_body, m_query = probe.build(missing, mine)
        absent = b.request(probe.method, m_path, json_body=m_body, query=m_query)
        # Then A's IDs answer exactly what missing ones answer, apart from the ID
        if probe.path_id and foreign.status != 404:
            failures.append(f"{label}: {foreign.status} (not 404) {foreign.text[:300]}")
            continue
        if (foreign.status, normalised(foreign.text, replacements)) != (
            absent.status,
            normalised(absent.text, replacements),
        ):
            failures.append(
                f"{label}: foreign {foreign.status} {foreign.text[:300]} != missing {absent.status} {absent.text[:300]}"
            )
            continue
        if foreign.status >= 400:
            error = foreign.json().get("error", {})
            if not {"type", "code", "message"} <= set(error):
                failures.append(f"{label}: no error envelope: {foreign.text[:300]}")
        # And none of A's data is in the answer (only the ID B itself sent may be echoed)
        sent = json.dumps([path, body, query])
        for value in [*leaks, *theirs.values()]:
            if value in foreign.text and value not in sent:
                failures.append(f"{label}: leaks {value!r}")
    assert not failures, "\n".join(failures)
    # And nothing of A's was written (an accepted request, answered as for a missing ID, only
    # wrote B's own objects), no message was queued, and A sees its objects as before
    assert of_a() == before_a
    assert queued_messages(stack) == queued_before
    for path, text in a_views.items():
        assert a.get(path).text == text, path
