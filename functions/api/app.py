"""Merchant API function: API Gateway (HTTP API, payload v2) → the Powertools resolver."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from merchant_api.app import logger, resolver


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolver.resolve(event, context)
