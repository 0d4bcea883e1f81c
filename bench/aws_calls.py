"""AWS API calls per operation, through the real handlers on moto.

`BUDGETS` is the most each operation may make; tests/integration/test_aws_calls.py holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from bench.harness import CallCounter, counting_calls, emulated_stack, table
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
    # one BatchGetItem (the subscription, the price), one for the price's product, the transaction
    "POST /v1/subscriptions/{id} (plan switch, create_prorations)": 3,
    # + the customer in the second batch and the account and the invoice counter in the first,
    # the payment method it charges, and the tax rates (for a customer with a billing country)
    "POST /v1/subscriptions/{id} (plan switch, always_invoice)": 5,
    # one BatchGetItem (customer, configuration, account, branding), then the transaction
    "POST /v1/billing/portal_sessions": 2,
    "portal GET /session/{id} (landing page)": 1,
    "portal POST /session/{id}/exchange": 1,
    "portal GET / (home page)": 2,
    "portal GET /payment-methods": 3,
    "portal GET /payment-methods/card": 3,
    "portal GET /payment-methods/sepa": 3,
    "portal GET /invoices": 3,
    "portal GET /invoices/{id}": 3,
    "portal GET /invoices/{id}/pdf": 3,
    "portal GET /billing-details": 3,
    "portal GET /subscriptions/{id}/cancel": 3,
    # the session; one BatchGetItem (the subscription, the customer, the account, the configured
    # products); the configured product's prices (a Query each); the tax rates (a Query, for a
    # customer with a billing country: the bench's has none)
    "portal GET /subscriptions/{id}/update (plan page)": 3,
    "portal GET /subscriptions/{id}/update/confirm (confirmation page)": 4,
    # the session, the plan page's batch and prices, the transaction
    "portal POST /subscriptions/{id}/update/confirm (confirmed switch)": 4,
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
    from tests.support.portalbrowser import PortalBrowser, csrf_of

    def cold_read() -> Any:
        accounts.clear_key_cache()
        return client.get("/v1/account")

    made: dict[str, str] = {}
    prepare_subscription(client, made)
    # The account's details need a live key (billing.accounts.livesettings): its cache warmed outside the count
    from tests.support.livekeys import live_client

    live = live_client(client)
    live.get("/v1/account")

    browser = PortalBrowser(client.template)
    # made on first use, outside the count; the portal offers the bench's plans
    features = {"subscriptionUpdate": {"enabled": True, "products": ["prod_bench"]}}
    client.post("/v1/billing/portal_configurations/default", {"features": features})
    browser.get("/health")  # import the portal's handler outside the count

    def mint_session() -> Any:
        body = {"customer": made["subscriber"], "returnUrl": "https://app.example.com/account"}
        response = client.post("/v1/billing/portal_sessions", body)
        made["portal_url"] = response.json()["url"]
        return response

    def home() -> Any:
        response = browser.get("/")
        made["csrf"] = csrf_of(response.text)
        return response

    def portal_switch() -> Any:
        form = {"csrf": made["csrf"], "price": made["pro"], "quantity": "1"}
        return browser.post(f"/subscriptions/{made['subscription']}/update/confirm", form)

    def create_customer() -> Any:
        response = client.post("/v1/customers", {"name": "Bench Customer", "email": "bench@example.com"})
        made["customer"] = response.json()["id"]
        return response

    return [
        # first: the cold read below empties the key cache the live key was warmed into
        Operation("POST /v1/account (key cache warm)", lambda: live.post("/v1/account", {"legalName": "Bench Ltd"})),
        Operation("GET /v1/account (key cache cold)", cold_read),
        Operation("GET /v1/account (key cache warm)", lambda: client.get("/v1/account")),
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
        Operation("portal GET / (home page)", home),
        *(
            Operation(f"portal GET {name}", partial(browser.get, path))
            for name, path in (
                ("/payment-methods", "/payment-methods"),
                ("/payment-methods/card", "/payment-methods/card"),
                ("/payment-methods/sepa", "/payment-methods/sepa"),
                ("/invoices", "/invoices"),
                ("/invoices/{id}", f"/invoices/{made['invoice']}"),
                ("/invoices/{id}/pdf", f"/invoices/{made['invoice']}/pdf"),
                ("/billing-details", "/billing-details"),
                ("/subscriptions/{id}/cancel", f"/subscriptions/{made['subscription']}/cancel"),
                ("/subscriptions/{id}/update (plan page)", f"/subscriptions/{made['subscription']}/update"),
                (
                    "/subscriptions/{id}/update/confirm (confirmation page)",
                    f"/subscriptions/{made['subscription']}/update/confirm?price={made['pro']}&quantity=1",
                ),
            )
        ),
        Operation("portal POST /subscriptions/{id}/update/confirm (confirmed switch)", portal_switch),
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
    made["subscriber"] = customer
    made["invoice"] = created.json()["latestInvoice"]


def count_all() -> dict[str, CallCounter]:
    from billing.accounts import accounts
    from local import template as template_module
    from tests.support.apiclient import ApiClient

    counted: dict[str, CallCounter] = {}
    with emulated_stack():
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
