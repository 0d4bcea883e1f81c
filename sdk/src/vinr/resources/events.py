"""`client.events` and `client.audit_log`."""

from __future__ import annotations

from collections.abc import Iterator

from vinr.resources._base import NOT_GIVEN, NotGiven, Resource, body_of, query_of, segment
from vinr.types import AuditEntry, Event, EventWithDeliveries, Page, WebhookDelivery


class Events(Resource):
    def list(
        self,
        *,
        type: str | NotGiven = NOT_GIVEN,
        customer: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        starting_after: str | NotGiven = NOT_GIVEN,
        ending_before: str | NotGiven = NOT_GIVEN,
    ) -> Page[Event]:
        """`GET /v1/events?type=&customer=`: one page, newest first."""
        params = query_of(
            type=type, customer=customer, limit=limit, starting_after=starting_after, ending_before=ending_before
        )
        return self._get(Page[Event], "/v1/events", params)

    def auto_paging_iter(
        self,
        *,
        type: str | NotGiven = NOT_GIVEN,
        customer: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
    ) -> Iterator[Event]:
        """Every matching event, newest first, page after page."""
        return self._iterate(Event, "/v1/events", query_of(type=type, customer=customer, limit=limit))

    def retrieve(self, event: str) -> EventWithDeliveries:
        """`GET /v1/events/{id}`, with its `deliveries`."""
        return self._get(EventWithDeliveries, f"/v1/events/{segment(event, 'event')}")

    def redeliver(
        self, event: str, *, endpoint: str | NotGiven = NOT_GIVEN, idempotency_key: str | None = None
    ) -> Page[WebhookDelivery]:
        """`POST /v1/events/{id}/redeliver`: send it again (to one endpoint, or to every subscribed one)."""
        path = f"/v1/events/{segment(event, 'event')}/redeliver"
        return self._post(Page[WebhookDelivery], path, body_of(endpoint=endpoint), idempotency_key)


class AuditLog(Resource):
    def list(
        self,
        *,
        customer: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        starting_after: str | NotGiven = NOT_GIVEN,
        ending_before: str | NotGiven = NOT_GIVEN,
    ) -> Page[AuditEntry]:
        """`GET /v1/audit_log?customer=`: one page of customer-initiated changes, newest first."""
        params = query_of(customer=customer, limit=limit, starting_after=starting_after, ending_before=ending_before)
        return self._get(Page[AuditEntry], "/v1/audit_log", params)

    def auto_paging_iter(
        self, *, customer: str | NotGiven = NOT_GIVEN, limit: int | NotGiven = NOT_GIVEN
    ) -> Iterator[AuditEntry]:
        """Every audit entry (of one customer when given), page after page."""
        return self._iterate(AuditEntry, "/v1/audit_log", query_of(customer=customer, limit=limit))
