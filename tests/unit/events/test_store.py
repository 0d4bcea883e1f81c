"""The event record and its item (no I/O): items as the outbox writes them read back and are
written again attribute for attribute; the event's body, retention and type filter."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from msgspec.structs import replace

from billing.events import store
from billing.events.records import Audit, Event
from billing.kernel.scope import Scope
from billing.store.repository import serialize

SCOPE = Scope("acct_1", "test")
EVENT_ID = "evt_0VcdW7YBXwM62a9EIDAyfn"


def portal_item() -> dict[str, Any]:
    """A customer's own change in the portal: audited, and in the customer's event list."""
    return {
        "pk": f"ACCT#acct_1#test#EVT#{EVENT_ID}",
        "sk": "EVENT",
        "type": "event",
        "outbox": True,
        "account": "acct_1",
        "mode": "test",
        "eventType": "customer.updated",
        "event": {
            "id": EVENT_ID,
            "object": "event",
            "type": "customer.updated",
            "createdAt": "2026-12-02T09:38:03Z",
            "livemode": False,
            "data": {
                "object": {"id": "cust_1", "object": "customer", "name": "B", "email": "x"},
                "previousAttributes": {"name": "A"},
            },
            "request": {"source": "portal", "id": "req_1", "idempotencyKey": None},
        },
        "gsi2pk": "ACCT#acct_1#test#EVENTS",
        "gsi2sk": EVENT_ID,
        "expiresAt": 1803980283,
        "changeRef": [EVENT_ID, "customer.updated"],
        "audit": {"session": "ps_1", "ip": "203.0.113.9", "userAgent": "UA"},
        "gsi3pk": "ACCT#acct_1#test#CUST#cust_1#EVENTS",
        "gsi3sk": EVENT_ID,
    }


def api_item() -> dict[str, Any]:
    """A merchant's change through the API, of no customer: neither audited nor in gsi3."""
    item = portal_item()
    for name in ("audit", "gsi3pk", "gsi3sk"):
        del item[name]
    item["eventType"] = item["event"]["type"] = item["changeRef"][1] = "price.created"
    item["event"]["data"] = {"object": {"id": "price_1", "object": "price"}, "previousAttributes": {}}
    item["event"]["request"] = {"source": "api", "id": "req_2", "idempotencyKey": "k-1"}
    return item


def event(**changes: Any) -> Event:
    return replace(store.from_item(portal_item()), **changes)


@pytest.mark.parametrize("written", [portal_item(), api_item()], ids=["portal", "api"])
def test_an_item_as_written_today_reads_back_and_is_written_again_unchanged(written: dict[str, Any]) -> None:
    decoded = store.from_item(copy.deepcopy(written))
    assert store.to_item(SCOPE, decoded) == written
    assert store.from_item(store.to_item(SCOPE, decoded)) == decoded


def test_an_event_of_a_change_knows_the_change_s_other_events() -> None:
    # (the unit of work adds `change` to every outbox item of a transaction that has several)
    written = {**portal_item(), "change": [["evt_0", "payment_method.attached"], [EVENT_ID, "customer.updated"]]}
    decoded = store.from_item(copy.deepcopy(written))
    assert decoded.change == (("evt_0", "payment_method.attached"), (EVENT_ID, "customer.updated"))
    assert store.to_item(SCOPE, decoded) == written


def test_an_item_written_before_changes_were_linked_reads_as_an_event_alone() -> None:
    older = portal_item()
    del older["changeRef"]
    assert store.from_item(older).change == () and store.from_item(older) == store.from_item(portal_item())


def test_the_record_holds_the_event_field_by_field() -> None:
    decoded = store.from_item(portal_item())
    assert decoded == Event(
        id=EVENT_ID,
        type="customer.updated",
        account="acct_1",
        mode="test",
        created_at="2026-12-02T09:38:03Z",
        data_object={"id": "cust_1", "object": "customer", "name": "B", "email": "x"},
        previous_attributes={"name": "A"},
        request={"source": "portal", "id": "req_1", "idempotencyKey": None},
        expires_at=1803980283,
        customer="cust_1",
        audit=Audit(session="ps_1", ip="203.0.113.9", user_agent="UA"),
    )
    assert store.from_item(api_item()).customer is None and store.from_item(api_item()).audit is None


def test_a_live_event_says_so_in_its_body() -> None:
    live = event(mode="live")
    assert live.livemode is True and live.body["livemode"] is True
    assert live.scope == Scope("acct_1", "live")
    assert list(live.body) == ["id", "object", "type", "createdAt", "livemode", "data", "request"]


def test_an_event_is_kept_until_the_second_it_expires() -> None:
    kept = event(expires_at=1_000)
    assert kept.live_at(999) and not kept.live_at(1_000) and not kept.live_at(1_001)


@pytest.mark.parametrize(
    ("type_filter", "matches"),
    [
        (None, True),
        ("", True),
        ("customer.updated", True),
        ("customer.*", True),
        ("*", True),
        ("customer.created", False),
        ("customer", False),
        ("invoice.*", False),
    ],
)
def test_the_type_filter_is_exact_or_a_prefix_ending_in_a_star(type_filter: str | None, matches: bool) -> None:
    assert event().matches(type_filter) is matches


def test_after_is_the_changed_fields_now_or_the_whole_object_when_created() -> None:
    assert event().after == {"name": "B"}
    created = event(previous_attributes={})
    assert created.after == created.data_object and created.after is not created.data_object


def test_an_outbox_image_decodes_and_other_images_do_not() -> None:
    assert store.outbox_event(serialize(portal_item())) == store.from_item(portal_item())
    assert store.outbox_event(serialize({**portal_item(), "outbox": False})) is None
    assert store.outbox_event(serialize({"pk": "x", "sk": "DELIVERY#we_1", "type": "delivery"})) is None


def test_insert_refuses_to_overwrite_and_keys_name_the_partition() -> None:
    put = store.insert(SCOPE, event())
    assert put.item == portal_item() and put.condition == "attribute_not_exists(pk)"
    assert store.event_key(SCOPE, EVENT_ID) == (f"ACCT#acct_1#test#EVT#{EVENT_ID}", "EVENT")
    assert store.is_event_item(portal_item()) and not store.is_event_item({"sk": "DELIVERY#we_1"})
