"""Errors read alike across the merchant API: every path parameter named for its object, a
malformed ID answered as an unknown one (404 `resource_missing` naming the parameter, no
pattern), a duplicate ID a 409 `resource_already_exists` naming `id`, and every code the API
can answer documented in docs/api-guide.md's "Errors"."""

from __future__ import annotations

import re
from typing import Any

import pytest

from billing.kernel import ids
from billing.kernel.errors import BillingError, InvalidRequest, NotFound
from local.template import ROOT
from tests.support.apiclient import ApiClient, ok
from tests.support.functions import import_api_module

wire = import_api_module("merchant_api.wire")
documented_errors = import_api_module("merchant_api.document.errors")

# A well-formed ID that names nothing, by path parameter
PREFIXES = {
    "customer": "cust",
    "taxId": "txi",
    "paymentMethod": "pm",
    "subscription": "sub",
    "invoice": "inv",
    "testClock": "clock",
    "event": "evt",
    "session": "bps",
    "configuration": "bpc",
    "endpoint": "we",
    "account": "acct",
}
CATALOG = {"product", "price", "coupon"}  # merchant-chosen IDs: 1-64 of [A-Za-z0-9_-]
MALFORMED = ("nope.nope", "x" * 300)
# The body a route needs to reach its object (routes whose body is optional send none)
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/customers/{customer}"): {"name": "x"},
    ("POST", "/v1/products/{product}"): {"name": "x"},
    ("POST", "/v1/prices/{price}"): {"nickname": "x"},
    ("POST", "/v1/customers/{customer}/tax_ids"): {"type": "eu_vat", "value": "DE136695976"},
    ("POST", "/v1/customers/{customer}/payment_methods"): {"token": "tok_visa"},
    ("POST", "/v1/test_clocks/{testClock}/advance"): {"frozenTime": "2030-01-01T00:00:00Z"},
    ("POST", "/v1/billing/portal_configurations/{configuration}"): {"name": "x"},
    ("POST", "/v1/webhook_endpoints/{endpoint}"): {"description": "x"},
    ("POST", "/v1/subscriptions/{subscription}"): {"cancelAtPeriodEnd": True},
    ("POST", "/v1/gateway_webhooks/{account}/stripe"): {},
}
PATTERN_SIGNS = re.compile(r"\^|\$|\[A-Z|\\d|\{1,")


def unknown(name: str) -> str:
    return f"missing_{name}" if name in CATALOG else ids.sortable_id(PREFIXES[name])


def operations(merchant: ApiClient) -> list[tuple[str, str, dict[str, Any]]]:
    document = ok(merchant.get("/v1/openapi.json"))
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "delete")
    ]


def path_names(path: str) -> list[str]:
    return re.findall(r"\{([^}]+)\}", path)


