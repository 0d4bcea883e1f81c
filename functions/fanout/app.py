"""Fanout function (the table's stream): one queue message per (event, subscribed endpoint), and
one email queue message per email the event makes (`billing.emails.outbox`).

The event source mapping passes only inserted outbox items (its filter); this function checks
again. A record that fails is reported, and the stream resumes from it; sending again is
harmless, as the delivery record keeps a duplicated message from delivering twice.
"""

from __future__ import annotations

from billing.kernel.coldstart import collector_paused

with collector_paused():
    from collections.abc import Mapping
    from typing import TYPE_CHECKING, Any

    from aws_lambda_powertools import Logger

    from billing.emails import outbox
    from billing.events import events
    from billing.kernel import batches, config, correlation
    from billing.kernel.scope import Scope
    from billing.store.repository import Queue, Table
    from billing.webhooks import deliveries, webhookendpoints
    from billing.webhooks.records import WebhookEndpoint

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="fanout")
correlation.install(logger)


class _Batch:
    """What one invocation shares between its records: clients, and each scope's endpoints."""

    def __init__(self) -> None:
        self.table = Table()
        self.queue = Queue()
        self.email_queue = Queue(config.settings().email_queue_url)
        self.accounts = outbox.Accounts(self.table)
        self._endpoints: dict[tuple[Scope, str], list[WebhookEndpoint]] = {}

    def endpoints_for(self, scope: Scope, event_type: str) -> list[WebhookEndpoint]:
        if (scope, event_type) not in self._endpoints:
            self._endpoints[(scope, event_type)] = webhookendpoints.subscribed(scope, event_type, table=self.table)
        return self._endpoints[(scope, event_type)]

    def handle(self, record: Mapping[str, Any]) -> None:
        image = record.get("dynamodb", {}).get("NewImage")
        if record.get("eventName") != "INSERT" or not image:
            return
        event = events.outbox_event(image)
        if event is None:
            return
        correlation.bind(request_id=event.request.get("id"), account=event.account, mode=event.mode, event=event.id)
        sent = deliveries.fan_out(event, table=self.table, queue=self.queue, endpoints_for=self.endpoints_for)
        if sent:
            logger.info("event fanned out", extra={"event_type": event.type, "messages": sent})
        email = outbox.fan_out(event, table=self.table, queue=self.email_queue, known=self.accounts)
        if email:
            logger.info("email queued", extra={"kind": email})


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> batches.PartialBatchResponse:
    with correlation.invocation(logger):
        batch = _Batch()
        return batches.handle_each(event.get("Records", []), batch.handle, batches.stream_sequence_number, logger)
