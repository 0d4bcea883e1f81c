"""The outbox's service without I/O: the event of a change as it is written, and the audit
entry read from it."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from billing.events import auditlog, events, store
from billing.events.records import Event
from billing.kernel import clock
from billing.kernel.errors import NotFound
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Put, UnitOfWork, deserialize
from tests.unit.events.test_store import portal_item
from tests.unit.store.test_repository import RecordingClient, table_with

SCOPE = Scope("acct_1", "test")
PORTAL = RequestInfo(source="portal", request_id="req_1", session="ps_1", ip="203.0.113.9", user_agent="UA")


def test_a_portal_change_is_written_as_the_audited_event_item_of_its_customer() -> None:
    made = events.event_item(
        SCOPE,
        "customer.updated",
        {"id": "cust_1", "object": "customer", "name": "B", "email": "x"},
        PORTAL,
        previous={"name": "A"},
        customer="cust_1",
    )
    put = events.event_op(made)
    expected = portal_item()
    expected["pk"] = f"ACCT#acct_1#test#EVT#{made.id}"
    expected["gsi2sk"] = expected["gsi3sk"] = expected["event"]["id"] = expected["changeRef"][0] = made.id
    expected["event"]["createdAt"] = made.created_at
    expected["expiresAt"] = clock.to_epoch(clock.from_wire(made.created_at) + events.RETENTION)
    assert put.item == expected and put.condition == "attribute_not_exists(pk)"
    assert made.expires_at == expected["expiresAt"]


def test_an_api_change_of_no_customer_is_neither_audited_nor_in_a_customer_list() -> None:
    made = events.event_item(SCOPE, "price.created", {"id": "price_1"}, RequestInfo(source="api"), customer="")
    item = store.to_item(SCOPE, made)
    assert made.audit is None and made.customer is None
    assert not {"audit", "gsi3pk", "gsi3sk"} & set(item)
    assert events.to_wire(made) == item["event"] == made.body
    assert made.body["data"] == {"object": {"id": "price_1"}, "previousAttributes": {}}


def test_an_event_past_its_retention_is_not_found() -> None:
    live = store.from_item(portal_item())
    now = clock.to_epoch(clock.now())
    assert events.live_event_item(replace(live, expires_at=now + 60), live.id).id == live.id
    for gone in (replace(live, expires_at=now), None):
        with pytest.raises(NotFound) as missing:
            events.live_event_item(gone, live.id)
        assert missing.value.param == "event"


def test_an_audit_entry_is_who_changed_what_before_and_after() -> None:
    event = store.from_item(portal_item())
    assert auditlog.to_wire(event) == {
        "id": event.id,
        "object": "audit_entry",
        "createdAt": "2026-12-02T09:38:03Z",
        "livemode": False,
        "customer": "cust_1",
        "action": "customer.updated",
        "actor": {
            "type": "customer",
            "customer": "cust_1",
            "session": "ps_1",
            "ip": "203.0.113.9",
            "userAgent": "UA",
        },
        "target": {"object": "customer", "id": "cust_1"},
        "before": {"name": "A"},
        "after": {"name": "B"},
        "event": event.id,
    }
    created = auditlog.to_wire(replace(event, previous_attributes={}))
    assert (created["before"], created["after"]) == (
        {},
        {"id": "cust_1", "object": "customer", "name": "B", "email": "x"},
    )


def test_an_event_follows_the_one_of_its_change_its_receiver_gets_just_before() -> None:
    # Given a change of three events: an attach, the customer's new default, and another attach
    change = (("evt_3", "customer.updated"), ("evt_1", "payment_method.attached"), ("evt_2", "customer.tax_id.created"))

    def of(ref: tuple[str, str]) -> Event:
        return replace(events.event_item(SCOPE, ref[1], {}, RequestInfo(source="api")), id=ref[0], change=change)

    every = lambda event_id, type_: True  # noqa: E731
    # Then each follows the one before it in causal order, among those its receiver gets
    assert [events.earlier_in_change(of(ref), every) for ref in change] == ["evt_2", None, "evt_1"]
    no_tax_ids = lambda event_id, type_: type_ != "customer.tax_id.created"  # noqa: E731
    assert events.earlier_in_change(of(change[0]), no_tax_ids) == "evt_1"
    assert events.earlier_in_change(of(change[2]), no_tax_ids) == "evt_1"
    # And an event alone follows none
    assert (
        events.earlier_in_change(events.event_item(SCOPE, "customer.updated", {}, RequestInfo(source="api")), every)
        is None
    )


def test_the_events_of_one_unit_of_work_are_told_of_each_other() -> None:
    # Given a change writing an item and two events, and another writing one event
    client = RecordingClient()
    api = RequestInfo(source="api")
    attached = events.event_item(SCOPE, "payment_method.attached", {"id": "pm_1"}, api)
    updated = events.event_item(SCOPE, "customer.updated", {"id": "cust_1"}, api)
    UnitOfWork(table_with(client), api).add(
        Put({"pk": "A", "sk": "1"}), events.event_op(updated), events.event_op(attached)
    ).commit()
    alone = events.event_item(SCOPE, "product.created", {"id": "prod_1"}, api)
    UnitOfWork(table_with(client), api).add(events.event_op(alone)).commit()
    # Then each event item of the first names both, the other item nothing, and the lone event no change
    written = [[deserialize(op["Put"]["Item"]) for op in r["TransactItems"]] for r in client.requests]
    refs = [[updated.id, "customer.updated"], [attached.id, "payment_method.attached"]]
    assert [item.get("change") for item in written[0]] == [None, refs, refs]
    assert "change" not in written[1][0] and store.from_item(written[1][0]).change == ()
    assert store.from_item(written[0][1]).change == tuple(tuple(ref) for ref in refs)
