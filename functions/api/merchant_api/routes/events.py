"""Events: every change, as its webhook carries it."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from billing import events
from merchant_api import request
from merchant_api.models import Limit, StartingAfter

router = APIGatewayHttpRouter()


@router.get("/v1/events", summary="List events, newest first", tags=["Events"])
def list_events(
    limit: Limit = 10,
    startingAfter: StartingAfter = None,
    type: Annotated[str | None, Query(max_length=60)] = None,
    customer: Annotated[str | None, Query(pattern=r"^cust_[A-Za-z0-9]{1,40}$")] = None,
) -> Any:
    return events.list_events(
        request.scope(router), limit=limit, starting_after=startingAfter, type_=type, customer=customer
    )


@router.get("/v1/events/<event_id>", summary="Retrieve an event", tags=["Events"])
def get_event(event_id: Annotated[str, Path(pattern=r"^evt_[A-Za-z0-9]{1,40}$")]) -> Any:
    return events.get_event(request.scope(router), event_id)
