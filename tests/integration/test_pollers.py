"""The local stand-ins for event source mappings, on a fixture template with an echo function."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local import invoke, pollers, resources
from local import template as template_module
from local.template import ROOT, Function

FIXTURE = ROOT / "tests" / "fixtures" / "pollers" / "template.yaml"


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def echo(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Function, resources.LocalResources, Any, list[Any]]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        loaded = template_module.load(FIXTURE)
        session = boto3.Session()
        made = resources.create_all(loaded, session, prefix="echo")
        function = loaded.function("echo")
        received = sys.modules[invoke.load_handler(function).__module__].RECEIVED
        received.clear()
        yield function, made, session, received


def records(received: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    return [r for event in received for r in event.get("Records", []) if r.get("eventSource") == source]


def test_sqs_partial_failures_leave_only_the_failed_message(echo: Any) -> None:
    function, made, session, received = echo
    sqs = session.client("sqs")
    # Given three messages, one of which the function fails
    for body in ("a", "fail", "b"):
        sqs.send_message(QueueUrl=made.queues["Work"], MessageBody=body)
    poller = pollers.QueuePoller(function, function.queue_sources[0], sqs, made.queues["Work"], made.queue_arns["Work"])
    # When one batch is polled
    assert poller.poll_once() is True
    # Then all three reached the function and only the failed one is still on the queue
    assert sorted(r["body"] for r in records(received, "aws:sqs")) == ["a", "b", "fail"]
    time.sleep(1.1)  # the fixture queue's visibility timeout
    left = sqs.receive_message(QueueUrl=made.queues["Work"], MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in left] == ["fail"]


def test_stream_records_arrive_and_a_failed_one_is_retried_from_where_it_failed(echo: Any) -> None:
    function, made, session, received = echo
    dynamodb = session.client("dynamodb")
    # Given three writes, the second of which the function fails once
    for pk in ("first", "FAILONCE-second", "third"):
        dynamodb.put_item(TableName=made.table_name, Item={"pk": {"S": pk}, "sk": {"S": "x"}})
    poller = pollers.StreamPoller(
        function, function.stream_sources[0], session.client("dynamodbstreams"), made.stream_arn
    )
    # When the stream is polled until quiet
    for _ in range(5):
        poller.poll_once()
    # Then every record arrived, the failed one again, and the one before it only once
    seen = [r["dynamodb"]["NewImage"]["pk"]["S"] for r in records(received, "aws:dynamodb")]
    assert seen.count("first") == 1
    assert seen.count("FAILONCE-second") == 2
    assert seen.count("third") >= 1
    assert seen.index("first") < seen.index("FAILONCE-second")
    assert all(r["eventSourceARN"] == made.stream_arn for r in records(received, "aws:dynamodb"))


def test_the_schedule_fires_at_its_interval(echo: Any) -> None:
    function, _, _, received = echo
    poller = pollers.SchedulePoller(function, function.schedules[0], interval=0.1)
    poller.start()
    try:
        wait_for(lambda: sum(e.get("detail-type") == "Scheduled Event" for e in received) >= 2)
    finally:
        poller.stop()
    assert not poller.is_alive()


def test_pollers_are_made_for_every_event_source_of_the_template(echo: Any) -> None:
    function, made, session, _ = echo
    made_pollers = pollers.pollers_for(
        [function], session=session, queue_urls=made.queues, queue_arns=made.queue_arns, stream_arn=made.stream_arn
    )
    assert sorted(type(p).__name__ for p in made_pollers) == ["QueuePoller", "SchedulePoller", "StreamPoller"]


def test_the_stream_keeps_flowing_after_a_failed_transaction(merchant: Any, pipeline: Any, receiver: Any) -> None:
    # Given an endpoint, and a product whose event was delivered (moto's table, as the tests run it)
    merchant.post("/v1/webhook_endpoints", {"url": receiver.url, "enabledEvents": ["product.created"]})
    assert merchant.post("/v1/products", {"id": "prod_once", "name": "Once"}).status == 200
    pipeline.run()
    # When a transaction fails (the same product ID again: its condition refused, a 409)
    assert merchant.post("/v1/products", {"id": "prod_once", "name": "Twice"}).status == 409
    # Then the next change's event still reaches the receiver
    assert merchant.post("/v1/products", {"id": "prod_after", "name": "After"}).status == 200
    pipeline.run()
    made = [json.loads(r.body)["data"]["object"]["id"] for r in receiver.received]
    assert made == ["prod_once", "prod_after"]
