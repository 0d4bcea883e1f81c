"""A customer's own change carries its audit record on its event item; an API change does not."""

from __future__ import annotations

from billing.customers import customers
from billing.events import events
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Table
from tests.conftest import Stack


def stored_events(scope: Scope, customer_id: str) -> list[dict[str, object]]:
    listed = events.list_events(scope, limit=100, starting_after=None, customer=customer_id, table=Table())["data"]
    return [Table().get(scope.key("EVT", e["id"]), "EVENT") or {} for e in listed]


def test_a_portal_change_is_audited_and_the_webhook_payload_keeps_no_ip(stack: Stack) -> None:
    # Given a customer created through the API
    account_id, _ = stack.new_account()
    scope = Scope(account_id, "test")
    customer = customers.create(scope, {"name": "Ada"}, RequestInfo(source="api", request_id="req_1"), table=Table())
    # When the customer changes its name in the portal
    portal = RequestInfo(
        source="portal", request_id="req_2", session="bps_123", ip="203.0.113.9", user_agent="Firefox/140"
    )
    customers.update(scope, customer.id, {"name": "Ada Lovelace"}, portal, table=Table())
    # Then the change's event item is its audit record: who, session, IP, user agent, before/after
    created, updated = sorted(stored_events(scope, customer.id), key=lambda item: str(item["gsi3sk"]))
    assert "audit" not in created
    assert updated["audit"] == {"session": "bps_123", "ip": "203.0.113.9", "userAgent": "Firefox/140"}
    event = updated["event"]
    assert isinstance(event, dict)
    assert event["request"]["source"] == "portal"
    assert event["data"]["object"]["name"] == "Ada Lovelace"
    assert event["data"]["previousAttributes"] == {"name": "Ada"}
    # And what webhooks deliver carries neither the IP nor the user agent
    assert "203.0.113.9" not in str(event) and "Firefox" not in str(event)
