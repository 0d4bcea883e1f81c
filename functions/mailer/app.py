"""Mailer function (the email queue): one SES email per message, retried on a schedule.

Failed records alone are reported (partial batch failures). A transient SES refusal first sets
its message's visibility to the next step of the backoff; the last one leaves it for the
dead-letter queue. The rules (claim, suppression, what is recorded) are `billing.emails.sending`.
"""

from __future__ import annotations

from billing.kernel.coldstart import collector_paused

with collector_paused():
    from collections.abc import Mapping
    from typing import TYPE_CHECKING, Any

    import msgspec
    from aws_lambda_powertools import Logger

    from billing.emails import sending
    from billing.emails.outbox import Message
    from billing.kernel import batches, config, correlation
    from billing.store.repository import Queue, Table

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="mailer")
correlation.install(logger)


class TryLater(batches.Retry):
    """This record's attempt failed; its message shows again when its visibility says."""


class _Batch:
    def __init__(self) -> None:
        self.table = Table()
        self.queue = Queue(config.settings().email_queue_url)

    def handle(self, record: Mapping[str, Any]) -> None:
        try:
            message = Message.parse(record["body"])
        except (KeyError, TypeError, msgspec.DecodeError, msgspec.ValidationError):
            logger.error("not an email message; dropped", extra={"messageId": record.get("messageId")})
            return
        correlation.bind(request_id=message.request, account=message.account, mode=message.mode, event=message.event)
        attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount") or 1)
        outcome = sending.send(message, attempt, table=self.table)
        context = {"kind": message.kind, "attempt": attempt, "outcome": outcome.kind}
        if outcome.kind == "done":
            logger.info("email done", extra={**context, "reason": outcome.reason})
            return
        self.queue.retry_in(record["receiptHandle"], outcome.delay)
        logger.warning("email not sent yet", extra={**context, "retryIn": outcome.delay, "reason": outcome.reason})
        raise TryLater(f"{message.event} → {message.kind}: {outcome.kind}")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> batches.PartialBatchResponse:
    with correlation.invocation(logger):
        batch = _Batch()
        return batches.handle_each(event.get("Records", []), batch.handle, batches.sqs_message_id, logger)
