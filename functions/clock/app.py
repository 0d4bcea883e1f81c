"""Clock function (EventBridge schedule): renewals, trial ends and period-end cancellations."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.kernel import clock
from billing.kernel.scope import RequestInfo
from billing.store.repository import Table
from billing.subscriptions import renewals

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    now = clock.now()
    request = RequestInfo(source="clock", request_id=context.aws_request_id)
    done = renewals.run_all_due(now, request, table=Table())
    logger.info("clock run", extra={"processed": done})
    return {"processed": done}
