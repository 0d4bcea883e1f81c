"""Events: every change, as its webhook carries it; their deliveries; the customers' audit log."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from billing.emails import history
from billing.events import auditlog, events
from billing.webhooks import deliveries
from merchant_api import request
from merchant_api.models import EndingBefore, Limit, Request, StartingAfter
from merchant_api.responses import ok

router = APIGatewayHttpRouter()
EventId = Annotated[str, Path(alias="event", pattern=r"^evt_[A-Za-z0-9]{1,40}$")]
CustomerFilter = Annotated[str | None, Query(pattern=r"^cust_[A-Za-z0-9]{1,40}$")]


class Redelivery(Request):
    endpoint: Annotated[str, Field(pattern=r"^we_[A-Za-z0-9]{1,40}$")] | None = None


@router.get("/v1/events", summary="List events, newest first", tags=["Events"], responses=ok("EventList"))
def list_events(
    limit: Limit = 10,
    startingAfter: StartingAfter = None,
    endingBefore: EndingBefore = None,
    type: Annotated[str | None, Query(max_length=60)] = None,
    customer: CustomerFilter = None,
) -> Any:
    return events.list_events(
        request.scope(router),
        limit=limit,
        starting_after=startingAfter,
        ending_before=endingBefore,
        type_=type,
        customer=customer,
        table=request.table(router),
    )


@router.get(
    "/v1/events/<event>",
    summary="Retrieve an event with its webhook deliveries and emails",
    tags=["Events"],
    responses=ok("EventWithDeliveries"),
)
def get_event(event_id: EventId) -> Any:
    scope, table = request.scope(router), request.table(router)
    found = deliveries.event_with_deliveries(scope, event_id, table=table)
    return {**found, "emails": history.of_event(scope, event_id, table=table)}


@router.post(
    "/v1/events/<event>/redeliver",
    summary="Send an event to its webhook endpoints again",
    tags=["Events"],
    responses=ok("WebhookDeliveryList"),
)
def redeliver_event(event_id: EventId, body: Annotated[Redelivery | None, Body()] = None) -> Any:
    return deliveries.redeliver(
        request.scope(router), event_id, body.endpoint if body else None, table=request.table(router)
    )


@router.get(
    "/v1/audit_log",
    summary="Changes customers made in the portal, newest first",
    tags=["Events"],
    responses=ok("AuditEntryList"),
)
def list_audit_log(
    limit: Limit = 10,
    startingAfter: StartingAfter = None,
    endingBefore: EndingBefore = None,
    customer: CustomerFilter = None,
) -> Any:
    return auditlog.list_entries(
        request.scope(router),
        limit=limit,
        starting_after=startingAfter,
        ending_before=endingBefore,
        customer=customer,
        table=request.table(router),
    )
