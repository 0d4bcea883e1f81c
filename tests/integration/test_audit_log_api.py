"""`GET /v1/audit_log`: the changes customers made in the portal — who, session, IP, user agent,
what, before and after — and nothing the merchant's own API calls did."""

from __future__ import annotations

from tests.conftest import Stack
from tests.integration.test_portal_billing_details import Portal, customer_of, details
from tests.support.apiclient import ApiClient


def test_a_customers_portal_change_is_listed_with_who_what_before_and_after(merchant: ApiClient, stack: Stack) -> None:
    # Given a customer the merchant created and renamed through the API
    customer = customer_of(merchant, name="Ada")
    assert merchant.post(f"/v1/customers/{customer}", {"name": "Ada B."}).status == 200
    # When the customer changes their own details in the portal
    portal = Portal(stack, merchant, customer)
    assert portal.post("/billing-details", details(portal, name="Ada Lovelace")).status == 303
    # Then the audit log lists that change alone, with the session, IP and user agent
    listed = merchant.get("/v1/audit_log", query={"customer": customer})
    assert listed.status == 200, listed.text
    (entry,) = listed.json()["data"]
    assert entry["object"] == "audit_entry" and entry["action"] == "customer.updated"
    assert entry["customer"] == customer and entry["target"] == {"object": "customer", "id": customer}
    actor = entry["actor"]
    assert actor["type"] == "customer" and actor["session"] == portal.session
    assert actor["userAgent"] == "pytest-browser" and actor["ip"]
    assert entry["before"]["name"] == "Ada B." and entry["after"]["name"] == "Ada Lovelace"
    assert set(entry["before"]) == set(entry["after"])
    # And its event is the one webhooks carry
    event = merchant.get(f"/v1/events/{entry['event']}").json()
    assert event["type"] == "customer.updated" and event["request"]["source"] == "portal"
    # And the account-wide log has it too, and pages
    everyone = merchant.get("/v1/audit_log", query={"limit": 1}).json()
    assert [e["id"] for e in everyone["data"]] == [entry["id"]] and everyone["hasMore"] is False


def test_the_audit_log_is_the_accounts_own(merchant: ApiClient, stack: Stack) -> None:
    customer = customer_of(merchant)
    portal = Portal(stack, merchant, customer)
    assert portal.post("/billing-details", details(portal)).status == 303
    _, other_key = stack.new_account()
    other = ApiClient(template=stack.template, key=other_key)
    assert other.get("/v1/audit_log", query={"customer": customer}).json()["data"] == []
    assert other.get("/v1/audit_log").json()["data"] == []


def test_bad_filters_are_named(merchant: ApiClient) -> None:
    bad = merchant.get("/v1/audit_log", query={"customer": "nobody"})
    assert bad.status in (400, 422) and "customer" in bad.text
    # a cursor that is no entry of the list (entries are named by their events): a 400 naming it,
    # never a page read from some other place (issue 20)
    cursor = merchant.get("/v1/audit_log", query={"startingAfter": "evt_00000000000000000000"})
    assert cursor.status == 400 and cursor.json()["error"]["param"] == "startingAfter"
