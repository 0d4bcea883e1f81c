"""A merchant with a German tax rate and one product priced monthly, yearly and in dollars; a
merchant with a product priced monthly in euros per plan (the proration cases); and
`ClockedMerchant`, the helpers of a merchant whose customers live on a test clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing.kernel import clock
from tests.support.apiclient import ApiClient
from tests.support.livekeys import live_client


@dataclass
class Shop:
    api: ApiClient
    monthly: str  # 29.00 EUR a month
    yearly: str  # 290.00 EUR a year
    usd: str  # 10.00 USD a month

    def customer(self, token: str | None = "tok_visa", country: str = "DE", **fields: Any) -> str:
        created = self.api.post("/v1/customers", {"name": "Kunde", "address": {"country": country}, **fields})
        assert created.status == 200, created.text
        customer_id: str = created.json()["id"]
        if token:
            assert self.api.post(f"/v1/customers/{customer_id}/payment_methods", {"token": token}).status == 200
        return customer_id

    def subscribe(self, customer: str, **fields: Any) -> Any:
        body = {"customer": customer, "items": [{"price": self.monthly}], **fields}
        return self.api.post("/v1/subscriptions", body)

    def invoice(self, subscription: dict[str, Any]) -> dict[str, Any]:
        response = self.api.get(f"/v1/invoices/{subscription['latestInvoice']}")
        assert response.status == 200, response.text
        result: dict[str, Any] = response.json()
        return result


def open_account(merchant: ApiClient) -> None:
    """A German merchant charging in euros, with its tax rate (USt. 19 %)."""
    account = {"country": "DE", "legalName": "Shop GmbH", "taxId": "DE136695976", "defaultCurrency": "eur"}
    assert live_client(merchant).post("/v1/account", account).status == 200  # (the details need a live key)
    assert merchant.post("/v1/tax_rates", {"country": "DE", "percentage": 19, "displayName": "USt."}).status == 200


def open_shop(merchant: ApiClient) -> Shop:
    open_account(merchant)
    assert merchant.post("/v1/products", {"id": "prod_pro", "name": "Pro"}).status == 200

    def price(amount: int, currency: str, interval: str) -> str:
        body = {"product": "prod_pro", "unitAmount": amount, "currency": currency, "recurring": {"interval": interval}}
        response = merchant.post("/v1/prices", body)
        assert response.status == 200, response.text
        price_id: str = response.json()["id"]
        return price_id

    return Shop(merchant, price(2900, "eur", "month"), price(29000, "eur", "year"), price(1000, "usd", "month"))


def open_plans(merchant: ApiClient, amounts: Mapping[str, int]) -> dict[str, str]:
    """`open_account` and a product, `prod_app`, priced monthly in euros per plan (`amounts` in
    cents by plan name, each price's nickname the plan's): the price IDs by plan."""
    open_account(merchant)
    assert merchant.post("/v1/products", {"id": "prod_app", "name": "App"}).status == 200
    prices = {}
    for plan, amount in amounts.items():
        body = {"product": "prod_app", "unitAmount": amount, "currency": "eur", "recurring": {"interval": "month"}}
        made = merchant.post("/v1/prices", {**body, "nickname": plan.title()})
        assert made.status == 200, made.text
        prices[plan] = made.json()["id"]
    return prices


def start_clock(api: ApiClient, at: datetime) -> str:
    """A new test clock standing at `at`: its ID."""
    made = api.post("/v1/test_clocks", {"frozenTime": clock.to_wire(at)})
    assert made.status == 200, made.text
    clock_id: str = made.json()["id"]
    return clock_id


def subscribe_on_clock(
    api: ApiClient, clock_id: str, price: str, *, quantity: int = 1, coupon: str | None = None
) -> dict[str, Any]:
    """A German customer living on test clock `clock_id`, paying by Visa, subscribed to `price`."""
    created = api.post("/v1/customers", {"name": "Kunde", "address": {"country": "DE"}, "testClock": clock_id})
    assert created.status == 200, created.text
    customer = created.json()["id"]
    assert api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"}).status == 200
    body: dict[str, Any] = {"customer": customer, "items": [{"price": price, "quantity": quantity}]}
    if coupon:
        body["coupon"] = coupon
    response = api.post("/v1/subscriptions", body)
    assert response.status == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@dataclass
class ClockedMerchant:
    """A merchant with a test clock: moving it, and reading back what the move did."""

    api: ApiClient
    clock_id: str

    def advance(self, to: datetime) -> None:
        response = self.api.post(f"/v1/test_clocks/{self.clock_id}/advance", {"frozenTime": clock.to_wire(to)})
        assert response.status == 200, response.text

    def sub(self, sub_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api.get(f"/v1/subscriptions/{sub_id}").json()
        return result

    def invoices(self, sub_id: str) -> list[dict[str, Any]]:
        found = self.api.get("/v1/invoices", query={"subscription": sub_id, "limit": 100}).json()["data"]
        return list(found)
