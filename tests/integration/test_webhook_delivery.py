"""Webhooks end to end in-process: a change's event → the stream → fanout → the queue → deliver →
a real receiver on 127.0.0.1, with the retry schedule under a clock the test moves."""

from __future__ import annotations

import itertools
import json
from typing import Any

from standardwebhooks.webhooks import Webhook

from bench.harness import counting_calls
from billing.webhooks import deliveries
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.webhooks import DELIVERY_TIMEOUT_SECONDS, FakeClock, Pipeline, Receiver


def endpoint(merchant: ApiClient, url: str, events: list[str] | None = None) -> dict[str, Any]:
    created = merchant.post("/v1/webhook_endpoints", {"url": url, "enabledEvents": events or ["*"]})
    assert created.status == 200, created.text
    result: dict[str, Any] = created.json()
    return result


def customer_created(merchant: ApiClient, name: str = "Ada") -> str:
    made = merchant.post("/v1/customers", {"name": name})
    assert made.status == 200, made.text
    listed = merchant.get("/v1/events", query={"customer": made.json()["id"], "type": "customer.created"}).json()
    event_id: str = listed["data"][0]["id"]
    return event_id


def deliveries_of(merchant: ApiClient, event_id: str) -> list[dict[str, Any]]:
    got = merchant.get(f"/v1/events/{event_id}")
    assert got.status == 200, got.text
    result: list[dict[str, Any]] = got.json()["deliveries"]
    return result


def test_an_event_reaches_the_receiver_signed_for_any_standard_webhooks_library(
    merchant: ApiClient, pipeline: Pipeline, receiver: Receiver
) -> None:
    # Given an endpoint subscribed to every event
    hook = endpoint(merchant, receiver.url)
    # When a customer is created and the pipeline runs
    event_id = customer_created(merchant)
    pipeline.run()
    # Then the receiver got the event once, and the real standardwebhooks package verifies it
    assert [r.webhook_id for r in receiver.received] == [event_id]
    got = receiver.received[0]
    verified = Webhook(hook["secret"]).verify(got.body, got.headers)
    assert verified["id"] == event_id and verified["type"] == "customer.created"
    as_listed = merchant.get(f"/v1/events/{event_id}").json()
    as_listed.pop("deliveries")
    as_listed.pop("emails")
    assert json.loads(got.body) == as_listed
    # And the event shows one successful delivery with its attempt
    (delivery,) = deliveries_of(merchant, event_id)
    assert delivery["status"] == "succeeded" and delivery["endpoint"] == hook["id"]
    assert delivery["attemptCount"] == 1 and delivery["attempts"][0]["status"] == 200
    assert pipeline.counts() == (0, 0)


def test_an_endpoint_gets_the_events_made_after_it_however_late_the_stream_runs(
    merchant: ApiClient, pipeline: Pipeline
) -> None:
    # Given an endpoint, and a customer created (its event still in the stream)
    early, late = Receiver(), Receiver()
    try:
        first = endpoint(merchant, early.url)
        before = customer_created(merchant, "Before")
        # When a second endpoint is created before the stream reaches that event, then another customer
        second = endpoint(merchant, late.url)
        after = customer_created(merchant, "After")
        pipeline.run()
        # Then the first endpoint got both events, the second only the one made after it
        assert sorted(r.webhook_id for r in early.received) == sorted([before, after])
        assert [r.webhook_id for r in late.received] == [after]
        assert [d["endpoint"] for d in deliveries_of(merchant, before)] == [first["id"]]
        assert sorted(d["endpoint"] for d in deliveries_of(merchant, after)) == sorted([first["id"], second["id"]])
        assert pipeline.counts() == (0, 0)
    finally:
        early.stop()
        late.stop()


