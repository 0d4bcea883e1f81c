"""`GET /v1/account/emails` and `POST /v1/account/emails`: which emails the account's customers get,
and the address their replies go to. One setting for both modes, so changing it needs a live key
(`billing.accounts.livesettings`)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from billing.accounts import livesettings
from billing.emails import emailsettings
from merchant_api import request
from merchant_api.auth import caller
from merchant_api.models import Request
from merchant_api.responses import ok

router = APIGatewayHttpRouter()
Switch = Annotated[bool, Field(strict=True)]


class EmailSettingsUpdate(Request):
    """Each field is optional."""

    receipt: Switch | None = Field(default=None, description="a receipt when an invoice is paid (default off)")
    paymentFailed: Switch | None = Field(default=None, description="a notice when a charge fails (default on)")
    actionRequired: Switch | None = Field(
        default=None, description="a notice when the customer must authenticate a payment (default on)"
    )
    subscriptionCanceled: Switch | None = Field(
        default=None, description="a confirmation when a subscription is canceled or set to cancel (default on)"
    )
    replyTo: Annotated[str, Field(max_length=254)] | None = Field(
        default=None, description="where customers' replies go (the merchant's support address); null clears it"
    )


@router.get(
    "/v1/account/emails",
    summary="Retrieve the email settings",
    tags=["Account"],
    responses=ok("EmailSettings"),
)
def get_email_settings() -> dict[str, Any]:
    who = caller(router)
    settings = emailsettings.get_settings(who.account_id, table=request.table(router))
    return emailsettings.to_wire(settings, livemode=who.livemode)


@router.post(
    "/v1/account/emails",
    summary="Update the email settings (partial)",
    description=(
        "Which emails the account's customers get, in their language and the account's brand, from the "
        "platform's address with the account's name: `receipt` (off by default), `paymentFailed`, "
        "`actionRequired` and `subscriptionCanceled` (on by default). `replyTo` is where replies go. One "
        "setting serves both modes, so changing it needs a live secret key: a test key is a 403 "
        "`live_key_required` naming the field."
    ),
    tags=["Account"],
    responses=ok("EmailSettings"),
)
def update_email_settings(body: Annotated[EmailSettingsUpdate, Body()]) -> dict[str, Any]:
    who = caller(router)
    changes = body.model_dump(exclude_unset=True, mode="json")
    livesettings.require_live_key(changes, livemode=who.livemode, live_facing=livesettings.EMAILS)
    for switch in emailsettings.SWITCHES:
        if switch in changes and changes[switch] is None:
            changes.pop(switch)  # null leaves a switch as it is
    settings = emailsettings.update_settings(who.account_id, changes, table=request.table(router))
    return emailsettings.to_wire(settings, livemode=who.livemode)
