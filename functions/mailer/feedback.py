"""Email feedback function (EventBridge rule on SES's events): hard bounces and complaints
suppress the address for good (`billing.emails.suppressions`)."""

from __future__ import annotations

from billing.kernel.coldstart import collector_paused

with collector_paused():
    from typing import TYPE_CHECKING, Any

    from aws_lambda_powertools import Logger

    from billing.emails import suppressions
    from billing.kernel import correlation
    from billing.store.repository import Table

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="email-feedback")
correlation.install(logger)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    with correlation.invocation(logger):
        detail = event.get("detail")
        suppressed = suppressions.handle_notification(detail, table=Table()) if isinstance(detail, dict) else 0
        logger.info("SES feedback", extra={"detailType": event.get("detail-type"), "suppressed": suppressed})
    return {"suppressed": suppressed}
