"""A customer's portal session never shows or changes another customer's data: every portal
route is tried with the other customer's object IDs (and another account's), GET and POST."""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import Mount, Route

from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.functions import import_function_module
from tests.support.portalbrowser import PortalBrowser
from tests.support.shop import Shop, open_shop

PUBLIC = {
    "/health",
    "/session/{session_id}",
    "/session/{session_id}/exchange",
    # The sign-in page by email: no session yet, its own double-submit CSRF (test_portal_signin.py)
    "/login/{configuration_id}",
    "/login/{configuration_id}/code",
    # The hosted invoice page: opened by its link, no session; its CSRF is bound to the link
    # (test_hosted_invoice.py)
    "/i/{token}",
    "/i/{token}/pdf",
    "/i/{token}/pay",
    "/i/{token}/card/setup",
    "/i/{token}/card",
    "/i/{token}/authentication",
    "/i/{token}/complete",
    "/assets/logo/{account}/{mode}/{digest}",
    "/assets/theme/{accent}.css",
}


def customer_objects(shop: Shop, name: str) -> dict[str, str]:
    """A customer with one of everything the portal can address: its IDs by kind."""
    customer = shop.customer(name=name, email=f"{name.lower()}@example.com")
    sub = shop.subscribe(customer).json()
    methods = shop.api.get(f"/v1/customers/{customer}/payment_methods").json()["data"]
    tax_id = shop.api.post(f"/v1/customers/{customer}/tax_ids", {"type": "eu_vat", "value": "DE136695976"}).json()
    return {
        "customer": customer,
        "subscription": sub["id"],
        "invoice": sub["latestInvoice"],
        "payment_method": methods[0]["id"],
        "tax_id": tax_id["id"],
        "name": name,
    }


def id_for(param: str, objects: dict[str, str]) -> str:
    """The object a path parameter names, by its name (`{pm}`, `{invoice_id}`, `{sub}`…)."""
    name = param.lower()
    for needles, kind in (
        (("pm", "payment"), "payment_method"),
        (("inv",), "invoice"),
        (("sub",), "subscription"),
        (("tax", "txi"), "tax_id"),
    ):
        if any(needle in name for needle in needles):
            return objects[kind]
    raise AssertionError(f"unknown path parameter {{{param}}}: teach this test which object it names")


def portal_routes() -> list[tuple[str, set[str]]]:
    site = import_function_module("portal", "portal_site.site")
    found = []
    for route in site.create_app().routes:
        if isinstance(route, Route) and not isinstance(route, Mount) and route.path not in PUBLIC:
            found.append((route.path, set(route.methods or ())))
    return found


def test_every_route_with_another_customers_ids_is_a_404_that_shows_nothing(merchant: ApiClient, stack: Stack) -> None:
    # Given two customers of one merchant, and a customer of another merchant
    shop = open_shop(merchant)
    mine, theirs = customer_objects(shop, "Alice"), customer_objects(shop, "Mallory")
    _, other_key = stack.new_account()
    elsewhere = customer_objects(open_shop(ApiClient(stack.template, key=other_key)), "Eve")
    # And Alice signed in to the portal
    url = merchant.post(
        "/v1/billing/portal_sessions", {"customer": mine["customer"], "returnUrl": "https://app.example.com/"}
    ).json()["url"]
    browser = PortalBrowser(stack.template)
    home = browser.open_link(url)
    csrf = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert csrf, "the overview carries a CSRF token"
    before = {k: merchant.get(f"/v1/subscriptions/{theirs['subscription']}").json()[k] for k in ("status", "items")}
    # IDs of the same shape that name nothing
    unknown = {kind: f"{value.split('_')[0]}_doesnotexist" for kind, value in mine.items() if "_" in value}
    tried = 0
    answers: dict[str, list[str]] = {}
    # When every route that names an object is called with Mallory's and Eve's IDs
    for path, methods in portal_routes():
        params = re.findall(r"{(\w+)(?::\w+)?}", path)
        if not params:
            continue
        for victim in (theirs, elsewhere, unknown):
            concrete = path
            for param in params:
                concrete = re.sub(r"{" + param + r"(?::\w+)?}", id_for(param, victim), concrete)
            for method in sorted(methods & {"GET", "POST"}):
                form: dict[str, Any] = {"csrf": csrf.group(1), "price": "x", "quantity": "1", "reason": "other"}
                response = browser.request(method, concrete, form=form if method == "POST" else None)
                tried += 1
                # Then each is the 404 page, without any of the victim's data
                assert response.status == 404, (method, concrete, response.status)
                for value in victim.values():
                    assert value not in response.text, (method, concrete, value)
                # The same page as for an ID that names nothing, with the way back to the overview
                answers.setdefault(response.text, []).append(f"{method} {concrete}")
                assert 'href="/">Back to the overview</a>' in response.text, (method, concrete)
    assert tried >= 2, "the portal has routes that address objects"
    assert len(answers) == 1, list(answers.values())
    # And nothing of Mallory's changed
    after = {k: merchant.get(f"/v1/subscriptions/{theirs['subscription']}").json()[k] for k in ("status", "items")}
    assert after == before
    assert merchant.get(f"/v1/customers/{theirs['customer']}/payment_methods").json()["data"]
    assert merchant.get(f"/v1/customers/{theirs['customer']}").json()["taxIds"]
