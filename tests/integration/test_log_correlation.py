"""One change followed through the logs, as an operator would: every line the merchant API, the
fanout and the deliverer write about it carries the request's ID (the `Request-Id` the merchant
was answered), the account and the event; none carries the key, a webhook secret or the payload.
The deliverer publishes how its POSTs went (`DeliveriesSucceeded`, `DeliveriesFailed`, EMF), which
the template's dashboard reads."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from billing.customers import customers
from local import invoke
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.webhooks import Pipeline, Receiver

SERVICES = ("api", "fanout", "deliver")


class Logs:
    """The JSON lines the functions' loggers write, read back."""

    def __init__(self) -> None:
        self.buffers: dict[str, io.StringIO] = {}

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for buffer in self.buffers.values() for line in buffer.getvalue().splitlines()]

    def text(self) -> str:
        return "".join(buffer.getvalue() for buffer in self.buffers.values())


@pytest.fixture
def logs(stack: Stack, merchant: ApiClient) -> Iterator[Logs]:
    """Each function's log handler (Powertools', as deployed) writing to a buffer instead of stdout."""
    functions = {f.logical_id: f for f in stack.template.functions()}
    for name in ("ApiFunction", "FanoutFunction", "DeliverFunction"):
        invoke.load_handler(functions[name])
    found = Logs()
    swapped = []
    for service in SERVICES:
        (handler,) = logging.getLogger(service).handlers
        assert isinstance(handler, logging.StreamHandler)
        found.buffers[service] = io.StringIO()
        swapped.append((handler, handler.setStream(found.buffers[service])))
    yield found
    for handler, stream in swapped:
        handler.setStream(stream)


def webhook_endpoint(merchant: ApiClient, url: str) -> dict[str, Any]:
    made = merchant.post("/v1/webhook_endpoints", {"url": url, "enabledEvents": ["customer.created"]})
    assert made.status == 200, made.text
    result: dict[str, Any] = made.json()
    return result


def emf(printed: str, name: str) -> list[float]:
    """The values of metric `name` in the EMF documents printed (Powertools prints one a flush)."""
    values = []
    for line in printed.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            if name in document:
                assert document["service"] == "deliver"
                assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "VinrPortal"
                value = document[name]  # a number, or a list of them
                values.extend(value if isinstance(value, list) else [value])
    return values


def test_a_change_is_followed_from_the_api_call_to_the_webhook_post(
    merchant: ApiClient,
    pipeline: Pipeline,
    receiver: Receiver,
    logs: Logs,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hook = webhook_endpoint(merchant, receiver.url)
    account = merchant.get("/v1/account").json()["id"]
    # When a customer is created, and the stream and the queue run
    made = merchant.post("/v1/customers", {"name": "Ada Lovelace", "email": "ada@example.com"})
    assert made.status == 200, made.text
    request_id = made.header("Request-Id")
    pipeline.run()
    assert len(receiver.received) == 1
    event_id = receiver.received[0].webhook_id
    # Then the fanout's and the deliverer's lines about its event carry the request's ID and the account
    about = [line for line in logs.lines() if line.get("event") == event_id]
    assert {(line["service"], line["message"]) for line in about} == {
        ("fanout", "event fanned out"),
        ("deliver", "delivery done"),
    }
    for line in about:
        assert (line["request_id"], line["account"], line["mode"]) == (request_id, account, "test"), line
    (done,) = [line for line in about if line["service"] == "deliver"]
    assert (done["endpoint"], done["answered"], done["reason"]) == (hook["id"], 200, "delivered")
    # And no line holds the key, the endpoint's secret or the customer's details
    text = logs.text()
    for secret in (str(merchant.key), hook["secret"], "ada@example.com", "Ada Lovelace"):
        assert secret not in text
    # And the deliverer counted one POST that succeeded
    printed = capsys.readouterr().out
    assert sum(emf(printed, "DeliveriesSucceeded")) == 1
    assert sum(emf(printed, "DeliveriesFailed")) == 0


def test_a_failed_post_is_counted_and_logged_with_its_request(
    merchant: ApiClient, pipeline: Pipeline, logs: Logs, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = Receiver(["fail"])
    try:
        webhook_endpoint(merchant, failing.url)
        made = merchant.post("/v1/customers", {"name": "Grace"})
        pipeline.run()
    finally:
        failing.stop()
    (failed,) = [line for line in logs.lines() if line["message"] == "delivery failed"]
    assert failed["request_id"] == made.header("Request-Id") and failed["answered"] == 500
    printed = capsys.readouterr().out
    assert sum(emf(printed, "DeliveriesFailed")) == 1
    assert sum(emf(printed, "DeliveriesSucceeded")) == 0


def test_an_api_error_line_carries_the_request_id_the_merchant_was_answered_and_the_account(
    merchant: ApiClient, logs: Logs, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = merchant.get("/v1/account").json()["id"]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the store broke")

    monkeypatch.setattr(customers, "create", broken)
    answered = merchant.post("/v1/customers", {"name": "Ada"})
    assert answered.status == 500
    (line,) = [line for line in logs.lines() if line["message"] == "unhandled error"]
    assert line["service"] == "api" and line["level"] == "ERROR"
    assert (line["request_id"], line["account"], line["mode"]) == (answered.header("Request-Id"), account, "test")
