"""A webhook delivery's DynamoDB calls: two in the steady state (the claim and the record), the
event carried by its message and the endpoint's signing data kept by the deliver worker; and
an endpoint's change (a rolled secret, a new URL, disabled, deleted) taking effect at the very
next attempt, as when every attempt read the endpoint."""

from __future__ import annotations

import json
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bench.harness import counting_calls
from billing.webhooks import deliveries, store, webhooksigning
from tests.integration.test_webhook_delivery import customer_created, deliveries_of, endpoint
from tests.support.apiclient import ApiClient
from tests.support.webhooks import FakeClock, Pipeline, Received, Receiver


def as_listed(merchant: ApiClient, event_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = merchant.get(f"/v1/events/{event_id}").json()
    shown.pop("deliveries")
    shown.pop("emails")
    return shown


def signed_with(got: Received, *secrets: str) -> list[str]:
    """Which of `secrets` signed `got`, in its `webhook-signature` header (a clock the test moves
    rules out the Standard Webhooks library's check of the timestamp against real time)."""
    timestamp = int(got.headers["webhook-timestamp"])
    signatures = got.headers["webhook-signature"].split(" ")
    return [
        secret
        for secret in secrets
        if webhooksigning.standard_signature([secret], got.webhook_id, timestamp, got.body) in signatures
    ]


def warmed_up(merchant: ApiClient, pipeline: Pipeline, url: str) -> dict[str, Any]:
    """An endpoint that has had one delivery: the deliver worker holds its signing data."""
    hook = endpoint(merchant, url)
    customer_created(merchant, "Warm-up")
    pipeline.run()
    return hook


def test_a_steady_state_delivery_makes_two_dynamodb_calls(
    merchant: ApiClient, pipeline: Pipeline, receiver: Receiver
) -> None:
    # Given an endpoint the deliver worker has delivered to, and a new event fanned out
    hook = warmed_up(merchant, pipeline, receiver.url)
    event_id = customer_created(merchant, "Counted")
    pipeline.fan_out()
    # When it is delivered, its AWS calls counted by the bench's hook
    with counting_calls() as counted:
        pipeline.deliver()
    # Then it took the claim (one transaction, checking the endpoint's version) and the record
    assert counted.total <= 2, counted.breakdown()
    assert dict(counted.calls) == {"TransactWriteItems": 1, "UpdateItem": 1}
    # And the receiver got the event as the API shows it, signed with the endpoint's secret
    got = receiver.received[-1]
    assert got.webhook_id == event_id
    assert Webhook(hook["secret"]).verify(got.body, got.headers)["id"] == event_id
    assert json.loads(got.body) == as_listed(merchant, event_id)
    (delivery,) = deliveries_of(merchant, event_id)
    assert (delivery["status"], delivery["attemptCount"]) == ("succeeded", 1)
    assert pipeline.counts() == (0, 0)


def test_an_event_too_large_for_its_message_is_read_by_deliver(
    merchant: ApiClient, pipeline: Pipeline, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given messages that can carry no event (as if every event were larger than SQS allows)
    hook = warmed_up(merchant, pipeline, receiver.url)
    monkeypatch.setattr(deliveries, "INLINE_EVENT_BYTES", 200)
    event_id = customer_created(merchant, "Large")
    pipeline.fan_out()
    queued = pipeline.sqs.receive_message(QueueUrl=pipeline.queue.queue_url, VisibilityTimeout=0)["Messages"]
    assert [json.loads(m["Body"]).get("payload") for m in queued] == [None]
    # When it is delivered
    with counting_calls() as counted:
        pipeline.deliver()
    # Then deliver read the event, and sent it as it does a carried one
    assert dict(counted.calls) == {"GetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}
    got = receiver.received[-1]
    assert Webhook(hook["secret"]).verify(got.body, got.headers)["id"] == event_id
    assert json.loads(got.body) == as_listed(merchant, event_id)


def test_a_rolled_secret_signs_the_very_next_delivery(
    merchant: ApiClient, pipeline: Pipeline, receiver: Receiver
) -> None:
    # Given an endpoint whose signing data the deliver worker holds
    hook = warmed_up(merchant, pipeline, receiver.url)
    # When its secret is rolled, the old one stopping at once, and an event is delivered
    new = merchant.post(f"/v1/webhook_endpoints/{hook['id']}/roll_secret", {"expiresInSeconds": 0}).json()["secret"]
    event_id = customer_created(merchant, "After the roll")
    pipeline.fan_out()
    with counting_calls() as counted:
        pipeline.deliver()
    # Then the claim was refused for the old version, and the delivery signed with the new secret only
    got = receiver.received[-1]
    assert got.webhook_id == event_id
    assert Webhook(new).verify(got.body, got.headers)["id"] == event_id
    with pytest.raises(WebhookVerificationError):
        Webhook(hook["secret"]).verify(got.body, got.headers)
    # (the refused claim answered the endpoint as it stands: no read)
    assert dict(counted.calls) == {"TransactWriteItems": 2, "UpdateItem": 1}


def test_a_roll_during_retries_signs_the_next_attempt_with_both_secrets_until_the_old_one_expires(
    merchant: ApiClient, pipeline: Pipeline, fake_clock: FakeClock
) -> None:
    receiver = Receiver(["fail", "fail"])
    try:
        # Given a delivery whose first attempt failed, signed with the first secret
        hook = endpoint(merchant, receiver.url)
        event_id = customer_created(merchant)
        pipeline.run()
        old = hook["secret"]
        assert signed_with(receiver.received[0], old) == [old]
        # When the secret is rolled with an hour's grace, and the retry falls due
        roll = merchant.post(f"/v1/webhook_endpoints/{hook['id']}/roll_secret", {"expiresInSeconds": 3600})
        new = roll.json()["secret"]
        fake_clock.advance(deliveries.RETRY_DELAYS[0] + 0.001)
        pipeline.deliver()
        # Then the second attempt is signed by both, the new one first
        second = receiver.received[1]
        assert second.headers["webhook-signature"].count("v1,") == 2
        assert signed_with(second, new, old) == [new, old]
        # And once the grace has ended, the next one (the endpoint unchanged) is signed by the new one alone
        fake_clock.advance(3600)
        pipeline.deliver()
        third = receiver.received[2]
        assert third.answered == 200 and third.headers["webhook-signature"].count("v1,") == 1
        assert signed_with(third, new, old) == [new]
        assert third.webhook_id == event_id
        (delivery,) = deliveries_of(merchant, event_id)
        assert [a["status"] for a in delivery["attempts"]] == [500, 500, 200]
    finally:
        receiver.stop()


@pytest.mark.parametrize(
    "change,reason",
    [
        (lambda api, hook: api.post(f"/v1/webhook_endpoints/{hook}", {"disabled": True}), "disabled"),
        (lambda api, hook: api.delete(f"/v1/webhook_endpoints/{hook}"), "deleted"),
    ],
    ids=["disabled", "deleted"],
)
def test_an_endpoint_disabled_or_deleted_during_retries_is_not_sent_to_again(
    merchant: ApiClient, pipeline: Pipeline, fake_clock: FakeClock, change: Any, reason: str
) -> None:
    receiver = Receiver(["fail"])
    try:
        # Given a delivery whose first attempt failed
        hook = endpoint(merchant, receiver.url)
        event_id = customer_created(merchant)
        pipeline.run()
        assert [r.answered for r in receiver.received] == [500]
        # When the endpoint is disabled (or deleted), and the retry falls due
        assert change(merchant, hook["id"]).status == 200
        fake_clock.advance(deliveries.RETRY_DELAYS[0] + 0.001)
        pipeline.deliver()
        # Then nothing more was sent, the delivery failed saying why, and no message is left
        assert len(receiver.received) == 1
        (delivery,) = deliveries_of(merchant, event_id)
        assert delivery["status"] == "failed" and reason in delivery["failureReason"]
        assert pipeline.counts() == (0, 0)
    finally:
        receiver.stop()


def test_a_new_url_during_retries_receives_the_next_attempt(
    merchant: ApiClient, pipeline: Pipeline, fake_clock: FakeClock, receiver: Receiver
) -> None:
    old = Receiver(then="fail")
    try:
        # Given a delivery whose first attempt failed at the endpoint's first URL
        hook = endpoint(merchant, old.url)
        event_id = customer_created(merchant)
        pipeline.run()
        # When the endpoint moves to another URL, and the retry falls due
        assert merchant.post(f"/v1/webhook_endpoints/{hook['id']}", {"url": receiver.url}).status == 200
        fake_clock.advance(deliveries.RETRY_DELAYS[0] + 0.001)
        pipeline.deliver()
        # Then the new URL got it, once
        assert len(old.received) == 1
        assert receiver.acknowledged(event_id) == 1
        (delivery,) = deliveries_of(merchant, event_id)
        assert delivery["status"] == "succeeded"
        assert pipeline.counts() == (0, 0)
    finally:
        old.stop()


def test_a_claim_other_transactions_contend_reads_the_endpoint_and_claims_the_delivery_alone(
    merchant: ApiClient, pipeline: Pipeline, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an endpoint the worker holds, and a claim's transaction refused as DynamoDB refuses
    # one whose items another transaction holds (many claims checking one busy endpoint)
    hook = warmed_up(merchant, pipeline, receiver.url)
    real_claim = store.claim_delivery
    versions: list[int | None] = []

    def contended_once(*args: Any, **kwargs: Any) -> store.Refusal | None:
        versions.append(kwargs["endpoint_version"])
        if len(versions) == 1:
            return store.Refusal(contended=True)
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(store, "claim_delivery", contended_once)
    event_id = customer_created(merchant, "Contended")
    pipeline.fan_out()
    # When it is delivered
    with counting_calls() as counted:
        pipeline.deliver()
    # Then the endpoint was read and the delivery claimed on its own, as before the cache
    assert versions[0] is not None and versions[1:] == [None]
    assert dict(counted.calls) == {"GetItem": 1, "UpdateItem": 2}
    got = receiver.received[-1]
    assert Webhook(hook["secret"]).verify(got.body, got.headers)["id"] == event_id
    (delivery,) = deliveries_of(merchant, event_id)
    assert (delivery["status"], delivery["attemptCount"]) == ("succeeded", 1)
