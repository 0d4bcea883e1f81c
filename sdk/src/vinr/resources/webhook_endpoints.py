"""`client.webhook_endpoints`: where VINR posts events, and their signing secrets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from vinr.resources._base import NOT_GIVEN, NotGiven, Resource, body_of, query_of, segment
from vinr.types import DeletedWebhookEndpoint, Page, WebhookEndpoint


class WebhookEndpoints(Resource):
    def create(
        self,
        *,
        url: str,
        enabled_events: Sequence[str],
        description: str | NotGiven = NOT_GIVEN,
        disabled: bool | NotGiven = NOT_GIVEN,
        metadata: Mapping[str, str | None] | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> WebhookEndpoint:
        """`POST /v1/webhook_endpoints`; `enabled_events=["*"]` is every event.

        The answer's `secret` (`whsec_…`) is shown this once: store it for `vinr.webhooks.verify`.
        """
        body = body_of(
            url=url, enabled_events=enabled_events, description=description, disabled=disabled, metadata=metadata
        )
        return self._post(WebhookEndpoint, "/v1/webhook_endpoints", body, idempotency_key)

    def retrieve(self, endpoint: str) -> WebhookEndpoint:
        """`GET /v1/webhook_endpoints/{id}` (without its secret)."""
        return self._get(WebhookEndpoint, f"/v1/webhook_endpoints/{segment(endpoint, 'endpoint')}")

    def update(
        self,
        endpoint: str,
        *,
        url: str | NotGiven = NOT_GIVEN,
        enabled_events: Sequence[str] | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        disabled: bool | NotGiven = NOT_GIVEN,
        metadata: Mapping[str, str | None] | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> WebhookEndpoint:
        """`POST /v1/webhook_endpoints/{id}`: only the given fields change; `disabled=True` pauses deliveries."""
        body = body_of(
            url=url, enabled_events=enabled_events, description=description, disabled=disabled, metadata=metadata
        )
        return self._post(
            WebhookEndpoint, f"/v1/webhook_endpoints/{segment(endpoint, 'endpoint')}", body, idempotency_key
        )

    def list(
        self,
        *,
        limit: int | NotGiven = NOT_GIVEN,
        starting_after: str | NotGiven = NOT_GIVEN,
        ending_before: str | NotGiven = NOT_GIVEN,
    ) -> Page[WebhookEndpoint]:
        """`GET /v1/webhook_endpoints`: one page."""
        params = query_of(limit=limit, starting_after=starting_after, ending_before=ending_before)
        return self._get(Page[WebhookEndpoint], "/v1/webhook_endpoints", params)

    def auto_paging_iter(self, *, limit: int | NotGiven = NOT_GIVEN) -> Iterator[WebhookEndpoint]:
        """Every webhook endpoint, page after page."""
        return self._iterate(WebhookEndpoint, "/v1/webhook_endpoints", query_of(limit=limit))

    def delete(self, endpoint: str, *, idempotency_key: str | None = None) -> DeletedWebhookEndpoint:
        """`DELETE /v1/webhook_endpoints/{id}`: `{"id", "object", "deleted": true}`."""
        return self._delete(
            DeletedWebhookEndpoint, f"/v1/webhook_endpoints/{segment(endpoint, 'endpoint')}", idempotency_key
        )

    def roll_secret(
        self,
        endpoint: str,
        *,
        expires_in_seconds: int | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> WebhookEndpoint:
        """`POST /v1/webhook_endpoints/{id}/roll_secret`: a new `secret`, shown once.

        The old secret keeps signing too for `expires_in_seconds` (0–604800, default 86400), so
        receivers can switch without losing a delivery.
        """
        path = f"/v1/webhook_endpoints/{segment(endpoint, 'endpoint')}/roll_secret"
        return self._post(WebhookEndpoint, path, body_of(expires_in_seconds=expires_in_seconds), idempotency_key)
