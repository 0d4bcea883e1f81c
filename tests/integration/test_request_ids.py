"""A request ID on every answer of the merchant API: `Request-Id`, API Gateway's ID of the request
(`requestContext.requestId`, which it also answers in `apigw-requestid`), the `request.id` of the
events the request caused. Locally too: the local gateway gives each request an ID as API Gateway
does, answers it, and hands it to the function."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from local import gateway
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.gateways import served

# API Gateway's shape (HTTP API): 10 bytes, base64
API_GATEWAY_ID = re.compile(r"^[A-Za-z0-9+/]{14}==?$|^[A-Za-z0-9+/]{15}=$")


@pytest.fixture
def local_api(stack: Stack) -> Iterator[str]:
    """The template's merchant API behind the local gateway, over HTTP (the functions on moto)."""
    with served(stack.template.functions(), "MerchantHttpApi") as server:
        yield server.url


def test_every_answer_of_the_handler_carries_the_events_request_id(merchant: ApiClient) -> None:
    answers = {
        "ok": merchant.get("/v1/account"),
        "created": merchant.post("/v1/customers", {"name": "Ann"}),
        "unauthenticated": merchant.get("/v1/account", key=""),
        "invalid body": merchant.post("/v1/customers", {"nmae": "Ann"}),
        "missing object": merchant.get("/v1/customers/cust_nothere"),
        "unknown route": merchant.get("/v1/nowhere"),
        "wrong method": merchant.request("PATCH", "/v1/customers"),
        "keyed": merchant.post("/v1/customers", {"name": "Bo"}, headers={"idempotency-key": "k-1"}),
        "replayed": merchant.post("/v1/customers", {"name": "Bo"}, headers={"idempotency-key": "k-1"}),
        "pdf of a missing invoice": merchant.get("/v1/invoices/inv_nothere/pdf"),
    }
    ids = {name: answer.header("Request-Id") for name, answer in answers.items()}
    assert all(ids.values()), ids
    # One ID a request: never the same twice (a replay is a request of its own)
    assert len(set(ids.values())) == len(ids)


def test_the_request_id_is_the_events_request_id_over_the_local_gateway(local_api: str, stack: Stack) -> None:
    _, key = stack.new_account()
    auth = {"authorization": f"Bearer {key}"}
    # When a customer is created through the local gateway
    created = httpx.post(f"{local_api}/v1/customers", json={"name": "Ann"}, headers=auth, timeout=10)
    assert created.status_code == 200, created.text
    # Then its answer carries the request's ID, in API Gateway's shape and header as well
    request_id = created.headers["request-id"]
    assert API_GATEWAY_ID.match(request_id), request_id
    assert created.headers["apigw-requestid"] == request_id
    # And the event the request caused names it
    events = httpx.get(
        f"{local_api}/v1/events", params={"customer": created.json()["id"]}, headers=auth, timeout=10
    ).json()["data"]
    assert [event["request"]["id"] for event in events] == [request_id]
    # And an error answer carries its own
    refused = httpx.get(f"{local_api}/v1/customers/cust_nothere", headers=auth, timeout=10)
    assert refused.status_code == 404
    assert refused.headers["request-id"] == refused.headers["apigw-requestid"] != request_id


def test_the_local_gateways_own_refusals_carry_a_request_id(local_api: str) -> None:
    # Headers over API Gateway's limit are refused by the gateway itself, before any function
    refused = httpx.get(f"{local_api}/v1/account", headers={"x-big": "a" * gateway.MAX_HEAD_BYTES}, timeout=10)
    assert refused.status_code == 431
    assert API_GATEWAY_ID.match(refused.headers["apigw-requestid"])
