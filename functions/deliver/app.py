"""Deliver function (the delivery queue): one signed POST per message, retried on a schedule.

Failed records alone are reported (partial batch failures), so a batch with one failing
receiver retries that record alone. A failed attempt first sets its message's
visibility to the next step of the backoff; the last one leaves it for the dead-letter queue.

The endpoints' signing data is kept for the container's life (`_signings`, bounded): each
claim checks its version in the table, so it saves reads without ever signing stale data.

Each attempt ends at its deadline (`WEBHOOK_TIMEOUT_SECONDS`, wall clock: sender.py), and a record
is attempted only while the invocation has that long left plus `RESERVE_MS` for its writes: one
that is not is made visible again at once and reported failed, unsent, so a slow batch never
times out the invocation and drags the other records (other merchants') back with it. SQS counts
that receive all the same (a message cannot go back without it, and the receive count is both the
attempt number and the dead-letter threshold); with 5 records of at most 10 s in a 60 s function
it happens only when AWS itself is slow, and then costs one step of the schedule, never a send.

Each invocation publishes `DeliveriesSucceeded` and `DeliveriesFailed` (EMF, namespace
VinrPortal, dimension service=deliver, 0 included): the POSTs answered 2xx, and those that were
not (retried later, or dead), which the dashboard draws a minute at a time.
"""

from __future__ import annotations

from billing.kernel.coldstart import collector_paused

with collector_paused():
    import json
    import os
    from collections.abc import Mapping
    from typing import TYPE_CHECKING, Any

    import sender
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    from billing.kernel import batches, config, correlation
    from billing.store.repository import Queue, Table
    from billing.webhooks import deliveries
    from billing.webhooks.signingcache import SigningCache

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="deliver")
correlation.install(logger)
# Ephemeral: a metric set of its own (Metrics shares one between instances, which the local stack,
# running every function in one process, would mix)
metrics = EphemeralMetrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "VinrPortal", service="deliver")
_signings = SigningCache()


class TryLater(batches.Retry):
    """This record's attempt failed; its message shows again when its visibility says."""


# Milliseconds an attempt needs beyond its deadline: the claim, the record, the visibility change.
RESERVE_MS = 3000


class NotAttempted(batches.Retry):
    """Too little of the invocation was left to attempt this record; it shows again at once."""


class _Batch:
    def __init__(self, context: LambdaContext) -> None:
        self.table = Table()
        self.queue = Queue()
        self.timeout = config.settings().webhook_timeout_seconds
        self.context = context
        self.unattempted = 0
        self.posted = {"succeeded": 0, "failed": 0}

    def handle(self, record: Mapping[str, Any]) -> None:
        if self.context.get_remaining_time_in_millis() < self.timeout * 1000 + RESERVE_MS:
            self.unattempted += 1
            self.queue.retry_in(record["receiptHandle"], 0)
            raise NotAttempted(record.get("messageId"))
        try:
            message = deliveries.Message.parse(record["body"])
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            logger.error("not a delivery message; dropped", extra={"messageId": record.get("messageId")})
            return
        correlation.bind(
            request_id=message.request,
            account=message.account,
            mode=message.mode,
            event=message.event,
            endpoint=message.endpoint,
        )
        attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount") or 1)
        outcome = deliveries.deliver(
            message, attempt, send=sender.send, timeout=self.timeout, table=self.table, signings=_signings
        )
        if outcome.posted is not None:
            self.posted[outcome.posted] += 1
        context = {"attempt": attempt, "outcome": outcome.kind, "answered": outcome.answered}
        if outcome.kind == "done":
            logger.info("delivery done", extra={**context, "reason": outcome.reason or "delivered"})
            return
        self.queue.retry_in(record["receiptHandle"], outcome.delay)
        if outcome.kind == "wait":
            logger.info("delivery waits for an earlier event", extra={**context, "retryIn": outcome.delay})
            raise TryLater(f"{message.event} → {message.endpoint}: {outcome.reason}")
        logger.warning("delivery failed", extra={**context, "retryIn": outcome.delay, "reason": outcome.reason})
        raise TryLater(f"{message.event} → {message.endpoint}: {outcome.kind}")


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> batches.PartialBatchResponse:
    batch = _Batch(context)
    try:
        with correlation.invocation(logger):
            records = deliveries.in_change_order(event.get("Records", []))
            response = batches.handle_each(records, batch.handle, batches.sqs_message_id, logger)
            if batch.unattempted:
                logger.warning("records left for the next invocation", extra={"unattempted": batch.unattempted})
        return response
    finally:  # the POSTs made count even when the invocation dies after them
        metrics.add_metric(name="DeliveriesSucceeded", unit=MetricUnit.Count, value=batch.posted["succeeded"])
        metrics.add_metric(name="DeliveriesFailed", unit=MetricUnit.Count, value=batch.posted["failed"])
