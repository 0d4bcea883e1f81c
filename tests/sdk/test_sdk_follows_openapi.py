"""The SDK follows the API's OpenAPI document: each operation has its SDK call, each call takes the
operation's parameters (body fields and query parameters, snake_cased) and no others, and each
`TypedDict` of `vinr.types` has its schema's properties as keys, required as the schema says.
(tests/sdk/test_client.py checks that each call hits its route, and the template's routes.)"""

from __future__ import annotations

import collections.abc
import inspect
import re
import typing
from collections.abc import Callable
from typing import Any

import pytest
import vinr.types
from vinr import Vinr
from vinr._wire import camel

from local.template import Template
from tests.sdk.test_client import CALLS, GATEWAY_WEBHOOKS, NOT_FOR_THE_SDK
from tests.support.apiclient import ApiClient

# What a call takes beyond the operation's parameters (a header).
KEYWORDS_NOT_ON_THE_WIRE = {"idempotency_key"}


@pytest.fixture(scope="module")
def document(template: Template) -> dict[str, Any]:
    """The document as the API function serves it (public: no key, no table)."""
    answered = ApiClient(template=template).get("/v1/openapi.json")
    assert answered.status == 200, answered.text
    found: dict[str, Any] = answered.json()
    return found


def shape(method: str, path: str) -> str:
    """`GET /v1/customers/{customer_id}/tax_ids/{tax_id}` → `GET /v1/customers/{id}/tax_ids/{id}` (as in CALLS)."""
    return f"{method.upper()} {re.sub(r'[{][^}]+[}]', '{id}', path)}"


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        shape(method, path): operation for path, item in document["paths"].items() for method, operation in item.items()
    }


def sdk_method(call: Callable[[Vinr], Any]) -> Callable[..., Any]:
    """The bound SDK method a CALLS lambda calls: `lambda v: v.customers.tax_ids.create(…)` →
    `Vinr(…).customers.tax_ids.create`."""
    target: Any = Vinr("sk_test_" + "k" * 32, base_url="https://api.vinr.test")
    for name in call.__code__.co_names:
        target = getattr(target, name)
    assert callable(target), call.__code__.co_names
    method: Callable[..., Any] = target
    return method


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].removeprefix("#/components/schemas/")]
    for branch in schema.get("anyOf", ()):  # an optional body: `Model | None`
        if "$ref" in branch:
            return resolve(document, branch)
    return schema


