"""Portal function: API Gateway (HTTP API, payload v2) → Mangum → the Starlette site."""

from __future__ import annotations

from billing.kernel.coldstart import collector_paused

with collector_paused():  # the site's app is made with its imports: it lives as long as they do
    from typing import TYPE_CHECKING, Any

    from mangum import Mangum

    from billing.kernel import correlation
    from portal_site.site import create_app, logger

    _site = Mangum(create_app(), lifespan="off", api_gateway_base_path="/")

if TYPE_CHECKING:
    from mangum.types import LambdaContext


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # every line of the request carries its ID; the account is bound once the session is known (pages.signed_in)
    with correlation.invocation(logger, request_id=(event.get("requestContext") or {}).get("requestId")):
        answer: dict[str, Any] = _site(event, context)
        return answer
