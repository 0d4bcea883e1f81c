"""Webhooks on the whole local stack: a plan switch a customer makes in a real Chromium reaches
`make dev`'s receiver as a verified `subscription.updated`."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import Running
from tests.e2e.portal_support import Merchant, signed_in
from tests.e2e.test_portal_subscriptions_browser import price_of, subscribed

pytestmark = pytest.mark.slow


def test_a_plan_switch_in_the_portal_reaches_the_local_receiver_verified(running: Running, chromium: Browser) -> None:
    # Given the demo account's endpoint at make dev's receiver, and a customer on Basic
    merchant = Merchant(running)
    (endpoint,) = merchant.call("GET", "/v1/webhook_endpoints")["data"]
    assert endpoint["url"].startswith("http://127.0.0.1:") and endpoint["enabledEvents"] == ["*"]
    customer, sub = subscribed(merchant, "Webhook Watcher")
    # When the customer switches to Pro in the portal
    context, page = signed_in(chromium, running, merchant.session(customer)["url"])
    page.get_by_role("link", name="Change plan").click()
    page.get_by_label("Pro").check()
    page.get_by_role("button", name="Review the change").click()
    page.get_by_role("button", name="Confirm the change").click()
    page.wait_for_url(f"{running.portal}/?done=plan_changed")
    context.close()
    # Then the receiver printed the portal's subscription.updated, its signature verified by the SDK
    [event] = merchant.events(customer, "subscription.updated")
    assert event["request"]["source"] == "portal"
    assert event["data"]["object"]["items"][0]["price"] == price_of(merchant, "prod_pro")
    running.wait_for(rf"webhook  {re.escape(event['id'])}  subscription\.updated  verified")
    # And the API shows that delivery as succeeded on its first attempt
    (delivery,) = merchant.call("GET", f"/v1/events/{event['id']}")["deliveries"]
    assert delivery["endpoint"] == endpoint["id"] and delivery["status"] == "succeeded"
    assert delivery["attempts"][0]["status"] == 200
    assert not any("REJECTED" in line for line in running.output)
    assert sub["id"] == event["data"]["object"]["id"]
