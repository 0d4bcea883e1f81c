"""Webhook delivery: how fast `deliver` sends to a loopback receiver, next to that receiver's own
maximum rate (one client, one kept-alive connection, as `deliver` sends) and to its own DynamoDB
calls made directly, with the DynamoDB calls it made per delivery; and the retry amplification of
a batch with failed records (records handled again per failed record; 1.0 is ideal), with and
without partial batch failures. The workers' log lines are held back while it measures."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

from bench.harness import CallCounter, counting_calls, emulated_stack, table
from billing.store.repository import Table
from local.loopback import LoopbackReceiver

EVENTS = 200
FAIL_EVERY = 5  # the receiver fails the first attempt of every fifth event


class _Receiver(LoopbackReceiver):
    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.fail_every = 0
        super().__init__()
        self.start()

    def receive(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        status = 200
        webhook_id = request.headers.get("webhook-id", "")
        if webhook_id not in self.ids:
            self.ids.add(webhook_id)
            if self.fail_every and len(self.ids) % self.fail_every == 0:
                status = 500
        self.answer(request, status, b"ok")

    def max_rate(self, requests: int, body: bytes) -> float:
        import urllib3

        pool = urllib3.PoolManager(maxsize=1, retries=False)
        started = time.perf_counter()
        for _ in range(requests):
            pool.request("POST", self.url, body=body, headers={"content-type": "application/json"})
        return requests / (time.perf_counter() - started)


def _raw_delivery_calls(table_name: str, scope: Any, count: int) -> float:
    """Seconds for `count` deliveries' DynamoDB calls made directly on the same moto table: what
    `deliver` makes in the steady state, a claim (one transaction: an update and a check of
    another item) and the attempt's record."""
    from billing.store import repository

    db = repository.client("dynamodb")
    events, _ = repository.Table(table_name).query(scope.key("EVENTS"), index="gsi2", limit=count)
    keys = [repository.serialize({"pk": e["pk"], "sk": e["sk"]}) for e in events]

    def bench_update(key: dict[str, Any], attribute: str) -> dict[str, Any]:
        return {
            "TableName": table_name,
            "Key": {"pk": key["pk"], "sk": {"S": "DELIVERY#bench"}},
            "UpdateExpression": "SET #a = :v",
            "ExpressionAttributeNames": {"#a": attribute},
            "ExpressionAttributeValues": {":v": {"N": "1"}},
        }

    started = time.perf_counter()
    for key in keys:
        check = {"TableName": table_name, "Key": key, "ConditionExpression": "attribute_exists(pk)"}
        db.transact_write_items(TransactItems=[{"Update": bench_update(key, "benchLease")}, {"ConditionCheck": check}])
        db.update_item(**bench_update(key, "benchAttempt"))
    return (time.perf_counter() - started) * count / max(len(keys), 1)


def _dynamodb_calls(counter: CallCounter) -> int:
    from billing.store import repository

    operations = set(repository.client("dynamodb").meta.service_model.operation_names)
    return sum(n for name, n in counter.calls.items() if name in operations)


