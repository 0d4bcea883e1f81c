"""Schemathesis against the merchant API's own OpenAPI document (`GET /v1/openapi.json`).

Every operation, with a valid secret key, through the real handler in this process (payload v2
events routed by the template, moto behind). Positive and negative examples; every built-in
check (no 5xx, status codes, content types, the response schemas, negative data rejected,
positive data accepted, auth not ignored, …) plus this API's own: every 4xx carries the error
envelope `{"error": {type, code, message, param?}}`. Half the examples use the IDs of real
objects of the merchant (a customer, its subscription and invoice, a webhook endpoint, …) so
that operations on an object get past its 404. `FUZZ_EXAMPLES` sets the examples per operation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis import Case

from billing.kernel import config
from local import template as template_module
from local.template import Template
from tests.conftest import Stack, stack
from tests.fuzz import transport
from tests.fuzz.hostile import FUZZ
from tests.support.apiclient import ApiClient
from tests.support.egress import stand_in as egress_stand_in
from tests.support.shop import open_shop
from tests.support.stripefake import StripeFake

# `positive_data_acceptance` is replaced by `schema_valid_data_is_well_formed` below: a
# schema-valid request may still name an object that does not exist or break a rule no schema
# can state (a 400 `resource_missing`, …), but it is never refused as malformed. (A method an
# operation does not have reaches the API function through the template's `$default` route:
# `unsupported_method` holds it to a 405 with `Allow`.)
EXCLUDED = [schemathesis.checks.positive_data_acceptance]
# What a 400 for a schema-valid request must never say: that the request did not fit the schema
# (`parameter_invalid` is the code of every value the request models refuse: a value the schema
# offers, a country code, a currency, a URL, a number of decimals, a null, is never one of them).
MALFORMED = {
    "parameter_invalid",
    "parameter_missing",
    "parameter_unknown",
    "body_invalid",
    "body_missing",
    "unsupported_media_type",
}
# Rules across fields, entries and the stored object that no schema states, answered with one of
# those codes: (code, param, message), each a regex.
RULES_NO_SCHEMA_STATES = [
    # subscription updates enabled (now, or already in the stored configuration) need products
    ("parameter_missing", r"features\.subscriptionUpdate\.products", r"need at least one product"),
    # a product listed twice (as its ID or as {product, prices}: `uniqueItems` cannot tell)
    ("parameter_invalid", r"features\.subscriptionUpdate\.products\.\d+", r"is listed twice"),
    # an address at a special-use domain (`.arpa`, …), which `format: email` does not exclude
    ("parameter_invalid", r"email", r"special-use or reserved name"),
]


def _error_fields() -> dict[str, Any]:
    """The error envelope's fields as the document states them (types, required, optional)."""
    fields: dict[str, Any] = DOCUMENT["components"]["schemas"]["Error"]["properties"]["error"]
    return fields


def _document() -> dict[str, Any]:
    answer = transport.session(template_module.load()).get(f"{transport.BASE_URL}/v1/openapi.json")
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
# Schemathesis reads the configured headers when it builds the tests, before the `seeded` fixture
# has made the merchant and its key: the cases carry this stand-in, and each test puts the key in
# its place. (Without a configured key, every case carried a `Bearer …` generated from the
# security scheme, and was refused with a 401 before any route's code ran.)
STAND_IN = "Bearer sk_test_stand_in_for_the_seeded_key"
schema.config.update(base_url=transport.BASE_URL, headers={"Authorization": STAND_IN})


@schemathesis.check
def error_envelope(ctx: Any, response: schemathesis.Response, case: Case) -> bool | None:
    """Every 4xx and 5xx is `{"error": {type, code, message, param?}}` and nothing else (a method
    an operation does not have too: the template's `$default` route gives it to the API function)."""
    if response.status_code < 400:
        return None
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the error envelope: {body!r}"
    error = body["error"]
    stated = _error_fields()
    assert set(stated["required"]) <= set(error) <= set(stated["properties"]), f"envelope fields: {sorted(error)}"
    assert error["type"] in stated["properties"]["type"]["enum"], error
    assert all(isinstance(error[k], str) and error[k] for k in ("type", "code", "message")), error
    assert isinstance(error.get("param", ""), str), error
    return True


