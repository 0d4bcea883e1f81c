"""`Idempotency-Key` on POST and DELETE: a retried request answers what the first one did.

Powertools idempotency with DynamoDB persistence in the main table. The key is scoped to the
account and mode; the request's method, path and body are its fingerprint, so reusing a key
for a different request is refused instead of answered with another request's result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from billing import config, repository
from merchant_api.auth import caller

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
_CONFIG = IdempotencyConfig(
    event_key_jmespath="key",
    payload_validation_jmespath="fingerprint",
    expires_after_seconds=24 * 3600,
    use_local_cache=False,
)


@lru_cache(maxsize=1)
def _persistence(table_name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value="IDEMPOTENCY",
        expiry_attr="expiresAt",
        boto3_client=repository.client("dynamodb"),
    )


def key_of(app: BaseRouter) -> str | None:
    value = app.current_event.headers.get(HEADER)
    return value.strip() if value and value.strip() else None


def _stored(response: Response[Any]) -> dict[str, Any]:
    body = response.body if isinstance(response.body, str) else json.dumps(response.body, separators=(",", ":"))
    return {"status": response.status_code, "body": body}


def idempotent_requests(app: BaseRouter, next_middleware: Callable[..., Response[Any]]) -> Response[Any]:
    key = key_of(app)
    event = app.current_event
    if key is None or event.http_method not in ("POST", "DELETE"):
        return next_middleware(app)
    if len(key) > MAX_KEY_LENGTH:
        from billing.errors import InvalidRequest

        raise InvalidRequest(f"Idempotency-Key is at most {MAX_KEY_LENGTH} characters.", param="Idempotency-Key")
    who = caller(app)
    fingerprint = hashlib.sha256(f"{event.http_method} {event.path}\n{event.body or ''}".encode()).hexdigest()
    persistence = _persistence(config.settings().table_name)
    _CONFIG.register_lambda_context(app.lambda_context)

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=_CONFIG)
    def run(request: dict[str, str]) -> dict[str, Any]:
        return _stored(next_middleware(app))

    stored = run(request={"key": f"{who.account_id}#{who.mode}#{key}", "fingerprint": fingerprint})
    return Response(
        status_code=int(stored["status"]),
        content_type=content_types.APPLICATION_JSON,
        body=stored["body"],
        headers={"Idempotency-Key": key},
    )
