"""A client generated from the API's OpenAPI document (openapi-python-client) calling the local
stack as `make dev` runs it, over HTTP: the document it is generated from is the one the stack
serves, and its typed calls work against the real handlers on DynamoDB Local."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.conftest import Running
from tests.support.generatedclient import generated_client, module


def test_a_generated_client_works_against_the_local_stack(running: Running, tmp_path: Path) -> None:
    # Given a client generated from the document the local stack serves
    document = httpx.get(f"{running.api}/v1/openapi.json", timeout=30)
    assert document.status_code == 200, document.text
    with generated_client(document.json(), tmp_path) as generated:
        client = generated.AuthenticatedClient(base_url=running.api, token=running.key)
        models = module("models")
        # When it creates a customer over HTTP and retrieves it
        body = models.CustomerCreate.from_dict({"email": "grace@example.com", "name": "Grace"})
        created = module("api.customers.customers_create").sync(client=client, body=body)
        assert isinstance(created, models.Customer), created
        found = module("api.customers.customers_retrieve").sync(created.id, client=client)
        # Then both are typed Customer models with what was sent
        assert isinstance(found, models.Customer), found
        assert (found.id, found.email, found.name) == (created.id, "grace@example.com", "Grace")
        # And an error is a typed Error model
        missing = module("api.customers.customers_retrieve").sync("cust_doesnotexist", client=client)
        assert isinstance(missing, models.Error) and missing.error.code == "resource_missing"
