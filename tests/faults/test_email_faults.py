"""Emails under SES and DynamoDB faults, in the style of the webhook delivery fault tests: the
local stack's pollers play stream → fanout and EmailQueue → mailer, a clock moves our time and
moto's SQS, and moto's SES keeps every message it accepted.

What holds: no email is lost (each ends `sent`, or `failed` with its message in the dead-letter
queue), and none is sent twice after SES accepted it, whatever DynamoDB answers meanwhile. The one
window left is a mailer killed between SES's answer and its record: that email is sent again
(at least once there, never lost), as `billing.emails.sending` states."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from billing.emails import sending, ses
from tests.conftest import Stack
from tests.faults import injector as faults
from tests.support.apiclient import ApiClient
from tests.support.emails import EmailPipeline, sent_emails
from tests.support.livekeys import live_client
from tests.support.shop import open_shop
from tests.support.webhooks import FakeClock

LONGEST_WAIT = max(sending.RETRY_DELAYS) + sending.LEASE_SECONDS + 1


class LambdaTimeout(BaseException):
    """The runtime stopping the function: no `except Exception` in the handler sees it."""


@pytest.fixture
def pipeline(stack: Stack) -> EmailPipeline:
    return EmailPipeline(stack)


@pytest.fixture
def receipt_due(merchant: ApiClient) -> Callable[[], str]:
    """Makes one paid invoice whose receipt is due; answers its invoice.paid event's ID."""
    shop = open_shop(merchant)
    assert live_client(merchant).post("/v1/account/emails", {"receipt": True}).status == 200

    def make() -> str:
        customer = shop.customer(email="kunde@example.com")
        assert shop.subscribe(customer).status == 200
        listed = merchant.get("/v1/events", query={"customer": customer, "type": "invoice.paid"}).json()["data"]
        event_id: str = listed[0]["id"]
        return event_id

    return make


class FlakySes:
    """SES's client, answering `code` (with `status`) to the first `times` SendEmail calls."""

    def __init__(self, code: str, status: int, times: int) -> None:
        self.code, self.status, self.times = code, status, times
        self.refused = 0
        self.real = ses.client("sesv2")

    def send_email(self, **request: Any) -> Any:
        if self.refused < self.times:
            self.refused += 1
            raise ClientError(
                {
                    "Error": {"Code": self.code, "Message": "injected"},
                    "ResponseMetadata": {"HTTPStatusCode": self.status},
                },
                "SendEmail",
            )
        return self.real.send_email(**request)


@pytest.fixture
def flaky_ses(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, int, int], FlakySes]]:
    def install(code: str, status: int, times: int) -> FlakySes:
        flaky = FlakySes(code, status, times)
        monkeypatch.setattr(ses, "client", lambda service: flaky)
        return flaky

    yield install


def drain(pipeline: EmailPipeline, clock: FakeClock, rounds: int = 14) -> None:
    """Runs the pipeline, moving time past retry delays and leases, until the queue is empty."""
    for _ in range(rounds):
        pipeline.run()
        if pipeline.counts() == (0, 0):
            return
        clock.advance(LONGEST_WAIT)
    raise AssertionError(f"the email queue never emptied: {pipeline.counts()}")


def mailed_to(address: str) -> int:
    return sum(1 for e in sent_emails() if e.message["To"] == address)


def the_email(merchant: ApiClient, event_id: str) -> dict[str, Any]:
    (email,) = merchant.get(f"/v1/events/{event_id}").json()["emails"]
    result: dict[str, Any] = email
    return result


@pytest.mark.parametrize(("code", "status"), [("TooManyRequestsException", 429), ("InternalFailure", 500)])
def test_ses_refusing_for_now_is_retried_and_the_email_sent_once(
    merchant: ApiClient,
    pipeline: EmailPipeline,
    receipt_due: Callable[[], str],
    flaky_ses: Callable[[str, int, int], FlakySes],
    fake_clock: FakeClock,
    code: str,
    status: int,
) -> None:
    # Given a receipt due, and SES refusing its first two sends (throttling / its own fault)
    event_id = receipt_due()
    before = mailed_to("kunde@example.com")
    flaky = flaky_ses(code, status, 2)
    # When the mailer runs: the first attempt is refused and waits its retry delay
    pipeline.run()
    assert flaky.refused == 1 and mailed_to("kunde@example.com") == before
    email = the_email(merchant, event_id)
    assert (email["status"], email["attempts"]) == ("queued", 1)
    assert pipeline.counts() == (0, 1)  # in flight until its delay has passed
    drain(pipeline, fake_clock)
    # Then it was sent exactly once, on the third attempt, and nothing is left anywhere
    assert mailed_to("kunde@example.com") == before + 1
    email = the_email(merchant, event_id)
    assert (email["status"], email["attempts"]) == ("sent", 3)
    assert pipeline.counts("EmailDeadLetterQueue") == (0, 0)


