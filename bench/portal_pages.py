"""Portal pages through the real handler (warm, payload v2 events) on moto: the overview's
handler time against the same DynamoDB calls made raw, in one run."""

from __future__ import annotations

from typing import Any

from bench.harness import median_seconds, moto_stack, table


def _signed_in_customer(client: Any, browser: Any) -> dict[str, str]:
    client.post("/v1/products", {"id": "prod_bench", "name": "Bench"})
    prices = {}
    for plan, amount in (("basic", 1000), ("pro", 3000)):
        body = {"product": "prod_bench", "unitAmount": amount, "currency": "eur", "recurring": {"interval": "month"}}
        prices[plan] = client.post("/v1/prices", body).json()["id"]
    customer = client.post("/v1/customers", {"name": "Bench Customer", "address": {"country": "DE"}}).json()["id"]
    client.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"})
    sub = client.post("/v1/subscriptions", {"customer": customer, "items": [{"price": prices["basic"]}]}).json()["id"]
    client.post(
        "/v1/billing/portal_configurations/default",
        {"features": {"subscriptionUpdate": {"enabled": True, "products": ["prod_bench"]}}},
    )
    url = client.post("/v1/billing/portal_sessions", {"customer": customer, "returnUrl": "https://example.com/"})
    home = browser.open_link(url.json()["url"])
    if home.status != 200:
        raise RuntimeError(f"the overview answered {home.status}")
    return {"customer": customer, "subscription": sub, **prices}


def measure(runs: int) -> str:
    from billing import accounts, customers, portalsessions
    from billing.scope import Scope
    from local import template as template_module
    from tests.support.apiclient import ApiClient
    from tests.support.portalbrowser import PortalBrowser

    rounds = max(runs, 15)
    with moto_stack():
        account, key = accounts.create_account("Bench Co")
        template = template_module.load()
        client = ApiClient(template, key=key.secret)
        browser = PortalBrowser(template)
        made = _signed_in_customer(client, browser)
        scope = Scope(account["id"], "test")
        session_id = browser.jar["__Host-vinr_portal"].split(".")[0]

        def overview() -> None:
            if browser.get("/").status != 200:
                raise RuntimeError("the overview failed")

        def raw_calls() -> None:
            portalsessions.load(session_id)
            customers.bundle(scope, made["customer"])

        for _ in range(3):
            overview()
            raw_calls()
        page = median_seconds(overview, rounds)
        raw = median_seconds(raw_calls, rounds)
    return table(
        f"Portal pages, handler (warm) ÷ the same DynamoDB calls made directly, same moto (median of {rounds})",
        ["page", "handler ms", "its DynamoDB calls ms", "ratio"],
        [["GET / (overview: GetItem + Query)", f"{page * 1000:.2f}", f"{raw * 1000:.2f}", f"{page / raw:.2f}"]],
    )
