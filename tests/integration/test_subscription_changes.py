"""Plan switches mid-period under each proration behaviour, coupons and cancel-at-period-end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from billing.kernel import clock
from tests.support.apiclient import ApiClient

MAY_1 = datetime(2026, 5, 1, tzinfo=UTC)
MID_MAY = MAY_1 + timedelta(days=15, hours=12)  # exactly half of May's 31 days


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = MAY_1
        monkeypatch.setattr(clock, "now", lambda: self.now)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    yield Clock(monkeypatch)


@pytest.fixture
def plans(merchant: ApiClient) -> dict[str, str]:
    assert merchant.post("/v1/products", {"id": "prod_app", "name": "App"}).status == 200
    made = {}
    for name, amount, interval in (("basic", 1000, "month"), ("pro", 3000, "month"), ("annual", 30000, "year")):
        body = {
            "product": "prod_app",
            "unitAmount": amount,
            "currency": "usd",
            "recurring": {"interval": interval},
            "nickname": name.title(),
        }
        made[name] = merchant.post("/v1/prices", body).json()["id"]
    return made


def subscribe(merchant: ApiClient, price: str, token: str = "tok_visa") -> dict[str, Any]:
    customer = merchant.post("/v1/customers", {"name": "Switcher"}).json()["id"]
    assert merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": token}).status == 200
    response = merchant.post("/v1/subscriptions", {"customer": customer, "items": [{"price": price}]})
    assert response.status == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def switch(merchant: ApiClient, sub: dict[str, Any], price: str, behavior: str, quantity: int = 1) -> Any:
    return merchant.post(
        f"/v1/subscriptions/{sub['id']}",
        {"items": [{"price": price, "quantity": quantity}], "prorationBehavior": behavior},
    )


def invoices_of(merchant: ApiClient, sub: dict[str, Any]) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = merchant.get("/v1/invoices", query={"subscription": sub["id"]}).json()["data"]
    return data


def test_an_upgrade_with_create_prorations_adds_pending_items_for_the_next_invoice(
    merchant: ApiClient, plans: dict[str, str], frozen: Clock
) -> None:
    sub = subscribe(merchant, plans["basic"])
    frozen.now = MID_MAY
    response = switch(merchant, sub, plans["pro"], "create_prorations")
    assert response.status == 200, response.text
    stored = merchant.get(f"/v1/subscriptions/{sub['id']}").json()
    assert stored["items"][0]["price"] == plans["pro"]
    assert len(invoices_of(merchant, sub)) == 1  # nothing invoiced now
    [event] = merchant.get("/v1/events", query={"type": "subscription.updated"}).json()["data"]
    assert event["data"]["previousAttributes"]["items"][0]["price"] == plans["basic"]


def test_an_upgrade_with_always_invoice_charges_the_difference_now(
    merchant: ApiClient, plans: dict[str, str], frozen: Clock
) -> None:
    sub = subscribe(merchant, plans["basic"])
    frozen.now = MID_MAY
    assert switch(merchant, sub, plans["pro"], "always_invoice").status == 200
    latest, first = invoices_of(merchant, sub)
    assert [line["amount"] for line in latest["lines"]] == [-500, 1500]
    assert all(line["proration"] for line in latest["lines"])
    assert (latest["total"], latest["status"]) == (1000, "paid")
    assert latest["lines"][0]["description"] == "Unused time on Basic after 16 May 2026"
    assert int(latest["number"][-4:]) == int(first["number"][-4:]) + 1


def test_a_downgrade_with_always_invoice_leaves_a_credit(
    merchant: ApiClient, plans: dict[str, str], frozen: Clock
) -> None:
    sub = subscribe(merchant, plans["pro"])
    frozen.now = MID_MAY
    assert switch(merchant, sub, plans["basic"], "always_invoice").status == 200
    latest = invoices_of(merchant, sub)[0]
    assert (latest["total"], latest["amountDue"], latest["creditedToCustomer"]) == (-1000, 0, 1000)


def test_none_switches_without_any_proration(merchant: ApiClient, plans: dict[str, str], frozen: Clock) -> None:
    sub = subscribe(merchant, plans["basic"])
    frozen.now = MID_MAY
    assert switch(merchant, sub, plans["pro"], "none").status == 200
    assert len(invoices_of(merchant, sub)) == 1
    assert merchant.get(f"/v1/subscriptions/{sub['id']}").json()["items"][0]["price"] == plans["pro"]


def test_a_quantity_change_prorates_per_seat(merchant: ApiClient, plans: dict[str, str], frozen: Clock) -> None:
    sub = subscribe(merchant, plans["basic"])
    frozen.now = MID_MAY
    assert switch(merchant, sub, plans["basic"], "always_invoice", quantity=3).status == 200
    latest = invoices_of(merchant, sub)[0]
    assert [line["amount"] for line in latest["lines"]] == [-500, 1500]


def test_a_switch_to_a_yearly_price_starts_a_new_cycle_and_invoices_at_once(
    merchant: ApiClient, plans: dict[str, str], frozen: Clock
) -> None:
    sub = subscribe(merchant, plans["basic"])
    frozen.now = MID_MAY
    assert switch(merchant, sub, plans["annual"], "create_prorations").status == 200
    stored = merchant.get(f"/v1/subscriptions/{sub['id']}").json()
    assert stored["currentPeriodStart"] == clock.to_wire(MID_MAY)
    assert stored["currentPeriodEnd"] == clock.to_wire(MID_MAY.replace(year=2027))
    latest = invoices_of(merchant, sub)[0]
    assert [line["amount"] for line in latest["lines"]] == [-500, 30000]


def test_a_declined_proration_charge_makes_the_subscription_past_due(
    merchant: ApiClient, plans: dict[str, str], frozen: Clock
) -> None:
    sub = subscribe(merchant, plans["basic"])
    # (the card fails from then on: a first payment that fails would leave it `incomplete`)
    failing = {"token": "tok_chargeFailed", "setDefault": True}
    assert merchant.post(f"/v1/customers/{sub['customer']}/payment_methods", failing).status == 200
    frozen.now = MID_MAY
    assert switch(merchant, sub, plans["pro"], "always_invoice").status == 200
    assert merchant.get(f"/v1/subscriptions/{sub['id']}").json()["status"] == "past_due"
    assert invoices_of(merchant, sub)[0]["lastPaymentError"]["code"] == "processing_error"


def test_cancel_at_period_end_on_and_off(merchant: ApiClient, plans: dict[str, str]) -> None:
    sub = subscribe(merchant, plans["basic"])
    on = merchant.post(
        f"/v1/subscriptions/{sub['id']}",
        {"cancelAtPeriodEnd": True, "cancellationDetails": {"reason": "too_expensive", "comment": "Budget cuts"}},
    ).json()
    assert on["cancelAtPeriodEnd"] is True and on["status"] == "active"
    assert on["cancellationDetails"] == {"reason": "too_expensive", "comment": "Budget cuts"}
    off = merchant.post(f"/v1/subscriptions/{sub['id']}", {"cancelAtPeriodEnd": False}).json()
    assert off["cancelAtPeriodEnd"] is False and off["canceledAt"] is None
    types = [e["type"] for e in merchant.get("/v1/events", query={"type": "subscription.updated"}).json()["data"]]
    assert types == ["subscription.updated", "subscription.updated"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"prorationBehavior": "sometimes"}, "prorationBehavior"),
        ({"cancellationDetails": {"reason": "bored"}}, "cancellationDetails.reason"),
        ({"coupon": "rwd_nothere"}, "coupon"),
        ({"items": [{"price": "price_nothere"}]}, "items.0.price"),
        ({"items": None}, "items"),  # no meaning: omit `items` to keep them
    ],
)
def test_bad_changes_are_400_naming_the_field(
    merchant: ApiClient, plans: dict[str, str], body: dict[str, Any], param: str
) -> None:
    sub = subscribe(merchant, plans["basic"])
    response = merchant.post(f"/v1/subscriptions/{sub['id']}", body)
    assert response.status == 400, response.text
    assert response.json()["error"]["param"] == param


def test_the_change_schema_offers_null_only_where_it_has_a_meaning(merchant: ApiClient) -> None:
    # Given the schema of a change
    document = merchant.get("/v1/openapi.json", key="").json()
    properties = document["components"]["schemas"]["SubscriptionUpdate"]["properties"]
    offered = {name for name, field in properties.items() if {"type": "null"} in field.get("anyOf", [])}
    # Then `items` offers none (a null is refused, above): null removes the coupon, leaves the
    # customer's default payment method, turns a cancellation at period end off, clears the details
    assert "items" not in offered and properties["items"]["minItems"] == 1
    assert offered == {"coupon", "defaultPaymentMethod", "cancelAtPeriodEnd", "cancellationDetails"}


def test_cancel_now_with_proration_credits_the_unused_time(
    merchant: ApiClient, plans: dict[str, str], frozen: Clock
) -> None:
    sub = subscribe(merchant, plans["pro"])
    frozen.now = MID_MAY
    response = merchant.delete(f"/v1/subscriptions/{sub['id']}", query={"prorate": "true"})
    assert response.status == 200, response.text
    ended = response.json()
    assert (ended["status"], ended["endedAt"]) == ("canceled", clock.to_wire(MID_MAY))
    final = invoices_of(merchant, sub)[0]
    assert [line["amount"] for line in final["lines"]] == [-1500]
    assert (final["amountDue"], final["creditedToCustomer"]) == (0, 1500)
    [deleted] = merchant.get("/v1/events", query={"type": "subscription.deleted"}).json()["data"]
    assert deleted["data"]["object"]["status"] == "canceled"
    assert deleted["data"]["previousAttributes"]["status"] == "active"
    # The event names the final invoice as the subscription's latest, as the subscription does
    assert ended["latestInvoice"] == final["id"] != sub["latestInvoice"]
    assert deleted["data"]["object"]["latestInvoice"] == final["id"]
    assert deleted["data"]["previousAttributes"]["latestInvoice"] == sub["latestInvoice"]
    assert merchant.get(f"/v1/subscriptions/{sub['id']}").json()["latestInvoice"] == final["id"]


def test_cancel_now_without_proration_issues_no_invoice_and_frees_the_payment_method(
    merchant: ApiClient, plans: dict[str, str]
) -> None:
    sub = subscribe(merchant, plans["basic"])
    assert merchant.delete(f"/v1/subscriptions/{sub['id']}").status == 200
    assert len(invoices_of(merchant, sub)) == 1
    [method] = merchant.get(f"/v1/customers/{sub['customer']}/payment_methods").json()["data"]
    assert merchant.delete(f"/v1/customers/{sub['customer']}/payment_methods/{method['id']}").status == 200


def test_a_canceled_subscription_cannot_be_changed_or_canceled_again(
    merchant: ApiClient, plans: dict[str, str]
) -> None:
    sub = subscribe(merchant, plans["basic"])
    assert merchant.delete(f"/v1/subscriptions/{sub['id']}").status == 200
    again = merchant.delete(f"/v1/subscriptions/{sub['id']}")
    changed = switch(merchant, sub, plans["pro"], "none")
    assert again.status == changed.status == 400
    assert again.json()["error"]["code"] == changed.json()["error"]["code"] == "subscription_canceled"


def test_the_upcoming_preview_shows_now_and_next_and_writes_nothing(
    merchant: ApiClient, plans: dict[str, str], frozen: Clock
) -> None:
    sub = subscribe(merchant, plans["basic"])
    frozen.now = MID_MAY
    events_before = len(merchant.get("/v1/events", query={"limit": 100}).json()["data"])
    query = {"subscription": sub["id"], "price": plans["pro"], "prorationBehavior": "always_invoice"}
    response = merchant.get("/v1/invoices/upcoming", query=query)
    assert response.status == 200, response.text
    preview = response.json()
    assert [line["amount"] for line in preview["immediate"]["lines"]] == [-500, 1500]
    assert preview["immediate"]["total"] == 1000
    assert [line["amount"] for line in preview["next"]["lines"]] == [3000]
    assert preview["next"]["periodStart"] == clock.to_wire(datetime(2026, 6, 1, tzinfo=UTC))
    # With create_prorations, the prorations wait for the next invoice instead.
    later = merchant.get("/v1/invoices/upcoming", query={**query, "prorationBehavior": "create_prorations"}).json()
    assert later["immediate"] is None
    assert [line["amount"] for line in later["next"]["lines"]] == [-500, 1500, 3000]
    # Nothing was written.
    assert len(merchant.get("/v1/events", query={"limit": 100}).json()["data"]) == events_before
    assert len(invoices_of(merchant, sub)) == 1
    assert merchant.get(f"/v1/subscriptions/{sub['id']}").json()["items"][0]["price"] == plans["basic"]


def test_the_preview_matches_what_the_switch_then_invoices(
    merchant: ApiClient, plans: dict[str, str], frozen: Clock
) -> None:
    sub = subscribe(merchant, plans["basic"])
    frozen.now = MID_MAY
    query = {"subscription": sub["id"], "price": plans["pro"], "quantity": 2, "prorationBehavior": "always_invoice"}
    preview = merchant.get("/v1/invoices/upcoming", query=query).json()["immediate"]
    assert switch(merchant, sub, plans["pro"], "always_invoice", quantity=2).status == 200
    actual = invoices_of(merchant, sub)[0]
    assert [line["amount"] for line in actual["lines"]] == [line["amount"] for line in preview["lines"]]
    assert (actual["total"], actual["tax"]) == (preview["total"], preview["tax"])


def test_no_next_invoice_when_canceling_at_period_end(merchant: ApiClient, plans: dict[str, str]) -> None:
    sub = subscribe(merchant, plans["basic"])
    merchant.post(f"/v1/subscriptions/{sub['id']}", {"cancelAtPeriodEnd": True})
    preview = merchant.get("/v1/invoices/upcoming", query={"subscription": sub["id"]}).json()
    assert preview["next"] is None and preview["immediate"] is None


def test_a_coupon_applied_later_discounts_the_next_invoice(merchant: ApiClient, plans: dict[str, str]) -> None:
    merchant.post("/v1/coupons", {"id": "rwd_half", "percentOff": 50, "duration": "forever"})
    sub = subscribe(merchant, plans["basic"])
    applied = merchant.post(f"/v1/subscriptions/{sub['id']}", {"coupon": "rwd_half"}).json()
    assert applied["discount"]["coupon"]["id"] == "rwd_half"
    upcoming = merchant.get("/v1/invoices/upcoming", query={"subscription": sub["id"]}).json()["next"]
    assert (upcoming["subtotal"], upcoming["discount"], upcoming["total"]) == (1000, 500, 500)
    removed = merchant.post(f"/v1/subscriptions/{sub['id']}", {"coupon": ""}).json()
    assert removed["discount"] is None
