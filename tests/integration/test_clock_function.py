"""The scheduled clock function renews what fell due across the shards (real time, not a test clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from billing.kernel import clock
from local import invoke
from tests.conftest import Stack
from tests.support.apiclient import ApiClient


def test_the_scheduled_run_renews_due_subscriptions_once(
    stack: Stack, merchant: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: start)
    merchant.post("/v1/products", {"id": "prod_c", "name": "Clocked"})
    price = merchant.post(
        "/v1/prices", {"product": "prod_c", "unitAmount": 900, "currency": "usd", "recurring": {"interval": "week"}}
    ).json()["id"]
    subs = []
    for _ in range(3):
        customer = merchant.post("/v1/customers", {"name": "c"}).json()["id"]
        merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"})
        subs.append(merchant.post("/v1/subscriptions", {"customer": customer, "items": [{"price": price}]}).json())
    handler = invoke.load_handler(stack.template.function("clock"))
    # Nothing is due yet.
    assert handler({"source": "aws.events"}, invoke.LambdaContext("clock")) == {"processed": 0}
    # A week and a day later, each renews once, and a second run finds nothing more.
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=8))
    assert handler({"source": "aws.events"}, invoke.LambdaContext("clock")) == {"processed": 3}
    assert handler({"source": "aws.events"}, invoke.LambdaContext("clock")) == {"processed": 0}
    for sub in subs:
        stored = merchant.get(f"/v1/subscriptions/{sub['id']}").json()
        assert stored["currentPeriodStart"] == clock.to_wire(start + timedelta(days=7))
        invoices = merchant.get("/v1/invoices", query={"subscription": sub["id"]}).json()["data"]
        assert len(invoices) == 2