def test_failed_attempts_follow_the_schedule_and_every_event_is_acknowledged_once(
    merchant: ApiClient, pipeline: Pipeline, fake_clock: FakeClock
) -> None:
    # Given a receiver that fails twice, times out once, fails again, then answers 2xx
    receiver = Receiver(["fail", "fail", "slow", "fail"], slow_seconds=DELIVERY_TIMEOUT_SECONDS * 3)
    try:
        endpoint(merchant, receiver.url)
        # When three events happen and the pipeline runs, moving the clock only as the schedule says
        event_ids = [customer_created(merchant, name) for name in ("Ada", "Grace", "Edsger")]
        pipeline.run()
        for step, delay in enumerate(deliveries.RETRY_DELAYS[:2], start=1):
            fake_clock.advance(delay - 1)
            assert pipeline.deliver() == 0, f"a message showed before its retry {step} was due"
            fake_clock.advance(1.001)  # SQS shows it once its hidden time has passed
            assert pipeline.deliver() >= 1
        # Then every event arrived and was acknowledged exactly once, with nothing left in flight
        for event_id in event_ids:
            assert receiver.acknowledged(event_id) == 1
        assert pipeline.counts() == (0, 0)
        # And each delivery's attempts are the receiver's answers, spaced as the schedule says
        history = {e: deliveries_of(merchant, e)[0]["attempts"] for e in event_ids}
        first, second, third = (history[e] for e in event_ids)
        assert [a["status"] for a in first] == [500, 500, 200]
        assert [a["status"] for a in second] == [500, 200]
        assert [a["status"] for a in third] == [None, 200]
        assert "within" in third[0]["error"]
        gaps = [_seconds(b["at"]) - _seconds(a["at"]) for a, b in itertools.pairwise(first)]
        assert gaps == list(deliveries.RETRY_DELAYS[:2])
        assert [a["attempt"] for a in first] == [1, 2, 3]
    finally:
        receiver.stop()


def _seconds(wire: str) -> int:
    from billing.kernel import clock

    return clock.to_epoch(clock.from_wire(wire))


def test_a_receiver_that_never_answers_2xx_ends_in_the_dlq_and_the_api_redelivers_it(
    merchant: ApiClient, pipeline: Pipeline, fake_clock: FakeClock
) -> None:
    # Given a receiver that always fails
    receiver = Receiver(then="fail")
    try:
        hook = endpoint(merchant, receiver.url)
        event_id = customer_created(merchant)
        pipeline.run()
        # When every retry of the schedule has run
        for delay in deliveries.RETRY_DELAYS:
            fake_clock.advance(delay + 0.001)
            pipeline.deliver()
        fake_clock.advance(1)
        pipeline.deliver()  # the receive after the last attempt moves the message to the DLQ
        # Then it was attempted MAX_ATTEMPTS times, shows as failed, and waits in the DLQ
        assert len(receiver.received) == deliveries.MAX_ATTEMPTS
        (delivery,) = deliveries_of(merchant, event_id)
        assert delivery["status"] == "failed" and delivery["attemptCount"] == deliveries.MAX_ATTEMPTS
        assert delivery["nextAttemptAt"] is None and "attempts" in delivery["failureReason"]
        assert pipeline.counts() == (0, 0)
        assert pipeline.counts("DeliveryDeadLetterQueue")[0] == 1
        # When the receiver is fixed and the merchant redelivers through the API
        receiver.then = "ok"
        redone = merchant.post(f"/v1/events/{event_id}/redeliver", {})
        assert redone.status == 200, redone.text
        assert [(d["endpoint"], d["status"], d["round"]) for d in redone.json()["data"]] == [(hook["id"], "pending", 2)]
        pipeline.deliver()
        # Then it arrives once, and the delivery shows the success of round 2
        assert receiver.acknowledged(event_id) == 1
        (delivery,) = deliveries_of(merchant, event_id)
        assert delivery["status"] == "succeeded" and delivery["round"] == 2
        assert delivery["attemptCount"] == deliveries.MAX_ATTEMPTS + 1
    finally:
        receiver.stop()


def test_duplicated_stream_records_and_messages_never_deliver_twice(
    merchant: ApiClient, pipeline: Pipeline, receiver: Receiver, stack: Stack
) -> None:
    # Given an event delivered once
    endpoint(merchant, receiver.url)
    event_id = customer_created(merchant)
    pipeline.run()
    assert receiver.acknowledged(event_id) == 1
    # When the stream is read again from its start (every record duplicated) and delivered again
    pipeline.stream.positions.clear()
    pipeline.run()
    # And the queue gets a verbatim copy of a delivered message
    (delivery,) = deliveries_of(merchant, event_id)
    scope_account = merchant.get("/v1/account").json()["id"]
    copy = deliveries.Message(scope_account, "test", event_id, delivery["endpoint"], delivery["round"])
    pipeline.sqs.send_message(QueueUrl=stack.resources.queues["DeliveryQueue"], MessageBody=copy.body())
    pipeline.deliver()
    # Then the receiver still saw it once
    assert len(receiver.received) == 1
    assert pipeline.counts() == (0, 0)


