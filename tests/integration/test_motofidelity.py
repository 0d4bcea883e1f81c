"""Each patch of local/motofidelity.py keeps what the service would, and is still needed: moto
without it breaks the rule it restores (each test shows both)."""

from __future__ import annotations

import contextlib
import copy
import threading
from typing import Any, cast

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.model_instances import model_data

from billing.kernel.errors import Conflict
from billing.store.repository import Put, Table
from local import motofidelity
from tests.conftest import Stack


def tracked() -> int:
    return sum(len(cast(Any, model).instances_tracked) for model in model_data["dynamodb"].values())


def transactions_leave(count: int) -> int:
    """How many moto objects `count` two-item transactions leave tracked on a 200-item table."""
    table = Table()
    for n in range(200):
        table.put({"pk": f"LEAK#{n}", "sk": "A", "n": n})
    before = tracked()
    for n in range(count):
        table.transact([Put({"pk": f"NEW#{n}", "sk": "A"}), Put({"pk": f"NEW#{n}", "sk": "B"})])
    assert table.get(f"NEW#{count - 1}", "B") == {"pk": f"NEW#{count - 1}", "sk": "B"}
    return tracked() - before


def test_a_transaction_leaves_no_copy_of_the_table_behind(stack: Stack) -> None:
    # When 20 transactions run (each rolls back from a copy of the table, when one fails)
    # Then moto tracks no copy of the table or its items: a handful of objects, not 20 × 200
    assert transactions_leave(20) < 200


def test_without_the_patch_each_transaction_leaves_a_copy_of_the_table(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb import models

    # Given moto's own transaction and deep copy
    monkeypatch.setattr(models.DynamoDBBackend, "transact_write_items", motofidelity.ORIGINALS["transact_write_items"])
    monkeypatch.setattr(models, "copy", copy)
    # Then 20 transactions leave every item of the table tracked 20 times over, for good
    assert transactions_leave(20) >= 20 * 200


def race_two_creates(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two threads create one item under `attribute_not_exists`; each checks the condition, then
    waits (at most 1 s) for the other to have checked too before it writes."""
    from moto.dynamodb.models import table as moto_table

    both_checked = threading.Barrier(2, timeout=1)
    original = moto_table.get_filter_expression

    def checked_then_wait(*args: Any, **kwargs: Any) -> Any:
        expression = original(*args, **kwargs)
        evaluate = expression.expr

        def expr(item: Any) -> Any:
            passed = evaluate(item)
            # (a broken barrier: the other writer could not check meanwhile, requests are serialised)
            with contextlib.suppress(threading.BrokenBarrierError):
                both_checked.wait()
            return passed

        expression.expr = expr
        return expression

    monkeypatch.setattr(moto_table, "get_filter_expression", checked_then_wait)
    outcomes: list[str] = []

    def create(n: int) -> None:
        try:
            Table().put({"pk": "RACE#1", "sk": "A", "writer": n}, condition="attribute_not_exists(pk)")
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")

    writers = [threading.Thread(target=create, args=(n,)) for n in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(10)
    return sorted(outcomes)


def test_of_two_racing_conditional_creates_exactly_one_wins(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    assert race_two_creates(monkeypatch) == ["conflict", "created"]


def test_without_serialising_both_racing_creates_pass_their_condition(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.responses import DynamoHandler

    # Given moto's own request handling, without the lock
    monkeypatch.setattr(DynamoHandler, "call_action", motofidelity.ORIGINALS["call_action"])
    # Then both writers find no item and both "create" it: DynamoDB would refuse one
    assert race_two_creates(monkeypatch) == ["created", "created"]


def hide_again_after_eleven_hours(stack: Stack) -> None:
    """A message received 11 hours after it was sent is hidden for 2 more hours."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    sqs = boto3.client("sqs")
    url = stack.resources.queues["DeliveryQueue"]
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    held = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].queues[url.rsplit("/", 1)[-1]]
    for message in held._messages:
        message.sent_timestamp -= 11 * 3600 * 1000
    (received,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=received["ReceiptHandle"], VisibilityTimeout=7200)


def test_a_message_can_be_hidden_for_12_hours_from_each_receive(stack: Stack) -> None:
    hide_again_after_eleven_hours(stack)  # SQS allows it: the 12 hours count from this receive


def test_without_the_patch_moto_counts_12_hours_from_the_send(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.sqs.models import SQSBackend

    monkeypatch.setattr(SQSBackend, "change_message_visibility", motofidelity.ORIGINALS["change_message_visibility"])
    with pytest.raises(ClientError, match="beyond the limit"):
        hide_again_after_eleven_hours(stack)


def attribute_maps_built_by_one_receive(stack: Stack, monkeypatch: pytest.MonkeyPatch, held: int) -> int:
    """How many times one receive builds the queue's whole attribute map, with `held` messages."""
    from moto.sqs.models import Queue

    sqs = boto3.client("sqs")
    url = stack.resources.queues["DeliveryQueue"]
    for start in range(0, held, 10):
        entries = [{"Id": str(n), "MessageBody": "{}"} for n in range(start, min(held, start + 10))]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    built = 0
    original = Queue.attributes.fget

    def counted(self: Any) -> Any:
        nonlocal built
        built += 1
        return original(self)

    monkeypatch.setattr(Queue, "attributes", property(counted))
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 10
    return built


def test_a_receive_does_not_build_the_queue_attributes_per_message(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert attribute_maps_built_by_one_receive(stack, monkeypatch, 50) <= 1


def test_without_the_patch_a_receive_builds_them_for_every_message_it_looks_at(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.sqs.models import SQSBackend

    monkeypatch.setattr(
        SQSBackend,
        "is_message_valid_based_on_retention_period",
        motofidelity.ORIGINALS["is_message_valid_based_on_retention_period"],
    )
    # each build counts every message the queue holds: the receive costs the square of them
    assert attribute_maps_built_by_one_receive(stack, monkeypatch, 50) >= 10


def test_a_message_past_its_retention_is_still_not_received(stack: Stack) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    sqs = boto3.client("sqs")
    url = stack.resources.queues["DeliveryQueue"]
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    held = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].queues[url.rsplit("/", 1)[-1]]
    retention = int(held.message_retention_period)
    for message in held._messages:
        message.sent_timestamp -= (retention + 1) * 1000
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
