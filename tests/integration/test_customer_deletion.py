"""Deleting a customer (issue 20): refused while a subscription has not ended; then its personal
data erased and its payment methods detached in one change, `customer.deleted` (nothing personal
in it), its invoices kept with the details they were issued with, and the customer answered as
deleted from then on, by every route that names it."""

from __future__ import annotations

from typing import Any

from billing.kernel.scope import Scope
from billing.store.repository import Table
from tests.support.portalbrowser import portal_sign_in
from tests.support.shop import Shop

DELETED = {"object": "customer", "deleted": True}


def ok(response: Any) -> dict[str, Any]:
    assert response.status == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def full_customer(shop: Shop) -> str:
    customer = shop.customer(email="erika@example.com", phone="+49 30 1234567", metadata={"crm": "42"})
    ok(shop.api.post(f"/v1/customers/{customer}/tax_ids", {"type": "eu_vat", "value": "DE136695976"}))
    ok(shop.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_sepa_de"}))
    return customer


def test_a_customer_with_a_live_subscription_is_not_deleted(shop: Shop) -> None:
    customer = full_customer(shop)
    sub = ok(shop.subscribe(customer))
    refused = shop.api.delete(f"/v1/customers/{customer}")
    assert refused.status == 409, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["param"]) == ("customer_has_subscriptions", "customer")
    assert sub["id"] in error["message"]
    # Nothing changed
    kept = ok(shop.api.get(f"/v1/customers/{customer}"))
    assert kept["email"] == "erika@example.com"
    assert len(ok(shop.api.get(f"/v1/customers/{customer}/payment_methods"))["data"]) == 2


def test_a_deleted_customers_data_is_erased_and_its_invoices_kept(shop: Shop) -> None:
    # Given a customer with details, tax ID, two payment methods and a paid invoice, its subscription canceled
    customer = full_customer(shop)
    sub = ok(shop.subscribe(customer))
    invoice_before = ok(shop.api.get(f"/v1/invoices/{sub['latestInvoice']}"))
    ok(shop.api.delete(f"/v1/subscriptions/{sub['id']}"))
    # When it is deleted
    deleted = ok(shop.api.delete(f"/v1/customers/{customer}"))
    # Then the answer, and every later read, say only that it was deleted
    assert deleted == {"id": customer, **DELETED}
    assert ok(shop.api.get(f"/v1/customers/{customer}")) == deleted
    assert customer not in [c["id"] for c in ok(shop.api.get("/v1/customers", query={"limit": 100}))["data"]]
    assert ok(shop.api.get("/v1/customers", query={"email": "erika@example.com"}))["data"] == []
    # And nothing personal is left in the table under the customer
    scope = Scope(ok(shop.api.get("/v1/account"))["id"], "test")
    items, _ = Table().query(scope.key("CUST", customer))
    assert [item["sk"] for item in items] == ["DELETEDCUSTOMER"]
    assert not {"email", "name", "phone", "address", "taxIds", "metadata"} & set(items[0])
    # And its invoice is kept as it was issued, with the customer's details as they stood
    invoice_after = ok(shop.api.get(f"/v1/invoices/{sub['latestInvoice']}"))
    assert invoice_after["customerDetails"] == invoice_before["customerDetails"]
    assert invoice_after["customerDetails"]["email"] == "erika@example.com"
    assert invoice_after["status"] == "paid"
    # And one customer.deleted event carries nothing personal; payment methods went with it
    (event,) = ok(shop.api.get("/v1/events", query={"type": "customer.deleted"}))["data"]
    assert event["data"]["object"] == deleted
    # And deleting it again answers the same, with no second event
    assert ok(shop.api.delete(f"/v1/customers/{customer}")) == deleted
    assert len(ok(shop.api.get("/v1/events", query={"type": "customer.deleted"}))["data"]) == 1


def test_a_deleted_customer_takes_nothing_new(shop: Shop) -> None:
    customer = shop.customer()
    ok(shop.api.delete(f"/v1/customers/{customer}"))
    for response in (
        shop.api.post(f"/v1/customers/{customer}", {"name": "Back"}),
        shop.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"}),
        shop.api.get(f"/v1/customers/{customer}/payment_methods"),
        shop.api.post(f"/v1/customers/{customer}/tax_ids", {"type": "eu_vat", "value": "DE136695976"}),
    ):
        assert response.status == 404, response.text
    subscribe = shop.subscribe(customer)
    assert subscribe.status in (400, 404) and subscribe.json()["error"]["param"] == "customer", subscribe.text
    session = shop.api.post(
        "/v1/billing/portal_sessions", {"customer": customer, "returnUrl": "https://app.example.com/account"}
    )
    assert session.status in (400, 404), session.text


def test_an_unknown_customer_is_a_404(shop: Shop) -> None:
    missing = shop.api.delete("/v1/customers/cust_0000000000000000000000")
    assert missing.status == 404, missing.text


def test_an_open_portal_session_shows_the_customer_no_more(shop: Shop) -> None:
    customer = shop.customer()
    browser, _, _ = portal_sign_in(shop.api.template, shop.api, customer, "https://app.example.com/account")
    assert browser.get("/").status == 200
    ok(shop.api.delete(f"/v1/customers/{customer}"))
    # (its invoice history, kept, stays readable until the session ends: revoke it to end that too)
    for path in ("/", "/payment-methods", "/billing-details"):
        page = browser.get(path)
        assert page.status == 404, (path, page.status)
        assert "Kunde" not in page.text