def test_every_path_parameter_is_named_for_the_object_it_holds(merchant: ApiClient) -> None:
    seen = set()
    for method, path, operation in operations(merchant):
        declared = [p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"]
        # The template and the parameters agree, and each name is one of the objects' names
        assert sorted(declared) == sorted(path_names(path)), (method, path)
        for name in declared:
            assert name in wire.PATH_OBJECTS or name in wire.PATH_MISSING_MESSAGES, (method, path, name)
            seen.add(name)
        # The name is the object's, wherever the route is: the resource a segment names comes before it
        for name in declared:
            assert not name.endswith(("_id", "Id")) or name == "taxId", (method, path, name)
    assert {"customer", "paymentMethod", "invoice", "subscription", "endpoint"} <= seen


def answer(merchant: ApiClient, method: str, template: str, values: dict[str, str]) -> Any:
    path = template.format(**values)
    body = BODIES.get((method, template))
    key = "" if template.startswith("/v1/gateway_webhooks/") else None
    return merchant.request(method, path, json_body=body, key=key)


def test_a_malformed_id_answers_as_an_unknown_one_on_every_route(merchant: ApiClient) -> None:
    customer = ok(merchant.post("/v1/customers", {"name": "Ann"}))["id"]
    failures: list[str] = []
    walked = 0
    for method, template, operation in operations(merchant):
        names = path_names(template)
        if not names:
            continue
        required_body = operation.get("requestBody", {}).get("required", False)
        if required_body and (method, template) not in BODIES:
            failures.append(f"{method} {template}: add the body it needs to BODIES")
            continue
        for position, name in enumerate(names):
            # The parameters before this one name real objects where the test has them
            before = {n: (customer if n == "customer" else unknown(n)) for n in names[:position]}
            after = {n: unknown(n) for n in names[position + 1 :]}
            missing_id = unknown(name)
            missing = answer(merchant, method, template, {**before, name: missing_id, **after})
            label = f"{method} {template} [{name}]"
            walked += 1
            if missing.status != 404:
                failures.append(f"{label}: unknown ID answered {missing.status} {missing.text[:200]}")
                continue
            expected = missing.json()["error"]
            # (an unknown parent may be answered for the child it does not hold: `No such payment
            # method` for another customer's; only the last parameter is compared word for word)
            last = position == len(names) - 1
            if expected["code"] != "resource_missing" or expected.get("param") not in (names if not last else [name]):
                failures.append(f"{label}: unknown ID answered {expected}")
            for bad in MALFORMED:
                if name in CATALOG and bad == MALFORMED[0]:
                    continue  # a well-formed catalog ID
                refused = answer(merchant, method, template, {**before, name: bad, **after})
                error = refused.json().get("error", {})
                if refused.status != 404 or error.get("code") != "resource_missing" or error.get("param") != name:
                    failures.append(f"{label}: malformed {bad[:20]!r} answered {refused.status} {refused.text[:200]}")
                    continue
                if PATTERN_SIGNS.search(error["message"]) or len(error["message"]) > 200:
                    failures.append(f"{label}: malformed ID's message {error['message']!r}")
                shown = error["message"].replace(bad[: wire.SHOWN_ID_LENGTH] + "…", "<id>").replace(bad, "<id>")
                if last and shown != expected["message"].replace(missing_id, "<id>"):
                    failures.append(f"{label}: {error['message']!r} is not worded as {expected['message']!r}")
    assert not failures, "\n".join(failures)
    assert walked >= 30


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/products", {"id": "prod_dup1", "name": "Pro"}),
        ("/v1/coupons", {"id": "rwd_dup1", "percentOff": 10, "duration": "once"}),
    ],
)
def test_a_duplicate_id_is_a_409_naming_id(merchant: ApiClient, path: str, body: dict[str, Any]) -> None:
    created = merchant.post(path, body)
    assert created.status == 200, created.text
    again = merchant.post(path, body)
    assert again.status == 409, again.text
    error = again.json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "resource_already_exists", "id")
    assert body["id"] in error["message"]


def test_a_malformed_id_in_a_body_is_refused_without_a_pattern(merchant: ApiClient) -> None:
    refused = merchant.post("/v1/customers", {"name": "Ann", "testClock": "not-a-clock"})
    error = refused.json()["error"]
    assert (refused.status, error["code"], error["param"]) == (400, "parameter_invalid", "testClock")
    assert not PATTERN_SIGNS.search(error["message"]), error["message"]


def test_parameter_invalid_is_a_value_the_document_refuses_and_invalid_request_a_rule(merchant: ApiClient) -> None:
    # A value the schema refuses (percentOff is a number up to 100) is `parameter_invalid`
    schema = merchant.post("/v1/coupons", {"percentOff": "lots", "duration": "once"})
    assert schema.status == 400, schema.text
    assert (schema.json()["error"]["code"], schema.json()["error"]["param"]) == ("parameter_invalid", "percentOff")
    # Two fields the schema takes each, which a rule says exclude each other, are `invalid_request`
    both = merchant.post("/v1/coupons", {"percentOff": 10, "amountOff": 100, "currency": "eur", "duration": "once"})
    assert both.status == 400, both.text
    assert both.json()["error"]["code"] == "invalid_request" and both.json()["error"]["param"]
    # And the core's default is the rule's code: a code is given where a value is checked as the schema states
    assert InvalidRequest("x", param="name").code == "invalid_request"
    assert InvalidRequest("x", param="name", code="parameter_invalid").code == "parameter_invalid"
    assert NotFound("x", param="customer").code == "resource_missing"
    assert BillingError("x").envelope()["error"]["code"] == "invalid_request"


def guide_errors() -> str:
    text = (ROOT / "docs" / "api-guide.md").read_text(encoding="utf-8")
    section = text.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    return section


def test_every_error_type_and_code_the_api_answers_is_documented() -> None:
    types, codes = documented_errors.answered()
    section = guide_errors()
    in_guide = set(re.findall(r"`([a-z_]+)`", section))
    assert not set(types) - in_guide, f"types missing from docs/api-guide.md's Errors: {sorted(set(types) - in_guide)}"
    assert not set(codes) - in_guide, f"codes missing from docs/api-guide.md's Errors: {sorted(set(codes) - in_guide)}"
    # And each code has a row of its own (its status and meaning), not just a mention
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    listed = {code for row in rows for code in re.findall(r"`([a-z_]+)`", row.split("|")[1])}
    assert not set(codes) - listed, sorted(set(codes) - listed)
    assert not listed - set(codes) - set(types), (
        f"documented but never answered: {sorted(listed - set(codes) - set(types))}"
    )
