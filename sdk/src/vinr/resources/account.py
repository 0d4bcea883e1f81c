"""`client.account` (with `client.account.dunning` and `client.account.emails`) and `client.branding`:
the seller, how it retries failed renewals, which emails its customers get, and how the portal and
invoices look."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vinr._http import Transport
from vinr.resources._base import NOT_GIVEN, NotGiven, Resource, body_of
from vinr.types import Account as AccountObject
from vinr.types import AfterRetries, DunningSettings, EmailSettings
from vinr.types import Branding as BrandingObject


class AccountDunning(Resource):
    def retrieve(self) -> DunningSettings:
        """`GET /v1/account/dunning`."""
        return self._get(DunningSettings, "/v1/account/dunning")

    def update(
        self,
        *,
        retry_days: Sequence[int] | NotGiven | None = NOT_GIVEN,
        after_retries: AfterRetries | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> DunningSettings:
        """`POST /v1/account/dunning`: `retry_days` (1 to 4, each 1 to 60 days after the first failure,
        increasing) and `after_retries` (`unpaid` or `canceled`); None sets one back to its default."""
        body = body_of(
            retry_days=list(retry_days) if isinstance(retry_days, Sequence) else retry_days, after_retries=after_retries
        )
        return self._post(DunningSettings, "/v1/account/dunning", body, idempotency_key)


class AccountEmails(Resource):
    def retrieve(self) -> EmailSettings:
        """`GET /v1/account/emails`."""
        return self._get(EmailSettings, "/v1/account/emails")

    def update(
        self,
        *,
        receipt: bool | NotGiven = NOT_GIVEN,
        payment_failed: bool | NotGiven = NOT_GIVEN,
        action_required: bool | NotGiven = NOT_GIVEN,
        subscription_canceled: bool | NotGiven = NOT_GIVEN,
        reply_to: str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> EmailSettings:
        """`POST /v1/account/emails`: which emails customers get (`receipt` is off by default, the
        others on) and `reply_to`, where their replies go (None clears it)."""
        body = body_of(
            receipt=receipt,
            payment_failed=payment_failed,
            action_required=action_required,
            subscription_canceled=subscription_canceled,
            reply_to=reply_to,
        )
        return self._post(EmailSettings, "/v1/account/emails", body, idempotency_key)


class Account(Resource):
    def __init__(self, transport: Transport) -> None:
        super().__init__(transport)
        self.dunning = AccountDunning(transport)
        self.emails = AccountEmails(transport)

    def retrieve(self) -> AccountObject:
        """`GET /v1/account`."""
        return self._get(AccountObject, "/v1/account")

    def update(
        self,
        *,
        name: str | NotGiven = NOT_GIVEN,
        legal_name: str | NotGiven | None = NOT_GIVEN,
        country: str | NotGiven | None = NOT_GIVEN,
        address: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        tax_id: str | NotGiven | None = NOT_GIVEN,
        default_currency: str | NotGiven | None = NOT_GIVEN,
        default_session_minutes: int | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> AccountObject:
        """`POST /v1/account`: the business details on invoices; only the given fields change."""
        body = body_of(
            name=name,
            legal_name=legal_name,
            country=country,
            address=address,
            tax_id=tax_id,
            default_currency=default_currency,
            default_session_minutes=default_session_minutes,
        )
        return self._post(AccountObject, "/v1/account", body, idempotency_key)


class Branding(Resource):
    def retrieve(self) -> BrandingObject:
        """`GET /v1/branding`."""
        return self._get(BrandingObject, "/v1/branding")

    def update(
        self,
        *,
        logo: str | NotGiven | None = NOT_GIVEN,
        accent_color: str | NotGiven | None = NOT_GIVEN,
        support_url: str | NotGiven | None = NOT_GIVEN,
        privacy_url: str | NotGiven | None = NOT_GIVEN,
        terms_url: str | NotGiven | None = NOT_GIVEN,
        portal_domain: str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> BrandingObject:
        """`POST /v1/branding` (partial; None clears a field). `logo` is a data URI (PNG, JPEG, SVG ≤ 256 KB)."""
        body = body_of(
            logo=logo,
            accent_color=accent_color,
            support_url=support_url,
            privacy_url=privacy_url,
            terms_url=terms_url,
            portal_domain=portal_domain,
        )
        return self._post(BrandingObject, "/v1/branding", body, idempotency_key)

    def verify_portal_domain(self, *, idempotency_key: str | None = None) -> BrandingObject:
        """`POST /v1/branding/portal_domain/verify`: checks the DNS TXT record `portalDomainRecord` names (live key)."""
        return self._post(BrandingObject, "/v1/branding/portal_domain/verify", None, idempotency_key)
