"""`GET /v1/account` and `POST /v1/account`: the seller shown on invoices."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from billing.accounts import accounts, livesettings
from merchant_api import request
from merchant_api.auth import caller
from merchant_api.models import Address, Country, Currency, Request, ShortText, WholeNumber
from merchant_api.responses import ok

router = APIGatewayHttpRouter()


class AccountUpdate(Request):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    legalName: ShortText | None = None
    country: Country | None = None
    address: Address | None = None
    taxId: Annotated[str, Field(max_length=64)] | None = None
    defaultCurrency: Currency | None = None
    defaultSessionMinutes: Annotated[int, Field(ge=5, le=240, strict=True), WholeNumber] | None = None


@router.get("/v1/account", summary="Retrieve the account", tags=["Account"], responses=ok("Account"))
def get_account() -> dict[str, Any]:
    who = caller(router)
    return accounts.account_to_wire(
        accounts.get_account(who.account_id, table=request.table(router)), livemode=who.livemode
    )


@router.post("/v1/account", summary="Update the account's business details", tags=["Account"], responses=ok("Account"))
def update_account(body: Annotated[AccountUpdate, Body()]) -> dict[str, Any]:
    """What live invoices and sessions show needs a live key (403 `live_key_required`); `defaultCurrency` does not."""
    who = caller(router)
    changes = body.model_dump(exclude_unset=True, mode="json")
    livesettings.require_live_key(changes, livemode=who.livemode, live_facing=livesettings.ACCOUNT)
    updated = accounts.update_account(who.account_id, changes, table=request.table(router))
    return accounts.account_to_wire(updated, livemode=who.livemode)