def test_ses_refusing_every_attempt_ends_failed_with_the_message_kept_in_the_dlq(
    merchant: ApiClient,
    pipeline: EmailPipeline,
    receipt_due: Callable[[], str],
    flaky_ses: Callable[[str, int, int], FlakySes],
    fake_clock: FakeClock,
) -> None:
    event_id = receipt_due()
    flaky_ses("TooManyRequestsException", 429, 1000)
    drain(pipeline, fake_clock)
    email = the_email(merchant, event_id)
    assert (email["status"], email["attempts"]) == ("failed", sending.MAX_ATTEMPTS)
    assert "SES refused" in email["failureReason"]
    assert pipeline.counts("EmailDeadLetterQueue") == (1, 0)  # not lost: there to redrive


def test_ses_rejecting_for_good_fails_at_once(
    merchant: ApiClient,
    pipeline: EmailPipeline,
    receipt_due: Callable[[], str],
    flaky_ses: Callable[[str, int, int], FlakySes],
    fake_clock: FakeClock,
) -> None:
    event_id = receipt_due()
    flaky_ses("MessageRejected", 400, 1000)
    drain(pipeline, fake_clock)
    email = the_email(merchant, event_id)
    assert (email["status"], email["attempts"]) == ("failed", 1)
    assert pipeline.counts("EmailDeadLetterQueue") == (0, 0)


def test_dynamodb_failing_the_record_after_ses_accepted_does_not_send_twice(
    merchant: ApiClient, pipeline: EmailPipeline, receipt_due: Callable[[], str], fake_clock: FakeClock
) -> None:
    # Given a receipt fanned out
    event_id = receipt_due()
    pipeline.fan_out()
    before = mailed_to("kunde@example.com")
    with faults.installed() as injector:
        # When the record of the accepted send (the mailer's second UpdateItem) fails all its botocore attempts
        record = injector.arm("UpdateItem", 2, "server-error", times=faults.ATTEMPTS)
        drain(pipeline, fake_clock)
    assert record.fired == faults.ATTEMPTS
    # Then the mailer's own retry recorded it: sent once, recorded sent once
    assert mailed_to("kunde@example.com") == before + 1
    assert (the_email(merchant, event_id)["status"], the_email(merchant, event_id)["attempts"]) == ("sent", 1)


def test_a_claim_and_record_answering_late_send_and_record_once(
    merchant: ApiClient, pipeline: EmailPipeline, receipt_due: Callable[[], str], fake_clock: FakeClock
) -> None:
    event_id = receipt_due()
    pipeline.fan_out()
    before = mailed_to("kunde@example.com")
    with faults.installed() as injector:
        claim = injector.arm("UpdateItem", 1, "late")
        record = injector.arm("UpdateItem", 2, "late")
        drain(pipeline, fake_clock)
    assert (claim.fired, record.fired) == (1, 1)
    assert mailed_to("kunde@example.com") == before + 1
    email = the_email(merchant, event_id)
    assert (email["status"], email["attempts"]) == ("sent", 1)


def test_fanout_whose_email_message_the_queue_refuses_retries_it_and_sends_once(
    merchant: ApiClient, pipeline: EmailPipeline, receipt_due: Callable[[], str], fake_clock: FakeClock
) -> None:
    event_id = receipt_due()
    before = mailed_to("kunde@example.com")
    with faults.installed() as injector:
        refused = injector.arm("SendMessageBatch", 1, "partial")
        drain(pipeline, fake_clock)
    assert refused.fired == 1
    assert mailed_to("kunde@example.com") == before + 1
    assert the_email(merchant, event_id)["status"] == "sent"


def test_a_mailer_killed_after_ses_accepted_sends_again_once_its_lease_lapses(
    merchant: ApiClient,
    pipeline: EmailPipeline,
    receipt_due: Callable[[], str],
    fake_clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a receipt due, and a mailer that dies (Lambda's timeout) right after SES accepted it
    event_id = receipt_due()
    before = mailed_to("kunde@example.com")
    real_send = ses.send_raw
    killed: list[str] = []

    def send_then_die(raw: bytes, *, to: str) -> str:
        message_id = real_send(raw, to=to)
        if not killed:
            killed.append(message_id)
            raise LambdaTimeout
        return message_id

    monkeypatch.setattr(sending, "send", _with_sender(sending.send, send_then_die))
    original_invoke = pipeline.queue.invoke

    def invoke(event: dict[str, Any]) -> Any:
        try:
            return original_invoke(event)
        except LambdaTimeout as stopped:
            raise RuntimeError("Task timed out") from stopped

    monkeypatch.setattr(pipeline.queue, "invoke", invoke)
    drain(pipeline, fake_clock)
    # Then the email was not lost: it is recorded sent. This is the one window where it went out twice
    # (SES has no idempotency key; the design's guarantee there is at least once).
    assert killed
    assert mailed_to("kunde@example.com") == before + 2
    email = the_email(merchant, event_id)
    assert (email["status"], email["attempts"]) == ("sent", 1)


def _with_sender(send: Callable[..., Any], send_raw: Callable[..., str]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return send(*args, **{**kwargs, "send_raw": send_raw})

    return wrapped
