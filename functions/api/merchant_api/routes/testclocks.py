"""Test clocks (test mode only): freeze a customer's time, then advance it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from billing.kernel.errors import InvalidRequest
from billing.subscriptions import testclocks
from merchant_api import request
from merchant_api.models import DateTime, Request, ShortText
from merchant_api.responses import ok
from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
ClockId = Annotated[str, Path(alias="testClock", pattern=r"^clock_[A-Za-z0-9]{1,40}$")]


class TestClockCreate(Request):
    frozenTime: DateTime
    name: ShortText | None = None


class TestClockAdvance(Request):
    frozenTime: DateTime


def _utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC).replace(microsecond=0)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in the year 0 in UTC
        raise InvalidRequest("frozenTime is out of range: from year 1 to 9999 in UTC.", param="frozenTime") from None


@router.post("/v1/test_clocks", summary="Create a test clock", tags=["Test clocks"], responses=ok("TestClock"))
def create_clock(body: Annotated[TestClockCreate, Body()]) -> Any:
    scope = request.scope(router)
    test_clock = testclocks.create(scope, _utc(body.frozenTime), body.name, table=request.table(router))
    return json_response(testclocks.to_wire(test_clock, scope))


@router.get(
    "/v1/test_clocks/<testClock>", summary="Retrieve a test clock", tags=["Test clocks"], responses=ok("TestClock")
)
def get_clock(clock_id: ClockId) -> Any:
    scope = request.scope(router)
    return testclocks.to_wire(testclocks.get(scope, clock_id, table=request.table(router)), scope)


@router.post(
    "/v1/test_clocks/<testClock>/advance",
    summary=(
        "Advance a test clock: renewals, invoices and period-end cancellations happen now, a bounded number per"
        " request; `status: advancing` says more is left: ask again with the same frozenTime until `ready`"
    ),
    tags=["Test clocks"],
    responses=ok("TestClock"),
)
def advance_clock(clock_id: ClockId, body: Annotated[TestClockAdvance, Body()]) -> Any:
    scope = request.scope(router)
    moved = testclocks.advance(
        scope, clock_id, _utc(body.frozenTime), request.info(router), table=request.table(router)
    )
    return testclocks.to_wire(moved, scope)
