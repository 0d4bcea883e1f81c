"""`fanout` and `deliver` dying mid-batch: a record that raises, an invocation killed part-way
(Lambda's timeout), a queue that refuses a message or a visibility change. The local stack's
own pollers play the event source mappings (stream → fanout, queue → deliver, partial batch
failures); a clock moves our time and moto's SQS. Whatever dies, every event reaches the
receiver and is acknowledged exactly once, and nothing is left in the queues."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from billing.events.records import Event
from billing.webhooks import deliveries
from tests.conftest import Stack
from tests.faults import injector as faults
from tests.support.apiclient import ApiClient
from tests.support.webhooks import FakeClock, Pipeline, Receiver

VISIBILITY_SECONDS = 360  # template.yaml's DeliveryQueue VisibilityTimeout
EVENTS = 6


class LambdaTimeout(BaseException):
    """The runtime stopping the function: no `except Exception` in the handler sees it."""


@pytest.fixture
def hooked(merchant: ApiClient, receiver: Receiver) -> ApiClient:
    made = merchant.post("/v1/webhook_endpoints", {"url": receiver.url, "enabledEvents": ["*"]})
    assert made.status == 200, made.text
    return merchant


def make_events(api: ApiClient, count: int = EVENTS) -> list[str]:
    ids = []
    for n in range(count):
        made = api.post("/v1/customers", {"name": f"Customer {n}"})
        assert made.status == 200, made.text
        listed = api.get("/v1/events", query={"customer": made.json()["id"]}).json()["data"]
        ids.extend(e["id"] for e in listed)
    return ids


def killed_invocations(poller: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The poller sees a killed invocation as Lambda reports one: an error for the whole batch."""
    original = poller.invoke

    def invoke(event: dict[str, Any]) -> Any:
        try:
            return original(event)
        except LambdaTimeout as stopped:
            raise RuntimeError("Task timed out") from stopped

    monkeypatch.setattr(poller, "invoke", invoke)


def drain(pipeline: Pipeline, clock: FakeClock, rounds: int = 12) -> None:
    """Runs the pipeline, moving time on past visibility timeouts and leases, until it is idle."""
    for _ in range(rounds):
        pipeline.run()
        if pipeline.counts() == (0, 0):
            return
        clock.advance(VISIBILITY_SECONDS + 1)
    raise AssertionError(f"the pipeline never emptied: {pipeline.counts()}")


def assert_each_acknowledged_once(receiver: Receiver, pipeline: Pipeline, event_ids: list[str]) -> None:
    for event_id in event_ids:
        assert receiver.acknowledged(event_id) == 1, f"{event_id}: {receiver.acknowledged(event_id)} 2xx answers"
    assert pipeline.counts() == (0, 0)
    assert pipeline.counts("DeliveryDeadLetterQueue") == (0, 0)


@pytest.fixture
def wrap_deliver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[..., Any]], None]]:
    """Replaces `billing.webhooks.deliveries.deliver` (what the deliver function calls per record) with
    `wrapper(original, message, attempt, **kwargs)`."""
    original = deliveries.deliver

    def install(wrapper: Callable[..., Any]) -> None:
        monkeypatch.setattr(deliveries, "deliver", lambda *a, **k: wrapper(original, *a, **k))

    yield install


def test_deliver_raising_on_one_record_retries_that_record_alone(
    hooked: ApiClient,
    pipeline: Pipeline,
    fake_clock: FakeClock,
    receiver: Receiver,
    wrap_deliver: Callable[[Callable[..., Any]], None],
) -> None:
    # Given events in the queue, and a deliver function that raises on the third record once
    event_ids = make_events(hooked)
    pipeline.fan_out()
    doomed = event_ids[2]
    raised: list[str] = []

    def wrapper(original: Callable[..., Any], message: Any, *args: Any, **kwargs: Any) -> Any:
        if message.event == doomed and not raised:
            raised.append(message.event)
            raise RuntimeError("boom")
        return original(message, *args, **kwargs)

    wrap_deliver(wrapper)
    # When the queue is delivered
    pipeline.deliver()
    # Then the others were acknowledged and the failed one waits for its visibility timeout
    assert raised == [doomed]
    assert receiver.acknowledged(doomed) == 0
    assert all(receiver.acknowledged(e) == 1 for e in event_ids if e != doomed)
    assert pipeline.counts() == (0, 1)
    # And after it, every event was acknowledged exactly once
    drain(pipeline, fake_clock)
    assert_each_acknowledged_once(receiver, pipeline, event_ids)


