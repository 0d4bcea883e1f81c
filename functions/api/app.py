"""Merchant API function: API Gateway (HTTP API, payload v2) → the Powertools resolver.

Every answer carries `Request-Id`: API Gateway's ID of the request (its `apigw-requestid`
header, the `request.id` of the events the request caused, and the `request_id` of every log
line the request causes, here and in the workers after it), so a merchant quoting it finds the
request's logs and events."""

from __future__ import annotations

from billing.kernel.coldstart import collector_paused

with collector_paused():
    import uuid
    from typing import TYPE_CHECKING, Any

    from billing.kernel import correlation
    from merchant_api.app import logger, resolver

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

REQUEST_ID_HEADER = "Request-Id"


def request_id(event: dict[str, Any]) -> str:
    """API Gateway's ID of the request. An event without one (a direct invoke) is given one of
    our own, in the event, so that the request's events name the ID its answer does."""
    context = event.setdefault("requestContext", {})
    if not context.get("requestId"):
        context["requestId"] = uuid.uuid4().hex
    return str(context["requestId"])


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    identifier = request_id(event)
    with correlation.invocation(logger, request_id=identifier):  # the account is bound once known (auth)
        answer = resolver.resolve(event, context)
    headers = answer.get("headers")
    answer["headers"] = {**(headers if isinstance(headers, dict) else {}), REQUEST_ID_HEADER: identifier}
    return answer
