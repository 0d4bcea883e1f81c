"""Webhook tests' tools: a scripted receiver on 127.0.0.1, a clock that moves both our time and
moto's, and the stream → fanout → queue → deliver pipeline driven step by step in-process.

Also a pytest plugin (tests/conftest.py loads it): the fixtures `receiver`, `fake_clock` and
`pipeline` that the integration and fault tests share.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler

import boto3
import moto.sqs.models
import pytest

from billing.kernel import clock, config
from local.loopback import LoopbackReceiver
from local.pollers import QueuePoller, StreamPoller
from tests.conftest import Stack

# What the deliverer waits for a receiver's answer in these tests (WEBHOOK_TIMEOUT_SECONDS).
DELIVERY_TIMEOUT_SECONDS = 0.5


@dataclass
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    answered: int  # the status the receiver answered (timed-out attempts answer after the sender left)


class Receiver(LoopbackReceiver):
    """A webhook receiver whose answers follow `script`: `ok` (200), `fail` (500), `gone` (410),
    `slow` (answers 503 after `slow_seconds`, past the sender's timeout); then `then` forever."""

    def __init__(self, script: list[str] | None = None, *, then: str = "ok", slow_seconds: float = 2.0) -> None:
        self.script = list(script or [])
        self.then = then
        self.slow_seconds = slow_seconds
        self.received: list[Received] = []
        self.connections: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        super().__init__()
        self.start()

    def receive(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        with self._lock:
            step = self.script.pop(0) if self.script else self.then
            self.connections.add(request.client_address[:2])
        status = {"ok": 200, "fail": 500, "gone": 410, "slow": 503}[step]
        if step == "slow":
            time.sleep(self.slow_seconds)
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            self.received.append(Received(headers.get("webhook-id", ""), headers, body, status))
        with contextlib.suppress(OSError):  # the sender gave up (timeout)
            self.answer(request, status, b'{"received": true}' if status == 200 else b"receiver error")

    def acknowledged(self, webhook_id: str) -> int:
        return sum(1 for r in self.received if r.webhook_id == webhook_id and r.answered == 200)


class FakeClock:
    """Now, for our code (`billing.kernel.clock.now`) and for moto's SQS (visibility timeouts)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime | None = None) -> None:
        self.now = start or clock.now()
        monkeypatch.setattr(clock, "now", lambda: self.now)
        real_unix_time = moto.sqs.models.unix_time

        def unix_time(dt: datetime | None = None) -> float:
            return real_unix_time(dt) if dt is not None else self.now.timestamp()

        monkeypatch.setattr(moto.sqs.models, "unix_time", unix_time)
        monkeypatch.setattr(moto.sqs.models, "unix_time_millis", lambda dt=None: unix_time(dt) * 1000.0)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Pipeline:
    """The template's stream → FanoutFunction and DeliveryQueue → DeliverFunction mappings, run
    one poll at a time by the local stack's own pollers (`WORKER` and `QUEUE` name another
    worker behind the same outbox: the emails' `EmailPipeline`)."""

    WORKER = "DeliverFunction"
    QUEUE = "DeliveryQueue"
    stack: Stack
    stream: StreamPoller = field(init=False)
    queue: QueuePoller = field(init=False)

    def __post_init__(self) -> None:
        functions = {f.logical_id: f for f in self.stack.template.functions()}
        fanout, worker = functions["FanoutFunction"], functions[self.WORKER]
        session = boto3.Session()
        made = self.stack.resources
        self.stream = StreamPoller(fanout, fanout.stream_sources[0], session.client("dynamodbstreams"), made.stream_arn)
        self.queue = QueuePoller(
            worker,
            worker.queue_sources[0],
            session.client("sqs"),
            made.queues[self.QUEUE],
            made.queue_arns[self.QUEUE],
        )
        self.sqs = session.client("sqs")

    def fan_out(self) -> None:
        while self.stream.poll_once():
            pass

    def deliver(self) -> int:
        """Deliver every message visible now; how many batches ran."""
        batches = 0
        while self.queue.poll_once():
            batches += 1
        return batches

    def run(self) -> None:
        self.fan_out()
        self.deliver()

    def counts(self, queue: str | None = None) -> tuple[int, int]:
        """(visible, in flight) messages of a queue (the worker's own by default)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.stack.resources.queues[queue or self.QUEUE],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 that answers 200."""
    made = Receiver()
    yield made
    made.stop()


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    return FakeClock(monkeypatch)


@pytest.fixture
def pipeline(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", str(DELIVERY_TIMEOUT_SECONDS))
    config.reset()
    return Pipeline(stack)
