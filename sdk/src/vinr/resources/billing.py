"""`client.billing.portal_sessions` and `client.billing.portal_configurations`: the hosted portal."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from vinr._http import Transport
from vinr.resources._base import NOT_GIVEN, NotGiven, Resource, body_of, query_of, segment
from vinr.types import Page, PortalConfiguration, PortalSession, SessionLocale


class PortalSessions(Resource):
    def create(
        self,
        *,
        customer: str,
        return_url: str,
        configuration: str | NotGiven = NOT_GIVEN,
        locale: SessionLocale | NotGiven = NOT_GIVEN,
        flow: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> PortalSession:
        """`POST /v1/billing/portal_sessions`: redirect the customer to the answer's `url` (single use, short-lived).

        `flow={"type": "subscription_cancel", "subscription": "sub_…"}` opens the portal on one task.
        """
        body = body_of(customer=customer, return_url=return_url, configuration=configuration, locale=locale, flow=flow)
        return self._post(PortalSession, "/v1/billing/portal_sessions", body, idempotency_key)

    def retrieve(self, session: str) -> PortalSession:
        """`GET /v1/billing/portal_sessions/{id}`."""
        return self._get(PortalSession, f"/v1/billing/portal_sessions/{segment(session, 'session')}")

    def revoke(self, session: str, *, idempotency_key: str | None = None) -> PortalSession:
        """`POST /v1/billing/portal_sessions/{id}/revoke`: the session's link and cookie stop working."""
        path = f"/v1/billing/portal_sessions/{segment(session, 'session')}/revoke"
        return self._post(PortalSession, path, None, idempotency_key)


class PortalConfigurations(Resource):
    def create(
        self,
        *,
        name: str | NotGiven = NOT_GIVEN,
        business_profile: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        features: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        metadata: Mapping[str, str | None] | NotGiven = NOT_GIVEN,
        login_page: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> PortalConfiguration:
        """`POST /v1/billing/portal_configurations`; omitted parts take the default configuration's values.

        Nested keys may be snake_case (`subscription_cancel`) or camelCase (`subscriptionCancel`).
        """
        body = body_of(
            name=name, business_profile=business_profile, features=features, metadata=metadata, login_page=login_page
        )
        return self._post(PortalConfiguration, "/v1/billing/portal_configurations", body, idempotency_key)

    def retrieve(self, configuration: str) -> PortalConfiguration:
        """`GET /v1/billing/portal_configurations/{id}`; `"default"` is the account's default configuration."""
        return self._get(
            PortalConfiguration, f"/v1/billing/portal_configurations/{segment(configuration, 'configuration')}"
        )

    def update(
        self,
        configuration: str,
        *,
        name: str | NotGiven | None = NOT_GIVEN,
        business_profile: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        features: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, str | None] | NotGiven | None = NOT_GIVEN,
        login_page: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> PortalConfiguration:
        """`POST /v1/billing/portal_configurations/{id}` (`"default"` allowed): merged field by field."""
        body = body_of(
            name=name, business_profile=business_profile, features=features, metadata=metadata, login_page=login_page
        )
        path = f"/v1/billing/portal_configurations/{segment(configuration, 'configuration')}"
        return self._post(PortalConfiguration, path, body, idempotency_key)

    def list(
        self,
        *,
        limit: int | NotGiven = NOT_GIVEN,
        starting_after: str | NotGiven = NOT_GIVEN,
        ending_before: str | NotGiven = NOT_GIVEN,
    ) -> Page[PortalConfiguration]:
        """`GET /v1/billing/portal_configurations`: one page."""
        return self._get(
            Page[PortalConfiguration],
            "/v1/billing/portal_configurations",
            query_of(limit=limit, starting_after=starting_after, ending_before=ending_before),
        )

    def auto_paging_iter(self, *, limit: int | NotGiven = NOT_GIVEN) -> Iterator[PortalConfiguration]:
        """Every portal configuration, page after page."""
        return self._iterate(PortalConfiguration, "/v1/billing/portal_configurations", query_of(limit=limit))


class Billing:
    """The portal's resources, under `client.billing` as in the API's paths."""

    def __init__(self, transport: Transport) -> None:
        self.portal_sessions = PortalSessions(transport)
        self.portal_configurations = PortalConfigurations(transport)
