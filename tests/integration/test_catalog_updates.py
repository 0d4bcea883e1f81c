"""Updating and archiving products and prices (issue 20): what changes, the events that say so,
and what archiving means: no new subscription or plan switch takes an archived product or price,
the portal no longer offers it, and the subscriptions that have it are unchanged."""

from __future__ import annotations

from typing import Any

from billing.kernel.scope import Scope
from billing.portal import offers
from billing.store.repository import Table
from billing.subscriptions import subscriptions
from tests.support.apiclient import ApiClient
from tests.support.shop import Shop


def ok(response: Any) -> dict[str, Any]:
    assert response.status == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def events_of(api: ApiClient, type_: str) -> list[dict[str, Any]]:
    return list(ok(api.get("/v1/events", query={"type": type_}))["data"])


def test_a_product_is_updated_in_what_it_does_not_charge(merchant: ApiClient) -> None:
    made = ok(merchant.post("/v1/products", {"id": "prod_team", "name": "Team", "metadata": {"a": "1", "b": "2"}}))
    updated = ok(
        merchant.post(
            "/v1/products/prod_team",
            {"name": "Team plan", "description": "For teams", "metadata": {"b": "", "c": "3"}},
        )
    )
    assert (updated["name"], updated["description"], updated["metadata"]) == (
        "Team plan",
        "For teams",
        {"a": "1", "c": "3"},
    )
    assert ok(merchant.get("/v1/products/prod_team")) == updated
    # Then one product.updated names what was there before
    (event,) = events_of(merchant, "product.updated")
    assert event["data"]["object"] == updated
    assert event["data"]["previousAttributes"] == {"name": "Team", "description": None, "metadata": made["metadata"]}
    # And the same values again change nothing and say nothing
    ok(merchant.post("/v1/products/prod_team", {"name": "Team plan"}))
    assert len(events_of(merchant, "product.updated")) == 1
    # And what a product has not is refused, naming it
    for body, param in (({"unitAmount": 5}, "unitAmount"), ({"name": ""}, "name"), ({"active": None}, "active")):
        refused = merchant.post("/v1/products/prod_team", body)
        assert refused.status == 400 and refused.json()["error"]["param"] == param, refused.text
    assert merchant.post("/v1/products/prod_missing", {"name": "X"}).status == 404


def test_a_price_changes_its_nickname_never_its_amount(shop: Shop) -> None:
    updated = ok(shop.api.post(f"/v1/prices/{shop.monthly}", {"nickname": "Pro monthly"}))
    assert (updated["nickname"], updated["unitAmount"]) == ("Pro monthly", 2900)
    (event,) = events_of(shop.api, "price.updated")
    assert event["data"]["previousAttributes"] == {"nickname": None}
    refused = shop.api.post(f"/v1/prices/{shop.monthly}", {"unitAmount": 100})
    assert refused.status == 400 and refused.json()["error"]["param"] == "unitAmount"
    assert ok(shop.api.get(f"/v1/prices/{shop.monthly}"))["unitAmount"] == 2900


def test_an_archived_price_takes_no_new_subscription_and_keeps_the_existing_ones(shop: Shop) -> None:
    # Given a subscription on the monthly price
    customer = shop.customer()
    existing = ok(shop.subscribe(customer))
    # When the price is archived
    archived = ok(shop.api.post(f"/v1/prices/{shop.monthly}", {"active": False}))
    assert archived["active"] is False
    # Then no new subscription takes it
    refused = shop.subscribe(shop.customer())
    assert refused.status == 400 and refused.json()["error"]["param"] == "items.0.price", refused.text
    # And the subscription that has it is unchanged
    assert ok(shop.api.get(f"/v1/subscriptions/{existing['id']}")) == existing
    # And it can be made active again
    assert ok(shop.api.post(f"/v1/prices/{shop.monthly}", {"active": True}))["active"] is True
    assert shop.subscribe(shop.customer()).status == 200


def test_an_archived_product_takes_no_new_subscription_nor_a_switch(shop: Shop) -> None:
    customer = shop.customer()
    existing = ok(shop.subscribe(customer))
    product = ok(shop.api.get(f"/v1/prices/{shop.monthly}"))["product"]
    ok(shop.api.post(f"/v1/products/{product}", {"active": False}))
    refused = shop.subscribe(shop.customer())
    assert refused.status == 400 and refused.json()["error"]["param"] == "items.0.price", refused.text
    switch = shop.api.post(f"/v1/subscriptions/{existing['id']}", {"items": [{"price": shop.yearly}]})
    assert switch.status == 400, switch.text
    assert ok(shop.api.get(f"/v1/subscriptions/{existing['id']}"))["items"] == existing["items"]
    # A price of an archived product cannot be made active (archive the price, then try)
    ok(shop.api.post(f"/v1/prices/{shop.yearly}", {"active": False}))
    again = shop.api.post(f"/v1/prices/{shop.yearly}", {"active": True})
    assert again.status == 400 and again.json()["error"]["param"] == "active", again.text


def test_the_portal_offers_no_archived_plan(shop: Shop) -> None:
    customer = shop.customer()
    sub_id = ok(shop.subscribe(customer))["id"]
    product = ok(shop.api.get(f"/v1/prices/{shop.monthly}"))["product"]
    scope = Scope(ok(shop.api.get("/v1/account"))["id"], "test")
    settings = {"allowedUpdates": ["price"], "products": [{"product": product, "prices": []}]}

    def offered() -> set[str]:
        sub = subscriptions.get(scope, sub_id, table=Table())
        return {plan.price for plan in offers.offered_plans(scope, settings, sub, table=Table())}

    assert shop.yearly in offered()
    ok(shop.api.post(f"/v1/prices/{shop.yearly}", {"active": False}))
    assert shop.yearly not in offered()
    ok(shop.api.post(f"/v1/prices/{shop.yearly}", {"active": True}))
    ok(shop.api.post(f"/v1/products/{product}", {"active": False}))
    assert offered() == {shop.monthly}  # the current plan only, as it is
