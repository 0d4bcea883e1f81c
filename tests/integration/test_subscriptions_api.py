"""Subscriptions through the API: the first invoice, tax, coupons, charges, trials, numbering."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from billing.kernel.clock import from_wire
from billing.kernel.scope import RequestInfo
from billing.store.repository import Table
from billing.subscriptions import changes as subscription_changes
from tests.support.apiclient import ApiClient
from tests.support.shop import Shop


def test_a_paid_subscription_with_a_coupon_and_german_vat(shop: Shop) -> None:
    shop.api.post("/v1/coupons", {"id": "rwd_save20", "percentOff": 20, "duration": "forever"})
    customer = shop.customer()
    response = shop.subscribe(customer, items=[{"price": shop.monthly, "quantity": 2}], coupon="rwd_save20")
    assert response.status == 200, response.text
    sub = response.json()
    assert sub["status"] == "active" and sub["items"][0]["quantity"] == 2
    start, end = from_wire(sub["currentPeriodStart"]), from_wire(sub["currentPeriodEnd"])
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == 1
    invoice = shop.invoice(sub)
    assert (invoice["subtotal"], invoice["discount"], invoice["tax"], invoice["total"]) == (5800, 1160, 882, 5522)
    assert (invoice["status"], invoice["amountPaid"], invoice["amountDue"]) == ("paid", 5522, 5522)
    assert invoice["taxName"] == "USt. 19%" and invoice["discountName"] == "rwd_save20 (20% off)"
    assert invoice["number"].endswith("-0001")
    assert invoice["seller"]["legalName"] == "Shop GmbH"
    assert sum(line["amount"] for line in invoice["lines"]) == invoice["subtotal"]
    types = [e["type"] for e in shop.api.get("/v1/events", query={"customer": customer, "limit": 20}).json()["data"]]
    assert types[:4] == ["invoice.paid", "invoice.finalized", "invoice.created", "subscription.created"]


def test_a_declined_first_charge_leaves_the_invoice_open_and_the_subscription_incomplete(shop: Shop) -> None:
    sub = shop.subscribe(shop.customer("tok_chargeDeclined")).json()
    assert sub["status"] == "incomplete"  # a failed signup, not a failed renewal (`past_due`)
    invoice = shop.invoice(sub)
    assert (invoice["status"], invoice["amountPaid"], invoice["amountRemaining"]) == ("open", 0, 3451)
    assert invoice["lastPaymentError"]["code"] == "card_declined"
    failed = shop.api.get("/v1/events", query={"type": "invoice.payment_failed"}).json()["data"]
    assert [e["data"]["object"]["id"] for e in failed] == [invoice["id"]]


def test_a_trial_starts_without_charging(shop: Shop) -> None:
    sub = shop.subscribe(shop.customer(token=None), trialDays=14).json()
    assert sub["status"] == "trialing"
    assert (from_wire(sub["trialEnd"]) - from_wire(sub["trialStart"])).days == 14
    invoice = shop.invoice(sub)
    assert (invoice["total"], invoice["status"]) == (0, "paid")


def test_a_french_business_with_a_vat_id_gets_the_reverse_charge(shop: Shop) -> None:
    customer = shop.customer(country="FR")
    assert (
        shop.api.post(f"/v1/customers/{customer}/tax_ids", {"type": "eu_vat", "value": "FR40303265045"}).status == 200
    )
    invoice = shop.invoice(shop.subscribe(customer).json())
    assert (invoice["tax"], invoice["total"]) == (0, 2900)
    assert invoice["reverseChargeNote"].startswith("Reverse charge")
    assert invoice["customerDetails"]["taxIds"] == [{"type": "eu_vat", "value": "FR40303265045"}]


def test_invoice_numbers_are_gapless_per_account(shop: Shop) -> None:
    numbers = [shop.invoice(shop.subscribe(shop.customer()).json())["number"] for _ in range(3)]
    assert [n.rsplit("-", 1)[1] for n in numbers] == ["0001", "0002", "0003"]
    assert len({n.rsplit("-", 1)[0] for n in numbers}) == 1


@pytest.mark.parametrize(
    ("change", "param", "code"),
    [
        ({"items": [{"price": "price_missing"}]}, "items.0.price", "resource_missing"),
        ({"coupon": "rwd_missing"}, "coupon", "resource_missing"),
        ({"items": [{"price": "USD"}, {"price": "EUR"}]}, "items", "currency_mismatch"),
        ({"items": [{"price": "EUR"}, {"price": "YEAR"}]}, "items", "interval_mismatch"),
        ({"items": [{"price": "EUR", "quantity": 0}]}, "items.0.quantity", "parameter_invalid"),
        ({"items": []}, "items", "parameter_invalid"),
    ],
)
def test_bad_subscriptions_are_400_naming_the_field(shop: Shop, change: dict[str, Any], param: str, code: str) -> None:
    aliases = {"USD": shop.usd, "EUR": shop.monthly, "YEAR": shop.yearly}
    for item in change.get("items", []):
        item["price"] = aliases.get(item["price"], item["price"])
    response = shop.subscribe(shop.customer(), **change)
    assert response.status == 400, response.text
    assert (response.json()["error"]["param"], response.json()["error"]["code"]) == (param, code)


def test_a_paid_plan_needs_a_payment_method(shop: Shop) -> None:
    response = shop.subscribe(shop.customer(token=None))
    assert response.status == 400
    assert response.json()["error"]["param"] == "defaultPaymentMethod"


def test_the_only_method_of_a_paid_subscription_cannot_be_detached(shop: Shop) -> None:
    customer = shop.customer()
    shop.subscribe(customer)
    [method] = shop.api.get(f"/v1/customers/{customer}/payment_methods").json()["data"]
    refused = shop.api.delete(f"/v1/customers/{customer}/payment_methods/{method['id']}")
    assert refused.status == 409
    assert refused.json()["error"]["code"] == "payment_method_required"
    assert "subscription" in refused.json()["error"]["message"]


def test_lists_by_customer_and_subscription(shop: Shop) -> None:
    customer = shop.customer()
    first = shop.subscribe(customer).json()
    second = shop.subscribe(customer).json()
    shop.subscribe(shop.customer())
    subs = shop.api.get("/v1/subscriptions", query={"customer": customer}).json()["data"]
    assert [s["id"] for s in subs] == [second["id"], first["id"]]
    by_customer = shop.api.get("/v1/invoices", query={"customer": customer}).json()["data"]
    assert {i["subscription"] for i in by_customer} == {first["id"], second["id"]}
    by_sub = shop.api.get("/v1/invoices", query={"subscription": first["id"]}).json()["data"]
    assert [i["id"] for i in by_sub] == [first["latestInvoice"]]
    assert len(shop.api.get("/v1/subscriptions").json()["data"]) == 3


def test_the_invoice_pdf_is_served_by_its_own_function(shop: Shop) -> None:
    invoice = shop.invoice(shop.subscribe(shop.customer()).json())
    response = shop.api.get(f"/v1/invoices/{invoice['id']}/pdf")
    assert response.status == 200
    assert response.header("content-type") == "application/pdf"
    assert invoice["number"] in (response.header("content-disposition") or "")
    text = PdfReader(io.BytesIO(response.body)).pages[0].extract_text()
    assert invoice["number"] in text and "Shop GmbH" in text and "€34.51" in text


def test_another_accounts_invoice_pdf_is_404(shop: Shop, stack: Any) -> None:
    invoice = shop.invoice(shop.subscribe(shop.customer()).json())
    _, other_key = stack.new_account()
    other = ApiClient(stack.template, key=other_key)
    assert other.get(f"/v1/invoices/{invoice['id']}/pdf").status == 404
    assert ApiClient(stack.template).get(f"/v1/invoices/{invoice['id']}/pdf").status == 401
    assert shop.api.get("/v1/invoices/inv_doesnotexist/pdf").status == 404


def test_an_incomplete_subscription_completes_when_its_invoice_is_paid_with_a_new_card(shop: Shop) -> None:
    customer = shop.customer("tok_chargeDeclined")
    sub = shop.subscribe(customer).json()
    invoice = shop.invoice(sub)
    # Retrying with the same declining card fails again (a 402) and counts the attempt.
    retried = shop.api.post(f"/v1/invoices/{invoice['id']}/pay")
    assert retried.status == 402 and retried.json()["error"]["type"] == "card_error"
    assert (shop.invoice(sub)["status"], shop.invoice(sub)["attemptCount"]) == ("open", 2)
    # A new default card pays the open invoice at once.
    shop.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa", "setDefault": True})
    paid = shop.api.get(f"/v1/invoices/{invoice['id']}").json()
    assert (paid["status"], paid["amountPaid"], paid["amountRemaining"], paid["attemptCount"]) == ("paid", 3451, 0, 3)
    assert shop.api.get(f"/v1/subscriptions/{sub['id']}").json()["status"] == "active"
    assert shop.api.post(f"/v1/invoices/{invoice['id']}/pay").json()["error"]["code"] == "invoice_not_open"


def test_open_invoices_can_be_voided_or_marked_uncollectible_once(shop: Shop) -> None:
    first = shop.invoice(shop.subscribe(shop.customer("tok_chargeFailed")).json())
    second = shop.invoice(shop.subscribe(shop.customer("tok_chargeFailed")).json())
    voided = shop.api.post(f"/v1/invoices/{first['id']}/void").json()
    assert (voided["status"], voided["amountRemaining"], voided["number"]) == ("void", 0, first["number"])
    assert shop.api.post(f"/v1/invoices/{second['id']}/mark_uncollectible").json()["status"] == "uncollectible"
    again = shop.api.post(f"/v1/invoices/{first['id']}/void")
    assert again.status == 400 and again.json()["error"]["code"] == "invoice_not_open"
    kinds = {e["type"] for e in shop.api.get("/v1/events", query={"type": "invoice.*", "limit": 50}).json()["data"]}
    assert {"invoice.voided", "invoice.marked_uncollectible"} <= kinds


def test_two_concurrent_changes_to_one_subscription_one_wins_one_gets_409(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = shop.subscribe(shop.customer()).json()
    real_read = subscription_changes.read_together
    raced = {"done": False}

    def read_then_lose_the_race(table: Table, scope: Any, **kwargs: Any) -> Any:
        stale = real_read(table, scope, **kwargs)
        if not raced["done"]:
            raced["done"] = True
            # Another request commits its change between our read and our write.
            subscription_changes.update(
                scope, kwargs["subscription"], {"cancelAtPeriodEnd": True}, RequestInfo("portal"), table=Table()
            )
        return stale

    monkeypatch.setattr(subscription_changes, "read_together", read_then_lose_the_race)  # `update` reads through it
    loser = shop.api.post(
        f"/v1/subscriptions/{sub['id']}",
        {"items": [{"price": shop.monthly, "quantity": 5}], "prorationBehavior": "none"},
    )
    monkeypatch.undo()
    assert loser.status == 409
    stored = shop.api.get(f"/v1/subscriptions/{sub['id']}").json()
    assert stored["cancelAtPeriodEnd"] is True  # the winner's change is kept
    assert stored["items"][0]["quantity"] == 1  # the loser's is not half-applied
    updates = shop.api.get("/v1/events", query={"type": "subscription.updated"}).json()["data"]
    assert len(updates) == 1  # one event per committed change
