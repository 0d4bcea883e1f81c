"""`metadata` on subscriptions, as customers have it (issue 20): set at creation, merged on update
(an empty or null value removes a key), with the same limits, and in the events."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.shop import Shop


def ok(response: Any) -> dict[str, Any]:
    assert response.status == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_metadata_is_set_merged_and_removed(shop: Shop) -> None:
    sub = ok(shop.subscribe(shop.customer(), metadata={"order": "A-1", "team": "blue"}))
    assert sub["metadata"] == {"order": "A-1", "team": "blue"}
    updated = ok(shop.api.post(f"/v1/subscriptions/{sub['id']}", {"metadata": {"team": "", "seat": "7"}}))
    assert updated["metadata"] == {"order": "A-1", "seat": "7"}
    assert ok(shop.api.get(f"/v1/subscriptions/{sub['id']}"))["metadata"] == updated["metadata"]
    cleared = ok(shop.api.post(f"/v1/subscriptions/{sub['id']}", {"metadata": {"order": None, "seat": None}}))
    assert cleared["metadata"] == {}
    # The events carry it, and the update's previous attributes say what it was
    (event, *_) = ok(shop.api.get("/v1/events", query={"type": "subscription.updated"}))["data"]
    assert event["data"]["object"]["metadata"] == {}
    assert event["data"]["previousAttributes"] == {"metadata": {"order": "A-1", "seat": "7"}}
    # A null is refused, naming it (omit it to leave it as it is)
    refused = shop.api.post(f"/v1/subscriptions/{sub['id']}", {"metadata": None})
    assert refused.status == 400 and refused.json()["error"]["param"] == "metadata", refused.text
    # A subscription made without it has none
    assert ok(shop.subscribe(shop.customer()))["metadata"] == {}


@pytest.mark.parametrize(
    "metadata",
    [
        {f"k{n}": "v" for n in range(51)},  # more than 50 keys
        {"k" * 41: "v"},  # a key longer than 40
        {"k": "v" * 501},  # a value longer than 500
        {"k": 5},  # not a string
    ],
)
def test_metadata_has_the_customers_limits(shop: Shop, metadata: dict[str, Any]) -> None:
    refused = shop.subscribe(shop.customer(), metadata=metadata)
    assert refused.status == 400 and refused.json()["error"]["param"].startswith("metadata"), refused.text
    sub = ok(shop.subscribe(shop.customer()))
    refused = shop.api.post(f"/v1/subscriptions/{sub['id']}", {"metadata": metadata})
    assert refused.status == 400 and refused.json()["error"]["param"].startswith("metadata"), refused.text
