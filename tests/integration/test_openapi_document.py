"""The OpenAPI document (`GET /v1/openapi.json`) is one a generator can trust: valid OpenAPI 3.1,
every body typed, short stable operation IDs, every error type and code the API answers in the
error schema, and a webhook described for every event type."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

import billing
from billing.customers import customers
from billing.events.types import EVENT_TYPES
from billing.kernel.errors import BillingError
from local.template import ROOT, Template
from tests.support.apiclient import ApiClient
from tests.support.functions import import_function_module

REF = "#/components/schemas/"
JSON = "application/json"


@pytest.fixture(scope="module")
def document(template: Template) -> dict[str, Any]:
    """The document as the API function serves it: public, no key, no table."""
    answered = ApiClient(template=template).get("/v1/openapi.json")
    assert answered.status == 200, answered.text
    found: dict[str, Any] = answered.json()
    return found


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, item in document["paths"].items() for method, op in item.items()]


def error_properties(document: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    return found


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    # was: PointerToNowhere '/components/schemas/ValidationError' (Powertools' unused validation schemas)
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert not {"HTTPValidationError", "ResponseValidationError", "ValidationError"} & set(
        document["components"]["schemas"]
    )


def test_no_body_is_untyped(document: dict[str, Any]) -> None:
    # was: all 56 success responses had the schema {"title": "Return"}
    schemas = document["components"]["schemas"]
    assert '"title": "Return"' not in json.dumps(document)
    untyped = []
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            for media, content in answer.get("content", {}).items():
                schema = content["schema"]
                if media != JSON:
                    assert schema == {"type": "string", "format": "binary"}, (method, path, media)
                    continue
                name = schema.get("$ref", "").removeprefix(REF)
                if not schemas.get(name, {}).get("properties"):
                    untyped.append(f"{method} {path} {status}: {schema}")
    assert not untyped, "\n".join(untyped)


def test_operation_ids_are_short_unique_and_named_as_the_sdk_calls(document: dict[str, Any]) -> None:
    # was: `attach_v1_customers__customer_id__payment_methods_post`
    ids = {f"{method} {unnamed(path)}": operation["operationId"] for method, path, operation in operations(document)}
    assert all(re.fullmatch(r"[a-z_]+", name) for name in ids.values()), ids
    assert len(set(ids.values())) == len(ids)
    assert {
        "POST /v1/customers": "customers_create",
        "GET /v1/customers": "customers_list",
        "GET /v1/customers/{}": "customers_retrieve",
        "DELETE /v1/customers/{}/tax_ids/{}": "customers_tax_ids_delete",
        "POST /v1/customers/{}/payment_methods": "customers_payment_methods_create",
        "POST /v1/subscriptions/{}": "subscriptions_update",
        "DELETE /v1/subscriptions/{}": "subscriptions_cancel",
        "POST /v1/invoices/{}/pay": "invoices_pay",
        "GET /v1/invoices/{}/pdf": "invoices_pdf",
        "GET /v1/invoices/upcoming": "invoices_upcoming",
        "GET /v1/account": "account_retrieve",
        "POST /v1/account/dunning": "account_dunning_update",
        "POST /v1/payment_gateway": "payment_gateway_connect",
        "POST /v1/billing/portal_sessions": "billing_portal_sessions_create",
        "POST /v1/branding/portal_domain/verify": "branding_portal_domain_verify",
    }.items() <= ids.items()


def unnamed(path: str) -> str:
    """`/v1/customers/{customer_id}` → `/v1/customers/{}` (whatever a parameter's name)."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_an_operation_id_depends_on_its_method_and_path_only() -> None:
    operation_ids = import_function_module("api", "merchant_api.document.operation_ids")
    paths = {"/v1/things": {"get": {}, "post": {}}, "/v1/things/{thing}": {"get": {}}, "/v1/things/{t}/ship": {}}
    document = {"paths": paths}
    assert operation_ids.operation_id("post", "/v1/things", document) == "things_create"
    assert operation_ids.operation_id("get", "/v1/things/{thing}", document) == "things_retrieve"
    assert operation_ids.operation_id("delete", "/v1/things/{thing}", document) == "things_delete"
    assert operation_ids.operation_id("post", "/v1/things/{t}/ship", document) == "things_ship"
    assert operation_ids.operation_id("get", "/v1/single", {"paths": {"/v1/single": {"get": {}}}}) == "single_retrieve"
    # And two operations named alike fail the document's build
    clash = {"paths": {"/v1/a_b": {"post": {}}, "/v1/a/{x}/b": {"post": {}}}}
    with pytest.raises(RuntimeError, match="operation ID a_b"):
        operation_ids.with_operation_ids(clash)


def every_error_class() -> list[type[BillingError]]:
    """Every `BillingError` class of the core and the API function, each of their modules imported."""
    for package, prefix in ((billing, "billing."), (import_function_module("api", "merchant_api"), "merchant_api.")):
        for module in pkgutil.walk_packages(package.__path__, prefix):
            importlib.import_module(module.name)
    found, pending = [], [BillingError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_class_has_its_type_and_code_in_the_error_schema(document: dict[str, Any]) -> None:
    # was: the `type` enum lacked `card_error`: a generated client raised on a 402
    error = error_properties(document)
    types, codes = set(error["type"]["enum"]), set(error["code"]["examples"])
    classes = every_error_class()
    assert {"CardError", "NotFound", "MethodNotAllowed", "InternalError"} <= {cls.__name__ for cls in classes}
    missing = [
        f"{cls.__qualname__}: {cls.type}/{cls.code}" for cls in classes if {cls.type} - types or {cls.code} - codes
    ]
    assert not missing, missing
    assert "card_error" in types


def test_every_code_a_raise_names_is_in_the_error_schema(document: dict[str, Any]) -> None:
    # Given each `code="…"` written in the core's and the API function's source
    roots = [ROOT / "layers" / "core" / "billing", ROOT / "functions" / "api" / "merchant_api"]
    written = {
        code
        for root in roots
        for path in root.rglob("*.py")
        for code in re.findall(r'\bcode="(\w+)"', path.read_text())
    }
    assert {"route_not_found", "parameter_unknown", "body_invalid"} <= written
    # Then the error schema lists each of them
    assert written - set(error_properties(document)["code"]["examples"]) == set()


def test_the_errors_answered_are_what_the_error_schema_says(merchant: ApiClient, document: dict[str, Any]) -> None:
    # Given errors of each kind, answered by the API
    customer = merchant.post("/v1/customers", {}).json()["id"]
    answers = {
        402: merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_cardDeclined"}),
        401: merchant.get("/v1/customers", key=""),
        404: merchant.get("/v1/nothing_here"),
        405: merchant.request("PUT", "/v1/customers"),
        400: merchant.get("/v1/customers", query={"limt": "5"}),
    }
    error_schema = {"$ref": f"{REF}Error", "components": document["components"]}
    for status, answered in answers.items():
        # Then each one is valid against the Error schema, its type and code among those listed
        assert answered.status == status, answered.text
        body = answered.json()
        assert not list(Draft202012Validator(error_schema).iter_errors(body)), body
        assert body["error"]["code"] in error_properties(document)["code"]["examples"]
    assert answers[402].json()["error"]["type"] == "card_error"


def test_an_unexpected_error_is_a_500_the_error_schema_describes(
    merchant: ApiClient, document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a service failing in a way no route expects
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(customers, "list_customers", broken)
    answered = merchant.get("/v1/customers")
    # Then the answer is a 500 `api_error` in the envelope, as documented, without the exception's text
    assert answered.status == 500
    body = answered.json()
    assert body == {"error": {"type": "api_error", "code": "internal_error", "message": "An internal error occurred."}}
    error_schema = {**document["paths"]["/v1/customers"]["get"]["responses"]["500"]["content"][JSON]["schema"]}
    assert not list(Draft202012Validator({**error_schema, "components": document["components"]}).iter_errors(body))


def test_every_event_type_has_its_webhook(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(document["webhooks"]) == set(EVENT_TYPES)
    for event_type, item in document["webhooks"].items():
        body = item["post"]["requestBody"]["content"][JSON]["schema"]["$ref"].removeprefix(REF)
        event = schemas[body]
        # Each names its type, and its data.object is the object's response model
        assert event["properties"]["type"]["const"] == event_type
        data = schemas[event["properties"]["data"]["$ref"].removeprefix(REF)]
        carried = data["properties"]["object"]["$ref"].removeprefix(REF)
        assert schemas[carried]["properties"]["object"], (event_type, carried)
        assert set(event["properties"]) == set(schemas["Event"]["properties"])
    objects = {
        event_type: schemas[f"{name}Data"]["properties"]["object"]["$ref"].removeprefix(REF)
        for event_type, name in (
            ("subscription.updated", "SubscriptionUpdatedEvent"),
            ("customer.tax_id.deleted", "CustomerTaxIdDeletedEvent"),
        )
    }
    assert objects == {"subscription.updated": "Subscription", "customer.tax_id.deleted": "DeletedTaxId"}


def test_docs_api_md_lists_the_webhooks_and_the_error_codes() -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    assert "## Webhooks" in text
    assert "| `customer.created` | `Customer` | `CustomerCreatedEvent` |" in text
    assert "`card_declined`" in text
    assert "Operation ID: `customers_create`." in text
