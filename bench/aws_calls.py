"""AWS API calls per operation, through the real handlers on moto.

`BUDGETS` is the most each operation may make; tests/integration/test_aws_calls.py holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.harness import CallCounter, counting_calls, moto_stack, table
from billing.store.repository import Table

BUDGETS = {
    "GET /v1/account (key cache cold)": 2,
    "GET /v1/account (key cache warm)": 1,
    "POST /v1/account (key cache warm)": 2,
    "POST /v1/customers": 1,
    "POST /v1/customers (Idempotency-Key)": 3,
    "GET /v1/customers/{id}": 1,
    # + the scope's gateway connection (read once per request) and, for a method that becomes the
    # default, the customer's subscriptions (overdue invoices are retried with it at once)
    "POST /v1/customers/{id}/payment_methods (first method)": 4,
    "POST /v1/customers/{id}/payment_methods": 3,
    "POST /v1/subscriptions/{id} (plan switch, create_prorations)": 4,
    "POST /v1/subscriptions/{id} (plan switch, always_invoice)": 9,
    "POST /v1/billing/portal_sessions": 5,
    "portal GET /session/{id} (landing page)": 1,
    "portal POST /session/{id}/exchange": 1,
    "portal GET / (home page)": 2,
}
# What a portal page may cost before its own data: the session, with its configuration and
# branding kept in it at mint time.
PORTAL_SESSION_CALLS = 1


@dataclass
class Operation:
    name: str
    run: Callable[[], Any]


def operations(client: Any) -> list[Operation]:
    from urllib.parse import urlsplit

    from billing.accounts import accounts
    from tests.support.portalbrowser import PortalBrowser

    def cold_read() -> Any:
        accounts.clear_key_cache()
        return client.get("/v1/account")

    made: dict[str, str] = {}
    prepare_subscription(client, made)

    browser = PortalBrowser(client.template)
    client.get("/v1/billing/portal_configurations/default")  # made on first use, outside the count
    browser.get("/health")  # import the portal's handler outside the count

    def mint_session() -> Any:
        body = {"customer": made["customer"], "returnUrl": "https://app.example.com/account"}
        response = client.post("/v1/billing/portal_sessions", body)
        made["portal_url"] = response.json()["url"]
        return response

    def create_customer() -> Any:
        response = client.post("/v1/customers", {"name": "Bench Customer", "email": "bench@example.com"})
        made["customer"] = response.json()["id"]
        return response

    return [
        Operation("GET /v1/account (key cache cold)", cold_read),
        Operation("GET /v1/account (key cache warm)", lambda: client.get("/v1/account")),
        Operation("POST /v1/account (key cache warm)", lambda: client.post("/v1/account", {"legalName": "Bench Ltd"})),
        Operation("POST /v1/customers", create_customer),
        Operation(
            "POST /v1/customers (Idempotency-Key)",
            lambda: client.post("/v1/customers", {"name": "Once"}, headers={"idempotency-key": "bench-1"}),
        ),
        Operation("GET /v1/customers/{id}", lambda: client.get(f"/v1/customers/{made['customer']}")),
        Operation(
            "POST /v1/customers/{id}/payment_methods (first method)",
            lambda: client.post(f"/v1/customers/{made['customer']}/payment_methods", {"token": "tok_visa"}),
        ),
        Operation(
            "POST /v1/customers/{id}/payment_methods",
            lambda: client.post(f"/v1/customers/{made['customer']}/payment_methods", {"token": "tok_mastercard"}),
        ),
        Operation(
            "POST /v1/subscriptions/{id} (plan switch, create_prorations)",
            lambda: switch(client, made, "pro", "create_prorations"),
        ),
        Operation(
            "POST /v1/subscriptions/{id} (plan switch, always_invoice)",
            lambda: switch(client, made, "basic", "always_invoice"),
        ),
        Operation("POST /v1/billing/portal_sessions", mint_session),
        Operation("portal GET /session/{id} (landing page)", lambda: browser.get(urlsplit(made["portal_url"]).path)),
        Operation("portal POST /session/{id}/exchange", lambda: browser.exchange(made["portal_url"])),
        Operation("portal GET / (home page)", lambda: browser.get("/")),
    ]


def switch(client: Any, made: dict[str, str], plan: str, behavior: str) -> Any:
    """Switches the prepared subscription to `plan`."""
    body = {"items": [{"price": made[plan]}], "prorationBehavior": behavior}
    return client.post(f"/v1/subscriptions/{made['subscription']}", body)


def prepare_subscription(client: Any, made: dict[str, str]) -> None:
    client.post("/v1/products", {"id": "prod_bench", "name": "Bench"})
    for plan, amount in (("basic", 1000), ("pro", 3000)):
        body = {"product": "prod_bench", "unitAmount": amount, "currency": "usd", "recurring": {"interval": "month"}}
        made[plan] = client.post("/v1/prices", body).json()["id"]
    customer = client.post("/v1/customers", {"name": "Bench Subscriber"}).json()["id"]
    client.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"})
    created = client.post("/v1/subscriptions", {"customer": customer, "items": [{"price": made["basic"]}]})
    made["subscription"] = created.json()["id"]


def count_all() -> dict[str, CallCounter]:
    from billing.accounts import accounts
    from local import template as template_module
    from tests.support.apiclient import ApiClient

    counted: dict[str, CallCounter] = {}
    with moto_stack():
        _, key = accounts.create_account("Bench Co", table=Table())
        client = ApiClient(template_module.load(), key=key.secret)
        client.get("/health")  # import the handler outside the count
        for operation in operations(client):
            with counting_calls() as counter:
                response = operation.run()
            if response.status >= 400 and not (response.status == 303):
                raise RuntimeError(f"{operation.name} answered {response.status}: {response.text}")
            counted[operation.name] = counter
    return counted


def measure(runs: int) -> str:
    rows = [[name, counter.total, BUDGETS.get(name, "-"), counter.breakdown()] for name, counter in count_all().items()]
    return table(
        "AWS API calls per operation (botocore before-call hook)", ["operation", "calls", "budget", "which"], rows
    )
