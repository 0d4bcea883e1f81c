"""The retry schedule and the queue message of a webhook delivery."""

from __future__ import annotations

import json

import pytest

from billing.webhooks import deliveries
from local import template


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