def documented_parameters(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    """The operation's query parameters and request body fields."""
    names = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body:
        names |= set(resolve(document, body).get("properties", {}))
    return names


def test_every_operation_in_the_document_has_an_sdk_call(document: dict[str, Any]) -> None:
    # Given every operation of the OpenAPI document
    documented = set(operations(document))
    assert "GET /v1/customers/{id}" in documented
    # Then each one has its SDK call (but those no merchant calls), and each SDK call its operation
    called = {route for route, _ in CALLS}
    assert documented - called - NOT_FOR_THE_SDK == set(), "operations without an SDK call"
    assert called - documented == set(), "SDK calls of no documented operation"
    assert called & NOT_FOR_THE_SDK == set(), "SDK calls of routes no merchant calls"
    # And an operation left out takes no merchant's key (the gateway's webhooks: public, signed by it)
    left_out = documented & NOT_FOR_THE_SDK
    assert left_out == {GATEWAY_WEBHOOKS}
    assert all(operations(document)[route].get("security") == [] for route in left_out)


@pytest.mark.parametrize(("route", "call"), CALLS, ids=[route for route, _ in CALLS])
def test_each_sdk_call_takes_its_operations_parameters(
    document: dict[str, Any], route: str, call: Callable[[Vinr], Any]
) -> None:
    # Given the SDK method of an operation, and the operation's query parameters and body fields
    operation = operations(document)[route]
    method = sdk_method(call)
    keywords = {
        name
        for name, parameter in inspect.signature(method).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name not in KEYWORDS_NOT_ON_THE_WIRE
    }
    # Then the method takes each of them as a snake_case keyword, and no other
    assert {camel(name) for name in keywords} == documented_parameters(document, operation)


def typed_dicts() -> dict[str, Any]:
    return {
        name: value
        for name, value in vars(vinr.types).items()
        if isinstance(value, type)
        and typing.is_typeddict(value)
        and value.__module__ == vinr.types.__name__
        and not name.startswith("_")  # a base two types share; each of them is checked whole
    }


def test_the_sdk_types_the_main_objects() -> None:
    assert {
        "Account",
        "Branding",
        "Coupon",
        "Customer",
        "DunningSettings",
        "Event",
        "Invoice",
        "PaymentGateway",
        "PaymentMethod",
        "PortalConfiguration",
        "PortalSession",
        "Price",
        "Product",
        "Subscription",
        "TaxRate",
        "TestClock",
        "UpcomingInvoice",
        "WebhookDelivery",
        "WebhookEndpoint",
    } <= set(typed_dicts())


@pytest.mark.parametrize("name", sorted(typed_dicts()))
def test_each_typed_dict_has_its_schemas_properties_as_keys(document: dict[str, Any], name: str) -> None:
    # Given a TypedDict of vinr.types and the schema of the same name (Page: that of any list)
    schemas = document["components"]["schemas"]
    typed = typed_dicts()[name]
    schema = schemas["CustomerList"] if name == "Page" else schemas[name]
    hints = typing.get_type_hints(typed, include_extras=True)  # (its annotations are strings)
    required = {key for key, hint in hints.items() if typing.get_origin(hint) is not typing.NotRequired}
    # Then its keys are the schema's properties, required where the schema requires them
    assert set(hints) == set(schema["properties"])
    assert required == set(schema.get("required", ()))


def response_schema(operation: dict[str, Any]) -> dict[str, Any]:
    content = operation["responses"]["200"]["content"]
    found: dict[str, Any] = next(iter(content.values()))["schema"]
    return found


def expected_return(document: dict[str, Any], operation: dict[str, Any]) -> Any:
    """The `vinr.types` type a call's 200 answer is: `XList` → `Page[X]`, binary → bytes."""
    schema = response_schema(operation)
    if schema.get("format") == "binary":
        return bytes
    name = schema["$ref"].removeprefix("#/components/schemas/")
    if name.endswith("List") and name not in typed_dicts():
        return vinr.types.Page[getattr(vinr.types, name.removesuffix("List"))]
    return getattr(vinr.types, name)


@pytest.mark.parametrize(("route", "call"), CALLS, ids=[route for route, _ in CALLS])
def test_each_sdk_call_returns_its_operations_response_type(
    document: dict[str, Any], route: str, call: Callable[[Vinr], Any]
) -> None:
    # Given an SDK method and the schema of its operation's 200 answer
    expected = expected_return(document, operations(document)[route])
    # Then the method is annotated to return that schema's TypedDict (a list: Page of its items)
    assert typing.get_type_hints(sdk_method(call))["return"] == expected


def auto_paging_iters() -> list[tuple[str, Callable[..., Any]]]:
    """Each list's `auto_paging_iter`, with the list's route."""
    found = []
    for route, call in CALLS:
        method: Any = sdk_method(call)
        if method.__name__ == "list" and hasattr(method.__self__, "auto_paging_iter"):
            found.append((route, method.__self__.auto_paging_iter))
    return found


@pytest.mark.parametrize(("route", "iterate"), auto_paging_iters(), ids=[route for route, _ in auto_paging_iters()])
def test_each_auto_paging_iter_yields_its_lists_items(
    document: dict[str, Any], route: str, iterate: Callable[..., Any]
) -> None:
    page = expected_return(document, operations(document)[route])
    assert typing.get_origin(page) is vinr.types.Page
    assert typing.get_type_hints(iterate)["return"] == collections.abc.Iterator[typing.get_args(page)[0]]


def enum_of(document: dict[str, Any], schema: dict[str, Any]) -> set[str] | None:
    """The values a documented parameter or field takes (`enum`, `const`, through `$ref` and `anyOf`,
    null aside); None when it also takes free values (a coupon ID or `""`: not an enumeration)."""
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].removeprefix("#/components/schemas/")]
    if "enum" in schema:
        return set(schema["enum"])
    if "const" in schema:
        return {schema["const"]}
    branches = [branch for branch in schema.get("anyOf", ()) if branch.get("type") != "null"]
    found = [enum_of(document, branch) for branch in branches]
    if not branches or None in found:
        return None
    return set().union(*(values for values in found if values))


def documented_enums(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, set[str]]:
    schemas = {p["name"]: p["schema"] for p in operation.get("parameters", ()) if p["in"] == "query"}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body:
        schemas |= resolve(document, body).get("properties", {})
    return {name: values for name, schema in schemas.items() if (values := enum_of(document, schema))}


def literal_values(hint: Any) -> set[str] | None:
    """`Literal["a", "b"] | NotGiven | None` → {"a", "b"}; None when the hint has no Literal."""
    if typing.get_origin(hint) is typing.Literal:
        return set(typing.get_args(hint))
    values = {value for arg in typing.get_args(hint) for value in (literal_values(arg) or ())}
    return values or None


@pytest.mark.parametrize(("route", "call"), CALLS, ids=[route for route, _ in CALLS])
def test_each_enumerated_parameter_is_a_literal_of_the_documented_values(
    document: dict[str, Any], route: str, call: Callable[[Vinr], Any]
) -> None:
    # Given the enumerations an operation documents, and the SDK method's parameter hints
    enums = documented_enums(document, operations(document)[route])
    method = sdk_method(call)
    hints = typing.get_type_hints(method)
    typed = {
        camel(name): values
        for name in inspect.signature(method).parameters
        if name not in KEYWORDS_NOT_ON_THE_WIRE and (values := literal_values(hints[name]))
    }
    # Then the method's Literal parameters are exactly those, with exactly the documented values
    assert typed == enums
