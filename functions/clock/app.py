"""Clock function (EventBridge schedule): renewals, trial ends, period-end cancellations, dunning
retries, and the expiry of `incomplete` subscriptions 23 hours after their creation.

A renewal that raises (a fault, a bug) is logged with its subscription and counted in the
`RenewalFailures` metric (EMF, published every run, 0 included, so an alarm can watch it); it
keeps its due key for the next run, and the other subscriptions' renewals go on."""

from __future__ import annotations

from billing.kernel.coldstart import collector_paused

with collector_paused():
    import os
    from typing import TYPE_CHECKING, Any

    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    from billing.kernel import clock, correlation
    from billing.kernel.scope import RequestInfo, Scope
    from billing.store.repository import Table
    from billing.subscriptions import renewals

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="clock")
correlation.install(logger)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "VinrPortal")


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    # the run's ID: the `request.id` of the events its renewals make, and its log lines'
    with correlation.invocation(logger, request_id=context.aws_request_id):
        return _run(context)


def _run(context: LambdaContext) -> dict[str, int]:
    now = clock.now()
    request = RequestInfo(source="clock", request_id=context.aws_request_id)
    failures = 0

    def failed(scope: Scope, sub_id: str, error: Exception) -> None:
        nonlocal failures
        failures += 1
        logger.error("renewal failed", extra=renewals.failure_fields(scope, sub_id, error), exc_info=error)

    done = renewals.run_all_due(now, request, table=Table(), on_failure=failed)
    metrics.add_metric(name="RenewalFailures", unit=MetricUnit.Count, value=failures)
    logger.info("clock run", extra={"processed": done, "failed": failures})
    return {"processed": done}
