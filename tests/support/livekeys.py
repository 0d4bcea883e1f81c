"""The same account's API with a live key: what live invoices and sessions show (the account's
details, the portal domain) needs one (`billing.accounts.livesettings`)."""

from __future__ import annotations

from billing.accounts import accounts
from billing.store.repository import Table
from tests.support.apiclient import ApiClient, ok


def live_client(api: ApiClient) -> ApiClient:
    """A new live-mode key of `api`'s account, as a client."""
    account_id = ok(api.get("/v1/account"))["id"]
    return ApiClient(api.template, key=accounts.add_key(account_id, "live", table=Table()).secret)
