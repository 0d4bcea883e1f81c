"""Deliver function (the delivery queue): one signed POST per message, retried on a schedule.

Powertools' BatchProcessor reports failed records only (partial batch failures), so a batch
with one failing receiver retries that record alone. A failed attempt first sets its message's
visibility to the next step of the backoff; the last one leaves it for the dead-letter queue.
"""

from __future__ import annotations

import json
from typing import Any

import sender
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.kernel import config
from billing.store.repository import Queue, Table
from billing.webhooks import deliveries

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class TryLater(Exception):
    """This record's attempt failed; its message shows again when its visibility says."""


class _Batch:
    def __init__(self) -> None:
        self.table = Table()
        self.queue = Queue()
        self.timeout = config.settings().webhook_timeout_seconds

    def handle(self, record: SQSRecord) -> None:
        try:
            message = deliveries.Message.parse(record.body)
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            logger.error("not a delivery message; dropped", extra={"messageId": record.message_id})
            return
        attempt = int(record.attributes.approximate_receive_count or 1)
        outcome = deliveries.deliver(message, attempt, send=sender.send, timeout=self.timeout, table=self.table)
        context = {"event": message.event, "endpoint": message.endpoint, "attempt": attempt, "outcome": outcome.kind}
        if outcome.kind == "done":
            logger.info("delivery done", extra={**context, "reason": outcome.reason or "delivered"})
            return
        self.queue.retry_in(record.receipt_handle, outcome.delay)
        logger.warning("delivery failed", extra={**context, "retryIn": outcome.delay, "reason": outcome.reason})
        raise TryLater(f"{message.event} → {message.endpoint}: {outcome.kind}")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    batch = _Batch()
    return process_partial_response(event=event, record_handler=batch.handle, processor=processor, context=context)