@schemathesis.check
def schema_valid_data_is_well_formed(ctx: Any, response: schemathesis.Response, case: Case) -> bool | None:
    """A request generated to fit the schema is never refused as not fitting it."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return None
    if case.method.upper() != case.operation.method.upper():
        return None
    error = response.json()["error"]
    for code, param, message in RULES_NO_SCHEMA_STATES:
        if (
            error["code"] == code
            and re.fullmatch(param, error.get("param", ""))
            and re.search(message, error["message"])
        ):
            return None
    assert error["code"] not in MALFORMED, f"schema-valid request refused as malformed: {error}"
    return True


CHECKS = [error_envelope, schema_valid_data_is_well_formed]


@dataclass
class Seeded:
    """A merchant with one of each object, and its API as `requests` sees it."""

    session: requests.Session
    ids: dict[str, str]
    adapter: transport.LambdaAdapter
    key: str


def _seed(stack: Stack, merchant: ApiClient) -> dict[str, str]:
    shop = open_shop(merchant)

    def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = merchant.post(path, body)
        assert answer.status == 200, (path, answer.text)
        result: dict[str, Any] = answer.json()
        return result

    customer = shop.customer()
    sub = shop.subscribe(customer).json()
    clock = made("/v1/test_clocks", {"frozenTime": "2026-05-01T09:00:00Z"})
    endpoint = made("/v1/webhook_endpoints", {"url": "https://example.com/hook", "enabledEvents": ["*"]})
    session = made("/v1/billing/portal_sessions", {"customer": customer, "returnUrl": "https://example.com/"})
    configuration = made("/v1/billing/portal_configurations", {"name": "fuzz"})
    coupon = made("/v1/coupons", {"id": "fuzz10", "percentOff": 10, "duration": "once"})
    tax_id = made(f"/v1/customers/{customer}/tax_ids", {"type": "eu_vat", "value": "DE136695976"})
    methods = merchant.get(f"/v1/customers/{customer}/payment_methods").json()["data"]
    event = merchant.get("/v1/events", query={"limit": 1}).json()["data"][0]
    return {
        "customer_id": customer,
        "sub_id": sub["id"],
        "invoice_id": sub["latestInvoice"],
        "product_id": "prod_pro",
        "price_id": shop.monthly,
        "coupon_id": coupon["id"],
        "clock_id": clock["id"],
        "endpoint_id": endpoint["id"],
        "session_id": session["id"],
        "configuration_id": configuration["id"],
        "tax_id": tax_id["id"],
        "pm_id": methods[0]["id"],
        "event_id": event["id"],
    }


@pytest.fixture(scope="module")
def seeded(template: Template, stripe_fake: StripeFake) -> Iterator[Seeded]:
    """One merchant for every operation of the module (as `stack` and `merchant` make them, but
    once): state builds up across operations, as it does on a real account."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        stack_fixture = stack.__wrapped__  # the `stack` fixture itself, run once for the module
        made_stack = stack_fixture(template, monkeypatch)
        current = next(made_stack)
        # a payment gateway connected in a case checks its keys with localstripe, not api.stripe.com
        monkeypatch.setenv("STRIPE_API_BASE", stripe_fake.url)
        config.reset()
        egress_stand_in(monkeypatch)  # the seed's webhook endpoint is on example.com, resolved without the network
        _, key = current.new_account()
        merchant = ApiClient(template=template, key=key)
        ids = _seed(current, merchant)
        # the key as schemathesis' own setting, so that the cases it makes without one (and
        # `ignored_auth`) really go without
        schema.config.update(headers={"Authorization": f"Bearer {key}"})
        session = transport.session(template)
        adapter = session.get_adapter(f"{transport.BASE_URL}/")
        assert isinstance(adapter, transport.LambdaAdapter)
        # checks that re-send a request on a session of their own (`ignored_auth` drops the
        # credentials with the session) reach the same handler
        monkeypatch.setattr(requests.Session, "get_adapter", transport.routing_to(adapter))
        yield Seeded(session, ids, adapter, key)
        answered = ", ".join(f"{status}: {count}" for status, count in sorted(adapter.statuses.items()))
        # `make fuzz` shows it (pytest -s)
        print(f"\nfuzz: schemathesis sent {adapter.calls} requests to the merchant API; answers by status: {answered}")
        next(made_stack, None)


def _with_the_key(case: Case, key: str) -> None:
    if case.headers and case.headers.get("Authorization") == STAND_IN:
        case.headers["Authorization"] = f"Bearer {key}"


def _with_real_ids(case: Case, ids: dict[str, str]) -> None:
    for name in list(case.path_parameters or {}):
        if name in ids:
            case.path_parameters[name] = ids[name]  # type: ignore[index]


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_every_operation(case: Case, seeded: Seeded) -> None:
    _with_the_key(case, seeded.key)
    case.call_and_validate(session=seeded.session, additional_checks=CHECKS, excluded_checks=EXCLUDED)


@pytest.mark.slow
@schema.include(path_regex=r"\{").parametrize()
@FUZZ
def test_every_operation_on_real_objects(case: Case, seeded: Seeded) -> None:
    """The operations on one object, with the ID of a real one of the merchant's."""
    _with_real_ids(case, seeded.ids)
    _with_the_key(case, seeded.key)
    case.call_and_validate(session=seeded.session, additional_checks=CHECKS, excluded_checks=EXCLUDED)


@pytest.mark.slow
def test_the_fuzzing_got_past_the_key(seeded: Seeded) -> None:
    """The cases above reached the routes' code: most answers are not a 401 (when the key was
    missing from every case, they all were, and nothing but authentication was fuzzed)."""
    if not seeded.adapter.statuses:
        pytest.skip("no operation was fuzzed in this run")
    answered = sum(seeded.adapter.statuses.values())
    assert seeded.adapter.statuses[401] < answered / 2, dict(seeded.adapter.statuses)
    assert seeded.adapter.statuses[200] > 0, dict(seeded.adapter.statuses)
