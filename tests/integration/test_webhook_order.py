"""The events of one change reach a receiver in causal order (`billing.events.types.causal_order`),
however the delivery queue (SQS standard: no order) hands their messages to deliver."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from bench.harness import counting_calls
from billing.kernel import clock
from billing.webhooks import deliveries
from tests.integration.test_webhook_delivery import deliveries_of, endpoint
from tests.support.apiclient import ApiClient
from tests.support.shop import ClockedMerchant, start_clock, subscribe_on_clock
from tests.support.webhooks import Pipeline, Receiver


def queued(pipeline: Pipeline) -> dict[str, dict[str, Any]]:
    """Every visible delivery message, received (hidden for the queue's visibility timeout) and
    keyed by its event's type, as the queue would hand each to deliver."""
    got: dict[str, dict[str, Any]] = {}
    while True:
        messages = pipeline.sqs.receive_message(
            QueueUrl=pipeline.queue.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return got
        for m in messages:
            record = {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "eventSource": "aws:sqs",
            }
            got[json.loads(m["Body"])["payload"]["type"]] = record


def deliver_alone(pipeline: Pipeline, record: dict[str, Any]) -> Any:
    """Deliver one queue record by itself, as if SQS had handed it over before the others."""
    answer = pipeline.queue.invoke({"Records": [record]})
    if not answer.get("batchItemFailures"):
        pipeline.sqs.delete_message(QueueUrl=pipeline.queue.queue_url, ReceiptHandle=record["receiptHandle"])
    return answer


def test_customer_updated_waits_for_the_payment_method_attached_that_caused_it(
    merchant: ApiClient, pipeline: Pipeline, receiver: Receiver
) -> None:
    # Given an endpoint, and a customer without a payment method
    endpoint(merchant, receiver.url)
    customer = merchant.post("/v1/customers", {"name": "Ordered"}).json()["id"]
    pipeline.run()
    receiver.received.clear()
    # When a card is attached (its default: one transaction, two events) and the queue hands
    # deliver the customer.updated first
    assert merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"}).status == 200
    pipeline.fan_out()
    messages = queued(pipeline)
    assert sorted(messages) == ["customer.updated", "payment_method.attached"]
    with counting_calls() as held:
        answer = deliver_alone(pipeline, messages["customer.updated"])
    # Then it is not sent: it waits (a second) for the attach, without an attempt recorded, at
    # the cost of its claim and its visibility
    assert answer["batchItemFailures"] and receiver.received == []
    assert dict(held.calls) == {"TransactWriteItems": 1, "ChangeMessageVisibility": 1}, held.breakdown()
    updated_id = json.loads(messages["customer.updated"]["body"])["event"]
    attached_id = json.loads(messages["payment_method.attached"]["body"])["event"]
    assert json.loads(messages["customer.updated"]["body"])["after"] == attached_id
    (waiting,) = deliveries_of(merchant, updated_id)
    assert (waiting["status"], waiting["attemptCount"]) == ("pending", 0)
    # And once the attach is delivered, the customer.updated follows it
    deliver_alone(pipeline, messages["payment_method.attached"])
    time.sleep(deliveries.ORDER_WAITS[0] + 0.2)
    with counting_calls() as sent:
        pipeline.deliver()
    assert [r.webhook_id for r in receiver.received] == [attached_id, updated_id]
    # (its claim checked the attach's delivery in the same transaction: still two DynamoDB calls)
    assert dict(sent.calls) == {"TransactWriteItems": 1, "UpdateItem": 1}, sent.breakdown()
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["payment_method.attached", "customer.updated"]
    assert deliveries_of(merchant, updated_id)[0]["status"] == "succeeded"


def test_a_receiver_that_gets_only_the_later_event_is_not_held(
    merchant: ApiClient, pipeline: Pipeline, receiver: Receiver
) -> None:
    # Given an endpoint subscribed to customer.updated alone
    endpoint(merchant, receiver.url, ["customer.updated"])
    customer = merchant.post("/v1/customers", {"name": "Only updates"}).json()["id"]
    # When a card attached changes the customer's default
    assert merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"}).status == 200
    pipeline.fan_out()
    (message,) = queued(pipeline).values()
    # Then its message names no earlier event, and it is delivered at once
    assert "after" not in json.loads(message["body"])
    assert deliver_alone(pipeline, message) == {"batchItemFailures": []}
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["customer.updated"]


def test_an_earlier_event_that_fails_does_not_hold_the_later_one_back(merchant: ApiClient, pipeline: Pipeline) -> None:
    # Given a receiver that fails its first request (the attach), then answers 200
    failing = Receiver()
    try:
        endpoint(merchant, failing.url)
        customer = merchant.post("/v1/customers", {"name": "Flaky"}).json()["id"]
        pipeline.run()
        failing.received.clear()
        failing.script[:] = ["fail"]
        # When a card is attached and the attach's delivery fails its first attempt
        assert merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"}).status == 200
        pipeline.fan_out()
        messages = queued(pipeline)
        deliver_alone(pipeline, messages["payment_method.attached"])
        # Then the customer.updated is sent all the same (retries do not keep the order)
        assert deliver_alone(pipeline, messages["customer.updated"]) == {"batchItemFailures": []}
        assert [json.loads(r.body)["type"] for r in failing.received] == [
            "payment_method.attached",
            "customer.updated",
        ]
        assert [r.answered for r in failing.received] == [500, 200]
    finally:
        failing.stop()


def test_a_renewal_delivers_the_new_invoice_before_the_subscription_naming_it(
    merchant: ApiClient, pipeline: Pipeline, receiver: Receiver
) -> None:
    # Given a monthly subscription on a test clock, and an endpoint
    merchant.post("/v1/products", {"id": "prod_o", "name": "Ordered plan"})
    price = merchant.post(
        "/v1/prices", {"product": "prod_o", "unitAmount": 900, "currency": "eur", "recurring": {"interval": "month"}}
    ).json()["id"]
    started = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    timeline = ClockedMerchant(merchant, start_clock(merchant, started))
    endpoint(merchant, receiver.url)
    sub = subscribe_on_clock(merchant, timeline.clock_id, price)
    pipeline.run()
    receiver.received.clear()
    # When the clock passes the period's end (one transaction: the renewal invoice and the
    # subscription moved on) and the queue hands over every message at once
    timeline.advance(datetime(2026, 2, 15, 11, 0, tzinfo=UTC))
    pipeline.run()
    time.sleep(deliveries.ORDER_WAITS[0] + 0.2)
    pipeline.deliver()
    # Then the receiver got the invoice's events, in order, before the subscription.updated naming it
    types = [json.loads(r.body)["type"] for r in receiver.received]
    assert types == ["invoice.created", "invoice.finalized", "invoice.paid", "subscription.updated"], types
    updated = json.loads(receiver.received[-1].body)["data"]
    created = json.loads(receiver.received[0].body)["data"]["object"]
    assert updated["object"]["latestInvoice"] == created["id"] != sub["latestInvoice"]
    assert updated["previousAttributes"]["latestInvoice"] == sub["latestInvoice"]
    assert clock.from_wire(updated["object"]["currentPeriodStart"]) == datetime(2026, 2, 15, 10, 0, tzinfo=UTC)
