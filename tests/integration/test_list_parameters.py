"""Every list takes the same parameters (`limit`, `startingAfter`, `endingBefore`, issue 20): a
cursor that is not an object of the list (unknown, of another type, of another list) is a 400
naming it, never the whole list; `endingBefore` pages back towards newer objects; the
payment-methods list pages like the others; invoices filter by `status`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.apiclient import ApiClient
from tests.support.shop import Shop


def ok(response: Any) -> dict[str, Any]:
    assert response.status == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def ids(page: dict[str, Any]) -> list[str]:
    return [each["id"] for each in page["data"]]


def refused(response: Any, param: str) -> None:
    assert response.status == 400, response.text
    assert response.json()["error"]["param"] == param, response.text


@pytest.fixture
def lists(shop: Shop) -> dict[str, tuple[str, dict[str, str]]]:
    """Each list's path and filter, with two objects in it at least."""
    api = shop.api
    customer = shop.customer()
    assert api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_mastercard"}).status == 200
    for _ in range(2):
        assert shop.subscribe(customer).status == 200
    shop.customer(token=None)
    ok(api.post("/v1/products", {"name": "Extra"}))
    ok(api.post("/v1/tax_rates", {"country": "FR", "percentage": 20, "displayName": "TVA"}))
    for n in range(2):
        ok(api.post("/v1/webhook_endpoints", {"url": f"https://hooks.example.com/{n}", "enabledEvents": ["*"]}))
        ok(api.post("/v1/billing/portal_configurations", {"name": f"c{n}"}))
    ok(api.get("/v1/billing/portal_configurations/default"))  # (made on first use: it lists last)
    return {
        "customers": ("/v1/customers", {}),
        "products": ("/v1/products", {}),
        "prices": ("/v1/prices", {}),
        "tax_rates": ("/v1/tax_rates", {}),
        "subscriptions": ("/v1/subscriptions", {"customer": customer}),
        "invoices": ("/v1/invoices", {"customer": customer}),
        "payment_methods": (f"/v1/customers/{customer}/payment_methods", {}),
        "events": ("/v1/events", {"customer": customer}),
        "webhook_endpoints": ("/v1/webhook_endpoints", {}),
        "portal_configurations": ("/v1/billing/portal_configurations", {}),
    }


LISTS = [
    "customers",
    "products",
    "prices",
    "tax_rates",
    "subscriptions",
    "invoices",
    "payment_methods",
    "events",
    "webhook_endpoints",
    "portal_configurations",
]


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("param", ["startingAfter", "endingBefore"])
def test_a_cursor_not_in_the_list_is_a_400_naming_it(
    shop: Shop, lists: dict[str, tuple[str, dict[str, str]]], name: str, param: str
) -> None:
    path, filters = lists[name]
    whole = ok(shop.api.get(path, query={**filters, "limit": 100}))
    assert len(whole["data"]) >= 2
    # an unknown ID of the list's own type, and the ID of an object of another list
    own_prefix = whole["data"][0]["id"].split("_")[0]
    unknown = f"{own_prefix}_0000000000000000000000000"
    other = next(
        each["id"] for each in ok(shop.api.get(lists["products" if name != "products" else "customers"][0]))["data"]
    )
    for cursor in (unknown, other, "nothing-at-all"):
        refused(shop.api.get(path, query={**filters, param: cursor}), param)
    # and a cursor of the list itself is taken
    assert shop.api.get(path, query={**filters, param: whole["data"][0]["id"]}).status == 200


@pytest.mark.parametrize("name", LISTS)
def test_ending_before_pages_back_to_the_newest(
    shop: Shop, lists: dict[str, tuple[str, dict[str, str]]], name: str
) -> None:
    path, filters = lists[name]
    everything = ids(ok(shop.api.get(path, query={**filters, "limit": 100})))
    assert len(everything) >= 2
    # Given the oldest object as the cursor, one object a page
    cursor, back = everything[-1], []
    while True:
        page = ok(shop.api.get(path, query={**filters, "limit": 1, "endingBefore": cursor}))
        back = ids(page) + back
        if not page["hasMore"]:
            break
        cursor = page["data"][0]["id"]
    # Then the pages, newest first, are every object newer than the first cursor
    assert back == everything[:-1]
    # And a page of several is newest first too
    several = ok(shop.api.get(path, query={**filters, "limit": 100, "endingBefore": everything[-1]}))
    assert ids(several) == everything[:-1] and not several["hasMore"]


def test_both_cursors_at_once_are_refused(shop: Shop, lists: dict[str, tuple[str, dict[str, str]]]) -> None:
    first = ok(shop.api.get("/v1/customers"))["data"][0]["id"]
    refused(shop.api.get("/v1/customers", query={"startingAfter": first, "endingBefore": first}), "endingBefore")


def test_the_audit_log_refuses_an_unknown_cursor_too(shop: Shop, lists: dict[str, tuple[str, dict[str, str]]]) -> None:
    refused(shop.api.get("/v1/audit_log", query={"endingBefore": "evt_00000000000000000000"}), "endingBefore")


def test_the_payment_methods_list_takes_limit_and_pages(shop: Shop) -> None:
    customer = shop.customer(token=None)
    for token in ("tok_visa", "tok_mastercard", "tok_amex"):
        assert shop.api.post(f"/v1/customers/{customer}/payment_methods", {"token": token}).status == 200
    path = f"/v1/customers/{customer}/payment_methods"
    everything = ids(ok(shop.api.get(path)))
    assert len(everything) == 3
    first = ok(shop.api.get(path, query={"limit": 2}))
    assert ids(first) == everything[:2] and first["hasMore"]
    rest = ok(shop.api.get(path, query={"limit": 2, "startingAfter": everything[1]}))
    assert ids(rest) == everything[2:] and not rest["hasMore"]
    refused(shop.api.get(path, query={"limit": 0}), "limit")


def test_invoices_filter_by_status(shop: Shop) -> None:
    paying = shop.customer()
    declining = shop.customer(token="tok_chargeDeclined")
    paid = ok(shop.subscribe(paying))["latestInvoice"]
    failed = shop.subscribe(declining)
    assert failed.status == 200, failed.text
    open_invoice = failed.json()["latestInvoice"]
    assert ids(ok(shop.api.get("/v1/invoices", query={"status": "paid"}))) == [paid]
    assert ids(ok(shop.api.get("/v1/invoices", query={"status": "open"}))) == [open_invoice]
    assert ids(ok(shop.api.get("/v1/invoices", query={"status": "open", "customer": paying}))) == []
    assert ok(shop.api.get("/v1/invoices", query={"status": "void"}))["data"] == []
    bad = shop.api.get("/v1/invoices", query={"status": "settled"})
    assert bad.status == 400 and "status" in bad.text


def test_a_merchants_product_id_with_underscores_is_a_cursor(merchant: ApiClient) -> None:
    for product_id in ("prod_my_plan-1", "prod_my_plan-2"):
        ok(merchant.post("/v1/products", {"id": product_id, "name": product_id}))
    after = ok(merchant.get("/v1/products", query={"startingAfter": "prod_my_plan-2"}))
    assert ids(after) == ["prod_my_plan-1"]
    before = ok(merchant.get("/v1/products", query={"endingBefore": "prod_my_plan-1"}))
    assert ids(before) == ["prod_my_plan-2"]