def test_deliver_killed_mid_batch_sends_the_rest_later_and_nothing_twice(
    hooked: ApiClient,
    pipeline: Pipeline,
    fake_clock: FakeClock,
    receiver: Receiver,
    wrap_deliver: Callable[[Callable[..., Any]], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given events in the queue, and an invocation killed (its timeout) before its third send
    event_ids = make_events(hooked)
    pipeline.fan_out()
    killed_invocations(pipeline.queue, monkeypatch)
    sends: list[str] = []

    def wrapper(original: Callable[..., Any], message: Any, *args: Any, send: Any, **kwargs: Any) -> Any:
        def counted(*send_args: Any) -> Any:
            sends.append(message.event)
            if len(sends) == 3:
                raise LambdaTimeout()
            return send(*send_args)

        return original(message, *args, send=counted, **kwargs)

    wrap_deliver(wrapper)
    # When one batch is delivered: it dies after two deliveries
    assert pipeline.queue.poll_once()
    assert len(receiver.received) == 2
    # Then, once the batch's messages show again, every event is acknowledged exactly once: the
    # two delivered before the kill are not sent again
    drain(pipeline, fake_clock)
    assert_each_acknowledged_once(receiver, pipeline, event_ids)
    assert len(receiver.received) == len(event_ids)


def test_deliver_failing_to_change_visibility_still_retries_the_failed_delivery(
    merchant: ApiClient, pipeline: Pipeline, fake_clock: FakeClock
) -> None:
    # Given a receiver that fails once, and SQS refusing the visibility change of its retry
    receiver = Receiver(["fail"])
    try:
        assert merchant.post("/v1/webhook_endpoints", {"url": receiver.url, "enabledEvents": ["*"]}).status == 200
        event_ids = make_events(merchant, 2)
        pipeline.fan_out()
        with faults.installed() as injector:
            injector.arm("ChangeMessageVisibility", 1, "throttle", faults.ATTEMPTS)
            # When the queue is delivered
            pipeline.deliver()
            assert injector.fired == faults.ATTEMPTS
        # Then the failed one comes back after the queue's visibility timeout instead, and is delivered once
        drain(pipeline, fake_clock)
        assert_each_acknowledged_once(receiver, pipeline, event_ids)
    finally:
        receiver.stop()


def test_fanout_raising_on_one_record_resends_from_it_and_nothing_is_delivered_twice(
    hooked: ApiClient,
    pipeline: Pipeline,
    fake_clock: FakeClock,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given events on the stream, and a fanout that raises on the third once
    event_ids = make_events(hooked)
    original = deliveries.fan_out
    raised: list[str] = []

    def fan_out(event: Event, **kwargs: Any) -> int:
        if event.id == event_ids[2] and not raised:
            raised.append(event.id)
            raise RuntimeError("boom")
        return original(event, **kwargs)

    monkeypatch.setattr(deliveries, "fan_out", fan_out)
    # When the pipeline runs until it is idle
    drain(pipeline, fake_clock)
    # Then it raised once, and every event was acknowledged exactly once
    assert raised == [event_ids[2]]
    assert_each_acknowledged_once(receiver, pipeline, event_ids)


def test_fanout_killed_mid_batch_is_retried_whole_and_nothing_is_delivered_twice(
    hooked: ApiClient,
    pipeline: Pipeline,
    fake_clock: FakeClock,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given events on the stream, and a fanout invocation killed after it queued two of them
    event_ids = make_events(hooked)
    killed_invocations(pipeline.stream, monkeypatch)
    original = deliveries.fan_out
    calls: list[str] = []

    def fan_out(event: Event, **kwargs: Any) -> int:
        calls.append(event.id)
        if len(calls) == 3:
            raise LambdaTimeout()
        return original(event, **kwargs)

    monkeypatch.setattr(deliveries, "fan_out", fan_out)
    # When the pipeline runs until it is idle
    drain(pipeline, fake_clock)
    # Then the first two went to the queue twice (the batch was retried whole), yet every event
    # was acknowledged exactly once
    assert calls[:2] == calls[3:5]
    assert_each_acknowledged_once(receiver, pipeline, event_ids)
    assert len(receiver.received) == len(event_ids)


@pytest.mark.parametrize("kind", ["partial", "server-error"])
def test_fanout_whose_messages_the_queue_refuses_retries_them(
    hooked: ApiClient, pipeline: Pipeline, fake_clock: FakeClock, receiver: Receiver, kind: str
) -> None:
    # Given events on the stream, and SQS refusing the second batch of messages (one entry, or all)
    event_ids = make_events(hooked)
    with faults.installed() as injector:
        injector.arm("SendMessageBatch", 2, kind, 1 if kind == "partial" else faults.ATTEMPTS)
        # When the pipeline runs until it is idle
        drain(pipeline, fake_clock)
        assert injector.fired
    # Then every event was acknowledged exactly once
    assert_each_acknowledged_once(receiver, pipeline, event_ids)


def test_deliver_drops_a_message_that_is_not_ours_and_keeps_the_rest(
    hooked: ApiClient, pipeline: Pipeline, fake_clock: FakeClock, receiver: Receiver, stack: Stack
) -> None:
    # Given a foreign message in the delivery queue beside real ones
    event_ids = make_events(hooked, 2)
    pipeline.sqs.send_message(QueueUrl=stack.resources.queues["DeliveryQueue"], MessageBody=json.dumps({"x": 1}))
    # When the pipeline runs
    drain(pipeline, fake_clock)
    # Then the real ones were delivered once and nothing is left
    assert_each_acknowledged_once(receiver, pipeline, event_ids)


def test_a_delivery_whose_claim_and_record_answer_late_is_sent_and_recorded_once(
    hooked: ApiClient, pipeline: Pipeline, receiver: Receiver
) -> None:
    # Given one event fanned out to the endpoint
    [event_id] = make_events(hooked, 1)
    pipeline.fan_out()
    with faults.installed() as injector:
        # When the delivery's claim (its transaction) and its record (its UpdateItem) both
        # commit and answer too late, so that botocore sends each again
        claim = injector.arm("TransactWriteItems", 1, "late")
        record = injector.arm("UpdateItem", 1, "late")
        pipeline.deliver()
    assert (claim.fired, record.fired) == (1, 1)
    # Then the retried claim held its own lease: the event was sent once, right away
    assert receiver.acknowledged(event_id) == 1
    assert_each_acknowledged_once(receiver, pipeline, [event_id])
    # And the retried record did not append the attempt twice
    [delivery] = hooked.get(f"/v1/events/{event_id}").json()["deliveries"]
    assert delivery["status"] == "succeeded"
    assert delivery["attemptCount"] == 1 and len(delivery["attempts"]) == 1
