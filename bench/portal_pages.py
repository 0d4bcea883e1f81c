"""Portal pages through the real handler (warm, payload v2 events) on moto, in one run: the
overview's handler time against the same DynamoDB calls made directly, the plan page and its
confirmation, and a plan switch in the portal against the same switch through the merchant API;
AWS calls of each."""

from __future__ import annotations

import re
from typing import Any

from bench.harness import counting_calls, emulated_stack, median_seconds, table
from billing.store.repository import Table


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
    from billing.accounts import accounts
    from billing.kernel.scope import Scope
    from billing.portal import customerview, portalsessions
    from local import template as template_module
    from tests.support.apiclient import ApiClient
    from tests.support.portalbrowser import PortalBrowser

    rounds = max(runs, 15)
    with emulated_stack():
        db = Table()
        account, key = accounts.create_account("Bench Co", table=db)
        template = template_module.load()
        client = ApiClient(template, key=key.secret)
        browser = PortalBrowser(template)
        made = _signed_in_customer(client, browser)
        scope = Scope(account.id, "test")
        session_id = browser.jar["__Host-vinr_portal"].split(".")[0]

        def overview() -> None:
            if browser.get("/").status != 200:
                raise RuntimeError("the overview failed")

        def raw_calls() -> None:
            portalsessions.load(session_id, table=db)
            customerview.bundle(scope, made["customer"], table=db)

        csrf_match = re.search(r'name="csrf" value="([^"]+)"', browser.get("/").text)
        if csrf_match is None:
            raise RuntimeError("the overview has no CSRF token")
        csrf = csrf_match.group(1)
        plans = iter(("pro", "basic") * (rounds + 10))
        sub_path = f"/subscriptions/{made['subscription']}/update/confirm"

        def portal_switch() -> None:
            form = {"csrf": csrf, "price": made[next(plans)], "quantity": "1"}
            response = browser.post(sub_path, form)
            if response.status != 303:
                raise RuntimeError(f"the portal's plan switch answered {response.status}")

        def shown(path: str) -> Any:
            def show() -> None:
                if browser.get(path).status != 200:
                    raise RuntimeError(f"{path} failed")

            return show

        plan_path = f"/subscriptions/{made['subscription']}/update"

        def api_switch() -> None:
            body = {"items": [{"price": made[next(plans)]}], "prorationBehavior": "create_prorations"}
            if client.post(f"/v1/subscriptions/{made['subscription']}", body).status != 200:
                raise RuntimeError("the API's plan switch failed")

        for _ in range(3):
            overview()
            raw_calls()
            portal_switch()
            api_switch()
        with counting_calls() as overview_calls:
            overview()
        with counting_calls() as switch_calls:
            portal_switch()
        current = client.get(f"/v1/subscriptions/{made['subscription']}").json()["items"][0]["price"]
        other = made["basic"] if current == made["pro"] else made["pro"]  # (the current plan is a 400)
        pages = []
        for name, show in (
            ("plan page", shown(plan_path)),
            ("confirmation page", shown(f"{plan_path}/confirm?price={other}&quantity=1")),
        ):
            with counting_calls() as calls:
                show()
            pages.append((name, calls.breakdown(), median_seconds(show, rounds)))
        page = median_seconds(overview, rounds)
        raw = median_seconds(raw_calls, rounds)
        switch = median_seconds(portal_switch, rounds)
        api = median_seconds(api_switch, rounds)
    return table(
        f"Portal pages, handler (warm), same moto (median of {rounds}); the plan switch is create_prorations",
        ["operation", "AWS calls", "handler ms", "compared with", "its ms", "ratio"],
        [
            [
                "GET / (overview)",
                overview_calls.breakdown(),
                f"{page * 1000:.2f}",
                "its DynamoDB calls made directly",
                f"{raw * 1000:.2f}",
                f"{page / raw:.2f}",
            ],
            *(
                [f"GET /subscriptions/{{id}}/update… ({name})", calls, f"{seconds * 1000:.2f}", "-", "-", "-"]
                for name, calls, seconds in pages
            ),
            [
                "POST /subscriptions/{id}/update/confirm",
                switch_calls.breakdown(),
                f"{switch * 1000:.2f}",
                "the same switch via POST /v1/subscriptions/{id}",
                f"{api * 1000:.2f}",
                f"{switch / api:.2f}",
            ],
        ],
    )
