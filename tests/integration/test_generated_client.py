"""A client generated from the API's OpenAPI document by a real generator (openapi-python-client)
works against the API: its calls return typed models, errors included (a 402 `card_error` too).

The generated client's httpx talks to the merchant API in this process: each request becomes the
payload v2 event API Gateway would send, routed by template.yaml into the real handler, on the
`stack` fixture's moto. tests/e2e/test_generated_client_local_stack.py calls the local stack
(`make dev`'s, over HTTP) with it."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote

import httpx
import pytest

from local import gateway, invoke
from local.template import Template
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.generatedclient import generated_client, module

BASE_URL = "http://api.invalid"


class LambdaTransport(httpx.BaseTransport):
    """httpx's requests to `BASE_URL`, answered by the function whose template route matches."""

    def __init__(self, template: Template) -> None:
        self.routes = gateway.routes_for("MerchantHttpApi", template.functions())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        for route in self.routes:
            params = invoke.match_route(route.path, path)
            if route.method in (request.method, "ANY") and params is not None:
                event = invoke.http_event(
                    request.method,
                    unquote(path),
                    route_key=invoke.route_key(route.method, route.path),
                    path_parameters={k: unquote(v) for k, v in params.items()} or None,
                    query=request.url.query.decode(),
                    headers=list(request.headers.items()),
                    body=request.read() or None,
                )
                handler = invoke.load_handler(route.function)
                answer = invoke.http_response(handler(event, invoke.LambdaContext(route.function.name)))
                return httpx.Response(answer.status, headers=answer.headers, content=answer.body, request=request)
        return httpx.Response(404, json={"message": "Not Found"}, request=request)


@pytest.fixture
def generated(stack: Stack, tmp_path: Path) -> Iterator[ModuleType]:
    """The client package openapi-python-client generates from `GET /v1/openapi.json`, imported."""
    answered = ApiClient(template=stack.template).get("/v1/openapi.json")
    assert answered.status == 200, answered.text
    with generated_client(answered.json(), tmp_path) as package:
        yield package


def test_a_generated_client_creates_and_retrieves_a_customer_with_typed_results(
    generated: ModuleType, stack: Stack
) -> None:
    # Given a client generated from the document, with a merchant's key
    _, key = stack.new_account()
    client = generated.AuthenticatedClient(
        base_url=BASE_URL, token=key, httpx_args={"transport": LambdaTransport(stack.template)}
    )
    create = module("api.customers.customers_create")
    retrieve = module("api.customers.customers_retrieve")
    listing = module("api.customers.customers_list")
    models = module("models")
    # Its calls are typed with the document's models (was: `Any | Error`)
    assert typing.get_type_hints(create.sync)["return"] == models.Customer | models.Error | None
    # When it creates a customer, and retrieves it
    body = models.CustomerCreate.from_dict({"email": "ada@example.com", "name": "Ada", "metadata": {"crm": "42"}})
    created = create.sync(client=client, body=body)
    assert isinstance(created, models.Customer), created
    found = retrieve.sync(created.id, client=client)
    # Then both answers are Customer models with the fields sent
    assert isinstance(found, models.Customer), found
    assert (found.id, found.email, found.name) == (created.id, "ada@example.com", "Ada")
    assert found.metadata.to_dict() == {"crm": "42"}
    assert found.id.startswith("cust_") and found.livemode is False
    page = listing.sync(client=client, limit=1)
    assert isinstance(page, models.CustomerList) and [c.id for c in page.data] == [created.id]
    # And the webhook of `customer.created` parses its event, `data.object` a Customer model
    events = module("api.events.events_list").sync(client=client, type_="customer.created")
    assert isinstance(events, models.EventList), events
    event = models.CustomerCreatedEvent.from_dict(events.data[0].to_dict())
    assert isinstance(event.data.object_, models.Customer) and event.data.object_.id == created.id
    # And errors are Error models, a 402 `card_error` among them (was: the client raised on it)
    attach = module("api.payment_methods.customers_payment_methods_create")
    declined = attach.sync(
        created.id, client=client, body=models.PaymentMethodAttach.from_dict({"token": "tok_cardDeclined"})
    )
    assert isinstance(declined, models.Error), declined
    assert declined.error.type_ == models.ErrorErrorType.CARD_ERROR
    missing = retrieve.sync("cust_doesnotexist", client=client)
    assert isinstance(missing, models.Error) and missing.error.code == "resource_missing"
