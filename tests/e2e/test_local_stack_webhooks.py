"""Webhooks on the local stack as `make dev` runs it (the table on DynamoDB Local, its stream read
by `local.pollers`), seen by its receiver: they keep coming after a transaction that failed, and
the events of one change arrive in causal order."""

from __future__ import annotations

import re

import httpx

from tests.e2e.conftest import Running


def event_of(api: httpx.Client, type_: str, object_id: str) -> str:
    """The ID of the newest `type_` event about `object_id`."""
    listed = api.get("/v1/events", params={"type": type_, "limit": 20}).json()["data"]
    return next(str(e["id"]) for e in listed if e["data"]["object"]["id"] == object_id)


def received(running: Running, event_id: str, type_: str) -> int:
    """Where, among the lines the stack printed, its receiver's line for the event is (waited for)."""
    line = running.wait_for(rf"webhook  {re.escape(event_id)}  {re.escape(type_)}  verified", timeout=30).string
    return running.output.index(line)


def test_webhooks_keep_coming_after_a_failed_transaction(running: Running) -> None:
    # Given the demo account's endpoint at the stack's receiver, and a product delivered there
    api = httpx.Client(base_url=running.api, headers={"Authorization": f"Bearer {running.key}"}, timeout=30)
    assert api.post("/v1/products", json={"id": "prod_first", "name": "First"}).status_code == 200
    received(running, event_of(api, "product.created", "prod_first"), "product.created")
    # When a transaction fails (the same product ID again: a 409, its condition refused)
    again = api.post("/v1/products", json={"id": "prod_first", "name": "Again"})
    assert again.status_code == 409, again.text
    # Then the next change's event is still delivered
    assert api.post("/v1/products", json={"id": "prod_next", "name": "Next"}).status_code == 200
    received(running, event_of(api, "product.created", "prod_next"), "product.created")


def test_a_change_s_events_arrive_in_causal_order(running: Running) -> None:
    # Given a customer without a payment method
    api = httpx.Client(base_url=running.api, headers={"Authorization": f"Bearer {running.key}"}, timeout=30)
    customer = api.post("/v1/customers", json={"name": "In order"}).json()["id"]
    # When a card is attached (it becomes the default: one transaction, two events)
    attached = api.post(f"/v1/customers/{customer}/payment_methods", json={"token": "tok_visa"})
    assert attached.status_code == 200, attached.text
    # Then the receiver got the payment_method.attached before the customer.updated it caused
    pm_event = event_of(api, "payment_method.attached", attached.json()["id"])
    customer_event = event_of(api, "customer.updated", customer)
    assert received(running, pm_event, "payment_method.attached") < received(
        running, customer_event, "customer.updated"
    )


def test_the_request_id_an_answer_gives_finds_the_gateway_s_and_the_functions_lines_about_it(running: Running) -> None:
    # When a merchant creates a product on the local stack (its webhook goes to the stack's receiver)
    api = httpx.Client(base_url=running.api, headers={"Authorization": f"Bearer {running.key}"}, timeout=30)
    made = api.post("/v1/products", json={"id": "prod_traced", "name": "Traced"})
    assert made.status_code == 200, made.text
    request_id = re.escape(made.headers["request-id"])
    event_id = event_of(api, "product.created", "prod_traced")
    received(running, event_id, "product.created")
    # Then the gateway's access line names the request, and the fanout's and the deliverer's JSON
    # lines about the event carry its ID (docs/operations.md shows this trail)
    running.wait_for_error(rf"\[MerchantHttpApi\] POST /v1/products 200 {request_id}$")
    for service, message in (("fanout", "event fanned out"), ("deliver", "delivery done")):
        line = running.wait_for(rf'"message":"{message}".*"service":"{service}".*"request_id":"{request_id}"').string
        assert f'"event":"{event_id}"' in line, line
