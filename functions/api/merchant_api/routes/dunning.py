"""`GET /v1/account/dunning` and `POST /v1/account/dunning`: how the account retries a failed
renewal, and how the subscription ends when every retry failed. One schedule for both modes, so
changing it needs a live key (`billing.accounts.livesettings`)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from billing.accounts import accounts, livesettings
from merchant_api import request
from merchant_api.auth import caller
from merchant_api.models import Request
from merchant_api.responses import ok

router = APIGatewayHttpRouter()
# The service checks the values and names the field (`retryDays`, `afterRetries`); the schema states them.
RetryDays = Annotated[
    list[Annotated[int, Field(strict=True)]],
    Field(
        examples=[[3, 5, 7]],
        description=(
            f"days after the first failed charge on which it is retried: 1 to {accounts.MAX_RETRIES} of them, "
            f"each 1 to {accounts.MAX_RETRY_DAY}, each day once (kept in ascending order)"
        ),
        json_schema_extra={
            "minItems": 1,
            "maxItems": accounts.MAX_RETRIES,
            "uniqueItems": True,
            "items": {"type": "integer", "minimum": 1, "maximum": accounts.MAX_RETRY_DAY},
        },
    ),
]
AfterRetries = Annotated[
    str,
    Field(
        examples=["unpaid"],
        description="what the subscription becomes when every retry failed",
        json_schema_extra={"enum": list(accounts.AFTER_RETRIES)},
    ),
]


class DunningUpdate(Request):
    """Each field is optional; null sets it back to its default (`[3, 5, 7]`, `unpaid`)."""

    retryDays: RetryDays | None = None
    afterRetries: AfterRetries | None = None


@router.get(
    "/v1/account/dunning",
    summary="Retrieve the dunning settings",
    tags=["Account"],
    responses=ok("DunningSettings"),
)
def get_dunning() -> dict[str, Any]:
    who = caller(router)
    settings = accounts.get_dunning(who.account_id, table=request.table(router))
    return accounts.dunning_to_wire(settings, livemode=who.livemode)


@router.post(
    "/v1/account/dunning",
    summary="Update the dunning settings (partial)",
    description=(
        "A failed renewal makes the subscription `past_due` and is retried on `retryDays` (days after the "
        "first failure); when the last retry fails the subscription becomes `unpaid` (kept, not renewed; "
        "paying its latest invoice makes it `active` again) or `canceled`, as `afterRetries` says. "
        "Subscriptions already being retried keep the schedule they started with. One schedule serves both "
        "modes, so changing it needs a live secret key: a test key is a 403 `live_key_required` naming the field."
    ),
    tags=["Account"],
    responses=ok("DunningSettings"),
)
def update_dunning(body: Annotated[DunningUpdate, Body()]) -> dict[str, Any]:
    who = caller(router)
    changes = body.model_dump(exclude_unset=True, mode="json")
    livesettings.require_live_key(changes, livemode=who.livemode, live_facing=livesettings.DUNNING)
    settings = accounts.update_dunning(who.account_id, changes, table=request.table(router))
    return accounts.dunning_to_wire(settings, livemode=who.livemode)
