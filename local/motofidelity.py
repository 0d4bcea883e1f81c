"""moto made to behave like the services where the in-process tests' guarantees depend on it.

The local stack and the suites that rest on DynamoDB's own semantics (races, faults, load,
end to end) run on DynamoDB Local, which needs no patch (it answers a repeated
`ClientRequestToken` idempotently itself, so that patch was retired). The other suites run on
moto in-process, for speed, and keep these:

DynamoDB applies each request atomically: a conditional write checks and writes in one step,
so of two writers racing for one item exactly one passes its condition. moto checks and then
writes in Python without a lock, so threads racing through it can both pass. Serialising
moto's DynamoDB requests restores the service's behaviour (nothing deployed runs this).

SQS limits a message's visibility to 12 hours from the receive that holds it; moto counts the
12 hours from when the message was sent, so a message retried for longer than 12 hours could
not be hidden for its next backoff step. `sqs_visibility_per_receive` restores the service's
rule. `sqs_receive_in_linear_time` keeps a receive from costing the square of the messages held.
"""

from __future__ import annotations

import threading
from typing import Any, cast

_lock = threading.RLock()
ORIGINALS: dict[str, Any] = {}  # what each patch replaced (tests/integration/test_motofidelity.py shows each is needed)
_installed = False
_sqs_installed = False
_sqs_receive_installed = False
MAX_VISIBILITY_SECONDS = 43200


def serialise_dynamodb() -> None:
    """One DynamoDB request at a time through moto, in this process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        from moto.dynamodb.responses import DynamoHandler

        original = DynamoHandler.call_action

        def call_action(self: Any) -> Any:
            with _lock:
                return original(self)

        ORIGINALS["call_action"] = original
        DynamoHandler.call_action = call_action  # type: ignore[method-assign]
        _one_rollback_copy_per_table()
        _installed = True


def _one_rollback_copy_per_table() -> None:
    """moto deep-copies a table once per item of a transaction to roll it back; one copy per
    table and transaction is the same rollback (requests are serialised, see above) at a
    fraction of the time.

    Every moto model object registers itself, when made, in its class's `instances_tracked`
    (kept only so that moto's reset can let go of them), and a deep copy makes new ones: each
    transaction's rollback copy of the table, every item in it, stayed reachable for good, so
    memory grew with the table's size at every transaction (`make fuzz` ran out of 24 GiB).
    The copies are let go of after each transaction."""
    import copy

    from moto.core.model_instances import model_data
    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items
    memo: dict[int, Any] = {}
    in_transaction = threading.local()

    class _Copy:
        @staticmethod
        def deepcopy(value: Any) -> Any:
            if not getattr(in_transaction, "active", False):
                return copy.deepcopy(value)
            if id(value) not in memo:
                memo[id(value)] = copy.deepcopy(value)
            return memo[id(value)]

    def transact_write_items(self: Any, transact_items: Any) -> None:
        memo.clear()
        tracked: list[list[Any]] = [cast(Any, model).instances_tracked for model in model_data["dynamodb"].values()]
        counts = [len(instances) for instances in tracked]
        in_transaction.active = True
        try:
            original(self, transact_items)
        finally:
            in_transaction.active = False
            memo.clear()
            for instances, count in zip(tracked, counts, strict=True):
                del instances[count:]  # what the table holds stays reachable through the table

    ORIGINALS["transact_write_items"] = original
    ORIGINALS["copy"] = models.copy
    models.copy = _Copy  # type: ignore[assignment]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def sqs_visibility_per_receive() -> None:
    """ChangeMessageVisibility limited per receive, as SQS does (idempotent)."""
    global _sqs_installed
    with _lock:
        if _sqs_installed:
            return
        from moto.sqs.exceptions import InvalidParameterValue, ReceiptHandleIsInvalid
        from moto.sqs.models import SQSBackend

        def change_message_visibility(self: Any, queue_name: str, receipt_handle: str, visibility_timeout: int) -> None:
            if not 0 <= int(visibility_timeout) <= MAX_VISIBILITY_SECONDS:
                raise InvalidParameterValue(f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid.")
            queue = self.get_queue(queue_name)
            for message in queue._messages:
                if message.had_receipt_handle(receipt_handle):
                    message.change_visibility(visibility_timeout)
                    if message.visible and message in queue.pending_messages:
                        queue.pending_messages.remove(message)
                    return
            raise ReceiptHandleIsInvalid

        ORIGINALS["change_message_visibility"] = SQSBackend.change_message_visibility
        SQSBackend.change_message_visibility = change_message_visibility  # type: ignore[method-assign]
        _sqs_installed = True


def sqs_receive_in_linear_time() -> None:
    """moto checks each message's retention, at every receive, by building the queue's whole
    attribute map, which counts the queue's messages twice over: a receive costs the square of the
    messages held. The retention period is read directly instead (idempotent)."""
    global _sqs_receive_installed
    with _lock:
        if _sqs_receive_installed:
            return
        from moto.core.utils import unix_time
        from moto.sqs.models import SQSBackend

        def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
            retention = int(self.get_queue(queue_name).message_retention_period)
            return bool(retention + message.sent_timestamp / 1000 > unix_time())

        ORIGINALS["is_message_valid_based_on_retention_period"] = SQSBackend.is_message_valid_based_on_retention_period
        SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]
        _sqs_receive_installed = True
