"""The retry schedule, the queue message and the wire of a webhook delivery."""

from __future__ import annotations

import json

import pytest
from msgspec.structs import replace

from billing.kernel import clock
from billing.webhooks import deliveries, store
from local import template
from tests.unit.webhooks.test_store import event, finished_delivery_item, new_delivery_item


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


def test_a_message_carries_its_event_as_webhooks_send_it() -> None:
    message = deliveries.Message.of(event(), "we_1", 2)
    assert (message.account, message.mode, message.event, message.endpoint, message.round) == (
        "acct_1",
        "test",
        "evt_1",
        "we_1",
        2,
    )
    assert (message.payload, message.expires_at) == (event().body, 1_800_000_000)
    assert deliveries.Message.parse(message.body()) == message


def test_a_message_too_large_for_its_event_leaves_it_out(monkeypatch: pytest.MonkeyPatch) -> None:
    message = deliveries.Message.of(event(), "we_1", 1)
    monkeypatch.setattr(deliveries, "INLINE_EVENT_BYTES", len(message.body()) - 1)
    assert json.loads(message.body()) == {
        "account": "acct_1",
        "mode": "test",
        "event": "evt_1",
        "endpoint": "we_1",
        "round": 1,
    }
    assert deliveries.Message.parse(message.body()) == deliveries.Message("acct_1", "test", "evt_1", "we_1", 1)


def test_every_body_fits_an_sqs_message_with_room_to_spare() -> None:
    assert deliveries.INLINE_EVENT_BYTES <= 256 * 1024 - 32 * 1024
    # non-ASCII text is escaped: the body's length in characters is its size in bytes
    body = deliveries.Message.of(replace(event(), data_object={"name": "Zoë 🎉"}), "we_1", 1).body()
    assert len(body) == len(body.encode())
    assert json.loads(body)["payload"]["data"]["object"]["name"] == "Zoë 🎉"


@pytest.mark.parametrize(
    "changes",
    [
        {"payload": {"id": "evt_other"}},
        {"payload": ["evt_1"]},
        {"expiresAt": None},
        {"expiresAt": "soon"},
        {"expiresAt": True},
    ],
)
def test_a_carried_event_must_be_the_messages_own(changes: dict[str, object]) -> None:
    data = json.loads(deliveries.Message.of(event(), "we_1", 1).body())
    with pytest.raises(ValueError):
        deliveries.Message.parse(json.dumps({**data, **changes}))


class Untouchable:
    """A table no call may reach."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the table was used: {name}")


def test_a_carried_event_past_its_retention_is_not_sent_and_nothing_is_read() -> None:
    message = replace(deliveries.Message.of(event(), "we_1", 1), expires_at=clock.to_epoch(clock.now()))

    def send(*_: object) -> deliveries.Response:
        raise AssertionError("sent")

    outcome = deliveries.deliver(message, 1, send=send, timeout=1, table=Untouchable())  # type: ignore[arg-type]
    assert (outcome.kind, outcome.reason) == ("done", "event expired")


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


def test_a_message_names_the_earlier_event_of_its_change_only_when_there_is_one() -> None:
    following = deliveries.Message.of(event(), "we_1", 1, after="evt_0")
    assert json.loads(following.body())["after"] == "evt_0"
    assert deliveries.Message.parse(following.body()) == following
    assert "after" not in json.loads(deliveries.Message.of(event(), "we_1", 1).body())
    with pytest.raises(ValueError):
        deliveries.Message.parse(json.dumps({**json.loads(following.body()), "after": 7}))


def test_a_batch_is_handed_over_with_each_event_after_the_one_its_change_sends_first() -> None:
    def record(event_id: str, endpoint: str, after: str | None = None) -> dict[str, str]:
        body = deliveries.Message("acct_1", "test", event_id, endpoint, 1, after=after).body()
        return {"messageId": f"{event_id}/{endpoint}", "body": body}

    # Given a renewal's four messages to one endpoint, received last first, among others
    batch = [
        record("evt_sub", "we_1", after="evt_paid"),
        record("evt_other", "we_2"),
        record("evt_paid", "we_1", after="evt_fin"),
        {"messageId": "junk", "body": "not json"},
        record("evt_fin", "we_1", after="evt_inv"),
        record("evt_inv", "we_1"),
        record("evt_sub", "we_2", after="evt_gone"),  # its earlier one is not in this batch
    ]
    ordered = [r["messageId"] for r in deliveries.in_change_order(batch)]
    # Then the change's messages go in its order; the rest keep theirs
    assert ordered.index("evt_inv/we_1") < ordered.index("evt_fin/we_1") < ordered.index("evt_paid/we_1")
    assert ordered.index("evt_paid/we_1") < ordered.index("evt_sub/we_1")
    assert sorted(ordered) == sorted(r["messageId"] for r in batch)
    assert ordered[:3] == ["evt_other/we_2", "junk", "evt_inv/we_1"]