@contextlib.contextmanager
def _workers_quiet() -> Iterator[None]:
    """The handlers' log lines (an INFO line per record, a WARNING per failed one) held back."""
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def measure(runs: int) -> str:
    import boto3
    import pytest

    from billing.accounts import accounts
    from billing.customers import customers
    from billing.kernel import config
    from billing.kernel.scope import RequestInfo, Scope
    from local.pollers import QueuePoller, StreamPoller
    from local.template import load
    from tests.support.webhooks import FakeClock

    rows = []
    receiver = _Receiver()
    with emulated_stack() as made, _workers_quiet():
        os.environ["DELIVERY_QUEUE_URL"] = made.queues["DeliveryQueue"]
        config.reset()
        functions = {f.logical_id: f for f in load().functions()}
        session = boto3.Session()
        account, _ = accounts.create_account("Bench Co", table=Table())
        scope = Scope(account.id, "test")
        from billing.webhooks import webhookendpoints

        webhookendpoints.create(
            scope, {"url": receiver.url, "enabledEvents": ["*"]}, RequestInfo(source="api"), table=Table()
        )
        fanout = StreamPoller(
            functions["FanoutFunction"], functions["FanoutFunction"].stream_sources[0],
            session.client("dynamodbstreams"), made.stream_arn,
        )  # fmt: skip
        counted = {"records": 0, "failed": 0}
        in_handler = {"seconds": 0.0}  # the invocations alone, without the poller's receives from moto's SQS

        class CountingQueuePoller(QueuePoller):
            def invoke(self, event: dict[str, Any]) -> Any:
                started = time.perf_counter()
                answer = super().invoke(event)
                in_handler["seconds"] += time.perf_counter() - started
                counted["records"] += len(event["Records"])
                failed = len(answer.get("batchItemFailures", []))
                counted["failed"] += failed
                if failed and not self.partial:
                    # a function without partial batch responses can only fail its whole batch
                    raise RuntimeError(f"{failed} of {len(event['Records'])} records failed")
                return answer

        def deliverer(partial: bool) -> QueuePoller:
            function = functions["DeliverFunction"]
            poller = CountingQueuePoller(
                function, function.queue_sources[0], session.client("sqs"),
                made.queues["DeliveryQueue"], made.queue_arns["DeliveryQueue"],
            )  # fmt: skip
            poller.partial = partial
            return poller

        def events(count: int) -> None:
            for n in range(count):
                customers.create(scope, {"name": f"Bench {n}"}, RequestInfo(source="api"), table=Table())
            while fanout.poll_once():
                pass

        def drain(poller: QueuePoller) -> float:
            started = time.perf_counter()
            while poller.poll_once():
                pass
            return time.perf_counter() - started

        # warm: handlers imported, connections open
        events(5)
        drain(deliverer(True))
        body = b'{"id":"evt_bench","type":"customer.created","data":{"object":{}}}'
        receiver_rate = receiver.max_rate(EVENTS, body)
        events(EVENTS)
        in_handler["seconds"] = 0.0
        with counting_calls() as counted_calls:
            deliver_rate = EVENTS / drain(deliverer(True))
        handler_rate = EVENTS / in_handler["seconds"]
        calls_per_delivery = _dynamodb_calls(counted_calls) / EVENTS
        raw_rate = EVENTS / _raw_delivery_calls(made.table_name, scope, EVENTS)
        rows.append(
            ["the receiver's own maximum rate", f"{deliver_rate:.1f}", f"{receiver_rate:.1f}",
             f"{deliver_rate / receiver_rate:.3f}"]
        )  # fmt: skip
        rows.append(
            ["deliver's DynamoDB calls made directly", f"{deliver_rate:.1f}", f"{raw_rate:.1f}",
             f"{deliver_rate / raw_rate:.2f}"]
        )  # fmt: skip
        rows.append(
            ["the same, deliver's invocations alone", f"{handler_rate:.1f}", f"{raw_rate:.1f}",
             f"{handler_rate / raw_rate:.2f}"]
        )  # fmt: skip

        amplification = []
        for partial in (True, False):
            monkeypatch = pytest.MonkeyPatch()
            clock = FakeClock(monkeypatch)
            try:
                receiver.fail_every = FAIL_EVERY
                events(EVENTS // 2)
                poller = deliverer(partial)
                counted.update(records=0, failed=0)
                with contextlib.redirect_stderr(io.StringIO()):  # the failed whole batches' tracebacks
                    drain(poller)
                    first_pass, failed = counted["records"], counted["failed"]
                    for _ in range(3):  # retries fall due; whole batches come back when failures are not partial
                        clock.advance(400)
                        drain(poller)
                reprocessed = counted["records"] - first_pass
                amplification.append((partial, failed, reprocessed))
            finally:
                receiver.fail_every = 0
                monkeypatch.undo()
    receiver.server.shutdown()
    text = table(
        f"deliver (warm, batches of 5, one poller) to a loopback receiver, {EVENTS} events, one run: ÷ that "
        "receiver's own maximum rate (one kept-alive client) and ÷ its steady-state DynamoDB calls made directly "
        f"(a two-item TransactWriteItems + an UpdateItem); DynamoDB calls per delivery: {calls_per_delivery:.2f} "
        f"({counted_calls.breakdown()}); 'invocations alone' leaves out the poller's receives from moto's SQS",
        ["deliveries per second ÷", "deliver /s", "reference /s", "ratio"],
        rows,
    )
    text += "\n\n" + table(
        f"retry amplification: records handled again per failed record (1.0 ideal); the receiver fails the first "
        f"attempt of about one event in {FAIL_EVERY}",
        ["batch failures reported", "failed records", "records handled again", "amplification"],
        [
            [("per record" if partial else "whole batch"), failed, reprocessed, f"{reprocessed / max(failed, 1):.2f}"]
            for partial, failed, reprocessed in amplification
        ],
    )
    return text
