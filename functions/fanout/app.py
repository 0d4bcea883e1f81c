"""Fanout function (the table's stream): one queue message per (event, subscribed endpoint).

The event source mapping passes only inserted outbox items (its filter); this function checks
again. A record that fails is reported, and the stream resumes from it; sending again is
harmless, as the delivery record keeps a duplicated message from delivering twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.events import events
from billing.kernel.scope import Scope
from billing.store.repository import Queue, Table
from billing.webhooks import deliveries, webhookendpoints
from billing.webhooks.records import WebhookEndpoint

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


class _Batch:
    """What one invocation shares between its records: clients, and each scope's endpoints."""

    def __init__(self) -> None:
        self.table = Table()
        self.queue = Queue()
        self._endpoints: dict[tuple[Scope, str], list[WebhookEndpoint]] = {}

    def endpoints_for(self, scope: Scope, event_type: str) -> list[WebhookEndpoint]:
        if (scope, event_type) not in self._endpoints:
            self._endpoints[(scope, event_type)] = webhookendpoints.subscribed(scope, event_type, table=self.table)
        return self._endpoints[(scope, event_type)]

    def handle(self, record: DynamoDBRecord) -> None:
        image = record.raw_event.get("dynamodb", {}).get("NewImage")
        if record.raw_event.get("eventName") != "INSERT" or not image:
            return
        event = events.outbox_event(image)
        if event is None:
            return
        sent = deliveries.fan_out(event, table=self.table, queue=self.queue, endpoints_for=self.endpoints_for)
        if sent:
            logger.info("event fanned out", extra={"event": event.id, "messages": sent})


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    batch = _Batch()
    return process_partial_response(event=event, record_handler=batch.handle, processor=processor, context=context)
