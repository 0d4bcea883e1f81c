"""AWS API calls per operation, through the real handlers on moto.

`BUDGETS` is the most each operation may make; tests/integration/test_aws_calls.py holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.harness import CallCounter, counting_calls, moto_stack, table

BUDGETS = {
    "GET /v1/account (key cache cold)": 2,
    "GET /v1/account (key cache warm)": 1,
    "POST /v1/account (key cache warm)": 2,
    "POST /v1/customers": 1,
    "POST /v1/customers (Idempotency-Key)": 3,
    "GET /v1/customers/{id}": 1,
    "POST /v1/subscriptions/{id} (plan switch, create_prorations)": 4,
    "POST /v1/subscriptions/{id} (plan switch, always_invoice)": 9,
}


@dataclass
class Operation:
    name: str
    run: Callable[[], Any]


def operations(client: Any) -> list[Operation]:
    from billing import accounts

    def cold_read() -> Any:
        accounts.clear_key_cache()
        return client.get("/v1/account")

    made: dict[str, str] = {}
    prepare_subscription(client, made)

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
            "POST /v1/subscriptions/{id} (plan switch, create_prorations)",
            lambda: switch(client, made, "pro", "create_prorations"),
        ),
        Operation(
            "POST /v1/subscriptions/{id} (plan switch, always_invoice)",
            lambda: switch(client, made, "basic", "always_invoice"),
        ),
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
    from billing import accounts
    from local import template as template_module
    from tests.support.apiclient import ApiClient

    counted: dict[str, CallCounter] = {}
    with moto_stack():
        _, key = accounts.create_account("Bench Co")
        client = ApiClient(template_module.load(), key=key.secret)
        client.get("/health")  # import the handler outside the count
        for operation in operations(client):
            with counting_calls() as counter:
                response = operation.run()
            if response.status >= 400:
                raise RuntimeError(f"{operation.name} answered {response.status}: {response.text}")
            counted[operation.name] = counter
    return counted


def measure(runs: int) -> str:
    rows = [[name, counter.total, BUDGETS.get(name, "-"), counter.breakdown()] for name, counter in count_all().items()]
    return table(
        "AWS API calls per operation (botocore before-call hook)", ["operation", "calls", "budget", "which"], rows
    )
