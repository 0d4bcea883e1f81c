"""Portal sessions: minted server-side for one customer, opened once in the browser."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from billing.kernel.errors import InvalidRequest
from billing.portal import portalsessions
from billing.webhooks import egress
from merchant_api import request
from merchant_api.models import Request, any_case
from merchant_api.responses import ok
from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
SessionId = Annotated[str, Path(alias="session", pattern=r"^bps_[A-Za-z0-9]{1,40}$")]
# Absolute http(s) with a host, no user name or password and no spaces; the service checks the
# rest (https but to localhost in test mode, an ASCII host, no markup), naming `returnUrl`.
RETURN_URL_PATTERN = rf"^{any_case('http')}[Ss]?://[^\s/?#@]+(?:[/?#]\S*)?$"


class Flow(Request):
    type: Literal["payment_method_update", "subscription_cancel", "subscription_update"]
    subscription: Annotated[str, Field(pattern=r"^sub_[A-Za-z0-9]{1,40}$")] | None = None


class PortalSessionCreate(Request):
    customer: Annotated[str, Field(pattern=r"^cust_[A-Za-z0-9]{1,40}$")]
    returnUrl: Annotated[
        str,
        Field(
            min_length=1,
            max_length=portalsessions.MAX_URL_LENGTH,
            examples=["https://example.com/account"],
            description="https (http to localhost: test mode, local stack); an ASCII host, no user name or password",
            json_schema_extra={"pattern": RETURN_URL_PATTERN},
        ),
    ]
    configuration: Annotated[str, Field(pattern=r"^(default|bpc_[A-Za-z0-9]{1,40})$")] | None = None
    locale: Literal[portalsessions.LOCALES] | None = None  # type: ignore[valid-type]
    flow: Flow | None = None


@router.post(
    "/v1/billing/portal_sessions", summary="Create a portal session", tags=["Portal"], responses=ok("PortalSession")
)
def create_session(body: Annotated[PortalSessionCreate, Body()]) -> Any:
    scope = request.scope(router)
    _no_loopback_unless_enabled(body.returnUrl, scope.livemode)
    session, url = portalsessions.create(
        scope,
        body.model_dump(exclude_unset=True, mode="json"),
        request.info(router),
        table=request.table(router),
    )
    return json_response(portalsessions.to_wire(session, url=url))


def _no_loopback_unless_enabled(url: str, livemode: bool) -> None:
    """http to localhost (which the service allows in test mode) only where the local stack enables
    loopback URLs, as for webhooks (`egress.loopback_allowed`); a deployed stack answers a 400."""
    if not livemode and url.strip()[:5].lower() == "http:" and not egress.loopback_enabled():
        raise InvalidRequest(
            "returnUrl must be an https URL (http is not allowed in a deployed stack).", param="returnUrl"
        )


@router.get(
    "/v1/billing/portal_sessions/<session>",
    summary="Retrieve a portal session",
    tags=["Portal"],
    responses=ok("PortalSession"),
)
def get_session(session_id: SessionId) -> Any:
    return portalsessions.to_wire(portalsessions.get(request.scope(router), session_id, table=request.table(router)))


@router.post(
    "/v1/billing/portal_sessions/<session>/revoke",
    summary="Revoke a portal session",
    tags=["Portal"],
    responses=ok("PortalSession"),
)
def revoke_session(session_id: SessionId) -> Any:
    return portalsessions.to_wire(portalsessions.revoke(request.scope(router), session_id, table=request.table(router)))
