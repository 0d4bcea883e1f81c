"""The payment gateway's own fields in the portal (Stripe.js): what a page needs to load them,
the policy that lets it, and the JSON its script asks for.

With a gateway connected, card numbers are typed into the gateway's fields only
(`static/gateway.js` mounts them): the browser sends the number to the gateway, and the portal
sees the SetupIntent's ID afterwards. A card that needs 3-D Secure is authenticated on the
invoice's page, in the gateway's flow, with the payment's client secret the script asks for.
Client secrets are answered once, in a POST's JSON (never in a URL), and never logged or kept.
"""

from __future__ import annotations

import msgspec
from starlette.responses import JSONResponse, Response

from billing.kernel import config
from billing.kernel.errors import BillingError
from billing.kernel.scope import Scope
from billing.payments import connections
from portal_site.pages import SignedIn, Table  # (the request's table handle, `pages.table_of`)
from portal_site.security import gateway_page_csp

CSP_HEADER = "content-security-policy"


class GatewayFields(msgspec.Struct, frozen=True):
    """What a page's script needs to mount the gateway's fields (both are public)."""

    publishable_key: str
    script_url: str


def fields(who: SignedIn) -> GatewayFields | None:
    """The connected gateway's fields for this scope, or None when the simulator (test mode
    without a connection) takes typed test cards. The same test as `paymentmethods.uses_gateway`
    (a connection is what makes the scope's gateway a real one), without opening its keys."""
    return fields_for(who.scope, who.table)


def fields_for(scope: Scope, table: Table) -> GatewayFields | None:
    """`fields` for a page without a session (a hosted invoice's): the scope's gateway's fields."""
    connection = connections.get(scope, table=table)
    if connection is None:
        return None
    return GatewayFields(connection.record.publishable_key, config.settings().stripe_js_url)


def allow_gateway(response: Response) -> Response:
    """The page's policy opened to the gateway's script, frames and API (this page only)."""
    response.headers[CSP_HEADER] = gateway_page_csp(response.headers.get(CSP_HEADER))
    return response


def secret_answer(client_secret: str, publishable_key: str) -> JSONResponse:
    """What the page's script needs to confirm a setup or a payment in the gateway's flow."""
    return JSONResponse({"clientSecret": client_secret, "publishableKey": publishable_key})


def refusal(error: BillingError) -> JSONResponse:
    """A refusal the script shows as its generic message (the body says why, for a developer)."""
    return JSONResponse(error.envelope(), status_code=error.status)
