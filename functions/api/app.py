"""Merchant API function: API Gateway (HTTP API, payload v2) → the Powertools resolver."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from merchant_api.app import logger, resolver

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolver.resolve(event, context)
