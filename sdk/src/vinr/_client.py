"""`Vinr`: the client, one per secret key."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from vinr._http import Transport
from vinr._wire import camelize, query_of
from vinr.resources import (
    Account,
    AuditLog,
    Billing,
    Branding,
    Coupons,
    Customers,
    Events,
    Invoices,
    PaymentGateway,
    Prices,
    Products,
    Subscriptions,
    TaxRates,
    TestClocks,
    WebhookEndpoints,
)
from vinr.webhooks import Webhooks

API_URL_VARIABLE = "VINR_API_URL"


def api_url(given: str | None) -> str:
    """The API's base URL: `given`, else `$VINR_API_URL`; a `ValueError` naming both when neither is set."""
    url = (given if given is not None else os.environ.get(API_URL_VARIABLE, "")).strip()
    if not url:
        raise ValueError(
            f"base_url is required: pass Vinr(..., base_url=...) or set {API_URL_VARIABLE} to your deployment's "
            "API URL (the stack's ApiUrl output; http://127.0.0.1:3000 for `make dev`)."
        )
    if not url.startswith(("https://", "http://")):
        # The value is not repeated: a secret passed by mistake must not reach a log.
        raise ValueError("base_url must be an http(s) URL, such as https://api.example.com.")
    return url


class Vinr:
    """A client of the VINR merchant API.

        with Vinr("sk_test_…", base_url="https://api.example.com") as vinr:
            customer = vinr.customers.create(email="ada@example.com")

    VINR is self-hosted, so there is no default API: `base_url` is your deployment's `ApiUrl`
    (`http://127.0.0.1:3000` for `make dev`), else the `VINR_API_URL` environment variable; with
    neither, the constructor raises `ValueError`.

    Every call returns the API's JSON object (camelCase keys, as on the wire), typed as its
    `vinr.types` TypedDict, or raises a `vinr.VinrError` subclass. POST and DELETE calls carry an
    `Idempotency-Key` (a fresh UUID unless `idempotency_key=` is given), kept across retries;
    network errors, 429, 5xx and a 409 `idempotency_in_progress` (the same key, still being worked
    on) are retried `max_retries` times with exponential backoff, honouring `Retry-After`.

    Pass `http_client=` to supply your own `httpx.Client` (proxies, transports, tests); the client
    does not close a client it was given.
    """

    def __init__(
        self,
        secret_key: str,
        *,
        base_url: str | None = None,
        webhook_secret: str | None = None,
        timeout: float = 30,
        max_retries: int = 2,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._transport = Transport(
            secret_key, base_url=api_url(base_url), timeout=timeout, max_retries=max_retries, http_client=http_client
        )
        self.account = Account(self._transport)
        self.branding = Branding(self._transport)
        self.tax_rates = TaxRates(self._transport)
        self.customers = Customers(self._transport)
        self.products = Products(self._transport)
        self.prices = Prices(self._transport)
        self.coupons = Coupons(self._transport)
        self.subscriptions = Subscriptions(self._transport)
        self.invoices = Invoices(self._transport)
        self.payment_gateway = PaymentGateway(self._transport)
        self.test_clocks = TestClocks(self._transport)
        self.billing = Billing(self._transport)
        self.webhook_endpoints = WebhookEndpoints(self._transport)
        self.events = Events(self._transport)
        self.audit_log = AuditLog(self._transport)
        self.webhooks = Webhooks(webhook_secret)

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def max_retries(self) -> int:
        return self._transport.max_retries

    @property
    def timeout(self) -> float:
        return self._transport.timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Any API call the resources do not cover yet, with the same auth, retries and errors.

        `path` starts with `/v1/`; `params` and `body` keys are camelCased like the resources'.
        """
        if not path.startswith("/"):
            raise ValueError("path must start with '/', e.g. '/v1/account'.")
        query = query_of(**dict(params or {}))
        payload = None if body is None else camelize(body)
        return self._transport.json(method, path, params=query, body=payload, idempotency_key=idempotency_key)

    def close(self) -> None:
        """Close the HTTP connections (only those of a client this `Vinr` created)."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Vinr(base_url={self.base_url!r})"