def test_an_endpoint_answering_410_is_disabled_and_not_retried(
    merchant: ApiClient, pipeline: Pipeline, fake_clock: FakeClock
) -> None:
    receiver = Receiver(then="gone")
    try:
        hook = endpoint(merchant, receiver.url)
        event_id = customer_created(merchant)
        pipeline.run()
        fake_clock.advance(deliveries.RETRY_DELAYS[0] + 0.001)
        pipeline.deliver()
        assert len(receiver.received) == 1
        shown = merchant.get(f"/v1/webhook_endpoints/{hook['id']}").json()
        assert shown["disabled"] is True and "410" in shown["disabledReason"]
        (delivery,) = deliveries_of(merchant, event_id)
        assert delivery["status"] == "failed" and "410" in delivery["failureReason"]
        # And later events are not sent to it
        customer_created(merchant, "Later")
        pipeline.run()
        assert len(receiver.received) == 1
        # And an explicit redelivery to it is refused until it is enabled
        refused = merchant.post(f"/v1/events/{event_id}/redeliver", {"endpoint": hook["id"]})
        assert refused.status == 409 and refused.json()["error"]["param"] == "endpoint"
    finally:
        receiver.stop()


def test_one_failing_endpoint_in_a_batch_retries_only_its_own_records(
    merchant: ApiClient, pipeline: Pipeline, fake_clock: FakeClock, receiver: Receiver
) -> None:
    # Given two endpoints, one of them failing
    failing = Receiver(["fail"])
    try:
        endpoint(merchant, receiver.url)
        endpoint(merchant, failing.url)
        event_id = customer_created(merchant)
        pipeline.run()
        # When the failed record's retry is due
        fake_clock.advance(deliveries.RETRY_DELAYS[0] + 0.001)
        pipeline.deliver()
        # Then the healthy receiver was not sent it again, and the failing one got it on the retry
        assert len(receiver.received) == 1
        assert [r.answered for r in failing.received] == [500, 200]
        assert {d["status"] for d in deliveries_of(merchant, event_id)} == {"succeeded"}
    finally:
        failing.stop()


def test_redelivery_is_refused_cleanly_for_unknown_events_and_endpoints(merchant: ApiClient) -> None:
    missing = merchant.post("/v1/events/evt_0000000000000000000000/redeliver", {})
    assert missing.status == 404 and missing.json()["error"]["param"] == "event"
    event_id = customer_created(merchant)
    no_endpoint = merchant.post(f"/v1/events/{event_id}/redeliver", {})
    assert no_endpoint.status == 400 and no_endpoint.json()["error"]["param"] == "endpoint"
    unknown = merchant.post(f"/v1/events/{event_id}/redeliver", {"endpoint": "we_unknown"})
    assert unknown.status == 404
    bad = merchant.post(f"/v1/events/{event_id}/redeliver", {"endpoint": "nope"})
    assert bad.status == 400


def test_another_accounts_event_cannot_be_read_or_redelivered(stack: Stack, merchant: ApiClient) -> None:
    event_id = customer_created(merchant)
    _, other_key = stack.new_account()
    other = ApiClient(template=stack.template, key=other_key)
    assert other.get(f"/v1/events/{event_id}").status == 404
    assert other.post(f"/v1/events/{event_id}/redeliver", {}).status == 404


def test_a_delivery_and_its_fanout_make_a_fixed_number_of_aws_calls(
    merchant: ApiClient, pipeline: Pipeline, receiver: Receiver
) -> None:
    # Given an endpoint and one event, the handlers imported by an earlier delivery
    endpoint(merchant, receiver.url)
    customer_created(merchant, "Warm-up")
    pipeline.run()
    customer_created(merchant, "Counted")
    # When the event is fanned out, then delivered, each counted by the bench's hook
    with counting_calls() as fanout:
        pipeline.fan_out()
    with counting_calls() as deliver:
        pipeline.deliver()
    # Then fanout reads the endpoints once and writes one record and one message batch
    assert dict(fanout.calls) == {"Query": 1, "UpdateItem": 1, "SendMessageBatch": 1}
    # And a successful delivery claims (checking the cached endpoint's version) and records:
    # the event came in the message, the endpoint's signing data from the warm-up's
    # (tests/integration/test_webhook_delivery_calls.py has the rest)
    assert dict(deliver.calls) == {"TransactWriteItems": 1, "UpdateItem": 1}
    assert len(receiver.received) == 2


def test_deliveries_to_one_receiver_reuse_one_connection(
    merchant: ApiClient, pipeline: Pipeline, receiver: Receiver
) -> None:
    endpoint(merchant, receiver.url)
    events = [customer_created(merchant, f"Reuse {n}") for n in range(4)]
    pipeline.run()
    assert sorted(r.webhook_id for r in receiver.received) == sorted(events)
    # one client address (host, port): every POST went over the same kept-alive connection
    assert len(receiver.connections) == 1
