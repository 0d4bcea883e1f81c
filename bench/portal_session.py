"""Portal session creation through the real handler (warm, payload v2 event) ÷ a raw PutItem
on the same moto table, medians of one run."""

from __future__ import annotations

import uuid

from bench.harness import emulated_stack, median_seconds, table
from billing.store.repository import Table


def measure(runs: int) -> str:
    from billing.accounts import accounts
    from billing.store import repository
    from local import template as template_module
    from tests.support.apiclient import ApiClient

    rounds = max(runs, 15)
    with emulated_stack() as made:
        _, key = accounts.create_account("Bench Co", table=Table())
        client = ApiClient(template_module.load(), key=key.secret)
        customer = client.post("/v1/customers", {"name": "Bench Customer"}).json()["id"]
        body = {"customer": customer, "returnUrl": "https://app.example.com/account"}

        def mint() -> None:
            response = client.post("/v1/billing/portal_sessions", body)
            if response.status != 200:
                raise RuntimeError(f"portal session answered {response.status}: {response.text}")

        db = repository.client("dynamodb")

        def put_item() -> None:
            item = {"pk": f"BENCH#{uuid.uuid4().hex}", "sk": "PORTAL_SESSION", "customer": customer}
            db.put_item(TableName=made.table_name, Item=repository.serialize(item))

        def transact() -> None:
            items = [{"pk": f"BENCH#{uuid.uuid4().hex}", "sk": n, "customer": customer} for n in ("A", "B")]
            db.transact_write_items(
                TransactItems=[{"Put": {"TableName": made.table_name, "Item": repository.serialize(i)}} for i in items]
            )

        for _ in range(3):  # handler imported, default configuration made, clients warm
            mint()
            put_item()
            transact()
        handler = median_seconds(mint, rounds)
        raw = median_seconds(put_item, rounds)
        raw_transaction = median_seconds(transact, rounds)
    return table(
        f"POST /v1/billing/portal_sessions (handler, warm) ÷ raw PutItem, same moto (median of {rounds}); "
        "the session is 1 BatchGetItem + 1 TransactWriteItems, the latter shown raw for scale",
        ["session ms", "PutItem ms", "ratio", "raw 2-item TransactWriteItems ms"],
        [[f"{handler * 1000:.2f}", f"{raw * 1000:.2f}", f"{handler / raw:.1f}", f"{raw_transaction * 1000:.2f}"]],
    )
