"""Plan changes and cancellation in a real Chromium: each flow with and without JavaScript, from
the minted link to the change in the API and its event; axe on every page of the part; a
German pass at 360 px; deep links that return to the merchant."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Running
from tests.e2e.portal_support import Merchant, assert_accessible, fits_width, signed_in

pytestmark = pytest.mark.slow


def price_of(merchant: Merchant, product: str) -> str:
    return str(merchant.call("GET", "/v1/prices", params={"product": product})["data"][0]["id"])


def subscribed(merchant: Merchant, name: str, product: str = "prod_basic") -> tuple[str, dict[str, Any]]:
    customer = merchant.customer(name, address={"line1": "Unter den Linden 5", "city": "Berlin", "country": "DE"})
    merchant.call("POST", f"/v1/customers/{customer}/payment_methods", json={"token": "tok_visa"})
    body = {"customer": customer, "items": [{"price": price_of(merchant, product)}]}
    return customer, merchant.call("POST", "/v1/subscriptions", json=body)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_changing_the_plan_after_its_preview(running: Running, chromium: Browser, javascript: bool) -> None:
    # Given a customer on Basic in the demo account (Basic and Pro offered)
    merchant = Merchant(running)
    customer, sub = subscribed(merchant, "Plan Changer")
    context, page = signed_in(chromium, running, merchant.session(customer)["url"], javascript=javascript)
    # When the customer asks to change the plan
    page.get_by_role("link", name="Change plan").click()
    expect(page.get_by_role("heading", name="Change plan")).to_be_visible()
    expect(page.get_by_label("Basic")).to_be_checked()
    if javascript:
        assert_accessible(page, "portal-subscription-update")
    # And a quantity that is not a number first: the form comes back with its error
    page.get_by_label("Pro").check()
    page.get_by_label("Quantity").fill("many")
    page.get_by_role("button", name="Review the change").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_text("Enter a quantity from 1 to 10,000.").first).to_be_visible()
    expect(page.get_by_label("Pro")).to_be_checked()
    if javascript:
        assert_accessible(page, "portal-subscription-update-error")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Review the change").click()
    # Then the confirmation shows what is due now and on the next invoice, before any change
    expect(page.get_by_role("heading", name="Confirm the change")).to_be_visible()
    expect(page.get_by_test_id("due-now")).to_contain_text("Due now")
    expect(page.get_by_test_id("next-invoice")).to_contain_text("Next invoice on")
    assert merchant.call("GET", f"/v1/subscriptions/{sub['id']}")["items"][0]["quantity"] == 1
    if javascript:
        assert_accessible(page, "portal-subscription-confirm")
    # When the customer confirms
    page.get_by_role("button", name="Confirm the change").click()
    page.wait_for_url(f"{running.portal}/?done=plan_changed")
    expect(page.get_by_role("status")).to_have_text("Your plan was changed.")
    # Then the API shows Pro × 2 and the portal's subscription.updated
    item = merchant.call("GET", f"/v1/subscriptions/{sub['id']}")["items"][0]
    assert item["price"] == price_of(merchant, "prod_pro") and item["quantity"] == 2
    [event] = merchant.events(customer, "subscription.updated")
    assert event["request"]["source"] == "portal"
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_cancelling_at_period_end_with_a_reason_then_renewing(
    running: Running, chromium: Browser, javascript: bool
) -> None:
    merchant = Merchant(running)
    customer, sub = subscribed(merchant, "Leaving Customer", "prod_pro")
    context, page = signed_in(chromium, running, merchant.session(customer)["url"], javascript=javascript)
    # When the customer opens the cancellation
    page.get_by_role("link", name="Cancel subscription").click()
    # Then it says when it ends, asks why, and offers the coupon as what it saves
    expect(page.get_by_test_id("what-happens")).to_contain_text("stays active until")
    expect(page.get_by_test_id("retention-offer")).to_have_text("Stay and save €6.90 per month for 3 months")
    if javascript:
        assert_accessible(page, "portal-subscription-cancel")
    # When the customer gives a reason and cancels
    page.get_by_label("It is too expensive").check()
    page.get_by_label("Anything else you would like to tell us? (optional)").fill("Back next year")
    page.get_by_role("button", name="Cancel subscription").click()
    page.wait_for_url(f"{running.portal}/?done=cancel_scheduled")
    # Then it ends at the period end with the reason, as the API shows
    stored = merchant.call("GET", f"/v1/subscriptions/{sub['id']}")
    assert stored["cancelAtPeriodEnd"] is True
    assert stored["cancellationDetails"] == {"reason": "too_expensive", "comment": "Back next year"}
    [event] = merchant.events(customer, "subscription.updated")
    assert event["request"]["source"] == "portal"
    # And the overview renews it
    page.get_by_role("button", name="Renew subscription").click()
    page.wait_for_url(f"{running.portal}/?done=renewed")
    assert merchant.call("GET", f"/v1/subscriptions/{sub['id']}")["cancelAtPeriodEnd"] is False
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_accepting_the_retention_offer(running: Running, chromium: Browser, javascript: bool) -> None:
    merchant = Merchant(running)
    customer, sub = subscribed(merchant, "Staying Customer")
    context, page = signed_in(chromium, running, merchant.session(customer)["url"], javascript=javascript)
    page.get_by_role("link", name="Cancel subscription").click()
    expect(page.get_by_test_id("retention-offer")).to_have_text("Stay and save €2.14 per month for 3 months")
    page.get_by_role("button", name="Accept offer").click()
    page.wait_for_url(f"{running.portal}/?done=offer_accepted")
    expect(page.get_by_text("Coupon: Save 20%")).to_be_visible()
    stored = merchant.call("GET", f"/v1/subscriptions/{sub['id']}")
    assert stored["discount"]["coupon"]["id"] == "rwd_save20" and stored["cancelAtPeriodEnd"] is False
    context.close()


def test_a_scheduled_downgrade_in_german_at_360_px(running: Running, chromium: Browser) -> None:
    # Given a configuration that keeps downgrades for the period end, and a customer on Pro
    merchant = Merchant(running)
    config = merchant.call(
        "POST",
        "/v1/billing/portal_configurations",
        json={
            "features": {
                "subscriptionUpdate": {
                    "enabled": True,
                    "products": ["prod_basic", "prod_pro"],
                    "scheduleAtPeriodEnd": {"conditions": ["decreasing_item_amount"]},
                },
                "subscriptionCancel": {"retention": {"offerCoupon": "rwd_save20"}},
            }
        },
    )["id"]
    customer, sub = subscribed(merchant, "Erika Mustermann", "prod_pro")
    url = merchant.session(customer, locale="de", configuration=config)["url"]
    context, page = signed_in(chromium, running, url, width=360)
    # When she picks Basic, in German, on a narrow screen
    page.get_by_role("link", name="Tarif wechseln").click()
    expect(page.get_by_role("heading", name="Tarif wechseln")).to_be_visible()
    assert fits_width(page)
    assert_accessible(page, "portal-subscription-update-de-360")
    page.get_by_label("Basic").check()
    page.get_by_role("button", name="Änderung prüfen").click()
    # Then the confirmation says when it starts and what the next invoice is: 9 € + 19 %
    expect(page.get_by_test_id("starts-on")).to_contain_text("Ihr neuer Tarif beginnt am")
    expect(page.get_by_test_id("next-invoice")).to_contain_text("10,71")
    assert fits_width(page)
    assert_accessible(page, "portal-subscription-confirm-de-360")
    page.get_by_role("button", name="Änderung vormerken").click()
    page.wait_for_url(f"{running.portal}/?done=plan_scheduled")
    expect(page.get_by_test_id("scheduled-change")).to_contain_text("Wechselt am")
    stored = merchant.call("GET", f"/v1/subscriptions/{sub['id']}")
    assert stored["scheduledChange"]["items"][0]["price"] == price_of(merchant, "prod_basic")
    # And the cancellation page speaks German too
    page.get_by_role("link", name="Abonnement kündigen").click()
    expect(page.get_by_role("group", name="Warum kündigen Sie? (optional)")).to_be_visible()
    expect(page.get_by_test_id("retention-offer")).to_contain_text("pro Monat")
    assert fits_width(page)
    assert_accessible(page, "portal-subscription-cancel-de-360")
    context.close()


@pytest.mark.parametrize("flow", ["subscription_update", "subscription_cancel"])
def test_a_deep_link_opens_on_its_action_and_returns_after_it(running: Running, chromium: Browser, flow: str) -> None:
    merchant = Merchant(running)
    customer, sub = subscribed(merchant, "Deep Linked")
    url = merchant.session(customer, flow={"type": flow, "subscription": sub["id"]})["url"]
    context, page = signed_in(chromium, running, url, javascript=False)
    page.goto(f"{running.portal}/subscriptions/{sub['id']}/{'update' if flow == 'subscription_update' else 'cancel'}")
    if flow == "subscription_update":
        page.get_by_label("Pro").check()
        page.get_by_role("button", name="Review the change").click()
        page.get_by_role("button", name="Confirm the change").click()
    else:
        page.get_by_role("button", name="Cancel subscription").click()
    page.wait_for_url(f"{running.api}/health")
    stored = merchant.call("GET", f"/v1/subscriptions/{sub['id']}")
    if flow == "subscription_update":
        assert stored["items"][0]["price"] == price_of(merchant, "prod_pro")
    else:
        assert stored["cancelAtPeriodEnd"] is True
    context.close()


def test_a_deep_link_with_javascript_lands_on_the_plans(running: Running, chromium: Browser) -> None:
    merchant = Merchant(running)
    customer, sub = subscribed(merchant, "Deep Linked JS")
    url = merchant.session(customer, flow={"type": "subscription_update", "subscription": sub["id"]})["url"]
    context, page = signed_in(chromium, running, url)
    page.wait_for_url(f"{running.portal}/subscriptions/{sub['id']}/update")
    expect(page.get_by_role("heading", name="Change plan")).to_be_visible()
    context.close()
