"""What a plan switch and its portal pages read ahead, and what happens when it goes stale.

The budgets themselves are `bench/aws_calls.py`'s (held by test_aws_calls.py, for a customer
without a billing country); here, a taxed customer's pages add the rates query and nothing else,
and a request whose early reads (the subscription, the invoice counter) are overtaken by another
request before it writes still gets the transaction's answer: a conflict, or a number without gap.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.harness import CallCounter, counting_calls
from billing.kernel.scope import RequestInfo
from billing.portal import changes as portal_changes
from billing.store.repository import Table
from billing.subscriptions import changes as subscription_changes
from tests.conftest import Stack
from tests.support.portalbrowser import PortalBrowser, csrf_of, signed_in
from tests.support.shop import Shop

SESSION = {"GetItem": 1}  # the session: configuration and brand are in it


def counted(run: Any) -> tuple[Any, CallCounter]:
    with counting_calls() as counter:
        answer = run()
    return answer, counter


@pytest.fixture
def portal(shop: Shop, stack: Stack) -> tuple[Shop, PortalBrowser, str]:
    """A German customer (taxed at 19 %) on the monthly price, signed in to a portal that offers
    the product's prices and quantities: the browser and the subscription's ID."""
    features = {"subscriptionUpdate": {"enabled": True, "products": ["prod_pro"]}}
    assert shop.api.post("/v1/billing/portal_configurations/default", {"features": features}).status == 200
    customer = shop.customer()
    sub = shop.subscribe(customer).json()["id"]
    return shop, signed_in(stack.template, shop.api, customer), sub


def test_a_taxed_customers_pages_and_switches_add_the_rates_query_and_nothing_else(
    portal: tuple[Shop, PortalBrowser, str],
) -> None:
    shop, browser, sub = portal
    csrf = csrf_of(browser.get("/").text)
    # When the customer opens the plan page, the confirmation and the cancel page
    plans, plan_calls = counted(lambda: browser.get(f"/subscriptions/{sub}/update"))
    confirm, confirm_calls = counted(
        lambda: browser.get(f"/subscriptions/{sub}/update/confirm?price={shop.monthly}&quantity=2")
    )
    cancel, cancel_calls = counted(lambda: browser.get(f"/subscriptions/{sub}/cancel"))
    assert (plans.status, confirm.status, cancel.status) == (200, 200, 200)
    assert "tax" in confirm.text  # the preview is taxed (its invoices show the tax they include)
    # Then each reads the session, one batch, the product's prices (the plan pages) and the rates
    assert dict(plan_calls.calls) == {**SESSION, "BatchGetItem": 1, "Query": 2}, plan_calls.breakdown()
    assert dict(confirm_calls.calls) == {**SESSION, "BatchGetItem": 1, "Query": 2}, confirm_calls.breakdown()
    assert dict(cancel_calls.calls) == {**SESSION, "BatchGetItem": 1, "Query": 1}, cancel_calls.breakdown()
    # And the confirmed switch reads the plan page's batch and prices once, then writes
    form = {"csrf": csrf, "price": shop.monthly, "quantity": "2"}
    switched, switch_calls = counted(lambda: browser.post(f"/subscriptions/{sub}/update/confirm", form))
    assert switched.status == 303, switched.text
    assert dict(switch_calls.calls) == {**SESSION, "BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}
    assert shop.api.get(f"/v1/subscriptions/{sub}").json()["items"][0]["quantity"] == 2
    # And the API's switch invoiced at once reads two batches, the rates and, one item each, the
    # key (the tests keep no key cache), the method it charges and the gateway connection it
    # charges through (the bench's switch credits, so charges nothing)
    body = {"items": [{"price": shop.monthly, "quantity": 3}], "prorationBehavior": "always_invoice"}
    invoiced, api_calls = counted(lambda: shop.api.post(f"/v1/subscriptions/{sub}", body))
    assert invoiced.status == 200, invoiced.text
    expected = {"BatchGetItem": 2, "GetItem": 3, "Query": 1, "TransactWriteItems": 1}
    assert dict(api_calls.calls) == expected, api_calls.breakdown()
    latest = shop.api.get(f"/v1/invoices/{invoiced.json()['latestInvoice']}").json()
    assert latest["status"] == "paid" and latest["tax"] > 0  # charged, with the customer's VAT


def test_an_invoice_counter_read_ahead_and_overtaken_still_numbers_without_a_gap(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = shop.subscribe(shop.customer()).json()
    other = shop.customer()
    real_read = subscription_changes.read_together

    def read_then_be_overtaken(table: Table, scope: Any, **kwargs: Any) -> Any:
        reads = real_read(table, scope, **kwargs)
        if kwargs.get("invoice_number"):
            # Another request numbers an invoice between the counter's read and the switch's write.
            assert shop.subscribe(other).status == 200
        return reads

    monkeypatch.setattr(subscription_changes, "read_together", read_then_be_overtaken)
    body = {"items": [{"price": shop.monthly, "quantity": 2}], "prorationBehavior": "always_invoice"}
    switched = shop.api.post(f"/v1/subscriptions/{sub['id']}", body)
    monkeypatch.undo()
    assert switched.status == 200, switched.text
    numbers = sorted(i["number"] for i in shop.api.get("/v1/invoices", query={"limit": 10}).json()["data"])
    assert len(numbers) == 3 and len(set(numbers)) == 3  # the first, the other's, the switch's: none twice
    assert [int(n.rsplit("-", 1)[-1]) for n in numbers] == [1, 2, 3]


def test_a_subscription_the_page_read_and_another_request_changed_is_not_switched(
    portal: tuple[Shop, PortalBrowser, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, browser, sub = portal
    csrf = csrf_of(browser.get("/").text)
    real_read = portal_changes.read_for_update

    def read_then_lose_the_race(scope: Any, customer_id: str, sub_id: str, settings: Any, **kwargs: Any) -> Any:
        reads = real_read(scope, customer_id, sub_id, settings, **kwargs)
        # The merchant changes the subscription after the page has read it.
        fields = {"cancelAtPeriodEnd": True}
        subscription_changes.update(scope, sub_id, fields, RequestInfo("api"), table=Table())
        return reads

    monkeypatch.setattr(portal_changes, "read_for_update", read_then_lose_the_race)
    form = {"csrf": csrf, "price": shop.monthly, "quantity": "4"}
    refused = browser.post(f"/subscriptions/{sub}/update/confirm", form)
    monkeypatch.undo()
    # Then the switch made over the version the page read is refused, and nothing of it is written
    assert refused.status == 409, refused.text
    stored = shop.api.get(f"/v1/subscriptions/{sub}").json()
    assert stored["cancelAtPeriodEnd"] is True and stored["items"][0]["quantity"] == 1
    updates = shop.api.get("/v1/events", query={"type": "subscription.updated"}).json()["data"]
    assert len(updates) == 1  # the merchant's change only
