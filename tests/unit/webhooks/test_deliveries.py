"""The retry schedule, the queue message and the wire of a webhook delivery."""

from __future__ import annotations

import json

import pytest

from billing.webhooks import deliveries, store
from local import template
from tests.unit.webhooks.test_store import finished_delivery_item, new_delivery_item


def test_the_schedule_lasts_about_three_days_and_grows() -> None:
    total = sum(deliveries.RETRY_DELAYS)
    assert 2.5 * 86400 <= total <= 3.5 * 86400
    assert list(deliveries.RETRY_DELAYS) == sorted(deliveries.RETRY_DELAYS)
    # every step fits one receive's visibility limit in SQS (12 hours)
    assert max(deliveries.RETRY_DELAYS) < 43200


def test_the_queue_moves_a_message_to_the_dlq_after_the_last_attempt() -> None:
    queue = template.load().resources["DeliveryQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == deliveries.MAX_ATTEMPTS
    # a message outlives its whole schedule
    assert queue["MessageRetentionPeriod"] > sum(deliveries.RETRY_DELAYS)


def test_a_message_round_trips() -> None:
    message = deliveries.Message("acct_1", "live", "evt_1", "we_1", 3)
    assert deliveries.Message.parse(message.body()) == message


@pytest.mark.parametrize(
    "body",
    [
        "",
        "[]",
        "null",
        json.dumps({"account": "a", "mode": "prod", "event": "e", "endpoint": "w", "round": 1}),
        json.dumps({"account": "a", "mode": "test", "event": "e", "endpoint": "w"}),
    ],
)
def test_anything_else_is_not_a_message(body: str) -> None:
    with pytest.raises((ValueError, KeyError)):
        deliveries.Message.parse(body)


@pytest.mark.parametrize(
    "status,ok", [(200, True), (204, True), (299, True), (301, False), (410, False), (None, False)]
)
def test_only_a_2xx_answer_is_success(status: int | None, ok: bool) -> None:
    assert deliveries.Response(status, 5).ok is ok


def test_the_wire_of_a_new_delivery_shows_no_attempt_yet() -> None:
    assert deliveries.to_wire(store.delivery_from_item(new_delivery_item())) == {
        "object": "webhook_delivery",
        "event": "evt_1",
        "endpoint": "we_1",
        "url": "https://hooks.example.com/vinr",
        "status": "pending",
        "round": 1,
        "attemptCount": 0,
        "lastAttemptAt": None,
        "nextAttemptAt": None,
        "deliveredAt": None,
        "failureReason": None,
        "attempts": [],
        "createdAt": "2026-01-03T00:00:00Z",
    }


def test_the_wire_of_a_delivered_one_lists_its_attempts_as_stored() -> None:
    item = finished_delivery_item()
    wire = deliveries.to_wire(store.delivery_from_item(item))
    assert wire["attempts"] == item["attempts"]
    assert [list(a) for a in wire["attempts"]] == [list(a) for a in item["attempts"]]
    assert (wire["status"], wire["round"], wire["attemptCount"], wire["deliveredAt"], wire["nextAttemptAt"]) == (
        "succeeded",
        2,
        2,
        "2026-01-03T00:01:02Z",
        None,
    )
